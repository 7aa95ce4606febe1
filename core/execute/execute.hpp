// Execute: the one-off framework behind plexus-execute.
//
// It subscribes (PARTITION_AWARE, TASK_KILLING_STATE), accepts the first offers
// that fit its task instances (declining the rest): with Placement::kPack as many
// instances as fit in each offer, in the order the offers come (so several land
// on one agent); with kSpread one instance per offer, the rest of the offer given
// back without a filter (so where they land is the allocator's choice). It
// launches them with LAUNCH
// (a command task) or LAUNCH_GROUP (a task group on the DEFAULT executor), prints
// every status update and acknowledges it, and tears the framework down once every
// task is terminal. The exit code is 0 when every task finished; otherwise the
// failed command's exit status when the update says it ("... exited with status
// 3"), else 1.
//
// Threading: the scheduler library's callbacks run on its thread; interrupt() and
// waitFor() are called from main's thread. State is guarded by one mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/resources.hpp>
#include <plexus/scheduler/mesos.hpp>

namespace plexus::execute {

// How --instances are placed on offers (a Plexus flag: mesos-execute runs one task).
enum class Placement { kPack, kSpread };

struct Config {
  std::string master;
  // Set for a zk:// master: the loaded detector that names the leader (main.cpp).
  std::shared_ptr<MasterDetector> detector;
  std::string name = "plexus-execute";
  std::string command;
  std::string resources = "cpus:0.1;mem:32";
  std::string env;            // JSON object of strings
  std::string taskGroupFile;  // v1 TaskGroupInfo in JSON
  int instances = 1;
  Placement placement = Placement::kPack;
  std::string role = "*";
  bool checkpoint = false;
  scheduler::ContentType contentType = scheduler::ContentType::kProtobuf;
  std::optional<Duration> killAfter;
  // After the tasks are killed (a signal, killAfter): how long to wait for them to
  // end before tearing the framework down and exiting anyway.
  Duration killTimeout = std::chrono::seconds(10);
  // Sent as HTTP Basic with every call; its principal is FrameworkInfo.principal.
  std::optional<v1::Credential> credential;
};

class Execute {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Execute>> create(Config config);
  ~Execute();

  // Waits up to `timeout`; returns the exit code once the run is over.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);

  // Ctrl-C: the first kills the tasks (the run ends when they are terminal, or at
  // once if none was launched); the second tears down without waiting.
  void interrupt();

 private:
  struct Instance {
    std::vector<v1::TaskInfo> tasks;           // one, or the task group's
    std::optional<v1::ExecutorInfo> executor;  // set for a task group
    Resources needs;                           // unallocated
  };
  struct TaskRecord {
    std::string agentId;
    std::string executorId;
    std::string agentIp;  // where the agent serves /state (from the offer's url)
    int agentPort = 0;
    std::optional<v1::TaskState> state;
    bool terminal = false;
  };

  explicit Execute(Config config) : config_(std::move(config)) {}
  Result<void> prepare();

  void connected();
  void disconnected();
  void received(std::deque<v1::scheduler::Event> events);
  void callFailed(const v1::scheduler::Call& call, const Error& error);

  void offers(const v1::scheduler::Event::Offers& offers);
  void update(const v1::TaskStatus& status);
  void killAll();
  void teardown(int code);
  void finish(int code);
  v1::scheduler::Call call(v1::scheduler::Call::Type type) const;

  Config config_;
  v1::FrameworkInfo framework_;
  std::vector<Instance> instances_;
  std::unique_ptr<scheduler::Mesos> mesos_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::string frameworkId_;
  std::size_t launched_ = 0;  // instances launched
  std::map<std::string, TaskRecord> tasks_;
  std::optional<int> failureCode_;
  bool killing_ = false;
  bool tearingDown_ = false;
  std::optional<int> pendingCode_;
  std::optional<std::chrono::steady_clock::time_point> teardownDeadline_;
  std::optional<std::chrono::steady_clock::time_point> killDeadline_;
  std::optional<std::chrono::steady_clock::time_point> launchedAt_;
  std::optional<int> exitCode_;
};

}  // namespace plexus::execute
