// AllocatorBase: an Allocator that keeps the books, so that a module whose policy is
// "which framework gets which agent's free resources" is one method.
//
// It tracks what the master reports: agents (total, allocated = offered or used,
// active), frameworks (role, resources used per agent, active, suppressed, the
// agents they refused with a filter and until when), and runs allocate() every
// AllocatorOptions::allocationInterval while not paused. The policy calls offer()
// for each agent it hands out; offer() gives the agent's free resources whole,
// allocated to the framework's role, and books them. REVIVE clears a framework's
// filters; SUPPRESS stops its offers until then; canOffer() honours the
// framework's offer constraints.
//
// What it does not do (a policy that needs them overrides the methods): quota,
// weights, maintenance (inverse offers), operator RESERVE/UNRESERVE on free
// resources (updateAvailable refuses), revocation. A framework is offered in its
// first role only (FrameworkInfo.roles(0), else the deprecated role, else "*").
//
// Threading: as every Allocator, called only on the master's loop; allocate()
// runs on it too. Header-only: it is compiled into the module that uses it.
//
//   class MyAllocator final : public plexus::AllocatorBase {
//    public:
//     static plexus::Result<std::unique_ptr<MyAllocator>> create(const plexus::Parameters&);
//    private:
//     void allocate() override {
//       for (const auto& [agent, state] : agents())
//         for (const auto& [framework, _] : frameworks())
//           if (allocatable(state) && canOffer(framework, agent)) offer(framework, agent);
//     }
//   };
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <plexus/allocator.hpp>

namespace plexus {

namespace detail {
// FrameworkInfo.roles(0), else the deprecated FrameworkInfo.role (still sent by
// old Mesos frameworks), else "*".
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
inline std::string firstRole(const v1::FrameworkInfo& info) {
  if (info.roles_size() > 0) return info.roles(0);
  return info.role().empty() ? std::string("*") : info.role();
}
#pragma GCC diagnostic pop
}  // namespace detail

class AllocatorBase : public Allocator {
 public:
  struct AgentState {
    v1::AgentInfo info;
    Resources total;
    Resources allocated;  // offered or used, without allocation info
    bool active = true;

    Resources available() const { return total - allocated; }
  };

  struct FrameworkState {
    v1::FrameworkInfo info;
    std::string role;
    std::map<AgentId, Resources> used;  // offered or used, allocated to `role`
    std::map<AgentId, Runtime::TimePoint> refusedUntil;
    bool active = true;
    bool suppressed = false;
    OfferConstraintsFilter offerConstraints;

    // The scalar `name` (e.g. "cpus") the framework holds on all agents.
    double holds(std::string_view name) const {
      double sum = 0;
      for (const auto& [agent, resources] : used)
        sum += resources.scalar(name).value_or(0);
      return sum;
    }
  };

  ~AllocatorBase() override {
    if (runtime_ != nullptr) runtime_->cancel(timer_);
  }

  [[nodiscard]] Result<void> initialize(const AllocatorOptions& options,
                                        AllocatorCallbacks callbacks, Runtime& runtime) override {
    options_ = options;
    callbacks_ = std::move(callbacks);
    runtime_ = &runtime;
    timer_ = runtime.schedule(options_.allocationInterval, [this] { tick(); });
    return {};
  }

  void recover(int, const std::map<std::string, Quota>&) override {}

