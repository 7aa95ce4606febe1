#include "hooks/hook_chain.hpp"

#include <plexus/logging.hpp>

namespace plexus::hooks {
namespace {

void logFailure(const NamedHook& hook, std::string_view point, const std::string& subject,
                const Error& error) {
  PLEXUS_LOG(Warning) << "Hook '" << hook.name << "' failed in " << point << " for " << subject
                      << ": " << error.message() << " (left unchanged; the task goes on)";
}

std::string taskSubject(const v1::TaskInfo& task) {
  return "task " + task.task_id().value();
}

}  // namespace

HookChain::HookChain(const std::vector<std::string>& names, const std::vector<Hook*>& hooks) {
  for (std::size_t i = 0; i < hooks.size() && i < names.size(); ++i)
    hooks_.push_back({names[i], hooks[i]});
}

void HookChain::masterLaunchTaskLabels(v1::TaskInfo& task, const v1::FrameworkInfo& framework,
                                       const v1::AgentInfo& agent) const {
  for (const NamedHook& hook : hooks_) {
    auto labels = hook.hook->masterLaunchTaskLabelDecorator(task, framework, agent);
    if (!labels)
      logFailure(hook, "the master's task label decorator", taskSubject(task), labels.error());
    else if (*labels)
      *task.mutable_labels() = std::move(**labels);
  }
}

void HookChain::masterLaunchTaskResources(v1::TaskInfo& task,
                                          const Resources& agentResources) const {
  for (const NamedHook& hook : hooks_) {
    auto resources = hook.hook->masterLaunchTaskResourceDecorator(task, agentResources);
    if (!resources) {
      logFailure(hook, "the master's task resource decorator", taskSubject(task),
                 resources.error());
    } else if (*resources) {
      task.clear_resources();
      (*resources)->toWire(task.mutable_resources());
    }
  }
}

void HookChain::masterAgentLost(const v1::AgentInfo& agent) const {
  for (const NamedHook& hook : hooks_) {
    if (auto done = hook.hook->masterAgentLostHook(agent); !done) {
      logFailure(hook, "the agent-lost hook", "agent " + agent.id().value(), done.error());
    }
  }
}

void HookChain::agentRunTaskLabels(v1::TaskInfo& task, const v1::ExecutorInfo& executor,
                                   const v1::FrameworkInfo& framework,
                                   const v1::AgentInfo& agent) const {
  for (const NamedHook& hook : hooks_) {
    auto labels = hook.hook->agentRunTaskLabelDecorator(task, executor, framework, agent);
    if (!labels)
      logFailure(hook, "the agent's task label decorator", taskSubject(task), labels.error());
    else if (*labels)
      *task.mutable_labels() = std::move(**labels);
  }
}

v1::Environment HookChain::agentExecutorEnvironment(const v1::ExecutorInfo& executor,
                                                    const v1::AgentInfo& agent) const {
  if (hooks_.empty()) return executor.command().environment();
  v1::ExecutorInfo decorated = executor;
  for (const NamedHook& hook : hooks_) {
    auto environment = hook.hook->agentExecutorEnvironmentDecorator(decorated, agent);
    if (!environment) {
      logFailure(hook, "the executor environment decorator",
                 "executor " + executor.executor_id().value(), environment.error());
    } else if (*environment) {
      *decorated.mutable_command()->mutable_environment() = std::move(**environment);
    }
  }
  return decorated.command().environment();
}

Result<void> HookChain::agentPostFetch(const ContainerId& container,
                                       const std::string& sandboxDirectory) const {
  for (const NamedHook& hook : hooks_) {
    if (auto done = hook.hook->agentPostFetchHook(container, sandboxDirectory); !done) {
      return fail("hook '" + hook.name +
                  "' failed in the post-fetch hook: " + done.error().message());
    }
  }
  return {};
}

void HookChain::agentRemoveExecutor(const v1::FrameworkInfo& framework,
                                    const v1::ExecutorInfo& executor) const {
  for (const NamedHook& hook : hooks_) {
    if (auto done = hook.hook->agentRemoveExecutorHook(framework, executor); !done) {
      logFailure(hook, "the executor removal hook", "executor " + executor.executor_id().value(),
                 done.error());
    }
  }
}

void HookChain::agentTaskStatus(const FrameworkId& framework, v1::TaskStatus& status,
                                const TaskStatusContext& context) const {
  for (const NamedHook& hook : hooks_) {
    auto decorated = hook.hook->agentTaskStatusDecorator(framework, status, context);
    if (!decorated) {
      logFailure(
          hook, "the task status decorator",
          "a " + v1::TaskState_Name(status.state()) + " update of task " + status.task_id().value(),
          decorated.error());
    } else if (*decorated) {
      if ((*decorated)->has_labels())
        *status.mutable_labels() = (*decorated)->labels();
      else
        status.clear_labels();
      if ((*decorated)->has_container_status())
        *status.mutable_container_status() = (*decorated)->container_status();
    }
  }
}

void HookChain::agentResourcesAndAttributes(v1::AgentInfo& agent) const {
  for (const NamedHook& hook : hooks_) {
    auto resources = hook.hook->agentResourcesDecorator(agent);
    if (!resources) {
      logFailure(hook, "the agent resources decorator", "agent " + agent.hostname(),
                 resources.error());
    } else if (*resources) {
      agent.clear_resources();
      (*resources)->toWire(agent.mutable_resources());
    }
    auto attributes = hook.hook->agentAttributesDecorator(agent);
    if (!attributes) {
      logFailure(hook, "the agent attributes decorator", "agent " + agent.hostname(),
                 attributes.error());
    } else if (*attributes) {
      agent.clear_attributes();
      for (const auto& attribute : **attributes)
        *agent.add_attributes() = attribute;
    }
  }
}

}  // namespace plexus::hooks
