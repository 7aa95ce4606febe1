// Tasks: launch validation, status updates and acknowledgements, kill, reconciliation.
#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>

#include "master/master.hpp"
#include "master/validation.hpp"

namespace plexus::master {
namespace {

double nowSeconds(std::chrono::system_clock::time_point now) {
  return std::chrono::duration<double>(now.time_since_epoch()).count();
}

}  // namespace

bool TaskRecord::terminal() const {
  return isTerminalState(task.state());
}

void Master::recordStatus(TaskRecord& task, const v1::TaskStatus& status) {
  task.task.set_state(status.state());
  *task.task.add_statuses() = status;
  // Keep the history short: the first and the latest few are what operators read.
  if (task.task.statuses_size() > 16) task.task.mutable_statuses()->DeleteSubrange(1, 1);
}

void Master::sendMasterUpdate(FrameworkRecord& framework, const v1::TaskID& task,
                              const std::optional<AgentId>& agent, v1::TaskState state,
                              v1::TaskStatus::Reason reason, const std::string& message) {
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::UPDATE);
  v1::TaskStatus* status = event.mutable_update()->mutable_status();
  *status->mutable_task_id() = task;
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_MASTER);
  status->set_reason(reason);
  status->set_message(message);
  status->set_timestamp(nowSeconds(context_.runtime.wallNow()));
  if (agent) agent->toWire(status->mutable_agent_id());
  if (isTerminalState(state)) metrics_.terminalTasks["task_" + taskStateMetricName(state)]++;
  sendEvent(framework, event);
}

