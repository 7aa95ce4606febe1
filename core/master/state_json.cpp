#include "master/state_json.hpp"

#include <boost/json.hpp>

#include <plexus/json.hpp>
#include <plexus/task_state.hpp>
#include <plexus/version.hpp>

#include "common/build_info.hpp"
#include "master/master.hpp"

namespace plexus::master {
namespace {

namespace json = boost::json;

double seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// Mesos writes resources in /state as {"cpus": 4, "mem": 1024, "ports": "[31000-32000]"},
// with cpus, gpus, mem and disk always present.
json::object resourcesObject(const Resources& resources) {
  json::object out{{"cpus", 0.0}, {"gpus", 0.0}, {"mem", 0.0}, {"disk", 0.0}};
  for (const std::string& name : resources.names()) {
    Resources named = resources.named(name);
    std::string key = name;
    if (named.begin() != named.end() && named.begin()->isRevocable()) key += "_revocable";
    if (auto scalar = named.scalar(name)) {
      out[key] = *scalar;
    } else if (auto ranges = named.ranges(name)) {
      std::string text = "[";
      for (size_t i = 0; i < ranges->size(); ++i) {
        text += (i ? ", " : "") + std::to_string((*ranges)[i].begin) + "-" +
                std::to_string((*ranges)[i].end);
      }
      out[key] = text + "]";
    } else if (auto set = named.set(name)) {
      std::string text = "{";
      for (size_t i = 0; i < set->size(); ++i)
        text += (i ? ", " : "") + (*set)[i];
      out[key] = text + "}";
    }
  }
  return out;
}

json::value parsed(const google::protobuf::Message& message) {
  return json::parse(toJson(message));
}


json::object taskObject(const TaskRecord& record) {
  const v1::Task& task = record.task;
  json::object out{{"id", task.task_id().value()},
                   {"name", task.name()},
                   {"framework_id", task.framework_id().value()},
                   {"executor_id", task.executor_id().value()},
                   {"slave_id", task.agent_id().value()},
                   {"state", v1::TaskState_Name(task.state())},
                   {"resources", resourcesObject(*Resources::fromWire(task.resources()))}};
  auto resources = Resources::fromWire(task.resources());
  if (resources && resources->begin() != resources->end() && resources->begin()->allocationRole()) {
    out["role"] = *resources->begin()->allocationRole();
  }
  json::array statuses;
  for (const auto& status : task.statuses()) {
    json::object entry{{"state", v1::TaskState_Name(status.state())},
                       {"timestamp", status.timestamp()}};
    if (status.has_labels()) entry["labels"] = parsed(status.labels()).at("labels");
    if (status.has_container_status())
      entry["container_status"] = parsed(status.container_status());
    statuses.push_back(std::move(entry));
  }
  out["statuses"] = std::move(statuses);
  if (task.has_labels()) out["labels"] = parsed(task.labels()).at("labels");
  if (task.has_container()) out["container"] = parsed(task.container());
  if (task.has_health_check()) out["health_check"] = parsed(task.health_check());
  return out;
}

}  // namespace

std::string StateWriter::state() const {
  const Master& m = master_;
  const v1::MasterInfo& info = m.info_;
  json::object out;
  out["version"] = kMesosApiVersion;
  out["plexus_version"] = kPlexusVersion;
  out["build_date"] = build::kDate;
  out["build_time"] = build::kTime;
  out["build_user"] = build::kUser;
  out["start_time"] = seconds(m.startTime_);
  out["elected_time"] = seconds(m.startTime_);
  out["id"] = info.id();
  out["pid"] = info.pid();
  out["hostname"] = info.hostname();
  out["capabilities"] = json::array{"AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"};
  out["leader"] = info.pid();
  out["leader_info"] = parsed(info);
  if (!m.flags_.cluster.empty()) out["cluster"] = m.flags_.cluster;
  json::object flags;
  for (const auto& [name, value] : m.context_.allFlags.values())
    flags[name] = value;
  out["flags"] = std::move(flags);

  size_t activated = 0, deactivated = 0, unreachable = 0;
  json::array slaves;
  for (const auto& [id, agent] : m.agents_) {
    if (agent->unreachable) {
      unreachable++;
      continue;
    }
    (agent->connected ? activated : deactivated)++;
    Resources used, offered;
    for (const auto& [framework, resources] : agent->used)
      used += resources;
    for (const OfferId& offer : agent->offers)
      offered += m.offers_.at(offer).resources;
    json::object attributes;
    for (const auto& attribute : agent->info.attributes()) {
      if (attribute.has_scalar())
        attributes[attribute.name()] = attribute.scalar().value();
      else if (attribute.has_text())
        attributes[attribute.name()] = attribute.text().value();
      else
        attributes[attribute.name()] = parsed(attribute);
    }
    json::object reserved;
    for (const auto& [role, resources] : agent->total.reservations())
      reserved[role] = resourcesObject(resources);
    std::string ip = agent->endpoint.substr(0, agent->endpoint.rfind(':'));
    slaves.push_back(
        json::object{{"id", id.value()},
                     {"hostname", agent->info.hostname()},
                     {"port", agent->info.port()},
                     {"pid", "slave(1)@" + agent->endpoint},
                     {"attributes", std::move(attributes)},
                     {"registered_time", seconds(agent->registeredTime)},
                     {"resources", resourcesObject(agent->total)},
                     {"used_resources", resourcesObject(used)},
                     {"offered_resources", resourcesObject(offered)},
                     {"reserved_resources", std::move(reserved)},
                     {"unreserved_resources", resourcesObject(agent->total.unreserved())},
                     {"active", agent->connected},
                     {"deactivated", false},
                     {"version", agent->version},
                     {"capabilities", json::array{"MULTI_ROLE", "HIERARCHICAL_ROLE"}}});
    if (agent->reregisteredTime)
      slaves.back().as_object()["reregistered_time"] = seconds(*agent->reregisteredTime);
  }
  out["activated_slaves"] = activated;
  out["deactivated_slaves"] = deactivated;
  out["unreachable_slaves"] = unreachable;
  out["slaves"] = std::move(slaves);
  out["recovered_slaves"] = json::array();

  auto frameworkObject = [&](const FrameworkRecord& framework) {
    const v1::FrameworkInfo& fi = framework.info;
    Resources used, offered;
    for (const auto& [id, agent] : m.agents_) {
      if (auto it = agent->used.find(framework.id); it != agent->used.end()) used += it->second;
    }
    json::array offers;
    for (const OfferId& id : framework.offers) {
      const OfferRecord& offer = m.offers_.at(id);
      offered += offer.resources;
      offers.push_back(json::object{{"id", id.value()},
                                    {"framework_id", framework.id.value()},
                                    {"slave_id", offer.agent.value()},
                                    {"allocation_info", parsed(offer.offer.allocation_info())},
                                    {"resources", resourcesObject(offer.resources)}});
    }
    json::array tasks, completed, unreachableTasks, executors, capabilities, roles;
    for (const auto& [id, task] : framework.tasks)
      tasks.push_back(taskObject(task));
    for (const auto& [id, task] : framework.completedTasks)
      completed.push_back(taskObject(task));
    for (const auto& [id, task] : framework.unreachableTasks)
      unreachableTasks.push_back(taskObject(task));
    for (const auto& [agentId, byId] : framework.executors) {
      for (const auto& [executorId, executor] : byId) {
        json::value value = parsed(executor);
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
    if (fi.has_labels()) object["labels"] = parsed(fi.labels()).at("labels");
    return object;
  };
  json::array frameworks, completedFrameworks;
  for (const auto& [id, framework] : m.frameworks_)
    frameworks.push_back(frameworkObject(*framework));
  for (const auto& [id, framework] : m.completedFrameworks_) {
    completedFrameworks.push_back(frameworkObject(*framework));
  }
  out["frameworks"] = std::move(frameworks);
  out["completed_frameworks"] = std::move(completedFrameworks);
  out["orphan_tasks"] = json::array();
  out["unregistered_frameworks"] = json::array();
  return json::serialize(out);
}

std::string StateWriter::metrics() const {
  const Master& m = master_;
  json::object out;
  out["master/elected"] = 1;
  out["master/uptime_secs"] =
      std::chrono::duration<double>(m.context_.runtime.wallNow() - m.startTime_).count();
  size_t frameworksActive = 0, frameworksConnected = 0;
  for (const auto& [id, framework] : m.frameworks_) {
    frameworksActive += framework->active;
    frameworksConnected += framework->subscription.open();
  }
  out["master/frameworks_active"] = frameworksActive;
  out["master/frameworks_inactive"] = m.frameworks_.size() - frameworksActive;
  out["master/frameworks_connected"] = frameworksConnected;
  out["master/frameworks_disconnected"] = m.frameworks_.size() - frameworksConnected;
  size_t active = 0, unreachable = 0;
  Resources total, used;
  for (const auto& [id, agent] : m.agents_) {
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
  out["master/slaves_inactive"] = m.agents_.size() - active - unreachable;
  out["master/slaves_connected"] = active;
  out["master/slaves_disconnected"] = m.agents_.size() - active - unreachable;
  out["master/slaves_unreachable"] = unreachable;
  for (const char* name : {"cpus", "gpus", "mem", "disk"}) {
    double t = total.scalar(name).value_or(0), u = used.scalar(name).value_or(0);
    out[std::string("master/") + name + "_total"] = t;
    out[std::string("master/") + name + "_used"] = u;
    out[std::string("master/") + name + "_percent"] = t > 0 ? u / t : 0.0;
  }
  std::map<std::string, uint64_t> states;
  for (const char* state : {"staging", "starting", "running", "killing", "unreachable"})
    states[state] = 0;
  for (const auto& [id, framework] : m.frameworks_) {
    for (const auto& [taskId, task] : framework->tasks) {
      states[taskStateMetricName(task.task.state())]++;
    }
    states["unreachable"] += framework->unreachableTasks.size();
  }
  for (const auto& [state, count] : states)
    out["master/tasks_" + state] = count;
  for (const char* state :
       {"finished", "failed", "killed", "lost", "error", "dropped", "gone", "gone_by_operator"}) {
    auto it = m.metrics_.terminalTasks.find(std::string("task_") + state);
    out[std::string("master/tasks_") + state] =
        it == m.metrics_.terminalTasks.end() ? 0 : it->second;
  }
  out["master/outstanding_offers"] = m.offers_.size();
  out["master/slave_registrations"] = m.metrics_.agentRegistrations;
  out["master/slave_reregistrations"] = m.metrics_.agentReregistrations;
  out["master/slave_removals"] = m.metrics_.agentRemovals;
  out["master/valid_status_updates"] = m.metrics_.validStatusUpdates;
  out["master/invalid_status_updates"] = m.metrics_.invalidStatusUpdates;
  out["master/dropped_messages"] = m.metrics_.droppedMessages;
  out["master/event_queue_http_requests"] = 0;
  for (const auto& [call, count] : m.metrics_.schedulerCalls)
    out["master/messages_" + call] = count;
  return json::serialize(out);
}

std::string StateWriter::flags() const {
  json::object flags;
  for (const auto& [name, value] : master_.context_.allFlags.values())
    flags[name] = value;
  return json::serialize(json::object{{"flags", std::move(flags)}});
}

}  // namespace plexus::master
