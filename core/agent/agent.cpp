#include "agent/agent.hpp"

#include <arpa/inet.h>
#include <filesystem>
#include <netdb.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <plexus/logging.hpp>

#include "agent/paths.hpp"
#include "agent/resources_detection.hpp"

namespace plexus::agent {

namespace {

// The address to hand out when listening on every interface: the hostname's.
std::string advertisedIp(const std::string& ip, const std::string& hostname) {
  if (ip != "0.0.0.0" && ip != "::") return ip;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  std::string result = "127.0.0.1";
  if (::getaddrinfo(hostname.c_str(), nullptr, &hints, &found) == 0 && found != nullptr) {
    char text[INET_ADDRSTRLEN];
    auto* address = reinterpret_cast<sockaddr_in*>(found->ai_addr);
    if (::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text) != nullptr) result = text;
    ::freeaddrinfo(found);
  }
  return result;
}

std::string defaultExecutorPath(const std::string& launcherDir) {
  if (!launcherDir.empty()) return launcherDir + "/plexus-executor";
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "plexus-executor";
  return (self.parent_path() / "plexus-executor").string();
}

}  // namespace

Agent::Agent(daemon::DaemonContext& context, const AgentFlags& flags,
             std::vector<Isolator*> isolators, hooks::HookChain hooks, MasterDetector* detector,
             ContainerLogger* logger)
    : context_(context),
      flags_(flags),
      isolators_(std::move(isolators)),
      hooks_(std::move(hooks)),
      detector_(detector),
      logger_(logger) {}

Agent::~Agent() {
  *alive_ = false;
  if (masterCall_) masterCall_->cancel();
  client_.reset();
  for (auto& [id, framework] : frameworks_) {
    for (auto& [executorId, executor] : framework.executors) {
      if (executor.stream) executor.stream->close();
      // As Mesos's agent: the executors of frameworks that checkpoint outlive it
      // and re-subscribe to the next one (docs/agent-recovery.md).
      if (containerizer_ && checkpointing(framework.info) &&
          executor.state != Executor::State::kTerminated) {
        containerizer_->release(executor.container);
      }
    }
  }
  containerizer_.reset();  // kills what is still running
}

Result<void> Agent::start() {
  PLEXUS_TRY(validateAgentFlags(&flags_));
  auto resources = detectResources(context_.flags.workDir, flags_.resources, flags_.defaultRole);
  if (!resources) return fail(resources.error());
  auto attributes = parseAttributes(flags_.attributes);
  if (!attributes) return fail(attributes.error());

  info_.set_hostname(context_.flags.hostname);
  resources->toWire(info_.mutable_resources());
  for (auto& attribute : *attributes)
    *info_.add_attributes() = std::move(attribute);
  // The decorated resources are the agent's detected total, as if --resources said so.
  hooks_.agentResourcesAndAttributes(info_);
  resources = Resources::fromWire(info_.resources());
  if (!resources) return fail(resources.error().context("the resources decorated by --hooks"));
  PLEXUS_TRY(recoverCheckpointedResources(*resources));
  PLEXUS_LOG(Info) << "Agent resources: " << *resources;

  executorPath_ = defaultExecutorPath(flags_.launcherDir);
  ip_ = advertisedIp(context_.flags.ip, context_.flags.hostname);
  PLEXUS_TRY(paths::createDirectories(context_.flags.workDir));
  PLEXUS_TRY(loadExecutorSecretKey());

  updates_ = std::make_unique<StatusUpdateManager>(
      context_.runtime,
      StatusUpdateManager::Options{flags_.statusUpdateRetryInterval,
                                   flags_.statusUpdateRetryIntervalMax},
      [this](const FrameworkId& framework, const v1::TaskStatus& status) {
        forwardStatusUpdate(framework, status);
      });
  containerizer_ =
      std::make_unique<Containerizer>(context_.io, context_.runtime, isolators_, 2, logger_);
  gc_ = std::make_unique<GarbageCollector>(
      context_.runtime, GarbageCollector::Options{context_.flags.workDir, flags_.gcDelay,
                                                  flags_.gcDiskHeadroom, flags_.diskWatchInterval});
  gc_->start();
  PLEXUS_TRY(recoverState());
  client_ = std::make_unique<http::Client>(context_.io);

  // Executors may use the server's reserved connections; endpoints without a body
  // refuse one.
  for (const char* path : {"/api/v1/executor", "/slave(1)/api/v1/executor"}) {
    PLEXUS_TRY(context_.server.route(path,
                                     [this](http::Request request, http::Responder responder) {
                                       executorApi(std::move(request), std::move(responder));
                                     },
                                     {.reserved = true}));
  }
  const http::RouteOptions noBody{.maxBodyBytes = 0};

  for (const char* path : {"/monitor/statistics", "/monitor/statistics.json",
                           "/slave(1)/monitor/statistics", "/slave(1)/monitor/statistics.json"}) {
    PLEXUS_TRY(context_.server.route(
        path,
        [this](http::Request request, http::Responder responder) {
          monitorStatistics(std::move(request), std::move(responder));
        },
        noBody));
  }

  PLEXUS_TRY(context_.server.route(
      "/metrics/snapshot",
      [this](http::Request request, http::Responder responder) {
        metricsSnapshot(std::move(request), std::move(responder));
      },
      noBody));

  auto state = http::jsonGetHandler([this] { return stateJson(); });
  auto flags = http::jsonGetHandler([this] { return flagsJson(); });
  for (const char* prefix : {"", "/slave(1)"}) {
    PLEXUS_TRY(context_.server.route(std::string(prefix) + "/state", state, noBody));
    PLEXUS_TRY(context_.server.route(std::string(prefix) + "/flags", flags, noBody));
  }

  if (detector_ != nullptr) {
    PLEXUS_TRY(detector_->initialize(context_.runtime));
  } else if (!flags_.master.empty()) {
    std::string master = flags_.master;
    if (master.starts_with("http://")) master = master.substr(7);
    std::size_t colon = master.rfind(':');
    if (colon == std::string::npos)
      return fail("--master=" + flags_.master + ": expected host:port");
    masterHost_ = master.substr(0, colon);
    int port = std::atoi(master.c_str() + colon + 1);
    if (port <= 0 || port > 65535) return fail("--master=" + flags_.master + ": bad port");
    masterPort_ = static_cast<std::uint16_t>(port);
  } else {
    PLEXUS_LOG(Warning) << "No --master given: the agent will not register";
  }

  // The server listens once start() returns; the loop runs after that.
  auto alive = alive_;
  boost::asio::post(context_.io, [this, alive] {
    if (!*alive) return;
    endpoint_ = ip_ + ":" + std::to_string(context_.server.port());
    info_.set_port(context_.server.port());
    if (recovering_) {
      recoverExecutors();  // then connectToMaster()
    } else {
      connectToMaster();
    }
    heartbeatExecutors();
  });
  return {};
}

