// Agent: the plexus-agent's state machine.
//
// It registers with the master (master_link.cpp): POST REGISTER/REREGISTER to
// /internal/v1/agent and read the RecordIO stream of AgentEvents; PING gets a PONG;
// a stream that ends or stays silent for the master's --max_agent_ping_timeouts ping
// intervals (both told in REGISTERED) is replaced by a new registration, with a
// randomized exponential backoff. RUN_TASK / RUN_TASK_GROUP
// start (or reuse) an executor in a container (executors.cpp); the executor speaks
// the v1 executor API at /api/v1/executor (executor_api.cpp); its status updates,
// and the ones the agent makes, go to the master through the StatusUpdateManager
// until acknowledged; ACKNOWLEDGE becomes the executor's ACKNOWLEDGED event.
//
// Threading: everything runs on the daemon's loop; blocking work (fork/exec,
// isolators) is done by the Containerizer on its pool.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/recordio.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/executor.pb.h>

#include "agent/agent_flags.hpp"
#include "agent/containerizer.hpp"
#include "agent/gc.hpp"
#include "agent/state.hpp"
#include "agent/status_update_manager.hpp"
#include "agent_protocol.pb.h"
#include "auth/jwt.hpp"
#include "daemon/daemon.hpp"
#include "hooks/hook_chain.hpp"
#include "http/client.hpp"

