// plexus-executor: the built-in command executor (see command_executor.hpp). The
// agent runs it for tasks that carry only a CommandInfo and for task groups of a
// DEFAULT executor; it reads everything it needs from the MESOS_* environment.
#include <iostream>

#include <boost/asio/io_context.hpp>

#include <plexus/logging.hpp>

#include "command_executor.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "Usage: plexus-executor\n"
                   "The built-in command executor, started by plexus-agent with Mesos's\n"
                   "executor environment (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID,\n"
                   "MESOS_AGENT_ENDPOINT, ...). It takes no flags.\n"
                   "On SHUTDOWN, SIGTERM or SIGINT, or when it loses the agent and the\n"
                   "framework does not checkpoint (MESOS_CHECKPOINT=0; with checkpointing: after\n"
                   "MESOS_RECOVERY_TIMEOUT), it kills its tasks (SIGTERM, then SIGKILL) and\n"
                   "exits within MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD plus 1s.\n";
      return 0;
    }
    // Nothing else is read from the command line: an argument is refused, not ignored.
    std::cerr << "plexus-executor: unrecognised option '" << arg
              << "': it takes no flags (see plexus-executor --help)\n";
    return 1;
  }
  auto config = plexus::executor::ExecutorConfig::fromEnvironment();
  if (!config) {
    std::cerr << "plexus-executor: " << config.error().message() << "\n";
    return 1;
  }
  boost::asio::io_context io;
  plexus::executor::CommandExecutor executor(io, std::move(*config));
  executor.start();
  io.run();
  return executor.exitStatus();
}