void Master::launch(FrameworkRecord& framework, AgentRecord& agent,
                    const v1::Offer::Operation& operation, Resources* available) {
  bool group = operation.type() == v1::Offer::Operation::LAUNCH_GROUP;
  std::vector<v1::TaskInfo> tasks;
  if (group) {
    tasks.assign(operation.launch_group().task_group().tasks().begin(),
                 operation.launch_group().task_group().tasks().end());
  } else {
    tasks.assign(operation.launch().task_infos().begin(), operation.launch().task_infos().end());
  }
  // As Mesos: the resource decorators run before validation, on the offered resources.
  for (v1::TaskInfo& task : tasks)
    hooks_.masterLaunchTaskResources(task, *available);

  // The user a group's executor runs as: the built-in executor runs its tasks as it.
  const v1::ExecutorInfo& groupExecutor = operation.launch_group().executor();
  const std::string groupExecutorUser =
      groupExecutor.command().has_user() ? groupExecutor.command().user() : framework.info.user();

  // Validates one task against what is left; the reason it is invalid, or "".
  std::set<std::string> idsInCall;
  auto validateTask = [&](const v1::TaskInfo& task, Resources* need) -> std::string {
    TaskId id = TaskId::fromWire(task.task_id());
    if (id.empty()) return "Task ID is empty";
    if (!idsInCall.insert(id.value()).second)
      return "Task ID '" + id.value() + "' is duplicated in this call";
    if (framework.tasks.count(id) > 0) return "Task ID '" + id.value() + "' is already in use";
    if (task.agent_id().value() != agent.id.value()) {
      return "Task uses agent " + task.agent_id().value() + " but the offers are on " +
             agent.id.value();
    }
    if (group && task.has_executor()) return "A task in a task group must not have an executor";
    if (!group && task.has_executor() == task.has_command()) {
      return "A task must have exactly one of 'executor' and 'command'";
    }
    // Nothing silently ignored: a field Plexus does not honour refuses the task.
    if (auto supported = validation::taskSupported(task, group, groupExecutorUser); !supported)
      return supported.error().message();
    auto resources = Resources::fromWire(task.resources());
    if (!resources) return "Invalid resources: " + resources.error().message();
    if (resources->empty()) return "Task uses no resources";
    *need = *resources;
    return "";
  };

  // The executor of the launch (custom, or the task group's), with its resources if new.
  std::optional<v1::ExecutorInfo> executor;
  if (group) executor = operation.launch_group().executor();
  Resources executorResources;
  std::string groupError;
  auto launchedExecutor = [&](const v1::ExecutorInfo& info) {
    auto on = framework.executors.find(agent.id);
    return on != framework.executors.end() &&
           on->second.count(ExecutorId::fromWire(info.executor_id())) > 0;
  };
  if (executor) {
    if (!executor->has_framework_id()) framework.id.toWire(executor->mutable_framework_id());
    auto resources = Resources::fromWire(executor->resources());
    if (auto supported = validation::executorSupported(*executor); !supported)
      groupError = supported.error().message();
    else if (!resources)
      groupError = "Invalid executor resources: " + resources.error().message();
    else if (!launchedExecutor(*executor))
      executorResources = *resources;
  }

  Resources total = executorResources;
  std::vector<Resources> needs(tasks.size());
  std::vector<std::string> errors(tasks.size());
  // A new executor shared by several tasks of this call is charged once, to the
  // first valid task that names it (as Mesos).
  std::set<ExecutorId> executorsCharged;
  std::vector<bool> unauthorized(tasks.size(), false);
  for (size_t i = 0; i < tasks.size(); ++i) {
    // As Mesos: a launch is authorised before it is validated, so a task whose users
    // the ACLs refuse is TASK_UNAUTHORIZED whatever else is wrong with it.
    const v1::ExecutorInfo* taskExecutor =
        group ? &*executor : (tasks[i].has_executor() ? &tasks[i].executor() : nullptr);
    if (auto refused = authorizeTask(framework, tasks[i], taskExecutor)) {
      errors[i] = *refused;
      unauthorized[i] = true;
    } else {
      errors[i] = validateTask(tasks[i], &needs[i]);
    }
    std::optional<ExecutorId> charged;
    if (errors[i].empty() && !group && tasks[i].has_executor()) {
      auto resources = Resources::fromWire(tasks[i].executor().resources());
      ExecutorId executorId = ExecutorId::fromWire(tasks[i].executor().executor_id());
      if (!resources) {
        errors[i] = "Invalid executor resources: " + resources.error().message();
      } else if (!launchedExecutor(tasks[i].executor()) && !executorsCharged.contains(executorId)) {
        needs[i] += *resources;
        charged = executorId;
      }
    }
    if (errors[i].empty() && !available->contains(total + needs[i])) {
      errors[i] = "Task uses more resources (" + needs[i].toString() + ") than available (" +
                  (*available - total).toString() + ")";
    }
    if (errors[i].empty()) {
      total += needs[i];
      if (charged) executorsCharged.insert(*charged);
    }
  }
  bool groupUnauthorized = false;
  if (group) {
    // A task group launches all or nothing; an unauthorised task speaks for the group
    // before the executor's or another task's invalidity does (authorisation comes first).
    for (size_t i = 0; i < errors.size(); ++i) {
      if (unauthorized[i] && !groupUnauthorized) {
        groupError = errors[i];
        groupUnauthorized = true;
      }
    }
    for (size_t i = 0; i < errors.size(); ++i) {
      if (!errors[i].empty() && groupError.empty()) groupError = errors[i];
    }
  }

  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string error = group ? groupError : errors[i];
    if (!error.empty()) {
      PLEXUS_LOG(Info) << "Task " << tasks[i].task_id().value() << " of framework " << framework.id
                       << " is invalid: " << error;
      v1::TaskStatus::Reason reason =
          group ? (groupUnauthorized ? v1::TaskStatus::REASON_TASK_GROUP_UNAUTHORIZED
                                     : v1::TaskStatus::REASON_TASK_GROUP_INVALID)
                : (unauthorized[i] ? v1::TaskStatus::REASON_TASK_UNAUTHORIZED
                                   : v1::TaskStatus::REASON_TASK_INVALID);
      sendMasterUpdate(framework, tasks[i].task_id(), agent.id, v1::TASK_ERROR, reason, error);
      continue;
    }
    v1::TaskInfo& task = tasks[i];
    hooks_.masterLaunchTaskLabels(task, framework.info, agent.info);
    TaskId id = TaskId::fromWire(task.task_id());
    TaskRecord record;
    record.resources = needs[i];
    v1::Task& wire = record.task;
    wire.set_name(task.name());
    *wire.mutable_task_id() = task.task_id();
    framework.id.toWire(wire.mutable_framework_id());
    agent.id.toWire(wire.mutable_agent_id());
    wire.set_state(v1::TASK_STAGING);
    auto taskOnly = Resources::fromWire(task.resources());
    taskOnly->toWire(wire.mutable_resources());
    if (task.has_labels()) *wire.mutable_labels() = task.labels();
    if (task.has_container()) *wire.mutable_container() = task.container();
    if (task.has_health_check()) *wire.mutable_health_check() = task.health_check();
    if (task.has_kill_policy()) *wire.mutable_kill_policy() = task.kill_policy();
    if (task.has_discovery()) *wire.mutable_discovery() = task.discovery();
    *wire.mutable_limits() = task.limits();
    const v1::ExecutorInfo* taskExecutor =
        group ? &*executor : (task.has_executor() ? &task.executor() : nullptr);
    if (taskExecutor) {
      *wire.mutable_executor_id() = taskExecutor->executor_id();
      record.executor = ExecutorId::fromWire(taskExecutor->executor_id());
      v1::ExecutorInfo info = *taskExecutor;
      if (!info.has_framework_id()) framework.id.toWire(info.mutable_framework_id());
      framework.executors[agent.id].emplace(*record.executor, info);
    }
    framework.tasks.emplace(id, std::move(record));
    agent.used[framework.id] += needs[i];
    if (!group) {
      internal::AgentEvent event;
      event.set_type(internal::AgentEvent::RUN_TASK);
      *event.mutable_run_task()->mutable_framework_info() = framework.info;
      if (task.has_executor()) {
        *event.mutable_run_task()->mutable_executor_info() = task.executor();
        framework.id.toWire(
            event.mutable_run_task()->mutable_executor_info()->mutable_framework_id());
      }
      *event.mutable_run_task()->mutable_task() = task;
      sendToAgent(agent, event);
      PLEXUS_LOG(Info) << "Launching task " << id << " of framework " << framework.id
                       << " on agent " << agent.id << " with " << needs[i];
    }
  }
  *available -= total;
  if (group && groupError.empty()) {
    agent.used[framework.id] += executorResources;
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::RUN_TASK_GROUP);
    *event.mutable_run_task_group()->mutable_framework_info() = framework.info;
    *event.mutable_run_task_group()->mutable_executor_info() = *executor;
    for (const auto& task : tasks)
      *event.mutable_run_task_group()->mutable_task_group()->add_tasks() = task;
    sendToAgent(agent, event);
    PLEXUS_LOG(Info) << "Launching a group of " << tasks.size() << " tasks of framework "
                     << framework.id << " on agent " << agent.id;
  } else if (group) {
    *available += total;  // Nothing of the group launched.
  }
}

