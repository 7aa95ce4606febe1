// The Allocator behind the barrier: initialize() and updateAvailable() answer a
// module's exception as their Error; every other method has no answer, so its
// exception is logged with the method and the master goes on (the event is lost
// to the allocator, as if it had ignored it).
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

constexpr std::string_view kGoesOn = "the allocator missed this event; the master goes on";

class GuardedAllocator final : public Allocator {
 public:
  GuardedAllocator(ModuleInstance<Allocator> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Result<void> initialize(const AllocatorOptions& options, AllocatorCallbacks callbacks,
                          Runtime& runtime) override {
    runtime_ = std::make_unique<GuardedRuntime>(runtime, label_);
    callbacks.offer = loopOnly("the allocator's offer callback", std::move(callbacks.offer));
    callbacks.inverseOffer =
        loopOnly("the allocator's inverse offer callback", std::move(callbacks.inverseOffer));
    callbacks.reclaim = loopOnly("the allocator's reclaim callback", std::move(callbacks.reclaim));
    return guardResult(label_, "initialize()", [&] {
      return module_->initialize(options, std::move(callbacks), *runtime_);
    });
  }
  void recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) override {
    call("recover()", [&] { module_->recover(expectedAgentCount, quotas); });
  }
  void addFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                    const std::map<AgentId, Resources>& used, bool active,
                    FrameworkOptions options) override {
    call("addFramework()",
         [&] { module_->addFramework(framework, info, used, active, std::move(options)); });
  }
  void removeFramework(const FrameworkId& framework) override {
    call("removeFramework()", [&] { module_->removeFramework(framework); });
  }
  void activateFramework(const FrameworkId& framework) override {
    call("activateFramework()", [&] { module_->activateFramework(framework); });
  }
  void deactivateFramework(const FrameworkId& framework) override {
    call("deactivateFramework()", [&] { module_->deactivateFramework(framework); });
  }
  void updateFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                       FrameworkOptions options) override {
    call("updateFramework()",
         [&] { module_->updateFramework(framework, info, std::move(options)); });
  }
  void addAgent(const AgentId& agent, const v1::AgentInfo& info,
                const std::optional<v1::Unavailability>& unavailability, const Resources& total,
                const std::map<FrameworkId, Resources>& used) override {
    call("addAgent()", [&] { module_->addAgent(agent, info, unavailability, total, used); });
  }
  void removeAgent(const AgentId& agent) override {
    call("removeAgent()", [&] { module_->removeAgent(agent); });
  }
  void updateAgent(const AgentId& agent, const v1::AgentInfo& info,
                   const std::optional<Resources>& total) override {
    call("updateAgent()", [&] { module_->updateAgent(agent, info, total); });
  }
  void activateAgent(const AgentId& agent) override {
    call("activateAgent()", [&] { module_->activateAgent(agent); });
  }
  void deactivateAgent(const AgentId& agent) override {
    call("deactivateAgent()", [&] { module_->deactivateAgent(agent); });
  }
  void updateWhitelist(const std::optional<std::set<std::string>>& hostnames) override {
    call("updateWhitelist()", [&] { module_->updateWhitelist(hostnames); });
  }
  void requestResources(const FrameworkId& framework,
                        const std::vector<v1::Request>& requests) override {
    call("requestResources()", [&] { module_->requestResources(framework, requests); });
  }
  void updateAllocation(const FrameworkId& framework, const AgentId& agent,
                        const Resources& offered,
                        const std::vector<ResourceConversion>& conversions) override {
    call("updateAllocation()",
         [&] { module_->updateAllocation(framework, agent, offered, conversions); });
  }
  Result<void> updateAvailable(const AgentId& agent,
                               const std::vector<v1::Offer::Operation>& operations) override {
    return guardResult(label_, "updateAvailable()",
                       [&] { return module_->updateAvailable(agent, operations); });
  }
  void updateUnavailability(const AgentId& agent,
                            const std::optional<v1::Unavailability>& unavailability) override {
    call("updateUnavailability()", [&] { module_->updateUnavailability(agent, unavailability); });
  }
  void updateInverseOffer(const AgentId& agent, const FrameworkId& framework, bool accepted,
                          const std::optional<v1::Filters>& filters) override {
    call("updateInverseOffer()",
         [&] { module_->updateInverseOffer(agent, framework, accepted, filters); });
  }
  void transitionOfferedToAllocated(const AgentId& agent, const Resources& resources) override {
    call("transitionOfferedToAllocated()",
         [&] { module_->transitionOfferedToAllocated(agent, resources); });
  }
  void recoverResources(const FrameworkId& framework, const AgentId& agent,
                        const Resources& resources, const std::optional<v1::Filters>& filters,
                        bool isAllocated) override {
    call("recoverResources()",
         [&] { module_->recoverResources(framework, agent, resources, filters, isAllocated); });
  }
  void suppressOffers(const FrameworkId& framework, const std::set<std::string>& roles) override {
    call("suppressOffers()", [&] { module_->suppressOffers(framework, roles); });
  }
  void reviveOffers(const FrameworkId& framework, const std::set<std::string>& roles) override {
    call("reviveOffers()", [&] { module_->reviveOffers(framework, roles); });
  }
  void updateQuota(const std::string& role, const Quota& quota) override {
    call("updateQuota()", [&] { module_->updateQuota(role, quota); });
  }
  void updateWeights(const std::vector<v1::WeightInfo>& weights) override {
    call("updateWeights()", [&] { module_->updateWeights(weights); });
  }
  void pause() override {
    call("pause()", [&] { module_->pause(); });
  }
  void resume() override {
    call("resume()", [&] { module_->resume(); });
  }

 private:
  template <typename Body>
  void call(std::string_view method, Body&& body) {
    (void)guardVoid(label_, method, kGoesOn, body);
  }

  ModuleLabel label_;
  // Declared before the module so that it outlives it: the module may use its
  // Runtime until it is destroyed (plexus/runtime.hpp).
  std::unique_ptr<GuardedRuntime> runtime_;
  ModuleInstance<Allocator> module_;
};

}  // namespace

std::unique_ptr<Allocator> guard(ModuleInstance<Allocator> module, ModuleLabel label) {
  return std::make_unique<GuardedAllocator>(std::move(module), std::move(label));
}

}  // namespace plexus::module
