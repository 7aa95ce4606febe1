// ClusterSim: thousands of agents and a hundred frameworks in one process, talking to
// a real plexus-master, for the master-at-scale benchmark (plexus-bench-master-scale).
//
// Agents speak the internal master-agent protocol (core/protocol/agent_protocol.proto)
// as plexus-agent does (core/agent/master_link.cpp): REGISTER (or REREGISTER with the
// frameworks and tasks they run) on a RecordIO event stream of their own; PONG to
// each PING; for each RUN_TASK an UPDATE with TASK_RUNNING, for each KILL_TASK one
// with TASK_KILLED, each carrying a fresh uuid, agent_id and SOURCE_EXECUTOR. They
// run nothing: a task is a record. An update is sent once (not retried until
// acknowledged, as a real agent would).
//
// Frameworks speak the v1 scheduler API in protobuf: SUBSCRIBE; launch command tasks
// from their offers until they have their share of the target of running tasks;
// then decline what they hold and SUPPRESS; acknowledge every update with a uuid.
//
// Calls (agents' and frameworks') go through one window of requests in flight on
// pooled keep-alive connections, like a real agent's or scheduler library's client.
//
// Threading: everything runs on the simulator's own thread (its io_context); the
// public methods are called from another thread (the benchmark's), post their work
// and wait for it. Counters are atomics, readable from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <plexus/error.hpp>
#include <plexus/recordio.hpp>
#include <plexus/resources.hpp>

#include "agent_protocol.pb.h"
#include "http/client.hpp"
#include "plexus/v1/scheduler.pb.h"

namespace plexus::bench {

struct SimConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int agents = 1000;
  int frameworks = 10;
  int tasks = 10000;  // running tasks to reach, over all frameworks
  std::string agentResources = "cpus:16;mem:32768;disk:65536";
  std::string taskResources = "cpus:0.1;mem:32";
  std::size_t window = 256;  // calls in flight at once
  int tasksPerOffer = 0;     // most tasks launched per offer; 0: the target spread over the agents
  // Empty: command tasks (the agents are simulated: nothing runs). Else each task
  // names one of `executors` custom executors with this command (a real agent runs
  // them), and carries `taskData` (plexus-bench-executor's "hold": no process).
  std::string executorCommand;
  int executors = 1;
  std::string executorResources = "cpus:0.1;mem:32";
  std::string taskData;
};

class ClusterSim {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClusterSim(SimConfig config);
  ~ClusterSim();
  ClusterSim(const ClusterSim&) = delete;
  ClusterSim& operator=(const ClusterSim&) = delete;

  // Every agent REGISTERs (or, with `reregister`, REREGISTERs with its id, frameworks
  // and tasks) on a new stream; true once every one got REGISTERED.
  [[nodiscard]] bool connectAgents(bool reregister, std::chrono::seconds timeout);
  // Every framework SUBSCRIBEs and launches until the target is running; true then.
  [[nodiscard]] bool runFrameworks(std::chrono::seconds timeout);
  // Every framework REVIVEs at once; returns the milliseconds until offers for every
  // agent have arrived (the frameworks then decline them and SUPPRESS again).
  [[nodiscard]] Result<double> reviveUntilOffered(std::chrono::seconds timeout);

  struct Burst {
    std::size_t updates = 0;
    double seconds = 0;  // first UPDATE sent -> last UPDATE event received
  };
  // Every agent sends TASK_FINISHED for every task it runs, as fast as the window
  // allows; the frameworks do not relaunch. Returns when every framework has seen
  // every update.
  [[nodiscard]] Result<Burst> finishAllTasks(std::chrono::seconds timeout);

  // Sends `count` scheduler calls (RECONCILE of one running task), one every `every`,
  // from the first framework, and returns each one's latency (sent -> answered), ms.
  std::vector<double> sampleCallLatency(int count, std::chrono::milliseconds every);

  std::size_t runningTasks() const { return running_.load(); }
  std::size_t registeredAgents() const { return registered_.load(); }
  std::size_t failedCalls() const { return failedCalls_.load(); }
  std::string firstError() const;

 private:
  struct SimTask {
    std::string framework;
    v1::TaskInfo info;
  };
  struct Agent {
    std::string id;
    std::string streamId;
    std::shared_ptr<http::ClientCall> stream;
    RecordIODecoder decoder;
    bool registered = false;
    std::map<std::string, SimTask> tasks;                 // by task id
    std::map<std::string, v1::FrameworkInfo> frameworks;  // by framework id
  };
  struct Framework {
    std::string id;
    std::string streamId;
    std::shared_ptr<http::ClientCall> stream;
    RecordIODecoder decoder;
    v1::FrameworkInfo info;
    int target = 0;
    int live = 0;  // launched, not terminal
    int nextTask = 0;
    bool relaunch = true;
    bool suppressed = false;
    std::vector<std::string> runningTasks;  // ids, for RECONCILE samples
    std::map<std::string, std::string> taskAgents;
    std::set<std::string> executorsLaunched;  // "agent/executor"
  };
  struct Pending {
    std::string target;
    http::Headers headers;
    std::string body;
    std::function<void(bool ok)> done;
  };

  // On the simulator's thread.
  void run(std::function<void()> work);
  void connectAgent(std::size_t index, bool reregister);
  void onAgentData(std::size_t index, std::string_view bytes);
  void agentEvent(std::size_t index, const internal::AgentEvent& event);
  void sendUpdate(Agent& agent, const std::string& framework, const v1::TaskID& task,
                  v1::TaskState state);
  void subscribe(std::size_t index);
  void onFrameworkData(std::size_t index, std::string_view bytes);
  void frameworkEvent(std::size_t index, v1::scheduler::Event& event);
  void offers(Framework& framework, const v1::scheduler::Event::Offers& offers);
  void update(Framework& framework, const v1::TaskStatus& status);
  void sendScheduler(Framework& framework, v1::scheduler::Call call,
                     std::function<void(bool)> done = {});
  void send(Pending call);
  void pump();
  void recordError(const std::string& error);
  bool waitFor(const std::function<bool()>& condition, std::chrono::seconds timeout);

  SimConfig config_;
  Resources taskResources_;
  Resources executorResources_;
  int perOffer_ = 1;  // tasks launched per offer: the target spread over every agent
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<http::Client> streams_;
  std::vector<Agent> agents_;
  std::map<std::string, std::size_t> agentIndex_;
  std::vector<Framework> frameworks_;
  std::deque<Pending> queue_;
  std::size_t inFlight_ = 0;

  // Phases (simulator's thread).
  bool counting_ = false;
  std::size_t offeredAgentsTarget_ = 0;
  std::map<std::string, bool> offeredAgents_;
  Clock::time_point lastUpdate_{};

  std::atomic<std::size_t> registered_{0};
  std::atomic<std::size_t> subscribed_{0};
  std::atomic<std::size_t> running_{0};
  std::atomic<std::size_t> offered_{0};
  std::atomic<std::size_t> updatesSeen_{0};
  std::atomic<std::size_t> failedCalls_{0};
  mutable std::mutex errorMutex_;
  std::string firstError_;
  std::thread thread_;
};

}  // namespace plexus::bench
