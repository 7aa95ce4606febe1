// HookChain: the hook points of the master and the agent, over the --hooks modules.
//
// Each method is one hook point. It calls every hook in the order --hooks named
// them, giving each the value as the hooks before it left it, and applies the
// result to the caller's value. A hook's Error is logged with the module's name,
// the hook point and what it was decorating, and leaves the value as it was; only
// the post-fetch hook's Error is returned, because that hook point's contract
// (plexus/hook.hpp) fails the container's launch.
//
// Threading: the daemon's loop, except postFetch (the containerizer's pool). The
// chain itself holds no mutable state, so that is safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/hook.hpp>

namespace plexus::hooks {

struct NamedHook {
  std::string name;  // the module's name, for the log
  Hook* hook = nullptr;
};

class HookChain {
 public:
  HookChain() = default;
  explicit HookChain(std::vector<NamedHook> hooks) : hooks_(std::move(hooks)) {}
  // hooks[i] is the module called names[i] (the two lists of --hooks, in order).
  HookChain(const std::vector<std::string>& names, const std::vector<Hook*>& hooks);

  bool empty() const { return hooks_.empty(); }

  // --- master ---
  // Replaces task.labels() with the decorated labels.
  void masterLaunchTaskLabels(v1::TaskInfo& task, const v1::FrameworkInfo& framework,
                              const v1::AgentInfo& agent) const;
  // Replaces task.resources() with the decorated resources.
  void masterLaunchTaskResources(v1::TaskInfo& task, const Resources& agentResources) const;
  void masterAgentLost(const v1::AgentInfo& agent) const;

  // --- agent ---
  void agentRunTaskLabels(v1::TaskInfo& task, const v1::ExecutorInfo& executor,
                          const v1::FrameworkInfo& framework, const v1::AgentInfo& agent) const;
  // The executor's command environment after every decorator (the command's own
  // when no hook decorates it).
  v1::Environment agentExecutorEnvironment(const v1::ExecutorInfo& executor,
                                           const v1::AgentInfo& agent) const;
  // The first hook's Error, with its name: the launch fails.
  [[nodiscard]] Result<void> agentPostFetch(const ContainerId& container,
                                            const std::string& sandboxDirectory) const;
  void agentRemoveExecutor(const v1::FrameworkInfo& framework,
                           const v1::ExecutorInfo& executor) const;
  // Replaces the status's labels and container_status with the decorated ones.
  void agentTaskStatus(const FrameworkId& framework, v1::TaskStatus& status,
                       const TaskStatusContext& context) const;
  // Replaces agent.resources() and agent.attributes() with the decorated ones.
  void agentResourcesAndAttributes(v1::AgentInfo& agent) const;

 private:
  std::vector<NamedHook> hooks_;
};

}  // namespace plexus::hooks
