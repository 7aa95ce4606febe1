// Revocation: an allocator (allocator_priority) asks the master to free resources
// a framework uses on an agent. The master picks the framework's running tasks
// there, allocated to the roles asked for, largest first, until together they cover
// the amount, sparing any task that would take the total above the allocator's
// bound, and kills them; the agent reports each TASK_KILLED with
// REASON_CONTAINER_PREEMPTED, and the freed resources return to the allocator as
// any finished task's do.
#include <algorithm>

#include <plexus/logging.hpp>

#include "master/master.hpp"

namespace plexus::master {

void Master::reclaim(const FrameworkId& frameworkId, const AgentId& agentId,
                     const Resources& resources, const ResourceQuantities& atMost) {
  FrameworkRecord* framework = findFramework(frameworkId);
  AgentRecord* agent = findAgent(agentId);
  if (framework == nullptr || agent == nullptr || !agent->connected) {
    PLEXUS_LOG(Warning) << "Cannot reclaim " << resources << " from framework " << frameworkId
                        << " on agent " << agentId << ": "
                        << (framework == nullptr ? "unknown framework" : "agent not connected");
    return;
  }
  std::set<std::string> roles;
  for (const Resource& resource : resources) {
    if (resource.allocationRole()) roles.insert(*resource.allocationRole());
  }
  ResourceQuantities wanted = resources.quantities();
  ResourceQuantities freed;
  std::vector<TaskRecord*> candidates;
  for (TaskRecord* task : framework->tasks.activeRecords()) {
    if (task->terminal() || task->task.agent_id().value() != agentId.value()) continue;
    bool inRoles = roles.empty();
    for (const Resource& resource : task->resources) {
      if (resource.allocationRole() && roles.contains(*resource.allocationRole())) inRoles = true;
    }
    if (!inRoles) continue;
    // Tasks already being preempted (for an earlier call) are not killed twice.
    if (!task->preempted) candidates.push_back(task);
  }
  // Largest first (by the dominant of cpus and mem), so few tasks are killed.
  auto size = [](const TaskRecord* task) {
    return std::max(task->resources.cpus().value_or(0), task->resources.mem().value_or(0) / 1024);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const TaskRecord* a, const TaskRecord* b) { return size(a) > size(b); });
  int killed = 0;
  for (TaskRecord* task : candidates) {
    if (freed.contains(wanted)) break;
    ResourceQuantities after = freed + task->resources.quantities();
    if (!atMost.contains(after)) continue;  // it would free more than the allocator allows
    task->preempted = true;
    freed = std::move(after);
    internal::AgentEvent::KillTask kill;
    kill.set_reason(v1::TaskStatus::REASON_CONTAINER_PREEMPTED);
    kill.set_message("Preempted: the allocator reclaimed " + resources.toString() +
                     " for a higher-priority role");
    sendKill(*framework, *task, *agent, std::move(kill));
    ++killed;
  }
  PLEXUS_LOG(Info) << "Reclaiming " << resources << " (at most " << atMost << ") from framework "
                   << frameworkId << " on agent " << agentId << ": killing " << killed
                   << " task(s)";
}

}  // namespace plexus::master