  void addFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                    const std::map<AgentId, Resources>& used, bool active,
                    FrameworkOptions options) override {
    FrameworkState& framework = frameworks_[id];
    framework.used = used;
    framework.active = active;
    updateFramework(id, info, std::move(options));
  }
  void removeFramework(const FrameworkId& id) override {
    auto framework = frameworks_.find(id);
    if (framework == frameworks_.end()) return;
    for (const auto& [agent, used] : framework->second.used)
      release(agent, used);
    frameworks_.erase(framework);
  }
  void activateFramework(const FrameworkId& id) override {
    if (auto* framework = find(id)) framework->active = true;
  }
  void deactivateFramework(const FrameworkId& id) override {
    if (auto* framework = find(id)) framework->active = false;
  }
  void updateFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                       FrameworkOptions options) override {
    FrameworkState& framework = frameworks_[id];
    framework.info = info;
    framework.role = detail::firstRole(info);
    framework.suppressed = options.suppressedRoles.contains(framework.role);
    framework.offerConstraints = std::move(options.offerConstraints);
  }

  void addAgent(const AgentId& id, const v1::AgentInfo& info,
                const std::optional<v1::Unavailability>&, const Resources& total,
                const std::map<FrameworkId, Resources>& used) override {
    AgentState& agent = agents_[id] = AgentState{.info = info, .total = total, .allocated = {}};
    for (const auto& [framework, resources] : used)
      agent.allocated += withoutAllocation(resources);
  }
  void removeAgent(const AgentId& id) override {
    agents_.erase(id);
    for (auto& [_, framework] : frameworks_) {
      framework.used.erase(id);
      framework.refusedUntil.erase(id);
    }
  }
  void updateAgent(const AgentId& id, const v1::AgentInfo& info,
                   const std::optional<Resources>& total) override {
    auto agent = agents_.find(id);
    if (agent == agents_.end()) return;
    agent->second.info = info;
    if (total) agent->second.total = *total;
  }
  void activateAgent(const AgentId& id) override {
    if (auto agent = agents_.find(id); agent != agents_.end()) agent->second.active = true;
  }
  void deactivateAgent(const AgentId& id) override {
    if (auto agent = agents_.find(id); agent != agents_.end()) agent->second.active = false;
  }

  void updateWhitelist(const std::optional<std::set<std::string>>&) override {}
  void requestResources(const FrameworkId&, const std::vector<v1::Request>&) override {}
  void updateAllocation(const FrameworkId&, const AgentId&, const Resources&,
                        const std::vector<ResourceConversion>&) override {}
  [[nodiscard]] Result<void> updateAvailable(const AgentId&,
                                             const std::vector<v1::Offer::Operation>&) override {
    return fail("this allocator does not apply operator operations to free resources");
  }
  void updateUnavailability(const AgentId&, const std::optional<v1::Unavailability>&) override {}
  void updateInverseOffer(const AgentId&, const FrameworkId&, bool,
                          const std::optional<v1::Filters>&) override {}
  void transitionOfferedToAllocated(const AgentId&, const Resources&) override {}

  void recoverResources(const FrameworkId& id, const AgentId& agent, const Resources& resources,
                        const std::optional<v1::Filters>& filters, bool) override {
    release(agent, resources);
    FrameworkState* framework = find(id);
    if (framework == nullptr) return;
    if (auto used = framework->used.find(agent); used != framework->used.end()) {
      used->second -= resources;
      if (used->second.empty()) framework->used.erase(used);
    }
    if (filters && filters->refuse_seconds() > 0) {
      auto refuse = std::chrono::milliseconds(
          static_cast<std::int64_t>(std::min(filters->refuse_seconds(), 1e9) * 1000));
      framework->refusedUntil[agent] = runtime_->now() + refuse;
    }
  }

  void suppressOffers(const FrameworkId& id, const std::set<std::string>& roles) override {
    FrameworkState* framework = find(id);
    if (framework && (roles.empty() || roles.contains(framework->role)))
      framework->suppressed = true;
  }
  void reviveOffers(const FrameworkId& id, const std::set<std::string>& roles) override {
    FrameworkState* framework = find(id);
    if (framework && (roles.empty() || roles.contains(framework->role))) {
      framework->suppressed = false;
      framework->refusedUntil.clear();
    }
  }

  void updateQuota(const std::string&, const Quota&) override {}
  void updateWeights(const std::vector<v1::WeightInfo>&) override {}

  void pause() override { paused_ = true; }
  void resume() override { paused_ = false; }

 protected:
  // The policy: called every allocation interval while not paused.
  virtual void allocate() = 0;

  const std::map<AgentId, AgentState>& agents() const { return agents_; }
  const std::map<FrameworkId, FrameworkState>& frameworks() const { return frameworks_; }
  const AllocatorOptions& options() const { return options_; }
  Runtime& runtime() const { return *runtime_; }

  // Whether the agent is active and its free resources make an offer worth making:
  // they contain one of AllocatorOptions::minAllocatableResources, or, when that is
  // empty, Mesos's default cpus:0.01|mem:32.
  bool allocatable(const AgentState& agent) const {
    const Resources available = agent.available();
    if (!agent.active || available.empty()) return false;
    if (options_.minAllocatableResources.empty()) {
      return available.scalar("cpus").value_or(0) >= 0.01 ||
             available.scalar("mem").value_or(0) >= 32;
    }
    return std::ranges::any_of(options_.minAllocatableResources,
                               [&](const auto& minimum) { return available.contains(minimum); });
  }

  // Whether the framework takes offers now and has no live filter on the agent.
  bool canOffer(const FrameworkId& id, const AgentId& agent) const {
    auto framework = frameworks_.find(id);
    if (framework == frameworks_.end() || !framework->second.active || framework->second.suppressed)
      return false;
    if (auto state = agents_.find(agent);
        state != agents_.end() && framework->second.offerConstraints.isAgentExcluded(
                                      framework->second.role, state->second.info))
      return false;
    auto refused = framework->second.refusedUntil.find(agent);
    return refused == framework->second.refusedUntil.end() || refused->second <= runtime_->now();
  }

  // Offers the agent's free resources to the framework, in its role, and books them.
  void offer(const FrameworkId& id, const AgentId& agentId) {
    auto agent = agents_.find(agentId);
    FrameworkState* framework = find(id);
    if (agent == agents_.end() || framework == nullptr) return;
    Resources offered = agent->second.available();
    if (offered.empty()) return;
    agent->second.allocated += offered;
    offered.allocate(framework->role);
    framework->used[agentId] += offered;
    if (callbacks_.offer) callbacks_.offer(id, {{framework->role, {{agentId, offered}}}});
  }

 private:
  static Resources withoutAllocation(Resources resources) {
    resources.unallocate();
    return resources;
  }
  FrameworkState* find(const FrameworkId& id) {
    auto framework = frameworks_.find(id);
    return framework == frameworks_.end() ? nullptr : &framework->second;
  }
  void release(const AgentId& id, const Resources& resources) {
    if (auto agent = agents_.find(id); agent != agents_.end())
      agent->second.allocated -= withoutAllocation(resources);
  }
  void tick() {
    timer_ = runtime_->schedule(options_.allocationInterval, [this] { tick(); });
    if (!paused_) allocate();
  }

  AllocatorOptions options_;
  AllocatorCallbacks callbacks_;
  Runtime* runtime_ = nullptr;
  Runtime::TimerId timer_ = 0;
  bool paused_ = false;
  std::map<AgentId, AgentState> agents_;
  std::map<FrameworkId, FrameworkState> frameworks_;
};

}  // namespace plexus
