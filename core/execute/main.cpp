// plexus-execute: runs a command (or a task group) on the cluster as a one-off
// framework, like Mesos's mesos-execute, and exits with the tasks' outcome.
//
// It speaks to the master only through the SDK's scheduler library
// (plexus_scheduler), as an external framework would.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <plexus/internal/credentials.hpp>
#include <plexus/logging.hpp>

#include "common/flags.hpp"
#include "daemon/daemon.hpp"
#include "execute/execute.hpp"
#include "module/module_flags.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  plexus::execute::Config config;
  std::string contentType;
  std::string killAfter;
  std::string killTimeout;
  std::string logging;
  std::string credential;
  std::string placement;
  plexus::Flags flags(
      "plexus-execute",
      "Usage: plexus-execute --master=host:port (--command=<cmd> | --task_group=<file>) [options]\n"
      "Runs a command or a task group on the cluster as a one-off framework, prints each\n"
      "status update, and exits 0 when every task finished, non-zero otherwise.");
  std::string zkSessionTimeout;
  flags.add()("master", po::value<std::string>(&config.master)->default_value("", "\"\""),
              "The leading master, host:port, or 'zk://host1:port1,host2:port2/path' (also "
              "'zk://user:pass@hosts/path', 'file:///path') to follow the leader found in "
              "ZooKeeper (loads the shipped detector_zk module) (required).")(
      "zk_session_timeout", po::value<std::string>(&zkSessionTimeout)->default_value("10secs"),
      "ZooKeeper session timeout used with --master=zk://.")(
      "name", po::value<std::string>(&config.name)->default_value("plexus-execute"),
      "Framework and task name.")(
      "command", po::value<std::string>(&config.command)->default_value("", "\"\""),
      "Shell command to run (with /bin/sh -c).")(
      "resources", po::value<std::string>(&config.resources)->default_value("cpus:0.1;mem:32"),
      "Resources of each task (Mesos text syntax).")(
      "env", po::value<std::string>(&config.env)->default_value("", "\"\""),
      "Environment of the command, a JSON object of strings.")(
      "task_group", po::value<std::string>(&config.taskGroupFile)->default_value("", "\"\""),
      "File holding a v1 TaskGroupInfo in JSON, launched with LAUNCH_GROUP on the DEFAULT "
      "executor.")("instances", po::value<int>(&config.instances)->default_value(1),
                   "Number of copies of the task (or task group), named <name>-0, <name>-1, "
                   "... (a Plexus flag; mesos-execute runs one). Where they run follows "
                   "--placement.")(
      "placement", po::value<std::string>(&placement)->default_value("pack"),
      "How --instances are put on offers (a Plexus flag): 'pack' launches as many as fit "
      "in each offer, in the order offers come, so several share an agent; 'spread' "
      "launches one per offer and gives the rest of the offer back without a filter, so "
      "each instance goes where the allocator offers next (offers on several agents at "
      "once: one on each).")("role", po::value<std::string>(&config.role)->default_value("*"),
                             "Role of the framework.")(
      "content_type", po::value<std::string>(&contentType)->default_value("protobuf"),
      "Encoding of calls and events: json or protobuf.")(
      "checkpoint", po::value<bool>(&config.checkpoint)->default_value(false)->implicit_value(true),
      "Ask agents to checkpoint the framework's tasks.")(
      "kill_after", po::value<std::string>(&killAfter)->default_value("", "\"\""),
      "Kill the tasks after this long (Mesos duration, e.g. 10secs). Empty: never.")(
      "kill_timeout", po::value<std::string>(&killTimeout)->default_value("10secs"),
      "After the tasks are killed (by --kill_after, SIGINT or SIGTERM), how long to wait for "
      "them to end; then the framework is torn down and plexus-execute exits anyway (e.g. "
      "when their agent is gone). A second SIGINT or SIGTERM tears down at once.")(
      "credential", po::value<std::string>(&credential)->default_value("", "\"\""),
      "The framework's credential for a master that authenticates frameworks: a file (or "
      "file:// URL) holding {\"principal\": ..., \"secret\": ...} or 'principal secret', "
      "or that JSON inline. Sent as HTTP Basic; its principal becomes FrameworkInfo.principal.")(
      "logging_level", po::value<std::string>(&logging)->default_value("WARNING"),
      "Library log level: DEBUG, INFO, WARNING, ERROR.");
  auto parsed = flags.parse(argc, argv);
  if (!parsed) {
    std::cerr << "plexus-execute: " << parsed.error().message() << "\n";
    return 2;
  }
  if (flags.given("help")) {
    std::cout << flags.help();
    return 0;
  }
  plexus::LogLevel level;
  if (plexus::parseLogLevel(logging, &level)) plexus::setMinLogLevel(level);
  if (contentType == "json")
    config.contentType = plexus::scheduler::ContentType::kJson;
  else if (contentType == "protobuf")
    config.contentType = plexus::scheduler::ContentType::kProtobuf;
  else {
    std::cerr << "plexus-execute: --content_type=" << contentType
              << ": expected json or protobuf\n";
    return 2;
  }
  if (placement == "pack")
    config.placement = plexus::execute::Placement::kPack;
  else if (placement == "spread")
    config.placement = plexus::execute::Placement::kSpread;
  else {
    std::cerr << "plexus-execute: --placement=" << placement << ": expected pack or spread\n";
    return 2;
  }
  if (!credential.empty()) {
    auto loaded = plexus::loadCredential(credential);
    if (!loaded) {
      std::cerr << "plexus-execute: --credential: " << loaded.error().message() << "\n";
      return 2;
    }
    config.credential = std::move(*loaded);
  }
  auto timeout = plexus::parseDuration(killTimeout);
  if (!timeout || timeout->count() <= 0) {
    std::cerr << "plexus-execute: --kill_timeout: "
              << (timeout ? std::string("must be positive") : timeout.error().message()) << "\n";
    return 2;
  }
  config.killTimeout = *timeout;
  if (!killAfter.empty()) {
    auto duration = plexus::parseDuration(killAfter);
    if (!duration) {
      std::cerr << "plexus-execute: --kill_after: " << duration.error().message() << "\n";
      return 2;
    }
    config.killAfter = *duration;
  }

  // A zk:// master: load detector_zk's detector from the modules folder, as the
  // agent does, and hand it to the scheduler library. The registry (and with it the
  // library) lives until exit.
  static std::unique_ptr<plexus::module::ModuleRegistry> modules;
  if (plexus::daemon::isZooKeeperUrl(config.master)) {
    auto session = plexus::parseDuration(zkSessionTimeout);
    if (!session) {
      std::cerr << "plexus-execute: --zk_session_timeout: " << session.error().message() << "\n";
      return 2;
    }
    modules = std::make_unique<plexus::module::ModuleRegistry>(
        plexus::module::moduleSearchPath(plexus::module::ModuleFlags{}));
    auto loaded =
        plexus::daemon::loadZooKeeperModules(*modules, "--master", config.master, *session, false);
    auto detector = loaded ? plexus::module::createGuarded<plexus::MasterDetector>(
                                 *modules, plexus::daemon::kZooKeeperDetector, "--master")
                           : plexus::fail(loaded.error());
    if (!detector) {
      std::cerr << "plexus-execute: " << detector.error().message() << "\n";
      return 2;
    }
    config.detector = std::shared_ptr<plexus::MasterDetector>(std::move(*detector));
  }

  // Signals are taken synchronously by this thread; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto prepared = plexus::execute::Execute::create(std::move(config));
  if (!prepared) {
    std::cerr << "plexus-execute: " << prepared.error().message() << "\n";
    return 2;
  }
  plexus::execute::Execute& execute = **prepared;
  while (true) {
    if (auto code = execute.waitFor(std::chrono::milliseconds(100))) return *code;
    timespec poll{0, 0};
    int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig > 0) execute.interrupt();
  }
}
