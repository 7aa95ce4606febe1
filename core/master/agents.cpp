// Agents: registration, re-registration, pings, disconnection and unreachability.
#include <plexus/logging.hpp>

#include "api/v1_encoding.hpp"
#include "master/master.hpp"

namespace plexus::master {

AgentRecord* Master::findAgent(const AgentId& id) {
  return agents_.find(id);
}

Result<AgentId> Master::registerAgent(const internal::AgentCall& call, Subscription subscription) {
  bool reregister = call.type() == internal::AgentCall::REREGISTER;
  v1::AgentInfo info = reregister ? call.reregister().agent_info() : call.register_().agent_info();
  const std::string& endpoint =
      reregister ? call.reregister().endpoint() : call.register_().endpoint();
  auto total = Resources::fromWire(info.resources());
  if (!total) return fail(total.error().context("agent resources"));

  AgentRecord* agent = nullptr;
  if (reregister && info.has_id()) agent = findAgent(AgentId::fromWire(info.id()));
  const bool known = agent != nullptr && !agent->unreachable;
  if (!reregister) removeAgentsAt(endpoint);  // a restarted agent that starts afresh
  std::string rejoined = reregister && info.has_id() ? rejoinReason(info, agent) : "";
  if (agent == nullptr) {
    AgentId id =
        reregister && info.has_id() ? AgentId::fromWire(info.id()) : agents_.mint(info_.id());
    id.toWire(info.mutable_id());
    agent = &agents_.add(id, context_.runtime.wallNow());
  } else {
    // The same agent again: drop what the master offered on the old connection.
    rescindOffersOf(agent->id);
    allocator_.removeAgent(agent->id);
    if (agent->pingTimer) context_.runtime.cancel(*agent->pingTimer);
    if (agent->subscription.open()) agent->subscription.stream->close();
    agent->reregisteredTime = context_.runtime.wallNow();
  }
  agent->info = info;
  agent->endpoint = endpoint;
  agent->version = reregister ? call.reregister().version() : call.register_().version();
  const auto& capabilities =
      reregister ? call.reregister().capabilities() : call.register_().capabilities();
  agent->capabilities.assign(capabilities.begin(), capabilities.end());
  agent->total = *total;
  agent->subscription = std::move(subscription);
  agent->connected = true;
  agent->unreachable = false;
  agent->missedPings = 0;

  if (reregister) {
    metrics_.agentReregistrations++;
    adoptReregisteredState(*agent, call.reregister());
    if (known) reconcileReregisteredTasks(agent->id, call.reregister());
  } else {
    metrics_.agentRegistrations++;
  }
  agents_.arrived(agent->id);

  // REGISTERED only once the registry holds the agent: it is then admitted for good.
  AgentId id = agent->id;
  std::string streamId = agent->subscription.streamId;
  admitAgent(*agent, [this, id, streamId, reregister, rejoined] {
    finishRegistration(id, streamId, reregister, rejoined);
  });
  return id;
}

std::string Master::rejoinReason(const v1::AgentInfo& info, const AgentRecord* known) const {
  // As Mesos: an agent that comes back from unreachable, or that this master never
  // knew (neither registered nor awaited from the registry), has its tasks announced.
  AgentId claimed = AgentId::fromWire(info.id());
  if ((known != nullptr && known->unreachable) || unreachableInRegistry(claimed))
    return "Unreachable agent re-reregistered";  // sic, Mesos's words
  if (known == nullptr && !agents_.awaiting(claimed)) return "Unknown agent reregistered";
  return "";
}

void Master::adoptReregisteredState(AgentRecord& agent,
                                    const internal::AgentCall::Reregister& reregister) {
  // Adopt the tasks the agent still runs (soft state).
  agent.used.clear();
  // Frameworks this master does not know (it was elected after they subscribed
  // elsewhere) come back from the agents, inactive until they re-subscribe.
  for (const v1::FrameworkInfo& framework : reregister.frameworks())
    recoverFramework(framework, "a re-registering agent");
  for (const v1::ExecutorInfo& executor : reregister.executors()) {
    FrameworkRecord* framework = findFramework(FrameworkId::fromWire(executor.framework_id()));
    if (framework != nullptr)
      framework->executors[agent.id][ExecutorId::fromWire(executor.executor_id())] = executor;
  }
  for (const v1::Task& task : reregister.tasks()) {
    FrameworkRecord* framework = findFramework(FrameworkId::fromWire(task.framework_id()));
    auto resources = Resources::fromWire(task.resources());
    if (resources) agent.used[FrameworkId::fromWire(task.framework_id())] += *resources;
    if (framework == nullptr) continue;
    TaskRecord& record = framework->tasks.adopt(TaskId::fromWire(task.task_id()));
    record.task = task;
    agent.id.toWire(record.task.mutable_agent_id());
    if (resources) record.resources = *resources;
  }
}

void Master::finishRegistration(const AgentId& id, const std::string& streamId, bool reregister,
                                const std::string& rejoined) {
  AgentRecord* agent = findAgent(id);
  // A newer registration of the same agent (or its removal) supersedes this one.
  if (agent == nullptr || agent->subscription.streamId != streamId || agent->unreachable) return;
  allocator_.addAgent(agent->id, agent->info, std::nullopt, agent->total, agent->used);
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::REGISTERED);
  id.toWire(event.mutable_registered()->mutable_agent_id());
  *event.mutable_registered()->mutable_master_info() = info_;
  event.mutable_registered()->set_ping_interval_seconds(
      std::chrono::duration<double>(flags_.agentPingTimeoutValue).count());
  event.mutable_registered()->set_max_ping_timeouts(flags_.maxAgentPingTimeoutsValue);
  sendToAgent(*agent, event);
  agent->pingTimer =
      context_.runtime.schedule(flags_.agentPingTimeoutValue, [this, id] { pingAgent(id); });
  PLEXUS_LOG(Info) << "Agent " << id << " at " << agent->endpoint << " (" << agent->info.hostname()
                   << ") " << (reregister ? "re-registered" : "registered") << " with "
                   << agent->total;
  if (!rejoined.empty()) announceRejoinedTasks(*agent, rejoined);
  if (!agent->subscription.open()) {
    // It went away while the registry was written: it is disconnected now.
    agentDisconnected(id, streamId);
    return;
  }
  agent->subscription.stream->onDisconnect(
      [this, id, streamId] { agentDisconnected(id, streamId); });
}

