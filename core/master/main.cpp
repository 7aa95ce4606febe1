// plexus-master: keeps the cluster's state and offers agents' resources to frameworks.
//
// This is the master's skeleton: flags, module loading and the modules it will
// use for each role, /health and /version. The offer cycle, the scheduler API and
// the agents' protocol arrive with the master/agent issue.
#include <plexus/allocator.hpp>
#include <plexus/authenticator.hpp>
#include <plexus/hook.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>

#include "daemon/daemon.hpp"

namespace {

namespace po = boost::program_options;
using plexus::daemon::createModules;
using plexus::daemon::splitList;

// The built-in contender and detector, used unless a module is named.
constexpr const char* kStandalone = "standalone";

struct MasterRoleFlags {
  std::string allocator;
  std::string hooks;
  std::string authenticators;
  std::string masterContender;
  std::string masterDetector;
};

void addFlags(plexus::Flags& flags, MasterRoleFlags* values) {
  flags.add()("allocator", po::value<std::string>(&values->allocator)->default_value("", "\"\""),
              "Name of the Allocator module that decides offers (loaded with --modules). "
              "Empty: none yet; the allocator modules arrive with their own issue.")(
      "hooks", po::value<std::string>(&values->hooks)->default_value("", "\"\""),
      "Comma-separated Hook modules, called in this order at each hook point.")(
      "authenticators", po::value<std::string>(&values->authenticators)->default_value("", "\"\""),
      "Comma-separated Authenticator modules for HTTP requests. Empty: no authentication.")(
      "master_contender",
      po::value<std::string>(&values->masterContender)->default_value(kStandalone),
      "MasterContender module for leader election, or 'standalone' (built in: this master "
      "leads alone).")(
      "master_detector",
      po::value<std::string>(&values->masterDetector)->default_value(kStandalone),
      "MasterDetector module to find the leading master, or 'standalone' (built in).");
}

std::vector<std::string> unlessStandalone(const std::string& name) {
  if (name == kStandalone) return {};
  return {name};
}

plexus::Result<std::vector<std::shared_ptr<void>>> start(plexus::daemon::DaemonContext& context,
                                                         const MasterRoleFlags& role) {
  std::vector<std::shared_ptr<void>> keep;
  const auto& modules = context.modules;
  PLEXUS_TRY(
      createModules<plexus::Allocator>(modules, "--allocator", splitList(role.allocator), &keep));
  PLEXUS_TRY(createModules<plexus::Hook>(modules, "--hooks", splitList(role.hooks), &keep));
  PLEXUS_TRY(createModules<plexus::Authenticator>(modules, "--authenticators",
                                                  splitList(role.authenticators), &keep));
  PLEXUS_TRY(createModules<plexus::MasterContender>(modules, "--master_contender",
                                                    unlessStandalone(role.masterContender), &keep));
  PLEXUS_TRY(createModules<plexus::MasterDetector>(modules, "--master_detector",
                                                   unlessStandalone(role.masterDetector), &keep));
  return keep;
}

}  // namespace

int main(int argc, char** argv) {
  MasterRoleFlags role;
  plexus::daemon::DaemonSpec spec{
      .program = "plexus-master",
      .description =
          "Runs a Plexus master: it keeps the cluster's state and offers agents' "
          "resources to frameworks.",
      .defaultPort = 5050,
      .defaultWorkDir = "/var/lib/plexus/master",
      .addFlags = [&role](plexus::Flags& flags) { addFlags(flags, &role); },
      .start = [&role](plexus::daemon::DaemonContext& context) { return start(context, role); },
  };
  return plexus::daemon::runDaemon(argc, argv, spec);
}
