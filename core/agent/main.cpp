// plexus-agent: reports a machine's resources and runs tasks in containers.
//
// This is the agent's skeleton: flags, module loading and the modules it will use
// for each role, /health and /version. Registration with the master, containers
// and the executor API arrive with the master/agent issue.
#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>
#include <plexus/master_detector.hpp>

#include "daemon/daemon.hpp"

namespace {

namespace po = boost::program_options;
using plexus::daemon::createModules;
using plexus::daemon::splitList;

constexpr const char* kStandalone = "standalone";

struct AgentRoleFlags {
  std::string isolation;
  std::string hooks;
  std::string masterDetector;
};

void addFlags(plexus::Flags& flags, AgentRoleFlags* values) {
  flags.add()("isolation", po::value<std::string>(&values->isolation)->default_value("", "\"\""),
              "Comma-separated Isolator modules that isolate each container, in this order. "
              "Empty: none yet; the isolator modules arrive with their own issue.")(
      "hooks", po::value<std::string>(&values->hooks)->default_value("", "\"\""),
      "Comma-separated Hook modules, called in this order at each hook point.")(
      "master_detector",
      po::value<std::string>(&values->masterDetector)->default_value(kStandalone),
      "MasterDetector module to find the leading master, or 'standalone' (built in).");
}

plexus::Result<std::vector<std::shared_ptr<void>>> start(plexus::daemon::DaemonContext& context,
                                                         const AgentRoleFlags& role) {
  std::vector<std::shared_ptr<void>> keep;
  const auto& modules = context.modules;
  PLEXUS_TRY(
      createModules<plexus::Isolator>(modules, "--isolation", splitList(role.isolation), &keep));
  PLEXUS_TRY(createModules<plexus::Hook>(modules, "--hooks", splitList(role.hooks), &keep));
  std::vector<std::string> detector;
  if (role.masterDetector != kStandalone) detector.push_back(role.masterDetector);
  PLEXUS_TRY(createModules<plexus::MasterDetector>(modules, "--master_detector", detector, &keep));
  return keep;
}

}  // namespace

int main(int argc, char** argv) {
  AgentRoleFlags role;
  plexus::daemon::DaemonSpec spec{
      .program = "plexus-agent",
      .description =
          "Runs a Plexus agent: it reports this machine's resources to the master "
          "and runs tasks in containers.",
      .defaultPort = 5051,
      .defaultWorkDir = "/var/lib/plexus/agent",
      .addFlags = [&role](plexus::Flags& flags) { addFlags(flags, &role); },
      .start = [&role](plexus::daemon::DaemonContext& context) { return start(context, role); },
  };
  return plexus::daemon::runDaemon(argc, argv, spec);
}