void Master::statusUpdate(AgentRecord& agent, const internal::AgentCall::Update& update) {
  FrameworkRecord* framework = findFramework(FrameworkId::fromWire(update.framework_id()));
  const v1::TaskStatus& status = update.status();
  if (framework == nullptr) {
    metrics_.invalidStatusUpdates++;
    PLEXUS_LOG(Warning) << "Status update for task " << status.task_id().value()
                        << " of unknown framework " << update.framework_id().value()
                        << " from agent " << agent.id << "; dropping it";
    return;
  }
  metrics_.validStatusUpdates++;
  TaskId id = TaskId::fromWire(status.task_id());
  auto it = framework->tasks.find(id);
  if (it != framework->tasks.end()) {
    TaskRecord& task = it->second;
    // The status update state is the latest the scheduler was told; the task's state
    // is the latest the agent knows. Mesos reports both.
    task.task.set_status_update_state(status.state());
    task.task.set_status_update_uuid(status.uuid());
    if (task.task.state() != status.state()) {
      PLEXUS_LOG(Info) << "Task " << id << " of framework " << framework->id << " is now "
                       << v1::TaskState_Name(status.state())
                       << (status.message().empty() ? "" : ": " + status.message());
    }
    recordStatus(task, status);
    if (task.terminal()) taskTerminated(*framework, id);
  }
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::UPDATE);
  *event.mutable_update()->mutable_status() = status;
  if (!status.has_agent_id())
    agent.id.toWire(event.mutable_update()->mutable_status()->mutable_agent_id());
  sendEvent(*framework, event);
}

