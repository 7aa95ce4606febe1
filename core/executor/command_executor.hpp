// CommandExecutor: the built-in executor (`plexus-executor`), Mesos's HTTP command
// executor and, for LAUNCH_GROUP, its default executor, in one.
//
// It reads Mesos's executor environment (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID,
// MESOS_AGENT_ENDPOINT, MESOS_SANDBOX, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD,
// MESOS_CHECKPOINT, MESOS_RECOVERY_TIMEOUT, MESOS_SUBSCRIPTION_BACKOFF_MAX), SUBSCRIBEs
// to the agent's /api/v1/executor (protobuf) and then:
//   LAUNCH        runs the task's CommandInfo in its own process group (shell:
//                 /bin/sh -c value; otherwise value with `arguments` as argv) and
//                 reports TASK_STARTING, TASK_RUNNING, then TASK_FINISHED (exit 0)
//                 or TASK_FAILED ("Command exited with status 3");
//   LAUNCH_GROUP  does so for every task of the group; a member that fails or is
//                 killed gets the rest of the group killed (Mesos's default executor);
//   KILL          TASK_KILLING (if the framework has TASK_KILLING_STATE), SIGTERM to
//                 the task's process group, SIGKILL after the kill policy's grace
//                 period (default 3secs), then TASK_KILLED;
//   SHUTDOWN      (or SIGTERM, SIGINT) kills every task: SIGTERM, SIGKILL after the
//                 kill grace period capped at MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD;
//                 the executor exits once the tasks' last updates are acknowledged,
//                 and in any case 1s after that grace period, agent or no agent.
// Updates are sent one at a time, in order, and kept until ACKNOWLEDGED; they are
// resent in Subscribe.unacknowledged_updates when it re-subscribes (checkpointing
// frameworks only, until MESOS_RECOVERY_TIMEOUT). Without checkpointing a lost agent
// connection is final, as in Mesos: the executor kills its tasks as for SHUTDOWN and
// exits (status 1) as soon as they are gone, without waiting for acknowledgements;
// the updates it could not deliver are logged as lost. So is the recovery timeout.
// Otherwise it exits once every task is terminal and acknowledged (or 5secs after
// the last task became terminal). Task stdout/stderr are the executor's: the
// sandbox files.
//
// Threading: one io_context thread.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/recordio.hpp>
#include <plexus/v1/executor.pb.h>

#include "http/client.hpp"

namespace plexus::executor {

struct ExecutorConfig {
  std::string frameworkId;
  std::string executorId;
  std::string agentHost;
  std::uint16_t agentPort = 0;
  std::string sandbox;
  Duration shutdownGracePeriod = std::chrono::seconds(5);
  bool checkpoint = false;
  Duration recoveryTimeout = std::chrono::minutes(15);
  Duration subscriptionBackoffMax = std::chrono::seconds(2);
  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN, sent as `Authorization: Bearer` on every
  // call (empty: none); taken out of the environment so tasks never see it.
  std::string authenticationToken;

  // Reads the MESOS_* environment; the error names the missing variable.
  [[nodiscard]] static Result<ExecutorConfig> fromEnvironment();
};

class CommandExecutor {
 public:
  CommandExecutor(boost::asio::io_context& io, ExecutorConfig config);
  ~CommandExecutor();

  void start();
  int exitStatus() const { return exitStatus_; }

 private:
  struct Task {
    v1::TaskInfo info;
    std::string group;  // non-empty for LAUNCH_GROUP members
    pid_t pid = 0;
    bool killing = false;
    bool terminal = false;
    std::unique_ptr<boost::asio::steady_timer> escalation;
  };

  void subscribe();
  // Content-Type (and Accept for SUBSCRIBE), and the token when there is one.
  http::Headers callHeaders(bool subscribe) const;
  void onData(std::string_view bytes);
  void onDisconnected(const std::string& why);
  void handle(const v1::executor::Event& event);
  void launch(const v1::TaskInfo& task, const std::string& group);
  void kill(const std::string& taskId, std::optional<v1::KillPolicy> policy);
  // (Re)arms the task's SIGKILL to its process group `grace` from now.
  void escalate(Task& task, Duration grace);
  void shutdown();
  void reap();
  void update(const v1::TaskInfo& task, v1::TaskState state, const std::string& message = "",
              std::optional<v1::TaskStatus::Reason> reason = std::nullopt);
  void sendNext();
  void maybeExit();
  void exit(int status);

  boost::asio::io_context& io_;
  ExecutorConfig config_;
  http::Client client_;
  std::shared_ptr<http::ClientCall> subscription_;
  RecordIODecoder decoder_;
  bool subscribed_ = false;
  bool shuttingDown_ = false;
  // The agent cannot come back (lost without checkpointing, or past the recovery
  // timeout): exit as soon as the tasks are gone, without waiting for acknowledgements.
  bool agentLost_ = false;
  bool exiting_ = false;
  int exitStatus_ = 0;
  v1::FrameworkInfo framework_;
  std::map<std::string, Task> tasks_;
  // Updates not yet acknowledged, by uuid, in the order sent.
  std::map<std::string, v1::executor::Call::Update> unacknowledged_;
  std::deque<v1::executor::Call> outbox_;  // sent one at a time
  bool sending_ = false;
  Duration backoff_ = std::chrono::milliseconds(100);
  std::chrono::steady_clock::time_point disconnectedAt_{};
  boost::asio::signal_set signals_;
  boost::asio::steady_timer retryTimer_;
  boost::asio::steady_timer exitTimer_;
  bool exitTimerArmed_ = false;
  // Armed by shutdown(): SIGKILL to what is left and exit, grace period + 1s later.
  boost::asio::steady_timer shutdownTimer_;
};

}  // namespace plexus::executor
