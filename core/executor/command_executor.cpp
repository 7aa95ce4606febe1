#include "command_executor.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

#include <plexus/logging.hpp>
#include <plexus/uuid.hpp>

extern char** environ;

namespace plexus::executor {

namespace {

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr auto kDefaultKillGrace = std::chrono::seconds(3);
constexpr auto kAckGrace = std::chrono::seconds(5);
// After the shutdown grace period (when the tasks got SIGKILL), the time left to reap
// them and send their last updates before the executor exits regardless.
constexpr auto kShutdownMargin = std::chrono::seconds(1);

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

Result<ExecutorConfig> ExecutorConfig::fromEnvironment() {
  ExecutorConfig config;
  for (const char* required : {"MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID", "MESOS_AGENT_ENDPOINT"}) {
    if (env(required).empty()) return fail(std::string("missing environment variable ") + required);
  }
  config.frameworkId = env("MESOS_FRAMEWORK_ID");
  config.executorId = env("MESOS_EXECUTOR_ID");
  std::string endpoint = env("MESOS_AGENT_ENDPOINT");
  std::size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos)
    return fail("MESOS_AGENT_ENDPOINT=" + endpoint + ": expected ip:port");
  config.agentHost = endpoint.substr(0, colon);
  int port = std::atoi(endpoint.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return fail("MESOS_AGENT_ENDPOINT=" + endpoint + ": bad port");
  config.agentPort = static_cast<std::uint16_t>(port);
  config.sandbox = env("MESOS_SANDBOX").empty() ? env("MESOS_DIRECTORY") : env("MESOS_SANDBOX");
  auto duration = [](const char* name, Duration* out) -> Result<void> {
    if (env(name).empty()) return {};
    auto parsed = parseDuration(env(name));
    if (!parsed) return fail(parsed.error().context(name));
    *out = *parsed;
    return {};
  };
  PLEXUS_TRY(duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", &config.shutdownGracePeriod));
  PLEXUS_TRY(duration("MESOS_RECOVERY_TIMEOUT", &config.recoveryTimeout));
  PLEXUS_TRY(duration("MESOS_SUBSCRIPTION_BACKOFF_MAX", &config.subscriptionBackoffMax));
  config.checkpoint = env("MESOS_CHECKPOINT") == "1" || env("MESOS_CHECKPOINT") == "true";
  // As Mesos's executors: kept, then erased, so that tasks started from this
  // process's environment cannot speak for the executor.
  config.authenticationToken = env("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
  ::unsetenv("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
  return config;
}

http::Headers CommandExecutor::callHeaders(bool subscribe) const {
  http::Headers headers{{"Content-Type", kProtobuf}};
  if (subscribe) headers.set("Accept", kProtobuf);
  if (!config_.authenticationToken.empty())
    headers.set("Authorization", "Bearer " + config_.authenticationToken);
  return headers;
}

CommandExecutor::CommandExecutor(boost::asio::io_context& io, ExecutorConfig config)
    : io_(io),
      config_(std::move(config)),
      client_(io, http::ClientOptions{.connectTimeout = std::chrono::seconds(5),
                                      .requestTimeout = std::chrono::seconds(30)}),
      signals_(io, SIGCHLD, SIGTERM, SIGINT),
      retryTimer_(io),
      exitTimer_(io),
      shutdownTimer_(io) {}

CommandExecutor::~CommandExecutor() {
  for (auto& [id, task] : tasks_) {
    if (!task.terminal && task.pid > 0) ::kill(-task.pid, SIGKILL);
  }
}

void CommandExecutor::start() {
  struct Waiter {
    static void arm(CommandExecutor* self) {
      self->signals_.async_wait([self](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGCHLD) {
          self->reap();
        } else {
          PLEXUS_LOG(Info) << "Received " << ::strsignal(signal) << "; shutting down";
          self->shutdown();
        }
        arm(self);
      });
    }
  };
  Waiter::arm(this);
  subscribe();
}

void CommandExecutor::subscribe() {
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.frameworkId);
  call.mutable_executor_id()->set_value(config_.executorId);
  call.set_type(v1::executor::Call::SUBSCRIBE);
  auto* subscribe = call.mutable_subscribe();
  for (const auto& [id, update] : unacknowledged_)
    *subscribe->add_unacknowledged_updates() = update;
  for (const auto& [id, task] : tasks_) {
    bool acked = true;
    for (const auto& [uuid, update] : unacknowledged_) {
      if (update.status().task_id().value() == id) acked = false;
    }
    if (!acked) *subscribe->add_unacknowledged_tasks() = task.info;
  }
  decoder_ = RecordIODecoder();
  PLEXUS_LOG(Info) << "Subscribing to the agent at " << config_.agentHost << ":"
                   << config_.agentPort;
  subscription_ = client_.stream(
      config_.agentHost, config_.agentPort,
      {.method = "POST",
       .target = "/api/v1/executor",
       .headers = callHeaders(true),
       .body = call.SerializeAsString()},
      {.onData = [this](std::string_view bytes) { onData(bytes); },
       .onEnd =
           [this](Result<void> end) {
             onDisconnected(end ? "the agent closed the event stream" : end.error().message());
           },
       .onRefused =
           [this](const http::Response& answer) {
             onDisconnected("the agent refused SUBSCRIBE: " + http::describeRefusal(answer));
           }});
}

void CommandExecutor::onData(std::string_view bytes) {
  auto records = decoder_.decode(bytes);
  if (!records) {
    subscription_->cancel();
    onDisconnected(records.error().message());
    return;
  }
  for (const std::string& record : *records) {
    v1::executor::Event event;
    if (!event.ParseFromString(record)) {
      PLEXUS_LOG(Warning) << "Ignoring an event that does not parse";
      continue;
    }
    handle(event);
  }
}

void CommandExecutor::onDisconnected(const std::string& why) {
  if (exiting_) return;
  bool wasSubscribed = subscribed_;
  subscribed_ = false;
  PLEXUS_LOG(Warning) << "Disconnected from the agent: " << why;
  if (!config_.checkpoint) {
    // Mesos: without checkpointing the agent cannot come back for us, so nobody is
    // left to acknowledge anything: kill the tasks and exit once they are gone.
    PLEXUS_LOG(Warning) << "The framework does not checkpoint (MESOS_CHECKPOINT is not 1), so "
                           "the agent cannot recover this executor: killing its tasks and exiting";
    agentLost_ = true;
    if (!wasSubscribed && tasks_.empty()) return exit(1);
    shutdown();
    maybeExit();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (wasSubscribed) disconnectedAt_ = now;
  if (disconnectedAt_ != std::chrono::steady_clock::time_point{} &&
      now - disconnectedAt_ > config_.recoveryTimeout) {
    PLEXUS_LOG(Warning) << "The agent did not come back within the recovery timeout ("
                        << formatDuration(config_.recoveryTimeout)
                        << ", MESOS_RECOVERY_TIMEOUT): killing the tasks and exiting";
    agentLost_ = true;
    shutdown();
    maybeExit();
    return;
  }
  backoff_ = std::min(backoff_ * 2, config_.subscriptionBackoffMax);
  retryTimer_.expires_after(backoff_);
  retryTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) subscribe();
  });
}

void CommandExecutor::handle(const v1::executor::Event& event) {
  using Event = v1::executor::Event;
  switch (event.type()) {
    case Event::SUBSCRIBED:
      subscribed_ = true;
      backoff_ = std::chrono::milliseconds(100);
      disconnectedAt_ = {};
      framework_ = event.subscribed().framework_info();
      PLEXUS_LOG(Info) << "Subscribed to agent " << event.subscribed().agent_info().id().value();
      sendNext();
      return;
    case Event::LAUNCH:
      return launch(event.launch().task(), "");
    case Event::LAUNCH_GROUP: {
      const auto& group = event.launch_group().task_group();
      std::string name = group.tasks_size() > 0 ? group.tasks(0).task_id().value() : "";
      for (const auto& task : group.tasks())
        launch(task, name);
      return;
    }
    case Event::KILL: {
      std::optional<v1::KillPolicy> policy;
      if (event.kill().has_kill_policy()) policy = event.kill().kill_policy();
      return kill(event.kill().task_id().value(), policy);
    }
    case Event::ACKNOWLEDGED:
      unacknowledged_.erase(event.acknowledged().uuid());
      return maybeExit();
    case Event::SHUTDOWN:
      PLEXUS_LOG(Info) << "The agent asked us to shut down";
      return shutdown();
    case Event::ERROR:
      PLEXUS_LOG(Warning) << "Error from the agent: " << event.error().message();
      return;
    case Event::MESSAGE:
    case Event::HEARTBEAT:
    default:
      return;
  }
}

void CommandExecutor::launch(const v1::TaskInfo& info, const std::string& group) {
  const std::string id = info.task_id().value();
  if (tasks_.contains(id)) {
    PLEXUS_LOG(Warning) << "Ignoring a second launch of task " << id;
    return;
  }
  Task& task = tasks_[id];
  task.info = info;
  task.group = group;
  if (shuttingDown_) {
    task.terminal = true;
    update(info, v1::TASK_KILLED, "The executor is shutting down");
    return;
  }
  if (!info.has_command() ||
      (!info.command().has_value() && info.command().arguments_size() == 0)) {
    task.terminal = true;
    update(info, v1::TASK_FAILED, "The task has no command to run");
    return;
  }
  update(info, v1::TASK_STARTING);

  const v1::CommandInfo& command = info.command();
  std::string program;
  std::vector<std::string> args;
  if (command.shell()) {
    program = "/bin/sh";
    args = {"sh", "-c", command.value()};
  } else {
    program = command.value();
    args.assign(command.arguments().begin(), command.arguments().end());
    if (args.empty()) args.push_back(command.value());
  }
  std::map<std::string, std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::size_t eq = entry.find('=');
    if (eq != std::string::npos) environment[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& variable : command.environment().variables()) {
    if (variable.type() != v1::Environment::Variable::SECRET)
      environment[variable.name()] = variable.value();
  }
  std::vector<std::string> envStrings;
  for (const auto& [name, value] : environment)
    envStrings.push_back(name + "=" + value);
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : envStrings)
    envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    task.terminal = true;
    update(info, v1::TASK_FAILED, std::string("fork failed: ") + std::strerror(errno));
    return;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      ::sigaction(sig, &defaults, nullptr);
    ::execvpe(program.c_str(), argv.data(), envp.data());
    const char* error = "plexus-executor: failed to exec the task's command\n";
    [[maybe_unused]] auto n = ::write(2, error, std::strlen(error));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so a kill right away finds the group
  task.pid = pid;
  PLEXUS_LOG(Info) << "Started task " << id << " with pid " << pid;
  update(info, v1::TASK_RUNNING);
  reap();
}