namespace plexus::agent {

class Agent {
 public:
  // `detector` (owned by the daemon, may be null) finds the leading master; without
  // one the agent registers with --master's host:port. `logger` (owned by the
  // daemon; null: the built-in sandbox logger) is --container_logger.
  Agent(daemon::DaemonContext& context, const AgentFlags& flags, std::vector<Isolator*> isolators,
        hooks::HookChain hooks, MasterDetector* detector = nullptr,
        ContainerLogger* logger = nullptr);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Detects resources, adds the routes and, once the loop runs (the server is
  // listening by then), registers with the master.
  [[nodiscard]] Result<void> start();

 private:
  // --- master_link.cpp ---
  void connect();
  // Asks the detector for the next change of leader after `previous`.
  void detectMaster(const std::optional<v1::MasterInfo>& previous);
  void masterDetected(Result<std::optional<v1::MasterInfo>> leader);
  void onMasterHead(std::uint64_t generation, const http::Response& head);
  // A non-2xx answer to the registration: logged with the master's message, retried.
  void onMasterRefused(std::uint64_t generation, const http::Response& answer);
  void onMasterData(std::uint64_t generation, std::string_view bytes);
  void onMasterEnd(std::uint64_t generation, const std::string& why);
  void scheduleReconnect();
  void checkMasterSilence();
  void handleEvent(const internal::AgentEvent& event);
  void onRegistered(const internal::AgentEvent::Registered& registered);
  internal::AgentCall makeRegisterCall() const;
  // POSTs `call` on the current stream; false when not connected.
  bool sendToMaster(internal::AgentCall call);
  void forwardStatusUpdate(const FrameworkId& framework, const v1::TaskStatus& status);

  // --- agent.cpp: events from the master ---
  void runTask(const internal::AgentEvent::RunTask& run);
  void runTaskGroup(const internal::AgentEvent::RunTaskGroup& run);
  void killTask(const internal::AgentEvent::KillTask& kill);
  void acknowledge(const internal::AgentEvent::Acknowledge& ack);
  void frameworkMessage(const internal::AgentEvent::Message& message);
  void shutdownFramework(const FrameworkId& framework);
  // resources_checkpoint.cpp: the total the master sent after a reservation
  // changed it, kept in --work_dir and reported at every (re-)registration.
  void checkpointResources(const google::protobuf::RepeatedPtrField<v1::Resource>& total);
  // Replaces the detected total with the checkpointed one when the detected total
  // is the one it was checkpointed over.
  Result<void> recoverCheckpointedResources(const Resources& detected);
  // Moves a framework with no executors left to the completed ones.
  void removeFramework(const FrameworkId& framework);
  Framework& ensureFramework(const v1::FrameworkInfo& info);
  Executor* findExecutor(const FrameworkId& framework, const ExecutorId& executor);
  Executor* findExecutorOfTask(const FrameworkId& framework, const TaskId& task);

  // --- status updates (agent.cpp) ---
  v1::TaskStatus makeStatus(const Executor* executor, const v1::TaskID& task, v1::TaskState state,
                            std::optional<v1::TaskStatus::Reason> reason,
                            const std::string& message) const;
  // Records the state on the task and hands the update to the status update manager.
  void statusUpdate(const FrameworkId& framework, v1::TaskStatus status, Executor* executor);

  // --- executors.cpp ---
  v1::ExecutorInfo commandExecutorInfo(const v1::FrameworkInfo& framework,
                                       const v1::TaskInfo& task) const;
  // Queues the launch on the executor (starting it if needed) or sends it at once.
  void launchOnExecutor(Framework& framework, const v1::ExecutorInfo& info, QueuedLaunch launch);
  // Tells the isolators what the executor's container holds now: the executor's
  // resources and those of its tasks that have not ended.
  void resizeContainer(const Executor& executor);
  // The container's resources are the executor's plus those of `tasks` (its first
  // launch), as Mesos sizes a container.
  Executor& startExecutor(Framework& framework, const v1::ExecutorInfo& info,
                          const v1::TaskGroupInfo& tasks, bool generatedForCommandTask);
  std::map<std::string, std::string> executorEnvironment(const Framework& framework,
                                                         const Executor& executor) const;
  void onExecutorLaunched(const FrameworkId& framework, const ExecutorId& executor,
                          Result<pid_t> pid);
  void onExecutorTerminated(const FrameworkId& framework, const ExecutorId& executor,
                            const Termination& termination);
  void onRegistrationTimeout(const FrameworkId& framework, const ExecutorId& executor);
  // Asks the executor to shut down (SHUTDOWN event), killing it after its grace period.
  void shutdownExecutor(Executor& executor);
  // Fails every non-terminal task of the executor (it is gone).
  void failExecutorTasks(Executor& executor, v1::TaskStatus::Reason reason,
                         const std::string& message);
  void removeExecutor(Framework& framework, Executor& executor, std::optional<int> status);
  Duration shutdownGracePeriod(const Executor& executor) const;

  // --- recovery.cpp: checkpoints and agent recovery (docs/agent-recovery.md) ---
  bool checkpointing(const v1::FrameworkInfo& framework) const;
  // slave.info, the boot id and meta/slaves/latest, once the agent has its ID.
  void checkpointAgent();
  void checkpointFramework(const Framework& framework);
  // executor.info, the run's run.info and runs/latest (before the launch).
  void checkpointExecutor(const Framework& framework, const Executor& executor);
  internal::ExecutorRun executorRun(const Executor& executor) const;
  std::string runCheckpointDir(const Executor& executor) const;
  void checkpointTask(const Executor& executor, const v1::Task& task);
  // The task's status update stream, as the StatusUpdateManager holds it now, and
  // `accepted` as its latest update when given.
  void checkpointUpdates(const FrameworkId& framework, const TaskId& task,
                         const v1::TaskStatus* accepted = nullptr);
  // The executor is gone: its tasks' acknowledged streams and checkpoints are done.
  void forgetTasks(const Executor& executor);
  // In start(): reads the checkpoints of the agent in meta/slaves/latest (unless the
  // host rebooted since), checks the configuration against them and rebuilds the
  // frameworks, executors, tasks and status update streams.
  [[nodiscard]] Result<void> recoverState();
  // On the loop: the isolators recover, the live executors are adopted and given
  // --executor_reregistration_timeout to re-subscribe; then finishRecovery().
  void recoverExecutors();
  void onReregistrationTimeout();
  // Registers with the master once no recovered executor is still awaited (or the
  // wait timed out).
  void maybeFinishRecovery(bool timedOut = false);
  void connectToMaster();

  // --- monitor.cpp: GET /monitor/statistics ---
  // Mesos's format: a JSON array of {executor_id, executor_name, framework_id,
  // source, statistics}, statistics from the isolators' usage() (on the pool).
  void monitorStatistics(http::Request request, http::Responder responder);
  void metricsSnapshot(http::Request request, http::Responder responder);

  // --- state_json.cpp: GET /state and /flags ---
  std::string stateJson() const;
  std::string flagsJson() const;

  // --- executor_auth.cpp: executor authentication (--jwt_secret_key,
  // --authenticate_http_executors), as Mesos's agent does it ---
  // Reads --jwt_secret_key, else the work dir's key, creating it the first time.
  [[nodiscard]] Result<void> loadExecutorSecretKey();
  // The token for MESOS_EXECUTOR_AUTHENTICATION_TOKEN: claims fid, eid and cid.
  std::string executorToken(const Executor& executor) const;
  // With --authenticate_http_executors, a call to /api/v1/executor must carry a
  // valid token: its claims, or the 401 to answer with. Without: no claims.
  std::expected<std::optional<auth::JwtClaims>, http::Response> authenticateExecutor(
      const http::Request& request) const;
  // The 403 when `claims` are not those of `executor` (framework, executor and
  // container), which the call names.
  std::optional<http::Response> verifyExecutorClaims(const auth::JwtClaims& claims,
                                                     const v1::executor::Call& call,
                                                     const Executor& executor) const;

  // --- executor_api.cpp ---
  void executorApi(http::Request request, http::Responder responder);
  void subscribeExecutor(Executor& executor, const v1::executor::Call& call, bool json,
                         http::Responder& responder);
  http::Response executorUpdate(Executor& executor, const v1::executor::Call& call);
  void sendLaunches(Executor& executor);
  void sendToExecutor(Executor& executor, const v1::executor::Event& event);
  // HEARTBEAT to every subscribed executor, every 30mins as Mesos
  // (DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL).
  void heartbeatExecutors();

  daemon::DaemonContext& context_;
  AgentFlags flags_;  // a copy: start() parses its durations
  std::vector<Isolator*> isolators_;
  hooks::HookChain hooks_;

  std::string ip_;        // the address executors and the master reach us at
  std::string endpoint_;  // ip:port
  std::string executorPath_;
  std::string executorSecretKey_;  // signs executors' tokens; never logged
  v1::AgentInfo info_;
  // The total detected or given by --resources, before dynamic reservations.
  google::protobuf::RepeatedPtrField<v1::Resource> detectedResources_;
  std::optional<AgentId> agentId_;

  // Master connection.
  MasterDetector* detector_ = nullptr;
  ContainerLogger* logger_ = nullptr;
  std::string masterHost_;
  std::uint16_t masterPort_ = 0;
  std::unique_ptr<http::Client> client_;
  std::shared_ptr<http::ClientCall> masterCall_;
  std::uint64_t generation_ = 0;
  RecordIODecoder decoder_;
  std::string streamId_;
  bool connected_ = false;  // REGISTERED received on the current stream
  Duration pingInterval_ = std::chrono::seconds(15);
  int maxSilentPings_ = 5;  // the master's --max_agent_ping_timeouts, from REGISTERED
  Runtime::TimePoint lastEvent_{};
  Runtime::TimerId silenceTimer_ = 0;
  Runtime::TimerId reconnectTimer_ = 0;
  Duration backoff_{};

  std::map<FrameworkId, Framework> frameworks_;
  std::deque<Framework> completedFrameworks_;  // newest last, for /state
  std::chrono::system_clock::time_point startTime_ = std::chrono::system_clock::now();
  std::unique_ptr<StatusUpdateManager> updates_;
  std::unique_ptr<GarbageCollector> gc_;  // completed sandboxes (gc.hpp)
  std::unique_ptr<Containerizer> containerizer_;
  std::uint64_t containerCount_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Recovery (recovery.cpp).
  std::string bootId_;
  bool recovering_ = false;  // executors awaited; not registered with the master yet
  bool agentCheckpointed_ = false;
  Runtime::TimerId reregistrationTimer_ = 0;
  // Where each checkpointed task's files are, for its updates and acknowledgements,
  // and the latest update the agent accepted for it.
  struct TaskCheckpoint {
    std::string dir;
    std::optional<v1::TaskStatus> latest;
  };
  std::map<StatusUpdateManager::Key, TaskCheckpoint> taskCheckpoints_;
};

}  // namespace plexus::agent
