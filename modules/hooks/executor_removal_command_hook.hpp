// executor_removal_command_hook: runs a site command each time the agent removes an
// executor (it exited and its container is gone), e.g. to release an address or
// archive logs.
//
// The command runs as `/bin/sh -c <command>` on the hook's own thread, one at a
// time in the order the executors were removed, so the agent's loop never waits.
// Each is killed (its whole process group) when `timeout` passes. Its output and
// its outcome go to the agent's log, each line prefixed with the executor. The
// command sees PLEXUS_FRAMEWORK_ID, PLEXUS_FRAMEWORK_NAME, PLEXUS_EXECUTOR_ID and
// PLEXUS_EXECUTOR_NAME. Commands still queued when the agent stops are run before
// it exits (each bounded by the timeout).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <plexus/duration.hpp>
#include <plexus/hook.hpp>
#include <plexus/parameters.hpp>

namespace plexus::hooks {

class ExecutorRemovalCommandHook : public Hook {
 public:
  ExecutorRemovalCommandHook(std::string command, Duration timeout);
  ~ExecutorRemovalCommandHook() override;

  static Result<std::unique_ptr<ExecutorRemovalCommandHook>> create(const Parameters& parameters);

  Result<void> agentRemoveExecutorHook(const v1::FrameworkInfo& framework,
                                       const v1::ExecutorInfo& executor) override;

 private:
  struct Job {
    std::string subject;  // "executor X of framework Y", for the log
    std::map<std::string, std::string> environment;
  };
  void run();

  const std::string command_;
  const Duration timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace plexus::hooks
