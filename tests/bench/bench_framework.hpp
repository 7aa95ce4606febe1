// BenchFramework: the scheduler side of plexus-bench-tasks. One instance is one
// framework, subscribed through the SDK scheduler library, that launches N short
// tasks and stops once every one of them is terminal.
//
// It keeps at most `window` tasks non-terminal, holds the offers it cannot use yet
// and answers them together (every offer comes from the one agent) as soon as there
// is room, packing as many tasks as fit into one ACCEPT with refuse_seconds 0, so
// what it leaves unused comes straight back. It records, for each task, when the
// ACCEPT carrying it was handed to the library and when its TASK_RUNNING arrived,
// and acknowledges every update.
//
// Threading: the library's callbacks run on its thread; run() blocks the caller
// until the round ends or times out. One run() per instance.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/resources.hpp>
#include <plexus/scheduler/mesos.hpp>

namespace plexus::bench {

enum class Mode {
  kCommand,   // a CommandInfo per task: one plexus-executor per task
  kExecutor,  // one ExecutorInfo for every task: plexus-bench-executor runs them all
};

struct RoundConfig {
  std::string master;  // host:port
  Mode mode = Mode::kCommand;
  int tasks = 2000;
  int window = 4;  // most tasks non-terminal at once
  std::string taskResources = "cpus:0.01;mem:1";
  std::string executorResources = "cpus:0.1;mem:32";
  std::string executorPath;  // plexus-bench-executor (executor mode)
  std::string program = "/bin/true";
  std::chrono::seconds timeout{300};
};

struct RoundResult {
  int tasks = 0;
  int finished = 0;  // TASK_FINISHED
  int failed = 0;    // any other terminal state
  double wallSeconds = 0;
  double tasksPerSecond = 0;
  double launchP50Ms = 0;  // ACCEPT sent -> TASK_RUNNING received
  double launchP99Ms = 0;
  double launchMaxMs = 0;
  int accepts = 0;  // ACCEPT calls sent
  std::string firstFailure;
};

class BenchFramework {
 public:
  explicit BenchFramework(RoundConfig config);
  ~BenchFramework();
  BenchFramework(const BenchFramework&) = delete;
  BenchFramework& operator=(const BenchFramework&) = delete;

  // Subscribes, runs every task, tears the framework down. Fails on a timeout or
  // when the master refuses the framework.
  [[nodiscard]] Result<RoundResult> run();

 private:
  using Clock = std::chrono::steady_clock;
  struct TaskTimes {
    Clock::time_point accepted{};
    std::optional<Clock::time_point> running;
    bool terminal = false;
  };

  // On the library's thread, with mutex_ held.
  void connected();
  void received(std::deque<v1::scheduler::Event> events);
  void update(const v1::TaskStatus& status);
  void launchWhatFits();
  v1::TaskInfo makeTask(int index, const v1::AgentID& agent, const Resources& resources) const;
  void finish(std::optional<std::string> error);

  RoundConfig config_;
  Resources taskNeeds_;
  Resources executorNeeds_;
  v1::FrameworkInfo framework_;
  std::unique_ptr<scheduler::Mesos> mesos_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::string frameworkId_;
  std::string role_ = "*";         // the role the offers are allocated to
  std::vector<v1::Offer> offers_;  // held until there is room
  std::map<std::string, TaskTimes> tasks_;
  int launched_ = 0;
  int live_ = 0;  // launched, not terminal
  int finished_ = 0;
  int failed_ = 0;
  int accepts_ = 0;
  bool executorLaunched_ = false;
  std::string firstFailure_;
  Clock::time_point firstAccept_{};
  Clock::time_point lastTerminal_{};
  bool done_ = false;
  std::optional<std::string> error_;
};

}  // namespace plexus::bench
