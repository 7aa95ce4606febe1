// Executors: synthesizing the command executor, launching executors in containers,
// their environment, registration timeouts, shutdown and termination.
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include <plexus/logging.hpp>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"
#include "agent/paths.hpp"

namespace plexus::agent {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("terminated by signal ") + ::strsignal(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

v1::ExecutorInfo Agent::commandExecutorInfo(const v1::FrameworkInfo& framework,
                                            const v1::TaskInfo& task) const {
  // As Mesos's Slave::getExecutorInfo for command tasks.
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value(task.task_id().value());
  *info.mutable_framework_id() = framework.id();
  std::string command = task.command().value();
  if (task.command().shell())
    command = "sh -c '" + command + "'";
  else
    command = "[" + command + "]";
  info.set_name("Command Executor (Task: " + task.task_id().value() + ") (Command: " + command +
                ")");
  if (task.has_labels()) *info.mutable_labels() = task.labels();
  // The task runs in the executor's container, so the container is the task's (its
  // rlimits, for one), and a kill policy's grace period is not cut short by the
  // executor's shutdown grace period (plus a second for the last update), as Mesos.
  if (task.has_container()) *info.mutable_container() = task.container();
  if (task.kill_policy().has_grace_period()) {
    info.mutable_shutdown_grace_period()->set_nanoseconds(
        task.kill_policy().grace_period().nanoseconds() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::seconds(1)).count());
  }
  v1::CommandInfo* executorCommand = info.mutable_command();
  if (task.command().has_user()) executorCommand->set_user(task.command().user());
  executorCommand->set_shell(false);
  executorCommand->set_value(executorPath_);
  executorCommand->add_arguments("plexus-executor");
  return info;
}

Duration Agent::shutdownGracePeriod(const Executor& executor) const {
  if (executor.info.has_shutdown_grace_period()) {
    return Duration(executor.info.shutdown_grace_period().nanoseconds());
  }
  return flags_.executorShutdownGracePeriod;
}

void Agent::launchOnExecutor(Framework& framework, const v1::ExecutorInfo& info,
                             QueuedLaunch launch) {
  ExecutorId executorId = ExecutorId::fromWire(info.executor_id());
  FrameworkId frameworkId = FrameworkId::fromWire(framework.info.id());
  auto fail = [&](v1::TaskStatus::Reason reason, const std::string& message) {
    for (const auto& task : launch.tasks.tasks()) {
      statusUpdate(frameworkId, makeStatus(nullptr, task.task_id(), v1::TASK_LOST, reason, message),
                   nullptr);
    }
  };
  if (framework.terminating) {
    return fail(v1::TaskStatus::REASON_FRAMEWORK_REMOVED, "The framework is shutting down");
  }
  Executor* executor = findExecutor(frameworkId, executorId);
  if (executor != nullptr && (executor->state == Executor::State::kTerminating ||
                              executor->state == Executor::State::kTerminated)) {
    return fail(v1::TaskStatus::REASON_EXECUTOR_TERMINATED, "The executor is shutting down");
  }
  const bool joining = executor != nullptr;
  if (executor == nullptr) {
    executor = &startExecutor(framework, info, launch.tasks, launch.commandTask);
  }

  for (auto& taskInfo : *launch.tasks.mutable_tasks())
    hooks_.agentRunTaskLabels(taskInfo, info, framework.info, info_);
  for (const auto& taskInfo : launch.tasks.tasks()) {
    v1::Task task;
    task.set_name(taskInfo.name());
    *task.mutable_task_id() = taskInfo.task_id();
    *task.mutable_framework_id() = framework.info.id();
    *task.mutable_executor_id() = info.executor_id();
    if (agentId_) agentId_->toWire(task.mutable_agent_id());
    task.set_state(v1::TASK_STAGING);
    *task.mutable_resources() = taskInfo.resources();
    if (taskInfo.has_labels()) *task.mutable_labels() = taskInfo.labels();
    if (taskInfo.has_kill_policy()) *task.mutable_kill_policy() = taskInfo.kill_policy();
    if (taskInfo.has_container()) *task.mutable_container() = taskInfo.container();
    if (taskInfo.has_discovery()) *task.mutable_discovery() = taskInfo.discovery();
    *task.mutable_limits() = taskInfo.limits();
    checkpointTask(*executor, task);
    executor->tasks[TaskId::fromWire(taskInfo.task_id())] = std::move(task);
  }
  executor->queued.push_back(std::move(launch));
  if (joining) resizeContainer(*executor);  // a new container is sized with its first tasks
  if (executor->state == Executor::State::kRunning && executor->subscribed())
    sendLaunches(*executor);
}

void Agent::resizeContainer(const Executor& executor) {
  Resources total;
  auto add = [&](const google::protobuf::RepeatedPtrField<v1::Resource>& wire) {
    if (auto resources = Resources::fromWire(wire)) total += *resources;
  };
  add(executor.info.resources());
  for (const auto& [id, task] : executor.tasks) {
    if (!isTerminalState(task.state())) add(task.resources());
  }
  containerizer_->update(executor.container, std::move(total));
}

Executor& Agent::startExecutor(Framework& framework, const v1::ExecutorInfo& info,
                               const v1::TaskGroupInfo& tasks, bool generatedForCommandTask) {
  FrameworkId frameworkId = FrameworkId::fromWire(framework.info.id());
  ExecutorId executorId = ExecutorId::fromWire(info.executor_id());
  Executor& executor = framework.executors[executorId];
  executor.framework = frameworkId;
  executor.info = info;
  executor.generatedForCommandTask = generatedForCommandTask;
  executor.commandExecutor = !info.has_command() || info.command().value().empty();
  if (executor.commandExecutor && info.command().value().empty()) {
    // A task group's DEFAULT executor: run the built-in one (as its command's user,
    // when it names one).
    executor.info.mutable_command()->set_shell(false);
    executor.info.mutable_command()->set_value(executorPath_);
    executor.info.mutable_command()->add_arguments("plexus-executor");
  }
  executor.container = ContainerId(randomUuidString());
  executor.directory = paths::executorRunDir(context_.flags.workDir, agentId_.value_or(AgentId("")),
                                             frameworkId, executorId, executor.container);

  LaunchRequest request;
  request.id = executor.container;
  *request.config.mutable_executor_info() = executor.info;
  *request.config.mutable_command_info() = executor.info.command();
  *request.config.mutable_resources() = executor.info.resources();
  for (const v1::TaskInfo& task : tasks.tasks()) {
    for (const v1::Resource& resource : task.resources())
      *request.config.add_resources() = resource;
  }
  request.config.set_directory(executor.directory);
  if (executor.info.has_container())
    *request.config.mutable_container_info() = executor.info.container();
  request.environment = executorEnvironment(framework, executor);
  if (flags_.switchUser && ::geteuid() == 0) {
    // As Mesos: the executor's command user, else the framework's.
    std::string user =
        executor.info.command().has_user() ? executor.info.command().user() : framework.info.user();
    if (!user.empty()) request.user = user;
  }
  if (!hooks_.empty()) {
    // There is no fetcher: the sandbox is ready once made, so this is "after the fetch".
    request.prelaunch = [hooks = hooks_, id = executor.container, dir = executor.directory] {
      return hooks.agentPostFetch(id, dir);
    };
  }

  // In use again, if a completed run of this executor or framework had them scheduled.
  const std::string& workDir = context_.flags.workDir;
  const AgentId agent = agentId_.value_or(AgentId(""));
  for (const std::string& dir :
       {paths::agentDir(workDir, agent), paths::frameworkDir(workDir, agent, frameworkId),
        paths::executorDir(workDir, agent, frameworkId, executorId)}) {
    gc_->unschedule(dir);
  }
  if (auto made = paths::createDirectories(executor.directory); !made) {
    PLEXUS_LOG(Warning) << made.error().message();
  }
  if (checkpointing(framework.info)) {
    checkpointFramework(framework);
    checkpointExecutor(framework, executor);
    // The pid, once forked and before it execs: an agent that dies from then on
    // leaves an executor the next one can find.
    request.forked = [run = executorRun(executor),
                      path = runCheckpointDir(executor) + "/run.info"](pid_t pid) mutable {
      internal::AgentCheckpoint file;
      run.set_pid(pid);
      run.set_pid_start_ticks(checkpoint::processStartTicks(pid));
      *file.mutable_executor_run() = std::move(run);
      if (auto written = checkpoint::write(path, std::move(file)); !written) {
        PLEXUS_LOG(Error) << "Checkpointing failed: " << written.error().message();
      }
    };
  }
  PLEXUS_LOG(Info) << "Launching executor " << executorId << " of framework " << frameworkId
                   << " in container " << executor.container << " with sandbox "
                   << executor.directory;
  auto alive = alive_;
  containerizer_->launch(
      std::move(request),
      [this, alive, frameworkId, executorId](Result<pid_t> pid) {
        if (*alive) onExecutorLaunched(frameworkId, executorId, std::move(pid));
      },
      [this, alive, frameworkId, executorId](const Termination& termination) {
        if (*alive) onExecutorTerminated(frameworkId, executorId, termination);
      });
  executor.registrationTimer = context_.runtime.schedule(
      flags_.executorRegistrationTimeout,
      [this, frameworkId, executorId] { onRegistrationTimeout(frameworkId, executorId); });
  return executor;
}

std::map<std::string, std::string> Agent::executorEnvironment(const Framework& framework,
                                                              const Executor& executor) const {
  // In the order of Mesos's executorEnvironment() (src/slave/slave.cpp).
  std::map<std::string, std::string> env;
  if (const char* ip = std::getenv("LIBPROCESS_IP")) env["LIBPROCESS_IP"] = ip;
  // The agent's TLS settings (http/tls.hpp), so the executor speaks https to it.
  for (const char* name :
       {"LIBPROCESS_SSL_ENABLED", "LIBPROCESS_SSL_CERT_FILE", "LIBPROCESS_SSL_KEY_FILE",
        "LIBPROCESS_SSL_CA_FILE", "LIBPROCESS_SSL_CA_DIR", "LIBPROCESS_SSL_VERIFY_CERT",
        "LIBPROCESS_SSL_REQUIRE_CERT"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  env["LIBPROCESS_PORT"] = "0";
  env["MESOS_FRAMEWORK_ID"] = framework.info.id().value();
  env["MESOS_EXECUTOR_ID"] = executor.info.executor_id().value();
  env["MESOS_DIRECTORY"] = executor.directory;
  env["MESOS_SANDBOX"] = executor.directory;
  env["MESOS_SLAVE_ID"] = agentId_ ? agentId_->value() : "";
  env["MESOS_AGENT_ID"] = env["MESOS_SLAVE_ID"];
  env["MESOS_SLAVE_PID"] = "slave(1)@" + endpoint_;
  env["MESOS_AGENT_ENDPOINT"] = endpoint_;
  bool checkpoint = framework.info.checkpoint() || flags_.checkpoint;
  env["MESOS_CHECKPOINT"] = checkpoint ? "1" : "0";
  env["MESOS_HTTP_COMMAND_EXECUTOR"] = "1";
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = formatDuration(shutdownGracePeriod(executor));
  if (checkpoint) {
    env["MESOS_RECOVERY_TIMEOUT"] = formatDuration(flags_.recoveryTimeout);
    env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = formatDuration(flags_.executorReregistrationTimeout);
  }
  // The command's environment as the --hooks decorators left it.
  const v1::Environment environment = hooks_.agentExecutorEnvironment(executor.info, info_);
  for (const auto& variable : environment.variables()) {
    if (variable.type() != v1::Environment::Variable::SECRET)
      env[variable.name()] = variable.value();
  }
  // After the hooks' variables, so that none replaces it. The executor's libraries
  // read it and take it out of their environment before starting tasks.
  env["MESOS_EXECUTOR_AUTHENTICATION_TOKEN"] = executorToken(executor);
  if (!env.contains("PATH")) env["PATH"] = kDefaultPath;
  return env;
}

void Agent::onExecutorLaunched(const FrameworkId& frameworkId, const ExecutorId& executorId,
                               Result<pid_t> pid) {
  Executor* executor = findExecutor(frameworkId, executorId);
  if (executor == nullptr) return;
  if (!pid) {
    PLEXUS_LOG(Warning) << "Failed to launch executor " << executorId << " of framework "
                        << frameworkId << ": " << pid.error().message();
    failExecutorTasks(*executor, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                      "Failed to launch the container: " + pid.error().message());
    removeExecutor(frameworks_.at(frameworkId), *executor, std::nullopt);
    return;
  }
  executor->pid = *pid;
  executor->pidStartTicks = checkpoint::processStartTicks(*pid);
  PLEXUS_LOG(Info) << "Executor " << executorId << " of framework " << frameworkId
                   << " started with pid " << *pid;
}

void Agent::onRegistrationTimeout(const FrameworkId& frameworkId, const ExecutorId& executorId) {
  Executor* executor = findExecutor(frameworkId, executorId);
  if (executor == nullptr) return;
  executor->registrationTimer = 0;
  if (executor->state != Executor::State::kRegistering) return;
  PLEXUS_LOG(Info) << "Executor " << executorId << " of framework " << frameworkId
                   << " did not subscribe within "
                   << formatDuration(flags_.executorRegistrationTimeout) << "; killing it";
  executor->state = Executor::State::kTerminating;
  executor->terminationReason = v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT;
  executor->terminationMessage =
      "Executor did not register within " + formatDuration(flags_.executorRegistrationTimeout);
  containerizer_->destroy(executor->container, Duration::zero());
}

void Agent::shutdownExecutor(Executor& executor) {
  if (executor.state == Executor::State::kTerminating ||
      executor.state == Executor::State::kTerminated) {
    return;
  }
  bool subscribed = executor.subscribed();
  executor.state = Executor::State::kTerminating;
  PLEXUS_LOG(Info) << "Shutting down executor " << executor.info.executor_id().value()
                   << " of framework " << executor.framework;
  if (!subscribed) {
    containerizer_->destroy(executor.container, Duration::zero());
    return;
  }
  v1::executor::Event event;
  event.set_type(v1::executor::Event::SHUTDOWN);
  sendToExecutor(executor, event);
  ContainerId container = executor.container;
  executor.shutdownTimer = context_.runtime.schedule(
      shutdownGracePeriod(executor),
      [this, container] { containerizer_->destroy(container, Duration::zero()); });
}

void Agent::failExecutorTasks(Executor& executor, v1::TaskStatus::Reason reason,
                              const std::string& message) {
  executor.queued.clear();
  std::vector<v1::TaskID> live;
  for (const auto& [id, task] : executor.tasks) {
    if (!isTerminalState(task.state())) live.push_back(task.task_id());
  }
  for (const v1::TaskID& id : live) {
    bool killed = executor.killRequested.contains(TaskId::fromWire(id));
    v1::TaskState state = killed                      ? v1::TASK_KILLED
                          : executor.terminationState ? *executor.terminationState
                                                      : v1::TASK_FAILED;
    statusUpdate(executor.framework, makeStatus(&executor, id, state, reason, message), &executor);
  }
}

void Agent::onExecutorTerminated(const FrameworkId& frameworkId, const ExecutorId& executorId,
                                 const Termination& termination) {
  Executor* executor = findExecutor(frameworkId, executorId);
  if (executor == nullptr) return;
  // A recovered executor was not our child: how it ended is unknown.
  std::string ended = termination.statusKnown ? describeWaitStatus(termination.status)
                                              : "exited (recovered after an agent restart, "
                                                "so its exit status is unknown)";
  PLEXUS_LOG(Info) << "Executor " << executorId << " of framework " << frameworkId << " " << ended;
  v1::TaskStatus::Reason reason = v1::TaskStatus::REASON_EXECUTOR_TERMINATED;
  std::string message = "Executor " + ended;
  if (termination.limitation) {
    reason = termination.limitation->has_reason() ? termination.limitation->reason()
                                                  : v1::TaskStatus::REASON_CONTAINER_LIMITATION;
    message = termination.limitation->message();
  } else if (executor->terminationReason) {
    reason = *executor->terminationReason;
    message = executor->terminationMessage;
  }
  failExecutorTasks(*executor, reason, message);
  removeExecutor(frameworks_.at(frameworkId), *executor,
                 termination.statusKnown ? std::optional<int>(termination.status) : std::nullopt);
}

void Agent::removeExecutor(Framework& framework, Executor& executor, std::optional<int> status) {
  executor.state = Executor::State::kTerminated;
  if (executor.registrationTimer != 0) context_.runtime.cancel(executor.registrationTimer);
  if (executor.shutdownTimer != 0) context_.runtime.cancel(executor.shutdownTimer);
  if (executor.stream) executor.stream->close();

  // As Mesos: the exit of an executor made for a command task is not reported;
  // the task's own terminal update says how it ended.
  if (!executor.generatedForCommandTask) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::EXECUTOR_EXITED);
    auto* exited = call.mutable_executor_exited();
    *exited->mutable_framework_id() = framework.info.id();
    *exited->mutable_executor_id() = executor.info.executor_id();
    if (status) exited->set_status(*status);
    if (!sendToMaster(std::move(call))) {
      PLEXUS_LOG(Warning) << "Not connected: the master will learn of the exit of executor "
                          << executor.info.executor_id().value() << " when the agent re-registers";
    }
  }
  hooks_.agentRemoveExecutor(framework.info, executor.info);
  // As Mesos: the run's sandbox, and the executor's directory above it, go after --gc_delay.
  gc_->scheduleCompleted(executor.directory);
  if (agentId_) {
    gc_->scheduleCompleted(paths::executorDir(context_.flags.workDir, *agentId_, executor.framework,
                                              ExecutorId::fromWire(executor.info.executor_id())));
  }
  FrameworkId frameworkId = executor.framework;
  CompletedExecutor completed{.info = executor.info,
                              .container = executor.container,
                              .directory = executor.directory,
                              .tasks = {},
                              .completedTasks = std::move(executor.completedTasks)};
  for (auto& [id, task] : executor.tasks)
    completed.tasks.push_back(std::move(task));
  framework.completedExecutors.push_back(std::move(completed));
  while (framework.completedExecutors.size() >
         static_cast<std::size_t>(flags_.maxCompletedExecutorsPerFramework)) {
    framework.completedExecutors.pop_front();
  }
  ExecutorId executorId = ExecutorId::fromWire(executor.info.executor_id());
  if (checkpointing(framework.info) && agentId_) {
    internal::AgentCheckpoint run;  // completed: only unacknowledged updates remain
    *run.mutable_executor_run() = executorRun(executor);
    if (auto written = checkpoint::write(runCheckpointDir(executor) + "/run.info", run); !written) {
      PLEXUS_LOG(Error) << "Checkpointing failed: " << written.error().message();
    }
  }
  forgetTasks(executor);
  framework.executors.erase(executorId);
  if (framework.terminating && framework.executors.empty()) removeFramework(frameworkId);
  maybeFinishRecovery();
}

}  // namespace plexus::agent
