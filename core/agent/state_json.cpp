// The agent's read-only endpoints: /state in Mesos's agent layout (frameworks, their
// executors with each sandbox directory, tasks; the completed ones kept as Mesos
// keeps them) and /flags.
#include "api/state_json.hpp"

#include <set>

#include <boost/json.hpp>

#include <plexus/task_state.hpp>
#include <plexus/version.hpp>

#include "agent/agent.hpp"
#include "common/build_info.hpp"
#include "http/types.hpp"

namespace plexus::agent {
namespace {

namespace json = boost::json;
using api::resourcesObject;

double seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

json::object executorObject(const v1::ExecutorInfo& info, const ContainerId& container,
                            const std::string& directory) {
  json::object out{{"id", info.executor_id().value()},
                   {"name", info.name()},
                   {"framework_id", info.framework_id().value()},
                   {"source", info.source()},
                   {"container", container.value()},
                   {"directory", directory},
                   {"type", v1::ExecutorInfo::Type_Name(info.type())},
                   {"resources", resourcesObject(info.resources())}};
  if (info.has_labels()) out["labels"] = api::labelsArray(info.labels());
  return out;
}

json::object frameworkObject(const Framework& framework) {
  const v1::FrameworkInfo& fi = framework.info;
  json::array capabilities, roles;
  for (const auto& capability : fi.capabilities()) {
    capabilities.push_back(
        json::string(v1::FrameworkInfo::Capability::Type_Name(capability.type())));
  }
  for (const auto& role : fi.roles())
    roles.push_back(json::string(role));
  json::object out{{"id", fi.id().value()},
                   {"name", fi.name()},
                   {"user", fi.user()},
                   {"hostname", fi.hostname()},
                   {"principal", fi.principal()},
                   {"failover_timeout", fi.failover_timeout()},
                   {"checkpoint", fi.checkpoint()},
                   {"capabilities", std::move(capabilities)}};
  if (roles.empty())
    out["role"] = fi.role().empty() ? "*" : fi.role();
  else
    out["roles"] = std::move(roles);

  json::array executors, completedExecutors;
  for (const auto& [id, executor] : framework.executors) {
    json::object object = executorObject(executor.info, executor.container, executor.directory);
    std::set<std::string> queuedIds;
    for (const QueuedLaunch& launch : executor.queued) {
      for (const auto& task : launch.tasks.tasks())
        queuedIds.insert(task.task_id().value());
    }
    json::array tasks, queued, completed;
    for (const auto& [taskId, task] : executor.tasks) {
      if (queuedIds.contains(taskId.value()))
        queued.push_back(api::taskObject(task));
      else if (isTerminalState(task.state()))
        completed.push_back(api::taskObject(task));
      else
        tasks.push_back(api::taskObject(task));
    }
    for (const v1::Task& task : executor.completedTasks)
      completed.push_back(api::taskObject(task));
    object["tasks"] = std::move(tasks);
    object["queued_tasks"] = std::move(queued);
    object["completed_tasks"] = std::move(completed);
    executors.push_back(std::move(object));
  }
  for (const CompletedExecutor& executor : framework.completedExecutors) {
    json::object object = executorObject(executor.info, executor.container, executor.directory);
    json::array completed;
    for (const v1::Task& task : executor.tasks)
      completed.push_back(api::taskObject(task));
    for (const v1::Task& task : executor.completedTasks)
      completed.push_back(api::taskObject(task));
    object["tasks"] = json::array();
    object["queued_tasks"] = json::array();
    object["completed_tasks"] = std::move(completed);
    completedExecutors.push_back(std::move(object));
  }
  out["executors"] = std::move(executors);
  out["completed_executors"] = std::move(completedExecutors);
  return out;
}

}  // namespace

std::string Agent::stateJson() const {
  json::object out;
  out["version"] = kMesosApiVersion;
  out["plexus_version"] = kPlexusVersion;
  out["build_date"] = build::kDate;
  out["build_time"] = build::kTime;
  out["build_user"] = build::kUser;
  out["start_time"] = seconds(startTime_);
  out["id"] = agentId_ ? agentId_->value() : "";
  out["pid"] = "slave(1)@" + endpoint_;
  out["hostname"] = info_.hostname();
  out["port"] = info_.port();
  json::array capabilities;
  for (auto capability : kAgentCapabilities)
    capabilities.push_back(json::string(v1::AgentInfo::Capability::Type_Name(capability)));
  out["capabilities"] = std::move(capabilities);
  auto total = Resources::fromWire(info_.resources());
  Resources resources = total ? *total : Resources();
  out["resources"] = resourcesObject(resources);
  out["unreserved_resources"] = resourcesObject(resources.unreserved());
  json::object reserved;
  for (const auto& [role, byRole] : resources.reservations())
    reserved[role] = resourcesObject(byRole);
  out["reserved_resources"] = std::move(reserved);
  out["attributes"] = api::attributesObject(info_.attributes());
  out["master_hostname"] = connected_ ? masterHost_ : "";
  out["flags"] = api::flagsObject(context_.allFlags.values());

  json::array frameworks, completedFrameworks;
  for (const auto& [id, framework] : frameworks_)
    frameworks.push_back(frameworkObject(framework));
  for (const Framework& framework : completedFrameworks_)
    completedFrameworks.push_back(frameworkObject(framework));
  out["frameworks"] = std::move(frameworks);
  out["completed_frameworks"] = std::move(completedFrameworks);
  return http::serializeJson(out);
}

std::string Agent::flagsJson() const {
  return http::serializeJson(json::object{{"flags", api::flagsObject(context_.allFlags.values())}});
}

}  // namespace plexus::agent