void Master::taskTerminated(FrameworkRecord& framework, const TaskId& id) {
  auto it = framework.tasks.find(id);
  if (it == framework.tasks.end()) return;
  TaskRecord task = std::move(it->second);
  framework.tasks.erase(it);
  AgentId agentId = AgentId::fromWire(task.task.agent_id());
  metrics_.terminalTasks["task_" + taskStateMetricName(task.task.state())]++;
  // The task's own resources go back now; an executor's when the executor exits.
  Resources freed = *Resources::fromWire(task.task.resources());
  if (AgentRecord* agent = findAgent(agentId)) {
    agent->used[framework.id] -= freed;
    if (agent->used[framework.id].empty()) agent->used.erase(framework.id);
    if (!agent->unreachable)
      allocator_.recoverResources(framework.id, agentId, freed, std::nullopt, true);
  }
  framework.completedTasks.emplace(id, std::move(task));
  while (framework.completedTasks.size() >
         static_cast<size_t>(flags_.maxCompletedTasksPerFramework)) {
    framework.completedTasks.erase(framework.completedTasks.begin());
  }
}

void Master::acknowledge(FrameworkRecord& framework, const v1::scheduler::Call::Acknowledge& ack) {
  AgentRecord* agent = findAgent(AgentId::fromWire(ack.agent_id()));
  if (agent == nullptr || !agent->connected) {
    PLEXUS_LOG(Info) << "Dropping acknowledgement of task " << ack.task_id().value() << ": agent "
                     << ack.agent_id().value() << " is not connected";
    return;
  }
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::ACKNOWLEDGE);
  framework.id.toWire(event.mutable_acknowledge()->mutable_framework_id());
  *event.mutable_acknowledge()->mutable_task_id() = ack.task_id();
  event.mutable_acknowledge()->set_uuid(ack.uuid());
  sendToAgent(*agent, event);
}

void Master::kill(FrameworkRecord& framework, const v1::scheduler::Call::Kill& kill) {
  TaskId id = TaskId::fromWire(kill.task_id());
  auto it = framework.tasks.find(id);
  if (it == framework.tasks.end()) {
    // Unknown to the master: answer as reconciliation does.
    sendMasterUpdate(framework, kill.task_id(), std::nullopt,
                     framework.partitionAware() ? v1::TASK_UNKNOWN : v1::TASK_LOST,
                     v1::TaskStatus::REASON_RECONCILIATION, "Attempted to kill an unknown task");
    return;
  }
  AgentRecord* agent = findAgent(AgentId::fromWire(it->second.task.agent_id()));
  if (agent == nullptr || !agent->connected) {
    PLEXUS_LOG(Info) << "Cannot kill task " << id << " now: its agent is not connected";
    return;
  }
  internal::AgentEvent::KillTask killTask;
  if (kill.has_kill_policy()) *killTask.mutable_kill_policy() = kill.kill_policy();
  sendKill(framework, it->second, *agent, std::move(killTask));
}

void Master::sendKill(FrameworkRecord& framework, const TaskRecord& task, AgentRecord& agent,
                      internal::AgentEvent::KillTask kill) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::KILL_TASK);
  framework.id.toWire(kill.mutable_framework_id());
  *kill.mutable_task_id() = task.task.task_id();
  if (!kill.has_kill_policy() && task.task.has_kill_policy())
    *kill.mutable_kill_policy() = task.task.kill_policy();
  *event.mutable_kill_task() = std::move(kill);
  sendToAgent(agent, event);
  PLEXUS_LOG(Info) << "Asked agent " << agent.id << " to kill task " << task.task.task_id().value()
                   << " of framework " << framework.id;
}

