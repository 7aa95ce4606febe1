// What the master does when an agent comes back, as Mesos's master does:
//   - a known agent re-registers (same ID) without some tasks the master has on it
//     (they were lost with a restart that could not recover them, e.g. of a
//     framework that does not checkpoint): each ends TASK_LOST, TASK_DROPPED for
//     PARTITION_AWARE frameworks, REASON_RECONCILIATION (Mesos's agent answers the
//     master's reconciliation request so);
//   - an agent registers anew at the address of a disconnected agent the master
//     lists (it was restarted without its checkpoints): the old one is removed at once, its
//     tasks TASK_LOST (TASK_GONE_BY_OPERATOR to PARTITION_AWARE frameworks), so that
//     one agent process is never listed twice.
#include <plexus/logging.hpp>

#include "master/master.hpp"

namespace plexus::master {

namespace {

// The task's latest state and resources leave the books: recorded as ended.
void endTask(FrameworkRecord& framework, const TaskId& id, v1::TaskState state,
             std::size_t keepCompleted) {
  TaskRecord* task = framework.tasks.find(id);
  if (task == nullptr) return;
  task->task.set_state(state);
  framework.tasks.complete(id, keepCompleted);
}

}  // namespace

void Master::reconcileReregisteredTasks(const AgentId& agent,
                                        const internal::AgentCall::Reregister& reregister) {
  std::set<std::pair<std::string, std::string>> reported;
  for (const v1::Task& task : reregister.tasks())
    reported.emplace(task.framework_id().value(), task.task_id().value());
  for (const auto& [frameworkId, framework] : frameworks_.registered()) {
    std::vector<TaskId> missing;
    for (const auto& [taskId, task] : framework->tasks.active()) {
      if (task.task.agent_id().value() == agent.value() &&
          !reported.contains({frameworkId.value(), taskId.value()})) {
        missing.push_back(taskId);
      }
    }
    v1::TaskState state = framework->partitionAware() ? v1::TASK_DROPPED : v1::TASK_LOST;
    for (const TaskId& taskId : missing) {
      PLEXUS_LOG(Warning) << "Task " << taskId << " of framework " << frameworkId
                          << " is unknown to re-registered agent " << agent << ": "
                          << v1::TaskState_Name(state);
      endTask(*framework, taskId, state,
              static_cast<std::size_t>(flags_.maxCompletedTasksPerFramework));
      v1::TaskID wireId;
      taskId.toWire(&wireId);
      sendMasterUpdate(*framework, wireId, agent, state, v1::TaskStatus::REASON_RECONCILIATION,
                       "Reconciliation: task unknown to the agent");
    }
  }
}

void Master::removeAgentsAt(const std::string& endpoint) {
  std::vector<AgentId> replaced;
  for (const auto& [id, agent] : agents_.all()) {
    // A connected one is another process at that address (Mesos lets it be, too).
    if (agent->endpoint == endpoint && !agent->connected && !agent->unreachable)
      replaced.push_back(id);
  }
  for (const AgentId& id : replaced) {
    AgentRecord& agent = *agents_.find(id);
    PLEXUS_LOG(Info) << "Removing agent " << id << " at " << endpoint
                     << ": a new agent registered at the same address";
    metrics_.agentRemovals++;
    if (agent.pingTimer) context_.runtime.cancel(*agent.pingTimer);
    rescindOffersOf(id);
    allocator_.removeAgent(id);
    if (agent.subscription.open()) agent.subscription.stream->close();
    hooks_.masterAgentLost(agent.info);
    for (const auto& [frameworkId, framework] : frameworks_.registered()) {
      std::vector<TaskId> lost;
      for (const auto& [taskId, task] : framework->tasks.active()) {
        if (task.task.agent_id().value() == id.value()) lost.push_back(taskId);
      }
      const bool partitionAware = framework->partitionAware();
      v1::TaskState state = partitionAware ? v1::TASK_GONE_BY_OPERATOR : v1::TASK_LOST;
      v1::TaskStatus::Reason reason = partitionAware
                                          ? v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR
                                          : v1::TaskStatus::REASON_AGENT_REMOVED;
      for (const TaskId& taskId : lost) {
        endTask(*framework, taskId, state,
                static_cast<std::size_t>(flags_.maxCompletedTasksPerFramework));
        v1::TaskID wireId;
        taskId.toWire(&wireId);
        sendMasterUpdate(*framework, wireId, id, state, reason,
                         "Agent " + id.value() + " was replaced by a new agent at " + endpoint);
      }
      framework->executors.erase(id);
    }
    agents_.remove(id);
    registrar_->apply([id](internal::Registry& registry) {
      auto* admitted = registry.mutable_admitted_agents();
      for (int i = admitted->size() - 1; i >= 0; --i) {
        if (admitted->Get(i).id().value() == id.value()) admitted->DeleteSubrange(i, 1);
      }
    });
  }
}

}  // namespace plexus::master