void Master::sendToAgent(AgentRecord& agent, const internal::AgentEvent& event) {
  if (!agent.subscription.open()) {
    metrics_.droppedMessages++;
    return;
  }
  agent.subscription.stream->write(api::encodeRecord(event, api::Encoding::kProtobuf));
}

void Master::pingAgent(const AgentId& id) {
  AgentRecord* agent = findAgent(id);
  if (agent == nullptr || agent->unreachable) return;
  agent->pingTimer.reset();
  if (agent->missedPings >= flags_.maxAgentPingTimeoutsValue) {
    markUnreachable(id);
    return;
  }
  agent->missedPings++;
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::PING);
  sendToAgent(*agent, event);
  agent->pingTimer =
      context_.runtime.schedule(flags_.agentPingTimeoutValue, [this, id] { pingAgent(id); });
}

void Master::agentPonged(AgentRecord& agent) {
  agent.missedPings = 0;
}

void Master::agentDisconnected(const AgentId& id, const std::string& streamId) {
  AgentRecord* agent = findAgent(id);
  if (agent == nullptr || agent->subscription.streamId != streamId) return;
  PLEXUS_LOG(Info) << "Agent " << id << " (" << agent->info.hostname()
                   << ") disconnected; it is unreachable unless it re-registers within "
                   << formatDuration(flags_.agentPingTimeoutValue *
                                     flags_.maxAgentPingTimeoutsValue);
  agent->connected = false;
  agent->subscription.stream.reset();
  rescindOffersOf(id);
  allocator_.deactivateAgent(id);
}

void Master::markUnreachable(const AgentId& id) {
  AgentRecord* agent = findAgent(id);
  if (agent == nullptr || agent->unreachable) return;
  PLEXUS_LOG(Warning) << "Agent " << id << " (" << agent->info.hostname() << ") missed "
                      << agent->missedPings << " pings: marking it unreachable";
  agent->unreachable = true;
  agent->connected = false;
  metrics_.agentRemovals++;
  if (agent->pingTimer) context_.runtime.cancel(*agent->pingTimer);
  agent->pingTimer.reset();
  rescindOffersOf(id);
  allocator_.removeAgent(id);
  hooks_.masterAgentLost(agent->info);
  // The frameworks hear of its tasks once the registry says it is unreachable.
  markUnreachableInRegistry({agent->info}, [this, id] { reportUnreachableTasks(id); });
}

