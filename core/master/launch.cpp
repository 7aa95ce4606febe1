// LAUNCH and LAUNCH_GROUP, in steps: gather the tasks and the executor, authorise
// and validate each task against what is left of the offers, decide a group's
// fate as one, then record and send what launches and TASK_ERROR what does not.
#include <plexus/logging.hpp>

#include "master/master.hpp"
#include "master/validation.hpp"

namespace plexus::master {

// What one LAUNCH or LAUNCH_GROUP asks for, and the verdict on each task.
struct LaunchPlan {
  bool group = false;
  std::vector<v1::TaskInfo> tasks;
  // The group's executor (framework_id filled in); none for LAUNCH.
  std::optional<v1::ExecutorInfo> executor;
  // The user the group's executor runs as: the built-in executor runs its tasks as it.
  std::string groupExecutorUser;
  Resources executorResources;  // the group's executor's, when it is new on the agent
  std::vector<Resources> needs;
  std::vector<std::string> errors;  // "" for a valid task
  std::vector<bool> unauthorized;
  std::string groupError;  // a group launches all or nothing
  bool groupUnauthorized = false;
  Resources total;  // what the valid tasks (and new executors) take

  // The executor task `i` runs under, if any (custom, or the group's).
  const v1::ExecutorInfo* executorOf(size_t i) const {
    if (group) return &*executor;
    return tasks[i].has_executor() ? &tasks[i].executor() : nullptr;
  }
  const std::string& errorOf(size_t i) const { return group ? groupError : errors[i]; }
};

namespace {

bool executorLaunched(const FrameworkRecord& framework, const AgentId& agent,
                      const v1::ExecutorInfo& info) {
  auto on = framework.executors.find(agent);
  return on != framework.executors.end() &&
         on->second.count(ExecutorId::fromWire(info.executor_id())) > 0;
}

// Why `task` is invalid on `agent` (Mesos's validation, and what Plexus does not
// honour), or ""; its resources go to *need.
std::string taskInvalidity(const FrameworkRecord& framework, const AgentRecord& agent,
                           const v1::TaskInfo& task, bool group,
                           const std::string& groupExecutorUser, std::set<std::string>* idsInCall,
                           Resources* need) {
  TaskId id = TaskId::fromWire(task.task_id());
  if (id.empty()) return "Task ID is empty";
  if (!idsInCall->insert(id.value()).second)
    return "Task ID '" + id.value() + "' is duplicated in this call";
  if (framework.tasks.active().count(id) > 0)
    return "Task ID '" + id.value() + "' is already in use";
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
}

// The group's executor: its own validity, and its resources when it is new.
void checkGroupExecutor(const FrameworkRecord& framework, const AgentRecord& agent,
                        LaunchPlan* plan) {
  v1::ExecutorInfo& executor = *plan->executor;
  if (!executor.has_framework_id()) framework.id.toWire(executor.mutable_framework_id());
  auto resources = Resources::fromWire(executor.resources());
  if (auto supported = validation::executorSupported(executor); !supported)
    plan->groupError = supported.error().message();
  else if (!resources)
    plan->groupError = "Invalid executor resources: " + resources.error().message();
  else if (!executorLaunched(framework, agent.id, executor))
    plan->executorResources = *resources;
}

// A group launches all or nothing; an unauthorised task speaks for the group
// before the executor's or another task's invalidity does (authorisation first).
void decideGroup(LaunchPlan* plan) {
  for (size_t i = 0; i < plan->errors.size(); ++i) {
    if (plan->unauthorized[i] && !plan->groupUnauthorized) {
      plan->groupError = plan->errors[i];
      plan->groupUnauthorized = true;
    }
  }
  for (size_t i = 0; i < plan->errors.size(); ++i) {
    if (!plan->errors[i].empty() && plan->groupError.empty()) plan->groupError = plan->errors[i];
  }
}

v1::TaskStatus::Reason refusalReason(const LaunchPlan& plan, size_t i) {
  if (plan.group) {
    return plan.groupUnauthorized ? v1::TaskStatus::REASON_TASK_GROUP_UNAUTHORIZED
                                  : v1::TaskStatus::REASON_TASK_GROUP_INVALID;
  }
  return plan.unauthorized[i] ? v1::TaskStatus::REASON_TASK_UNAUTHORIZED
                              : v1::TaskStatus::REASON_TASK_INVALID;
}

// The master's record of a task it launches.
TaskRecord taskRecord(const FrameworkRecord& framework, const AgentRecord& agent,
                      const v1::TaskInfo& task, const Resources& need) {
  TaskRecord record;
  record.resources = need;
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
  return record;
}

}  // namespace

void Master::launch(FrameworkRecord& framework, AgentRecord& agent,
                    const v1::Offer::Operation& operation, Resources* available) {
  LaunchPlan plan = planLaunch(framework, agent, operation, *available);
  checkTasks(framework, agent, *available, &plan);
  if (plan.group) decideGroup(&plan);
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    if (!plan.errorOf(i).empty()) {
      refuseTask(framework, agent, plan, i);
    } else {
      addTask(framework, agent, plan, i);
    }
  }
  *available -= plan.total;
  if (plan.group && plan.groupError.empty()) {
    sendRunTaskGroup(framework, agent, plan);
  } else if (plan.group) {
    *available += plan.total;  // Nothing of the group launched.
  }
}

