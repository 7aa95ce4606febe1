// plexus::executor::Mesos: a v1 executor HTTP API client for framework authors,
// modelled on Mesos's `mesos::v1::executor::Mesos` (include/mesos/v1/executor.hpp).
//
// The agent starts an executor with the MESOS_* environment (ExecutorEnvironment
// below reads it). The library runs its own io_context on its own thread; every
// callback runs on that thread, one at a time, never inside send(). Callbacks may
// call send(); they must not destroy the Mesos object.
//
// Life cycle, as in Mesos's library:
//   1. The library probes http://<MESOS_AGENT_ENDPOINT>/api/v1/executor; once the
//      agent answers, `connected()` runs and the executor sends SUBSCRIBE (with its
//      unacknowledged tasks and updates). The answer is held open as the event
//      stream; events arrive through `received()`, one batch per chunk.
//   2. When the stream ends or fails, `disconnected()` runs. With checkpointing
//      (MESOS_CHECKPOINT=1) the library retries the agent, backing off up to
//      MESOS_SUBSCRIPTION_BACKOFF_MAX, and calls `connected()` again when it
//      answers; if MESOS_RECOVERY_TIMEOUT passes first it delivers a SHUTDOWN event
//      (as Mesos does) and stops. Without checkpointing the agent cannot come back
//      for the executor: the library stops at once and delivers a SHUTDOWN event.
//   3. After any SHUTDOWN (the agent's or the library's own) the executor has
//      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD to kill its tasks and exit; then the
//      library ends it, as Mesos's does: SIGKILL to the executor's process group
//      (Options::shutdownGraceExpired replaces that). So an executor whose agent
//      died does not outlive it by more than the grace period (with checkpointing:
//      the recovery timeout plus the grace period), even if it ignores SHUTDOWN;
//      one that never reached its agent gets its SHUTDOWN after
//      Options::registrationTimeout.
//
// Calls: send() is thread-safe and asynchronous; it fills executor_id and
// framework_id from the environment. A SUBSCRIBE while not connected, or another
// call while not subscribed, is dropped. The UPDATEs of one task reach the agent in
// the order they were sent (one in flight per task; different tasks' go in
// parallel); those still waiting when the stream is lost are dropped. Failed calls
// (transport error, non-2xx) go to `Callbacks::error`, or are logged as warnings
// when it is unset.
//
// Destruction stops the thread and cancels a pending end of the grace period; no
// callback runs after the destructor returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/v1/executor.pb.h>

namespace plexus::executor {

enum class ContentType { kJson, kProtobuf };

// What the agent tells an executor through its environment.
struct ExecutorEnvironment {
  std::string agentHost;  // MESOS_AGENT_ENDPOINT "ip:port" (required)
  std::uint16_t agentPort = 0;
  std::string frameworkId;  // MESOS_FRAMEWORK_ID (required)
  std::string executorId;   // MESOS_EXECUTOR_ID (required)
  bool checkpoint = false;  // MESOS_CHECKPOINT: "1"/"true" or "0"/"false"; default false
  Duration recoveryTimeout = std::chrono::minutes(15);        // MESOS_RECOVERY_TIMEOUT
  Duration subscriptionBackoffMax = std::chrono::seconds(2);  // MESOS_SUBSCRIPTION_BACKOFF_MAX
  Duration shutdownGracePeriod = std::chrono::seconds(5);  // MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD
  std::string directory;                                   // MESOS_DIRECTORY (optional)
  std::string sandbox;  // MESOS_SANDBOX, else MESOS_DIRECTORY (optional)
  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN (optional): sent as `Authorization: Bearer`
  // on every call, for an agent with --authenticate_http_executors. fromProcess()
  // takes it out of the process's environment, so tasks the executor starts lack it.
  std::string authenticationToken;

  // Reads the variables through `lookup` (nullopt: unset). The error names the
  // variable and what is wrong with it. Durations use Mesos's syntax ("5secs").
  [[nodiscard]] static Result<ExecutorEnvironment> parse(
      const std::function<std::optional<std::string>(const std::string& name)>& lookup);
  // Reads this process's environment.
  [[nodiscard]] static Result<ExecutorEnvironment> fromProcess();
};

struct Options {
  // First wait between reconnection attempts; doubles up to subscriptionBackoffMax.
  std::chrono::milliseconds backoffMin = std::chrono::milliseconds(100);
  std::chrono::milliseconds connectTimeout = std::chrono::seconds(10);
  std::chrono::milliseconds requestTimeout = std::chrono::seconds(60);
  // How long the library keeps trying to reach the agent before the first
  // subscription; then it delivers a SHUTDOWN (as the agent's
  // --executor_registration_timeout, 1mins by default, would have ended it).
  std::chrono::milliseconds registrationTimeout = std::chrono::minutes(1);
  // Called (on a thread of the library's own) when the executor is still there
  // MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD after a SHUTDOWN, instead of the default:
  // SIGKILL to the process group the executor leads (to itself when it leads none).
  // For executors embedded in a larger process, and tests. It must not destroy the
  // Mesos object.
  std::function<void()> shutdownGraceExpired{};
};

struct Callbacks {
  std::function<void()> connected{};
  std::function<void()> disconnected{};
  std::function<void(std::deque<v1::executor::Event>)> received{};
  std::function<void(const v1::executor::Call& call, const Error& error)> error{};
};

class Mesos {
 public:
  // Reads the environment of this process; fails when a required variable is
  // missing or malformed.
  [[nodiscard]] static Result<std::unique_ptr<Mesos>> create(ContentType contentType,
                                                             Callbacks callbacks,
                                                             Options options = {});
  [[nodiscard]] static Result<std::unique_ptr<Mesos>> create(ExecutorEnvironment environment,
                                                             ContentType contentType,
                                                             Callbacks callbacks,
                                                             Options options = {});
  ~Mesos();
  Mesos(const Mesos&) = delete;
  Mesos& operator=(const Mesos&) = delete;

  // Queues `call`, with executor_id and framework_id filled in. Thread-safe.
  void send(v1::executor::Call call);

  const ExecutorEnvironment& environment() const { return environment_; }

  class Impl;

 private:
  Mesos(ExecutorEnvironment environment, std::shared_ptr<Impl> impl)
      : environment_(std::move(environment)), impl_(std::move(impl)) {}
  ExecutorEnvironment environment_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plexus::executor