void Agent::connectToMaster() {
  if (detector_ != nullptr) {
    detectMaster(std::nullopt);
  } else if (!masterHost_.empty()) {
    connect();
  }
}

Framework& Agent::ensureFramework(const v1::FrameworkInfo& info) {
  FrameworkId id = FrameworkId::fromWire(info.id());
  auto [it, added] = frameworks_.try_emplace(id);
  it->second.info = info;
  if (added) {
    PLEXUS_LOG(Info) << "Added framework " << id << " (" << info.name() << ")";
  }
  return it->second;
}

void Agent::removeFramework(const FrameworkId& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  PLEXUS_LOG(Info) << "Removed framework " << frameworkId;
  if (agentId_)
    gc_->scheduleCompleted(paths::frameworkDir(context_.flags.workDir, *agentId_, frameworkId));
  completedFrameworks_.push_back(std::move(it->second));
  frameworks_.erase(it);
  if (completedFrameworks_.size() > kMaxCompletedFrameworks) completedFrameworks_.pop_front();
}

Executor* Agent::findExecutor(const FrameworkId& framework, const ExecutorId& executor) {
  auto it = frameworks_.find(framework);
  if (it == frameworks_.end()) return nullptr;
  auto found = it->second.executors.find(executor);
  return found == it->second.executors.end() ? nullptr : &found->second;
}

Executor* Agent::findExecutorOfTask(const FrameworkId& framework, const TaskId& task) {
  auto it = frameworks_.find(framework);
  if (it == frameworks_.end()) return nullptr;
  for (auto& [id, executor] : it->second.executors) {
    if (executor.tasks.contains(task)) return &executor;
  }
  return nullptr;
}

void Agent::runTask(const internal::AgentEvent::RunTask& run) {
  const v1::TaskInfo& task = run.task();
  PLEXUS_LOG(Info) << "Got task " << task.task_id().value() << " of framework "
                   << run.framework_info().id().value();
  Framework& framework = ensureFramework(run.framework_info());
  v1::ExecutorInfo info = run.has_executor_info() ? run.executor_info()
                          : task.has_executor()   ? task.executor()
                                                  : commandExecutorInfo(framework.info, task);
  if (!info.has_framework_id()) *info.mutable_framework_id() = run.framework_info().id();
  QueuedLaunch launch;
  launch.commandTask = !run.has_executor_info() && !task.has_executor();
  *launch.tasks.add_tasks() = task;
  launchOnExecutor(framework, info, std::move(launch));
}