LaunchPlan Master::planLaunch(FrameworkRecord& framework, AgentRecord& agent,
                              const v1::Offer::Operation& operation, const Resources& available) {
  LaunchPlan plan;
  plan.group = operation.type() == v1::Offer::Operation::LAUNCH_GROUP;
  const auto& tasks =
      plan.group ? operation.launch_group().task_group().tasks() : operation.launch().task_infos();
  plan.tasks.assign(tasks.begin(), tasks.end());
  // As Mesos: the resource decorators run before validation, on the offered resources.
  for (v1::TaskInfo& task : plan.tasks)
    hooks_.masterLaunchTaskResources(task, available);
  const v1::ExecutorInfo& groupExecutor = operation.launch_group().executor();
  plan.groupExecutorUser =
      groupExecutor.command().has_user() ? groupExecutor.command().user() : framework.info.user();
  if (plan.group) {
    plan.executor = groupExecutor;
    checkGroupExecutor(framework, agent, &plan);
  }
  plan.total = plan.executorResources;
  plan.needs.resize(plan.tasks.size());
  plan.errors.resize(plan.tasks.size());
  plan.unauthorized.assign(plan.tasks.size(), false);
  return plan;
}

void Master::checkTasks(const FrameworkRecord& framework, const AgentRecord& agent,
                        const Resources& available, LaunchPlan* plan) const {
  std::set<std::string> idsInCall;
  // A new executor shared by several tasks of this call is charged once, to the
  // first valid task that names it (as Mesos).
  std::set<ExecutorId> executorsCharged;
  for (size_t i = 0; i < plan->tasks.size(); ++i) {
    const v1::TaskInfo& task = plan->tasks[i];
    std::string& error = plan->errors[i];
    Resources& need = plan->needs[i];
    // As Mesos: a launch is authorised before it is validated, so a task whose users
    // the ACLs refuse is TASK_UNAUTHORIZED whatever else is wrong with it.
    if (auto refused = authorizeTask(framework, task, plan->executorOf(i))) {
      error = *refused;
      plan->unauthorized[i] = true;
    } else {
      error = taskInvalidity(framework, agent, task, plan->group, plan->groupExecutorUser,
                             &idsInCall, &need);
    }
    std::optional<ExecutorId> charged;
    if (error.empty() && !plan->group && task.has_executor()) {
      auto resources = Resources::fromWire(task.executor().resources());
      ExecutorId executorId = ExecutorId::fromWire(task.executor().executor_id());
      if (!resources) {
        error = "Invalid executor resources: " + resources.error().message();
      } else if (!executorLaunched(framework, agent.id, task.executor()) &&
                 !executorsCharged.contains(executorId)) {
        need += *resources;
        charged = executorId;
      }
    }
    if (error.empty() && !available.contains(plan->total + need)) {
      error = "Task uses more resources (" + need.toString() + ") than available (" +
              (available - plan->total).toString() + ")";
    }
    if (error.empty()) {
      plan->total += need;
      if (charged) executorsCharged.insert(*charged);
    }
  }
}

void Master::refuseTask(FrameworkRecord& framework, const AgentRecord& agent,
                        const LaunchPlan& plan, size_t i) {
  const v1::TaskInfo& task = plan.tasks[i];
  PLEXUS_LOG(Info) << "Task " << task.task_id().value() << " of framework " << framework.id
                   << " is invalid: " << plan.errorOf(i);
  sendMasterUpdate(framework, task.task_id(), agent.id, v1::TASK_ERROR, refusalReason(plan, i),
                   plan.errorOf(i));
}

void Master::addTask(FrameworkRecord& framework, AgentRecord& agent, LaunchPlan& plan, size_t i) {
  // Decorated in place: a group's RUN_TASK_GROUP carries the labels too.
  v1::TaskInfo& task = plan.tasks[i];
  hooks_.masterLaunchTaskLabels(task, framework.info, agent.info);
  TaskId id = TaskId::fromWire(task.task_id());
  TaskRecord record = taskRecord(framework, agent, task, plan.needs[i]);
  if (const v1::ExecutorInfo* executor = plan.executorOf(i)) {
    *record.task.mutable_executor_id() = executor->executor_id();
    record.executor = ExecutorId::fromWire(executor->executor_id());
    v1::ExecutorInfo info = *executor;
    if (!info.has_framework_id()) framework.id.toWire(info.mutable_framework_id());
    framework.executors[agent.id].emplace(*record.executor, info);
  }
  framework.tasks.launch(id, std::move(record));
  agent.used[framework.id] += plan.needs[i];
  if (plan.group) return;  // The group goes out as one RUN_TASK_GROUP.
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK);
  auto* run = event.mutable_run_task();
  *run->mutable_framework_info() = framework.info;
  if (task.has_executor()) {
    *run->mutable_executor_info() = task.executor();
    framework.id.toWire(run->mutable_executor_info()->mutable_framework_id());
  }
  *run->mutable_task() = task;
  sendToAgent(agent, event);
  PLEXUS_LOG(Info) << "Launching task " << id << " of framework " << framework.id << " on agent "
                   << agent.id << " with " << plan.needs[i];
}

void Master::sendRunTaskGroup(FrameworkRecord& framework, AgentRecord& agent,
                              const LaunchPlan& plan) {
  agent.used[framework.id] += plan.executorResources;
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK_GROUP);
  *event.mutable_run_task_group()->mutable_framework_info() = framework.info;
  *event.mutable_run_task_group()->mutable_executor_info() = *plan.executor;
  for (const auto& task : plan.tasks)
    *event.mutable_run_task_group()->mutable_task_group()->add_tasks() = task;
  sendToAgent(agent, event);
  PLEXUS_LOG(Info) << "Launching a group of " << plan.tasks.size() << " tasks of framework "
                   << framework.id << " on agent " << agent.id;
}

}  // namespace plexus::master