void Master::reportUnreachableTasks(const AgentId& id) {
  AgentRecord* agent = findAgent(id);
  if (agent == nullptr || !agent->unreachable) return;  // re-registered meanwhile
  for (const auto& [frameworkId, framework] : frameworks_.registered()) {
    std::vector<TaskId> lost;
    for (const auto& [taskId, task] : framework->tasks.active()) {
      if (task.task.agent_id().value() == id.value()) lost.push_back(taskId);
    }
    for (const TaskId& taskId : lost) {
      v1::TaskState state = framework->partitionAware() ? v1::TASK_UNREACHABLE : v1::TASK_LOST;
      framework->tasks.markUnreachable(taskId, state);
      v1::TaskID wireId;
      taskId.toWire(&wireId);
      sendMasterUpdate(*framework, wireId, id, state, v1::TaskStatus::REASON_AGENT_REMOVED,
                       "Agent " + id.value() + " is unreachable");
    }
  }
  agent->used.clear();
}

void Master::announceRejoinedTasks(const AgentRecord& agent, const std::string& message) {
  for (const auto& [frameworkId, framework] : frameworks_.registered()) {
    for (const auto& [taskId, record] : framework->tasks.active()) {
      const v1::Task& task = record.task;
      if (task.agent_id().value() != agent.id.value()) continue;
      v1::scheduler::Event event;
      event.set_type(v1::scheduler::Event::UPDATE);
      v1::TaskStatus* status = event.mutable_update()->mutable_status();
      // The health, check and container status the task last reported go along.
      if (task.statuses_size() > 0) {
        const v1::TaskStatus& latest = *task.statuses().rbegin();
        if (latest.has_healthy()) status->set_healthy(latest.healthy());
        if (latest.has_check_status()) *status->mutable_check_status() = latest.check_status();
        if (latest.has_container_status())
          *status->mutable_container_status() = latest.container_status();
      }
      *status->mutable_task_id() = task.task_id();
      status->set_state(task.state());
      status->set_source(v1::TaskStatus::SOURCE_MASTER);
      status->set_reason(v1::TaskStatus::REASON_AGENT_REREGISTERED);
      status->set_message(message);
      status->set_timestamp(
          std::chrono::duration<double>(context_.runtime.wallNow().time_since_epoch()).count());
      *status->mutable_agent_id() = task.agent_id();
      if (task.has_executor_id()) *status->mutable_executor_id() = task.executor_id();
      PLEXUS_LOG(Info) << "Announcing task " << taskId << " of framework " << frameworkId << " ("
                       << v1::TaskState_Name(task.state()) << ") on agent " << agent.id << ": "
                       << message;
      sendEvent(*framework, event);
    }
  }
}

void Master::executorExited(AgentRecord& agent, const internal::AgentCall::ExecutorExited& exited) {
  FrameworkId frameworkId = FrameworkId::fromWire(exited.framework_id());
  ExecutorId executorId = ExecutorId::fromWire(exited.executor_id());
  PLEXUS_LOG(Info) << "Executor " << executorId << " of framework " << frameworkId << " on agent "
                   << agent.id << " exited with status " << exited.status();
  FrameworkRecord* framework = findFramework(frameworkId);
  if (framework == nullptr) return;
  auto executors = framework->executors.find(agent.id);
  auto executor = executors != framework->executors.end()
                      ? executors->second.find(executorId)
                      : std::map<ExecutorId, v1::ExecutorInfo>::iterator();
  if (executors == framework->executors.end() || executor == executors->second.end()) {
    // As Mesos: only the framework's own executors are reported (FAILURE); the one
    // an agent made for a command task is not the framework's.
    PLEXUS_LOG(Info) << "Ignoring the exit of unknown executor " << executorId;
    return;
  }
  auto resources = Resources::fromWire(executor->second.resources());
  if (resources && !resources->empty()) {
    agent.used[frameworkId] -= *resources;
    allocator_.recoverResources(frameworkId, agent.id, *resources, std::nullopt, true);
  }
  executors->second.erase(executor);
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::FAILURE);
  agent.id.toWire(event.mutable_failure()->mutable_agent_id());
  executorId.toWire(event.mutable_failure()->mutable_executor_id());
  event.mutable_failure()->set_status(exited.status());
  sendEvent(*framework, event);
}

void Master::executorMessage(AgentRecord& agent, const internal::AgentCall::Message& message) {
  FrameworkRecord* framework = findFramework(FrameworkId::fromWire(message.framework_id()));
  if (framework == nullptr) return;
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::MESSAGE);
  agent.id.toWire(event.mutable_message()->mutable_agent_id());
  *event.mutable_message()->mutable_executor_id() = message.executor_id();
  event.mutable_message()->set_data(message.data());
  sendEvent(*framework, event);
}

}  // namespace plexus::master