void CommandExecutor::kill(const std::string& taskId, std::optional<v1::KillPolicy> policy) {
  auto it = tasks_.find(taskId);
  if (it == tasks_.end() || it->second.terminal) {
    PLEXUS_LOG(Warning) << "Ignoring kill of unknown or finished task " << taskId;
    return;
  }
  Task& task = it->second;
  if (!policy && task.info.has_kill_policy()) policy = task.info.kill_policy();
  Duration grace = kDefaultKillGrace;
  if (policy && policy->has_grace_period()) grace = Duration(policy->grace_period().nanoseconds());
  if (shuttingDown_) grace = std::min(grace, config_.shutdownGracePeriod);
  if (task.killing) {
    // Already being killed (a KILL before the shutdown): SIGKILL no later than the
    // shutdown grace period allows.
    auto latest = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(grace);
    if (task.escalation && task.escalation->expiry() > latest) escalate(task, grace);
    return;
  }
  task.killing = true;
  bool killingState = false;
  for (const auto& capability : framework_.capabilities()) {
    killingState =
        killingState || capability.type() == v1::FrameworkInfo::Capability::TASK_KILLING_STATE;
  }
  if (killingState) update(task.info, v1::TASK_KILLING);
  PLEXUS_LOG(Info) << "Killing task " << taskId << " (SIGTERM, SIGKILL after "
                   << formatDuration(grace) << ")";
  ::kill(-task.pid, SIGTERM);
  escalate(task, grace);
}

