// The Hook behind the barrier: a hook's exception becomes the Error of the hook
// point it was called at, which HookChain logs (with the module's name and the
// hook point) before going on with the next hook, as for any hook error.
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

class GuardedHook final : public Hook {
 public:
  GuardedHook(ModuleInstance<Hook> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Decorated<v1::Labels> masterLaunchTaskLabelDecorator(const v1::TaskInfo& task,
                                                       const v1::FrameworkInfo& framework,
                                                       const v1::AgentInfo& agent) override {
    return guardResult(label_, "masterLaunchTaskLabelDecorator()", [&] {
      return module_->masterLaunchTaskLabelDecorator(task, framework, agent);
    });
  }
  Decorated<Resources> masterLaunchTaskResourceDecorator(const v1::TaskInfo& task,
                                                         const Resources& agentResources) override {
    return guardResult(label_, "masterLaunchTaskResourceDecorator()", [&] {
      return module_->masterLaunchTaskResourceDecorator(task, agentResources);
    });
  }
  Result<void> masterAgentLostHook(const v1::AgentInfo& agent) override {
    return guardResult(label_, "masterAgentLostHook()",
                       [&] { return module_->masterAgentLostHook(agent); });
  }
  Decorated<v1::Labels> agentRunTaskLabelDecorator(const v1::TaskInfo& task,
                                                   const v1::ExecutorInfo& executor,
                                                   const v1::FrameworkInfo& framework,
                                                   const v1::AgentInfo& agent) override {
    return guardResult(label_, "agentRunTaskLabelDecorator()", [&] {
      return module_->agentRunTaskLabelDecorator(task, executor, framework, agent);
    });
  }
  Decorated<v1::Environment> agentExecutorEnvironmentDecorator(
      const v1::ExecutorInfo& executor, const v1::AgentInfo& agent) override {
    return guardResult(label_, "agentExecutorEnvironmentDecorator()",
                       [&] { return module_->agentExecutorEnvironmentDecorator(executor, agent); });
  }
  Result<void> agentPostFetchHook(const ContainerId& container,
                                  const std::string& sandboxDirectory) override {
    return guardResult(label_, "agentPostFetchHook()",
                       [&] { return module_->agentPostFetchHook(container, sandboxDirectory); });
  }
  Result<void> agentRemoveExecutorHook(const v1::FrameworkInfo& framework,
                                       const v1::ExecutorInfo& executor) override {
    return guardResult(label_, "agentRemoveExecutorHook()",
                       [&] { return module_->agentRemoveExecutorHook(framework, executor); });
  }
  Decorated<v1::TaskStatus> agentTaskStatusDecorator(const FrameworkId& framework,
                                                     const v1::TaskStatus& status,
                                                     const TaskStatusContext& context) override {
    return guardResult(label_, "agentTaskStatusDecorator()", [&] {
      return module_->agentTaskStatusDecorator(framework, status, context);
    });
  }
  Decorated<Resources> agentResourcesDecorator(const v1::AgentInfo& agent) override {
    return guardResult(label_, "agentResourcesDecorator()",
                       [&] { return module_->agentResourcesDecorator(agent); });
  }
  Decorated<std::vector<v1::Attribute>> agentAttributesDecorator(
      const v1::AgentInfo& agent) override {
    return guardResult(label_, "agentAttributesDecorator()",
                       [&] { return module_->agentAttributesDecorator(agent); });
  }

 private:
  ModuleLabel label_;
  ModuleInstance<Hook> module_;
};

}  // namespace

std::unique_ptr<Hook> guard(ModuleInstance<Hook> module, ModuleLabel label) {
  return std::make_unique<GuardedHook>(std::move(module), std::move(label));
}

}  // namespace plexus::module
