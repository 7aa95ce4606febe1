// Tasks: status updates and acknowledgements, kill, reconciliation (launch.cpp launches).
#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>

#include "master/master.hpp"

namespace plexus::master {
namespace {

double nowSeconds(std::chrono::system_clock::time_point now) {
  return std::chrono::duration<double>(now.time_since_epoch()).count();
}

}  // namespace

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
  if (TaskRecord* found = framework->tasks.find(id)) {
    TaskRecord& task = *found;
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
  const TaskRecord* found = framework.tasks.find(id);
  if (found == nullptr) return;
  const TaskRecord& task = *found;
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
  framework.tasks.complete(id, static_cast<size_t>(flags_.maxCompletedTasksPerFramework));
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
  const TaskRecord* task = framework.tasks.find(id);
  if (task == nullptr) {
    // Unknown to the master: answer as reconciliation does.
    sendMasterUpdate(framework, kill.task_id(), std::nullopt,
                     framework.partitionAware() ? v1::TASK_UNKNOWN : v1::TASK_LOST,
                     v1::TaskStatus::REASON_RECONCILIATION, "Attempted to kill an unknown task");
    return;
  }
  AgentRecord* agent = findAgent(AgentId::fromWire(task->task.agent_id()));
  if (agent == nullptr || !agent->connected) {
    PLEXUS_LOG(Info) << "Cannot kill task " << id << " now: its agent is not connected";
    return;
  }
  internal::AgentEvent::KillTask killTask;
  if (kill.has_kill_policy()) *killTask.mutable_kill_policy() = kill.kill_policy();
  sendKill(framework, *task, *agent, std::move(killTask));
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
    for (const auto& [id, task] : framework.tasks.active())
      report(task);
    for (const auto& [id, task] : framework.tasks.unreachable())
      report(task);
    return;
  }
  for (const auto& wanted : reconcile.tasks()) {
    TaskId id = TaskId::fromWire(wanted.task_id());
    if (const TaskRecord* task = framework.tasks.lookup(id)) {
      report(*task);
    } else {
      std::optional<AgentId> agent;
      if (wanted.has_agent_id()) agent = AgentId::fromWire(wanted.agent_id());
      // On an agent the registry lists unreachable (this master may never have
      // heard of the task, e.g. after a failover): as Mesos answers.
      const AgentRecord* record = agent ? findAgent(*agent) : nullptr;
      // On an admitted agent that may still re-register after the failover: no
      // answer yet, as Mesos does for agents it is recovering.
      if (agent && agents_.awaiting(*agent)) continue;
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
