#include "master/state_json.hpp"

#include <boost/json.hpp>

#include <plexus/json.hpp>
#include <plexus/task_state.hpp>
#include <plexus/version.hpp>

#include "api/state_json.hpp"
#include "common/build_info.hpp"
#include "http/types.hpp"

namespace plexus::master {
namespace {

namespace json = boost::json;
using api::messageValue;
using api::resourcesObject;

double seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// A reachable agent as /state shows it.
json::object agentObject(const MasterView& m, const AgentRecord& agent) {
  Resources used, offered;
  for (const auto& [framework, resources] : agent.used)
    used += resources;
  for (const OfferId& offer : agent.offers)
    offered += m.offers.all().at(offer).resources;
  json::object reserved;
  for (const auto& [role, resources] : agent.total.reservations())
    reserved[role] = resourcesObject(resources);
  json::array capabilities;
  for (const auto& capability : agent.capabilities) {
    capabilities.push_back(json::string(v1::AgentInfo::Capability::Type_Name(capability.type())));
  }
  json::object object{{"id", agent.id.value()},
                      {"hostname", agent.info.hostname()},
                      {"port", agent.info.port()},
                      {"pid", "slave(1)@" + agent.endpoint},
                      {"attributes", api::attributesObject(agent.info.attributes())},
                      {"registered_time", seconds(agent.registeredTime)},
                      {"resources", resourcesObject(agent.total)},
                      {"used_resources", resourcesObject(used)},
                      {"offered_resources", resourcesObject(offered)},
                      {"reserved_resources", std::move(reserved)},
                      {"unreserved_resources", resourcesObject(agent.total.unreserved())},
                      {"active", agent.connected},
                      {"deactivated", false},
                      {"version", agent.version},
                      {"capabilities", capabilities}};
  if (agent.reregisteredTime) object["reregistered_time"] = seconds(*agent.reregisteredTime);
  return object;
}

// A framework as /state shows it.
json::object frameworkObject(const MasterView& m, const FrameworkRecord& framework) {
  const v1::FrameworkInfo& fi = framework.info;
  Resources used, offered;
  for (const auto& [id, agent] : m.agents.all()) {
    if (auto it = agent->used.find(framework.id); it != agent->used.end()) used += it->second;
  }
  json::array offers;
  for (const OfferId& id : framework.offers) {
    const OfferRecord& offer = m.offers.all().at(id);
    offered += offer.resources;
    offers.push_back(json::object{{"id", id.value()},
                                  {"framework_id", framework.id.value()},
                                  {"slave_id", offer.agent.value()},
                                  {"allocation_info", messageValue(offer.offer.allocation_info())},
                                  {"resources", resourcesObject(offer.resources)}});
  }
  json::array tasks, completed, unreachableTasks, executors, capabilities, roles;
  for (const auto& [id, task] : framework.tasks.active())
    tasks.push_back(api::taskObject(task.task));
  for (const auto& [id, task] : framework.tasks.completed())
    completed.push_back(api::taskObject(task.task));
  for (const auto& [id, task] : framework.tasks.unreachable())
    unreachableTasks.push_back(api::taskObject(task.task));
  for (const auto& [agentId, byId] : framework.executors) {
    for (const auto& [executorId, executor] : byId) {
      json::value value = messageValue(executor);
      value.as_object()["slave_id"] = agentId.value();
      executors.push_back(std::move(value));
    }
  }
  for (const auto& capability : fi.capabilities()) {
    capabilities.push_back(
        json::string(v1::FrameworkInfo::Capability::Type_Name(capability.type())));
  }
  json::object object{{"id", framework.id.value()},
                      {"name", fi.name()},
                      {"user", fi.user()},
                      {"hostname", fi.hostname()},
                      {"webui_url", fi.webui_url()},
                      {"principal", fi.principal()},
                      {"failover_timeout", fi.failover_timeout()},
                      {"checkpoint", fi.checkpoint()},
                      {"capabilities", std::move(capabilities)},
                      {"active", framework.active},
                      {"connected", framework.subscription.open()},
                      {"recovered", false},
                      {"registered_time", seconds(framework.registeredTime)},
                      {"resources", resourcesObject(used + offered)},
                      {"used_resources", resourcesObject(used)},
                      {"offered_resources", resourcesObject(offered)},
                      {"tasks", std::move(tasks)},
                      {"completed_tasks", std::move(completed)},
                      {"unreachable_tasks", std::move(unreachableTasks)},
                      {"offers", std::move(offers)},
                      {"executors", std::move(executors)}};
  if (framework.hasCapability(v1::FrameworkInfo::Capability::MULTI_ROLE)) {
    for (const auto& role : fi.roles())
      roles.push_back(json::string(role));
    object["roles"] = std::move(roles);
  } else {
    object["role"] = fi.role();
  }
  if (framework.unregisteredTime)
    object["unregistered_time"] = seconds(*framework.unregisteredTime);
  if (fi.has_labels()) object["labels"] = api::labelsArray(fi.labels());
  return object;
}

}  // namespace

std::string StateWriter::state() const {
  const MasterView m = master_.view();
  const v1::MasterInfo& info = m.info;
  json::object out;
  out["version"] = kMesosApiVersion;
  out["plexus_version"] = kPlexusVersion;
  out["build_date"] = build::kDate;
  out["build_time"] = build::kTime;
  out["build_user"] = build::kUser;
  out["start_time"] = seconds(m.startTime);
  if (m.elected && m.electedTime) out["elected_time"] = seconds(*m.electedTime);
  out["id"] = info.id();
  out["pid"] = info.pid();
  out["hostname"] = info.hostname();
  out["capabilities"] = json::array{"AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"};
  if (m.leader) {
    out["leader"] = m.leader->pid();
    out["leader_info"] = messageValue(*m.leader);
  }
  if (!m.flags.cluster.empty()) out["cluster"] = m.flags.cluster;
  out["flags"] = api::flagsObject(m.allFlags.values());

  size_t activated = 0, deactivated = 0;
  json::array slaves;
  for (const auto& [id, agent] : m.agents.all()) {
    if (agent->unreachable) continue;
    (agent->connected ? activated : deactivated)++;
    slaves.push_back(agentObject(m, *agent));
  }
  out["activated_slaves"] = activated;
  out["deactivated_slaves"] = deactivated;
  out["unreachable_slaves"] = master_.unreachableAgentCount();
  out["slaves"] = std::move(slaves);
  // Admitted in the registry, not re-registered since the election.
  json::array recovered;
  for (const auto& [id, info] : m.agents.awaited())
    recovered.push_back(messageValue(info));
  out["recovered_slaves"] = std::move(recovered);

  json::array frameworks, completedFrameworks;
  for (const auto& [id, framework] : m.frameworks.registered())
    frameworks.push_back(frameworkObject(m, *framework));
  for (const auto& [id, framework] : m.frameworks.completed()) {
    completedFrameworks.push_back(frameworkObject(m, *framework));
  }
  out["frameworks"] = std::move(frameworks);
  out["completed_frameworks"] = std::move(completedFrameworks);
  out["orphan_tasks"] = json::array();
  out["unregistered_frameworks"] = json::array();
  return http::serializeJson(out);
}

std::string StateWriter::metrics() const {
  const MasterView m = master_.view();
  json::object out;
  out["master/elected"] = m.elected ? 1 : 0;
  out["master/uptime_secs"] = std::chrono::duration<double>(m.now - m.startTime).count();
  // How long this master has led; 0 while a standby.
  out["master/elected_secs"] = m.elected && m.electedTime
                                   ? std::chrono::duration<double>(m.now - *m.electedTime).count()
                                   : 0.0;
  out["master/leader_changes"] = m.metrics.leaderChanges;
  out["master/redirects"] = m.metrics.redirects;
  size_t frameworksActive = 0, frameworksConnected = 0;
  for (const auto& [id, framework] : m.frameworks.registered()) {
    frameworksActive += framework->active;
    frameworksConnected += framework->subscription.open();
  }
  out["master/frameworks_active"] = frameworksActive;
  out["master/frameworks_inactive"] = m.frameworks.registered().size() - frameworksActive;
  out["master/frameworks_connected"] = frameworksConnected;
  out["master/frameworks_disconnected"] = m.frameworks.registered().size() - frameworksConnected;
  size_t active = 0, unreachable = 0;
  Resources total, used;
  for (const auto& [id, agent] : m.agents.all()) {
    if (agent->unreachable) {
      unreachable++;
      continue;
    }
    active += agent->connected;
    total += agent->total;
    for (const auto& [framework, resources] : agent->used)
      used += resources;
  }
  out["master/slaves_active"] = active;
  out["master/slaves_inactive"] = m.agents.all().size() - active - unreachable;
  out["master/slaves_connected"] = active;
  out["master/slaves_disconnected"] = m.agents.all().size() - active - unreachable;
  if (m.registrar) {
    out["registrar/queued_operations"] = m.registrar->queuedChanges();
    out["registrar/registry_size_bytes"] = m.registrar->storedBytes();
    if (auto time = m.registrar->lastWriteTime())
      out["registrar/state_store_ms"] = std::chrono::duration<double, std::milli>(*time).count();
  }
  out["master/slaves_unreachable"] = master_.unreachableAgentCount();
  for (const char* name : {"cpus", "gpus", "mem", "disk"}) {
    double t = total.scalar(name).value_or(0), u = used.scalar(name).value_or(0);
    out[std::string("master/") + name + "_total"] = t;
    out[std::string("master/") + name + "_used"] = u;
    out[std::string("master/") + name + "_percent"] = t > 0 ? u / t : 0.0;
  }
  std::map<std::string, uint64_t> states;
  for (const char* state : {"staging", "starting", "running", "killing", "unreachable"})
    states[state] = 0;
  for (const auto& [id, framework] : m.frameworks.registered()) {
    for (const auto& [taskId, task] : framework->tasks.active()) {
      states[taskStateMetricName(task.task.state())]++;
    }
    states["unreachable"] += framework->tasks.unreachable().size();
  }
  for (const auto& [state, count] : states)
    out["master/tasks_" + state] = count;
  for (const char* state :
       {"finished", "failed", "killed", "lost", "error", "dropped", "gone", "gone_by_operator"}) {
    auto it = m.metrics.terminalTasks.find(std::string("task_") + state);
    out[std::string("master/tasks_") + state] =
        it == m.metrics.terminalTasks.end() ? 0 : it->second;
  }
  out["master/outstanding_offers"] = m.offers.all().size();
  out["master/slave_registrations"] = m.metrics.agentRegistrations;
  out["master/slave_reregistrations"] = m.metrics.agentReregistrations;
  out["master/slave_removals"] = m.metrics.agentRemovals;
  out["master/valid_status_updates"] = m.metrics.validStatusUpdates;
  out["master/invalid_status_updates"] = m.metrics.invalidStatusUpdates;
  out["master/dropped_messages"] = m.metrics.droppedMessages;
  out["master/event_queue_http_requests"] = 0;
  for (const auto& [call, count] : m.metrics.schedulerCalls)
    out["master/messages_" + call] = count;
  return http::serializeJson(out);
}

std::string StateWriter::flags() const {
  return http::serializeJson(
      json::object{{"flags", api::flagsObject(master_.view().allFlags.values())}});
}

}  // namespace plexus::master