void CommandExecutor::escalate(Task& task, Duration grace) {
  if (task.escalation) task.escalation->cancel();
  task.escalation = std::make_unique<boost::asio::steady_timer>(io_, grace);
  pid_t pid = task.pid;
  task.escalation->async_wait([pid](const boost::system::error_code& ec) {
    if (!ec) ::kill(-pid, SIGKILL);
  });
}

void CommandExecutor::shutdown() {
  if (shuttingDown_) {
    PLEXUS_LOG(Info) << "Already shutting down; exiting within the shutdown grace period ("
                     << formatDuration(config_.shutdownGracePeriod) << ") at the latest";
    return;
  }
  shuttingDown_ = true;
  // Whatever happens to the agent, the tasks get SIGKILL after the grace period and
  // the executor exits shortly after: it never waits for an agent that is gone.
  shutdownTimer_.expires_after(config_.shutdownGracePeriod + kShutdownMargin);
  shutdownTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    for (auto& [id, task] : tasks_) {
      if (task.terminal || task.pid <= 0) continue;
      PLEXUS_LOG(Warning) << "Task " << id << " outlived the shutdown grace period; SIGKILL";
      ::kill(-task.pid, SIGKILL);
    }
    exit(agentLost_ ? 1 : 0);
  });
  for (auto& [id, task] : tasks_) {
    if (!task.terminal) kill(id, std::nullopt);
  }
  maybeExit();
}

