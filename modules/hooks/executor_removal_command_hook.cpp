#include "executor_removal_command_hook.hpp"

#include <plexus/logging.hpp>

#include "command_runner.hpp"

namespace plexus::hooks {

ExecutorRemovalCommandHook::ExecutorRemovalCommandHook(std::string command, Duration timeout)
    : command_(std::move(command)), timeout_(timeout), worker_([this] { run(); }) {}

ExecutorRemovalCommandHook::~ExecutorRemovalCommandHook() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

Result<std::unique_ptr<ExecutorRemovalCommandHook>> ExecutorRemovalCommandHook::create(
    const Parameters& parameters) {
  std::string command = parameters.string("command");
  if (command.find_first_not_of(" \t") == std::string::npos)
    return fail("command: must not be empty");
  Duration timeout = parameters.duration("timeout");
  if (timeout.count() <= 0) return fail("timeout: must be positive");
  return std::make_unique<ExecutorRemovalCommandHook>(std::move(command), timeout);
}

Result<void> ExecutorRemovalCommandHook::agentRemoveExecutorHook(const v1::FrameworkInfo& framework,
                                                                 const v1::ExecutorInfo& executor) {
  Job job;
  job.subject =
      "executor " + executor.executor_id().value() + " of framework " + framework.id().value();
  job.environment = {{"PLEXUS_FRAMEWORK_ID", framework.id().value()},
                     {"PLEXUS_FRAMEWORK_NAME", framework.name()},
                     {"PLEXUS_EXECUTOR_ID", executor.executor_id().value()},
                     {"PLEXUS_EXECUTOR_NAME", executor.name()}};
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return {};
}

void ExecutorRemovalCommandHook::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const std::string prefix = "executor_removal_command_hook (" + job.subject + "): ";
    auto outcome = runCommand(command_, job.environment, timeout_,
                              [&](std::string_view line) { PLEXUS_LOG(Info) << prefix << line; });
    if (!outcome) {
      PLEXUS_LOG(Warning) << prefix << "could not run '" << command_
                          << "': " << outcome.error().message();
    } else if (outcome->timedOut) {
      PLEXUS_LOG(Warning) << prefix << "'" << command_ << "' was killed after the timeout of "
                          << formatDuration(timeout_) << " (raise the hook's timeout parameter)";
    } else if (outcome->exitCode == 0) {
      PLEXUS_LOG(Info) << prefix << "'" << command_ << "' exited 0";
    } else if (outcome->exitCode) {
      PLEXUS_LOG(Warning) << prefix << "'" << command_ << "' exited " << *outcome->exitCode;
    } else {
      PLEXUS_LOG(Warning) << prefix << "'" << command_ << "' was ended by signal "
                          << outcome->signal.value_or(0);
    }
  }
}

}  // namespace plexus::hooks