void Master::reconcile(FrameworkRecord& framework,
                       const v1::scheduler::Call::Reconcile& reconcile) {
  auto report = [&](const TaskRecord& task) {
    v1::scheduler::Event event;
    event.set_type(v1::scheduler::Event::UPDATE);
    v1::TaskStatus* status = event.mutable_update()->mutable_status();
    if (task.task.statuses_size() > 0) *status = task.task.statuses(task.task.statuses_size() - 1);
    status->clear_uuid();  // Reconciliation updates are not acknowledged.
    *status->mutable_task_id() = task.task.task_id();
    *status->mutable_agent_id() = task.task.agent_id();
    status->set_state(task.task.state());
    status->set_source(v1::TaskStatus::SOURCE_MASTER);
    status->set_reason(v1::TaskStatus::REASON_RECONCILIATION);
    status->set_timestamp(nowSeconds(context_.runtime.wallNow()));
    sendEvent(framework, event);
  };
  if (reconcile.tasks_size() == 0) {
    for (const auto& [id, task] : framework.tasks)
      report(task);
    for (const auto& [id, task] : framework.unreachableTasks)
      report(task);
    return;
  }
  for (const auto& wanted : reconcile.tasks()) {
    TaskId id = TaskId::fromWire(wanted.task_id());
    if (auto it = framework.tasks.find(id); it != framework.tasks.end()) {
      report(it->second);
    } else if (auto it = framework.unreachableTasks.find(id);
               it != framework.unreachableTasks.end()) {
      report(it->second);
    } else if (auto it = framework.completedTasks.find(id); it != framework.completedTasks.end()) {
      report(it->second);
    } else {
      std::optional<AgentId> agent;
      if (wanted.has_agent_id()) agent = AgentId::fromWire(wanted.agent_id());
      // On an agent the registry lists unreachable (this master may never have
      // heard of the task, e.g. after a failover): as Mesos answers.
      const AgentRecord* record = agent ? findAgent(*agent) : nullptr;
      // On an admitted agent that may still re-register after the failover: no
      // answer yet, as Mesos does for agents it is recovering.
      if (agent && awaitedAgents_.count(*agent) > 0) continue;
      if (agent && (record != nullptr ? record->unreachable : unreachableInRegistry(*agent))) {
        sendMasterUpdate(framework, wanted.task_id(), agent,
                         framework.partitionAware() ? v1::TASK_UNREACHABLE : v1::TASK_LOST,
                         v1::TaskStatus::REASON_RECONCILIATION,
                         "Reconciliation: task is on unreachable agent " + agent->value());
        continue;
      }
      sendMasterUpdate(framework, wanted.task_id(), agent,
                       framework.partitionAware() ? v1::TASK_UNKNOWN : v1::TASK_LOST,
                       v1::TaskStatus::REASON_RECONCILIATION, "Reconciliation: task is unknown");
    }
  }
}

void Master::frameworkMessage(FrameworkRecord& framework,
                              const v1::scheduler::Call::Message& message) {
  AgentRecord* agent = findAgent(AgentId::fromWire(message.agent_id()));
  if (agent == nullptr || !agent->connected) {
    metrics_.droppedMessages++;
    return;
  }
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::MESSAGE);
  framework.id.toWire(event.mutable_message()->mutable_framework_id());
  *event.mutable_message()->mutable_executor_id() = message.executor_id();
  event.mutable_message()->set_data(message.data());
  sendToAgent(*agent, event);
}

void Master::shutdownExecutor(FrameworkRecord& framework,
                              const v1::scheduler::Call::Shutdown& shutdown) {
  AgentRecord* agent = findAgent(AgentId::fromWire(shutdown.agent_id()));
  if (agent == nullptr || !agent->connected) return;
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::SHUTDOWN_EXECUTOR);
  framework.id.toWire(event.mutable_shutdown_executor()->mutable_framework_id());
  *event.mutable_shutdown_executor()->mutable_executor_id() = shutdown.executor_id();
  sendToAgent(*agent, event);
}

}  // namespace plexus::master