void CommandExecutor::reap() {
  bool ended = false;
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (auto& [id, task] : tasks_) {
      if (task.pid != pid || task.terminal) continue;
      task.terminal = true;
      ended = true;
      ::kill(-pid, SIGKILL);  // the rest of the task's process group
      if (task.escalation) task.escalation->cancel();
      std::string message;
      v1::TaskState state;
      if (WIFEXITED(status)) {
        message = "Command exited with status " + std::to_string(WEXITSTATUS(status));
        state = WEXITSTATUS(status) == 0 ? v1::TASK_FINISHED : v1::TASK_FAILED;
      } else {
        message = std::string("Command terminated with signal ") + ::strsignal(WTERMSIG(status));
        state = v1::TASK_FAILED;
      }
      if (task.killing) state = v1::TASK_KILLED;
      PLEXUS_LOG(Info) << "Task " << id << ": " << message;
      update(task.info, state, message);
      if (!task.group.empty() && state != v1::TASK_FINISHED) {
        for (auto& [otherId, other] : tasks_) {
          if (other.group == task.group && !other.terminal) kill(otherId, std::nullopt);
        }
      }
      break;
    }
  }
  // The last task's end may be what the executor waited for; nothing else would
  // call maybeExit() when the agent is gone (no answer, no ACKNOWLEDGED).
  if (ended) maybeExit();
}

void CommandExecutor::update(const v1::TaskInfo& task, v1::TaskState state,
                             const std::string& message,
                             std::optional<v1::TaskStatus::Reason> reason) {
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.frameworkId);
  call.mutable_executor_id()->set_value(config_.executorId);
  call.set_type(v1::executor::Call::UPDATE);
  v1::TaskStatus* status = call.mutable_update()->mutable_status();
  *status->mutable_task_id() = task.task_id();
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->mutable_executor_id()->set_value(config_.executorId);
  if (!message.empty()) status->set_message(message);
  if (reason) status->set_reason(*reason);
  status->set_uuid(randomUuidBytes());
  status->set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  unacknowledged_[status->uuid()] = call.update();
  outbox_.push_back(std::move(call));
  sendNext();
}

void CommandExecutor::sendNext() {
  if (sending_ || !subscribed_) return;
  // Drop what was acknowledged meanwhile (re-sent through SUBSCRIBE, or acked).
  while (!outbox_.empty() && !unacknowledged_.contains(outbox_.front().update().status().uuid())) {
    outbox_.pop_front();
  }
  if (outbox_.empty()) return;
  sending_ = true;
  client_.request(config_.agentHost, config_.agentPort,
                  {.method = "POST",
                   .target = "/api/v1/executor",
                   .headers = callHeaders(false),
                   .body = outbox_.front().SerializeAsString()},
                  [this](Result<http::Response> response) {
                    sending_ = false;
                    if (response && response->status == 202) {
                      if (!outbox_.empty()) outbox_.pop_front();
                    } else {
                      PLEXUS_LOG(Warning)
                          << "Sending a status update failed: "
                          << (response ? std::to_string(response->status) + " " + response->body
                                       : response.error().message());
                      // Kept: re-sent in SUBSCRIBE after a reconnection.
                      if (response) outbox_.pop_front();
                    }
                    sendNext();
                    maybeExit();
                  });
}

void CommandExecutor::maybeExit() {
  if (exiting_) return;
  bool allTerminal = true;
  for (const auto& [id, task] : tasks_)
    allTerminal = allTerminal && task.terminal;
  if (!allTerminal || (tasks_.empty() && !shuttingDown_)) return;
  if (unacknowledged_.empty() && outbox_.empty() && !sending_) {
    exit(agentLost_ ? 1 : 0);
    return;
  }
  // The agent is gone for good: no acknowledgement will ever come.
  if (agentLost_) return exit(1);
  // Shutting down, the shutdown timer bounds the wait for acknowledgements.
  if (shuttingDown_ || exitTimerArmed_) return;
  exitTimerArmed_ = true;
  exitTimer_.expires_after(kAckGrace);
  exitTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) exit(0);
  });
}

void CommandExecutor::exit(int status) {
  if (exiting_) return;
  exiting_ = true;
  exitStatus_ = status;
  if (!unacknowledged_.empty()) {
    std::string lost;
    for (const auto& [uuid, update] : unacknowledged_) {
      lost += (lost.empty() ? "" : ", ") + update.status().task_id().value() + " " +
              v1::TaskState_Name(update.status().state());
    }
    PLEXUS_LOG(Warning) << "Exiting with " << unacknowledged_.size()
                        << " status update(s) the agent never acknowledged; they are lost with "
                           "this executor: "
                        << lost;
  }
  PLEXUS_LOG(Info) << "Exiting with status " << status;
  if (subscription_) subscription_->cancel();
  client_.cancelAll();
  retryTimer_.cancel();
  exitTimer_.cancel();
  shutdownTimer_.cancel();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  for (auto& [id, task] : tasks_) {
    if (task.escalation) task.escalation->cancel();
  }
  io_.stop();
}

}  // namespace plexus::executor