void Agent::runTaskGroup(const internal::AgentEvent::RunTaskGroup& run) {
  PLEXUS_LOG(Info) << "Got a group of " << run.task_group().tasks_size() << " tasks for executor "
                   << run.executor_info().executor_id().value() << " of framework "
                   << run.framework_info().id().value();
  Framework& framework = ensureFramework(run.framework_info());
  v1::ExecutorInfo info = run.executor_info();
  if (!info.has_framework_id()) *info.mutable_framework_id() = run.framework_info().id();
  QueuedLaunch launch{.group = true, .tasks = run.task_group()};
  launchOnExecutor(framework, info, std::move(launch));
}

void Agent::killTask(const internal::AgentEvent::KillTask& kill) {
  FrameworkId frameworkId = FrameworkId::fromWire(kill.framework_id());
  TaskId taskId = TaskId::fromWire(kill.task_id());
  Executor* executor = findExecutorOfTask(frameworkId, taskId);
  if (executor == nullptr) {
    PLEXUS_LOG(Warning) << "Cannot kill task " << taskId << " of framework " << frameworkId
                        << ": unknown task";
    return;
  }
  PLEXUS_LOG(Info) << "Asked to kill task " << taskId << " of framework " << frameworkId
                   << (kill.has_message() ? ": " + kill.message() : "");
  v1::Task& task = executor->tasks.at(taskId);
  if (isTerminalState(task.state())) return;
  if (kill.has_reason()) executor->killReasons[taskId] = {kill.reason(), kill.message()};

  // Still queued: the executor never saw it.
  for (auto it = executor->queued.begin(); it != executor->queued.end(); ++it) {
    auto& tasks = it->tasks;
    bool found = false;
    for (const auto& queued : tasks.tasks())
      found = found || queued.task_id().value() == taskId.value();
    if (!found) continue;
    // A group is all or nothing: killing one member kills the group (Mesos).
    std::vector<v1::TaskID> ids;
    for (const auto& queued : tasks.tasks())
      ids.push_back(queued.task_id());
    executor->queued.erase(it);
    for (const auto& id : ids) {
      statusUpdate(frameworkId,
                   makeStatus(executor, id, v1::TASK_KILLED,
                              v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                              "Killed before delivery to the executor"),
                   executor);
    }
    if (executor->queued.empty()) {
      bool live = false;
      for (const auto& [id, other] : executor->tasks)
        live = live || !isTerminalState(other.state());
      if (!live) shutdownExecutor(*executor);
    }
    return;
  }

  if (executor->state != Executor::State::kRunning || !executor->subscribed()) {
    PLEXUS_LOG(Warning) << "Executor of task " << taskId << " is not connected; will kill it";
    executor->killRequested[taskId] = true;
    shutdownExecutor(*executor);
    return;
  }
  executor->killRequested[taskId] = true;
  v1::executor::Event event;
  event.set_type(v1::executor::Event::KILL);
  *event.mutable_kill()->mutable_task_id() = kill.task_id();
  if (kill.has_kill_policy()) {
    *event.mutable_kill()->mutable_kill_policy() = kill.kill_policy();
  } else if (task.has_kill_policy()) {
    *event.mutable_kill()->mutable_kill_policy() = task.kill_policy();
  }
  sendToExecutor(*executor, event);
}

void Agent::acknowledge(const internal::AgentEvent::Acknowledge& ack) {
  FrameworkId frameworkId = FrameworkId::fromWire(ack.framework_id());
  TaskId taskId = TaskId::fromWire(ack.task_id());
  auto acked = updates_->acknowledge(frameworkId, taskId, ack.uuid());
  if (!acked) {
    PLEXUS_LOG(Warning) << "Ignoring an unexpected acknowledgement for task " << taskId
                        << " of framework " << frameworkId;
    return;
  }
  checkpointUpdates(frameworkId, taskId);
  PLEXUS_LOG(Info) << "Status update " << v1::TaskState_Name(acked->state()) << " of task "
                   << taskId << " acknowledged";
  Executor* executor = findExecutorOfTask(frameworkId, taskId);
  if (executor == nullptr) return;
  if (acked->source() == v1::TaskStatus::SOURCE_EXECUTOR && executor->subscribed()) {
    v1::executor::Event event;
    event.set_type(v1::executor::Event::ACKNOWLEDGED);
    *event.mutable_acknowledged()->mutable_task_id() = ack.task_id();
    event.mutable_acknowledged()->set_uuid(ack.uuid());
    sendToExecutor(*executor, event);
  }
  if (isTerminalState(acked->state()) && updates_->head(frameworkId, taskId) == nullptr) {
    if (auto task = executor->tasks.find(taskId); task != executor->tasks.end()) {
      executor->completedTasks.push_back(std::move(task->second));
      if (executor->completedTasks.size() > kMaxCompletedTasksPerExecutor)
        executor->completedTasks.pop_front();
    }
    executor->tasks.erase(taskId);
    executor->killRequested.erase(taskId);
    executor->killReasons.erase(taskId);
  }
}

