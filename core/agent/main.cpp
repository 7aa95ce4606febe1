// plexus-agent: reports a machine's resources and runs tasks in containers.
//
// Flags and module loading (--isolation, --container_logger, --hooks,
// --master_detector), then the
// Agent (agent.hpp): registration with the master, the executor API, containers.
#include <plexus/container_logger.hpp>
#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/redact.hpp>

#include "agent/agent.hpp"
#include "agent/agent_flags.hpp"
#include "daemon/daemon.hpp"

namespace {

using plexus::daemon::createModules;
using plexus::daemon::splitList;

constexpr const char* kStandalone = "standalone";

plexus::Result<std::vector<std::shared_ptr<void>>> start(plexus::daemon::DaemonContext& context,
                                                         const plexus::agent::AgentFlags& flags) {
  std::vector<std::shared_ptr<void>> keep;
  auto& modules = context.modules;
  // The shipped isolators are modules; load them by name unless --modules did.
  for (const std::string& name : splitList(flags.isolation))
    PLEXUS_TRY(modules.loadByName(name, "--isolation=" + name));
  auto isolators =
      createModules<plexus::Isolator>(modules, "--isolation", splitList(flags.isolation), &keep);
  if (!isolators) return plexus::fail(isolators.error());
  std::vector<std::string> loggerNames;
  if (!flags.containerLogger.empty()) {
    PLEXUS_TRY(
        modules.loadByName(flags.containerLogger, "--container_logger=" + flags.containerLogger));
    loggerNames.push_back(flags.containerLogger);
  }
  auto loggers =
      createModules<plexus::ContainerLogger>(modules, "--container_logger", loggerNames, &keep);
  if (!loggers) return plexus::fail(loggers.error());
  auto hookNames = splitList(flags.hooks);
  auto hooks = createModules<plexus::Hook>(modules, "--hooks", hookNames, &keep);
  if (!hooks) return plexus::fail(hooks.error());
  std::vector<std::string> detector;
  if (flags.masterDetector != kStandalone) detector.push_back(flags.masterDetector);
  if (plexus::daemon::isZooKeeperUrl(flags.master)) {
    if (!detector.empty()) {
      return plexus::fail("--master=" + plexus::redactUrls(flags.master) +
                          " cannot be combined with --master_detector=" + flags.masterDetector +
                          ": use one or the other");
    }
    // validateAgentFlags() runs in Agent::start(); parse the one duration needed here.
    auto session = plexus::parseDuration(flags.zkSessionTimeoutText);
    if (!session) return plexus::fail(session.error().context("--zk_session_timeout"));
    PLEXUS_TRY(
        plexus::daemon::loadZooKeeperModules(modules, "--master", flags.master, *session, false));
    detector.push_back(plexus::daemon::kZooKeeperDetector);
  }
  auto detectors =
      createModules<plexus::MasterDetector>(modules, "--master_detector", detector, &keep);
  if (!detectors) return plexus::fail(detectors.error());

  // Destroyed first (keep is emptied back to front): it still uses the modules.
  auto agent = std::make_shared<plexus::agent::Agent>(
      context, flags, std::move(*isolators), plexus::hooks::HookChain(hookNames, *hooks),
      detectors->empty() ? nullptr : detectors->front(),
      loggers->empty() ? nullptr : loggers->front());
  PLEXUS_TRY(agent->start());
  keep.push_back(std::move(agent));
  return keep;
}

}  // namespace

int main(int argc, char** argv) {
  plexus::agent::AgentFlags flags;
  plexus::daemon::DaemonSpec spec{
      .program = "plexus-agent",
      .description =
          "Runs a Plexus agent: it reports this machine's resources to the master "
          "and runs tasks in containers.",
      .defaultPort = 5051,
      .defaultWorkDir = "/var/lib/plexus/agent",
      .addFlags = [&flags](plexus::Flags& f) { plexus::agent::addAgentFlags(f, &flags); },
      .start = [&flags](plexus::daemon::DaemonContext& context) { return start(context, flags); },
  };
  return plexus::daemon::runDaemon(argc, argv, spec);
}