void Agent::frameworkMessage(const internal::AgentEvent::Message& message) {
  Executor* executor = findExecutor(FrameworkId::fromWire(message.framework_id()),
                                    ExecutorId::fromWire(message.executor_id()));
  if (executor == nullptr || !executor->subscribed()) {
    PLEXUS_LOG(Warning) << "Dropping a framework message for executor "
                        << message.executor_id().value() << ": not subscribed";
    return;
  }
  v1::executor::Event event;
  event.set_type(v1::executor::Event::MESSAGE);
  event.mutable_message()->set_data(message.data());
  sendToExecutor(*executor, event);
}

void Agent::shutdownFramework(const FrameworkId& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  PLEXUS_LOG(Info) << "Shutting down framework " << frameworkId;
  Framework& framework = it->second;
  framework.terminating = true;
  updates_->removeFramework(frameworkId);
  for (auto& [id, executor] : framework.executors)
    shutdownExecutor(executor);
  if (framework.executors.empty()) removeFramework(frameworkId);
}

v1::TaskStatus Agent::makeStatus(const Executor* executor, const v1::TaskID& task,
                                 v1::TaskState state, std::optional<v1::TaskStatus::Reason> reason,
                                 const std::string& message) const {
  v1::TaskStatus status;
  *status.mutable_task_id() = task;
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_AGENT);
  if (reason) status.set_reason(*reason);
  if (!message.empty()) status.set_message(message);
  if (executor != nullptr) *status.mutable_executor_id() = executor->info.executor_id();
  status.set_uuid(randomUuidBytes());
  status.set_timestamp(
      std::chrono::duration<double>(context_.runtime.wallNow().time_since_epoch()).count());
  return status;
}

void Agent::statusUpdate(const FrameworkId& framework, v1::TaskStatus status, Executor* executor) {
  if (agentId_) agentId_->toWire(status.mutable_agent_id());
  if (!status.has_timestamp()) {
    status.set_timestamp(
        std::chrono::duration<double>(context_.runtime.wallNow().time_since_epoch()).count());
  }
  if (!hooks_.empty()) {
    Resources container;
    if (executor != nullptr) {
      container = Resources::fromWire(executor->info.resources()).value_or(Resources());
      for (const auto& [id, task] : executor->tasks)
        container += Resources::fromWire(task.resources()).value_or(Resources());
    }
    hooks_.agentTaskStatus(framework, status,
                           TaskStatusContext{.agent = info_,
                                             .executor = executor ? &executor->info : nullptr,
                                             .containerResources = container});
  }
  if (executor != nullptr) {
    // As Mesos's agent: the container the task runs in, and its executor's pid.
    auto* container = status.mutable_container_status();
    if (!container->has_container_id())
      container->mutable_container_id()->set_value(executor->container.value());
    if (executor->pid > 0 && !container->has_executor_pid())
      container->set_executor_pid(executor->pid);
  }
  TaskId taskId = TaskId::fromWire(status.task_id());
  if (executor != nullptr && status.state() == v1::TASK_KILLED && !status.has_reason()) {
    if (auto why = executor->killReasons.find(taskId); why != executor->killReasons.end()) {
      status.set_reason(why->second.first);
      if (!status.has_message() && !why->second.second.empty())
        status.set_message(why->second.second);
    }
  }
  if (executor != nullptr) {
    auto it = executor->tasks.find(taskId);
    if (it != executor->tasks.end()) {
      if (it->second.state() != status.state()) {
        PLEXUS_LOG(Info) << "Task " << taskId << " of framework " << framework << " is now "
                         << v1::TaskState_Name(status.state())
                         << (status.has_message() ? " (" + status.message() + ")" : "");
      }
      it->second.set_state(status.state());
      it->second.clear_statuses();
      *it->second.add_statuses() = status;
    }
  }
  auto added = updates_->add(framework, status);
  if (added == StatusUpdateManager::Added::kQueued) checkpointUpdates(framework, taskId, &status);
  if (added == StatusUpdateManager::Added::kDuplicateAcknowledged && executor != nullptr &&
      executor->subscribed() && status.source() == v1::TaskStatus::SOURCE_EXECUTOR) {
    // Resent by an executor that missed the acknowledgement.
    v1::executor::Event event;
    event.set_type(v1::executor::Event::ACKNOWLEDGED);
    *event.mutable_acknowledged()->mutable_task_id() = status.task_id();
    event.mutable_acknowledged()->set_uuid(status.uuid());
    sendToExecutor(*executor, event);
  }
}

}  // namespace plexus::agent
