// AllocatorBase: an Allocator that keeps the books, so that a placement policy is
// one method, allocate(), that says which framework gets what on which agent.
//
// It tracks what the master reports: agents (total, allocated = offered or used,
// active), frameworks (role, resources used per agent, active, suppressed, the
// agents they refused with a filter and until when). It calls allocate() every
// AllocatorOptions::allocationInterval and, as allocator.hpp's contract says, soon
// after an event that may make an offer possible: an agent added, re-activated or
// changed, a framework added, re-activated or updated, resources recovered, a
// REVIVE, resume(). Events of one loop turn make one call (it is posted to the
// Runtime); requestAllocation() asks for one more.
//
// In allocate(), the policy hands out resources with
//   - offer(framework, agent): the agent's free resources, whole;
//   - offer(framework, agent, quantities): at most these quantities of the named
//     scalars (e.g. "cpus:1;mem:512", a task's worth), nothing else;
//   - offerShare(framework, agent, share): `share` (0..1] of every scalar free on
//     the agent, and its free ranges and sets (ports) whole (all that is free
//     when that share would be too small to offer);
// each books what it offered, so several frameworks can be offered parts of one
// agent in one cycle. A part smaller than every minimum the master set
// (--min_allocatable_resources) is not offered. Orders for the common policies:
// mostFreeFirst(name) / leastFreeFirst(name) (allocatable agents by free `name`),
// byAttribute(name) (by an agent attribute's value), fewestHeldFirst(name) (the
// frameworks that can take offers, by what they hold). canOffer() honours
// activation, SUPPRESS, filters and the framework's offer constraints;
// hasOfferOutstanding() says whether a framework still holds an offer on an agent.
//
// What it does not do (a policy that needs them overrides the methods): quota,
// weights, maintenance (inverse offers), operator RESERVE/UNRESERVE on free
// resources (updateAvailable refuses), revocation. A framework is offered in its
// first role only (FrameworkInfo.roles(0), else the deprecated role, else "*").
// Ranges and sets are never split: a partial offer by quantity leaves them out,
// one by share carries them whole (the next framework on that agent gets none).
//
// Threading: as every Allocator, called only on the master's loop; allocate()
// runs on it too. Header-only: it is compiled into the module that uses it.
//
//   // Each framework, fewest cpus held first, gets the agent with the most free cpus.
//   class SpreadAllocator final : public plexus::AllocatorBase {
//    public:
//     static plexus::Result<std::unique_ptr<SpreadAllocator>> create(const plexus::Parameters&);
//    private:
//     void allocate() override {
//       for (const plexus::FrameworkId& framework : fewestHeldFirst("cpus"))
//         for (const plexus::AgentId& agent : mostFreeFirst("cpus"))
//           if (canOffer(framework, agent)) { offer(framework, agent); break; }
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
#include <string_view>
#include <tuple>
#include <utility>
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

// The part of `available` made of the scalars `atMost` names, each up to its
// quantity (entries taken in order; an indivisible disk only whole).
inline Resources upTo(const Resources& available, const ResourceQuantities& atMost) {
  ResourceQuantities left = atMost;
  Resources part;
  for (const Resource& resource : available) {
    const std::int64_t room = left.getMillis(resource.name());
    if (resource.type() != ValueType::kScalar || room <= 0) continue;
    ResourceQuantities taken;
    if (resource.scalarMillis() <= room) {
      part += resource;
      taken.add(resource.name(), resource.scalarMillis());
    } else {
      v1::Resource wire;
      resource.toWire(&wire);
      wire.mutable_scalar()->set_value(static_cast<double>(room) / Resource::kScalarScale);
      auto smaller = Resource::fromWire(wire);
      if (!smaller || !available.contains(*smaller)) continue;  // indivisible
      part += *smaller;
      taken.add(resource.name(), room);
    }
    left -= taken;
  }
  return part;
}
}  // namespace detail

class AllocatorBase : public Allocator {
 public:
  struct AgentState {
    v1::AgentInfo info;
    Resources total;
    Resources allocated;  // offered or used, without allocation info
    bool active = true;

    Resources available() const { return total - allocated; }
    // The scalar `name` (e.g. "cpus") free on the agent.
    double free(std::string_view name) const { return available().scalar(name).value_or(0); }
  };

  struct FrameworkState {
    v1::FrameworkInfo info;
    std::string role;
    std::map<AgentId, Resources> used;     // offered or used, allocated to `role`
    std::map<AgentId, Resources> offered;  // of which offers still outstanding
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
    alive_.reset();  // a posted allocation finds it gone and does nothing
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
    requestAllocation();  // what it held is free for the others
  }
  void activateFramework(const FrameworkId& id) override {
    if (auto* framework = find(id)) framework->active = true;
    requestAllocation();
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
    requestAllocation();
  }

  void addAgent(const AgentId& id, const v1::AgentInfo& info,
                const std::optional<v1::Unavailability>&, const Resources& total,
                const std::map<FrameworkId, Resources>& used) override {
    AgentState& agent = agents_[id] = AgentState{.info = info, .total = total, .allocated = {}};
    for (const auto& [framework, resources] : used)
      agent.allocated += withoutAllocation(resources);
    requestAllocation();
  }
  void removeAgent(const AgentId& id) override {
    agents_.erase(id);
    for (auto& [_, framework] : frameworks_) {
      framework.used.erase(id);
      framework.offered.erase(id);
      framework.refusedUntil.erase(id);
    }
  }
  void updateAgent(const AgentId& id, const v1::AgentInfo& info,
                   const std::optional<Resources>& total) override {
    auto agent = agents_.find(id);
    if (agent == agents_.end()) return;
    agent->second.info = info;
    if (total) agent->second.total = *total;
    requestAllocation();
  }
  void activateAgent(const AgentId& id) override {
    if (auto agent = agents_.find(id); agent != agents_.end()) agent->second.active = true;
    requestAllocation();
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
  void transitionOfferedToAllocated(const AgentId& agent, const Resources& resources) override {
    // Tasks launched on an offer: no longer outstanding, for the framework it was made to.
    for (auto& [_, framework] : frameworks_) {
      auto offered = framework.offered.find(agent);
      if (offered == framework.offered.end() || !offered->second.contains(resources)) continue;
      offered->second -= resources;
      if (offered->second.empty()) framework.offered.erase(offered);
      return;
    }
  }

  void recoverResources(const FrameworkId& id, const AgentId& agent, const Resources& resources,
                        const std::optional<v1::Filters>& filters, bool) override {
    release(agent, resources);
    requestAllocation();
    FrameworkState* framework = find(id);
    if (framework == nullptr) return;
    for (auto* books : {&framework->used, &framework->offered}) {
      if (auto held = books->find(agent); held != books->end()) {
        held->second -= resources;
        if (held->second.empty()) books->erase(held);
      }
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
      requestAllocation();
    }
  }

  void updateQuota(const std::string&, const Quota&) override {}
  void updateWeights(const std::vector<v1::WeightInfo>&) override {}

  void pause() override { paused_ = true; }
  void resume() override {
    paused_ = false;
    requestAllocation();
  }

 protected:
  // The policy: called every allocation interval and after events, while not paused.
  virtual void allocate() = 0;

  const std::map<AgentId, AgentState>& agents() const { return agents_; }
  const std::map<FrameworkId, FrameworkState>& frameworks() const { return frameworks_; }
  const AllocatorOptions& options() const { return options_; }
  Runtime& runtime() const { return *runtime_; }

  // Asks for one allocate() soon (posted; one per loop turn however often asked).
  void requestAllocation() {
    if (runtime_ == nullptr || posted_) return;
    posted_ = true;
    runtime_->post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired()) return;
      posted_ = false;
      if (!paused_) allocate();
    });
  }

  // Whether the agent is active and its free resources make an offer worth making.
  bool allocatable(const AgentState& agent) const {
    return agent.active && worthOffering(agent.available());
  }
  // Whether `resources` contain one of AllocatorOptions::minAllocatableResources,
  // or, when that is empty, Mesos's default cpus:0.01|mem:32.
  bool worthOffering(const Resources& resources) const {
    if (resources.empty()) return false;
    if (options_.minAllocatableResources.empty()) {
      return resources.scalar("cpus").value_or(0) >= 0.01 ||
             resources.scalar("mem").value_or(0) >= 32;
    }
    return std::ranges::any_of(options_.minAllocatableResources,
                               [&](const auto& minimum) { return resources.contains(minimum); });
  }

  // Whether an offer made to the framework on the agent is still outstanding
  // (neither used by a launch nor given back).
  bool hasOfferOutstanding(const FrameworkId& id, const AgentId& agent) const {
    auto framework = frameworks_.find(id);
    return framework != frameworks_.end() && framework->second.offered.contains(agent);
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

  // Offers the agent's free resources to the framework, in its role, and books
  // them. Returns what was offered (unallocated; empty when nothing was).
  Resources offer(const FrameworkId& id, const AgentId& agentId) {
    auto agent = agents_.find(agentId);
    if (agent == agents_.end()) return {};
    return offerPart(id, agentId, agent->second.available());
  }

  // Offers at most `atMost` of each scalar it names (e.g. "cpus:1;mem:512") from
  // the agent's free resources, and nothing it does not name; no offer when the
  // part is not worth offering (see worthOffering()).
  Resources offer(const FrameworkId& id, const AgentId& agentId, const ResourceQuantities& atMost) {
    auto agent = agents_.find(agentId);
    if (agent == agents_.end()) return {};
    return offerPart(id, agentId, detail::upTo(agent->second.available(), atMost));
  }

  // Offers `share` (0..1] of every scalar free on the agent, and its free ranges
  // and sets whole; when that part is not worth offering, all that is free (so no
  // worthwhile rest is left that no share reaches). Splitting an
  // agent between n frameworks: offerShare(f1, a, 1.0 / n), then 1.0 / (n - 1) of
  // what is left to f2, ..., 1.0 to the last.
  Resources offerShare(const FrameworkId& id, const AgentId& agentId, double share) {
    auto agent = agents_.find(agentId);
    if (agent == agents_.end() || !(share > 0)) return {};
    ResourceQuantities part;
    for (const auto& quantity : agent->second.available().quantities())
      part.add(quantity.name, static_cast<std::int64_t>(static_cast<double>(quantity.millis) *
                                                        std::min(share, 1.0)));
    const Resources available = agent->second.available();
    Resources offered = detail::upTo(available, part);
    offered += available.filter([](const Resource& r) { return r.type() != ValueType::kScalar; });
    // A share too small to offer leaves no sliver behind: the rest goes whole.
    return offerPart(id, agentId, worthOffering(offered) ? offered : available);
  }

  // The allocatable agents (allocatable()), most / least free `name` first (ties
  // by agent ID).
  std::vector<AgentId> mostFreeFirst(std::string_view name = "cpus") const {
    return sortedAgents([&](const AgentState& agent) { return -agent.free(name); });
  }
  std::vector<AgentId> leastFreeFirst(std::string_view name = "cpus") const {
    return sortedAgents([&](const AgentState& agent) { return agent.free(name); });
  }
  // The allocatable agents by the value of their attribute `name`: scalars
  // numerically, text and sets as text, ascending; agents without it last (ties,
  // and those, by agent ID).
  std::vector<AgentId> byAttribute(std::string_view name) const {
    std::vector<std::tuple<int, double, std::string, AgentId>> keyed;
    for (const auto& [id, agent] : agents_) {
      if (!allocatable(agent)) continue;
      auto key = std::make_tuple(2, 0.0, std::string(), id);
      for (const v1::Attribute& attribute : agent.info.attributes()) {
        if (attribute.name() != name) continue;
        if (attribute.has_scalar())
          key = std::make_tuple(0, attribute.scalar().value(), std::string(), id);
        else if (attribute.has_text())
          key = std::make_tuple(1, 0.0, attribute.text().value(), id);
        else if (attribute.has_set() && attribute.set().item_size() > 0)
          key = std::make_tuple(1, 0.0, attribute.set().item(0), id);
        break;
      }
      keyed.push_back(std::move(key));
    }
    std::ranges::sort(keyed);
    std::vector<AgentId> ids;
    for (auto& key : keyed)
      ids.push_back(std::move(std::get<3>(key)));
    return ids;
  }
  // The frameworks that are active and not suppressed, holding the least `name`
  // first (ties by framework ID).
  std::vector<FrameworkId> fewestHeldFirst(std::string_view name = "cpus") const {
    std::vector<std::pair<double, FrameworkId>> keyed;
    for (const auto& [id, framework] : frameworks_)
      if (framework.active && !framework.suppressed) keyed.emplace_back(framework.holds(name), id);
    std::ranges::sort(keyed);
    std::vector<FrameworkId> ids;
    for (auto& [_, id] : keyed)
      ids.push_back(std::move(id));
    return ids;
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
  Resources offerPart(const FrameworkId& id, const AgentId& agentId, Resources offered) {
    auto agent = agents_.find(agentId);
    FrameworkState* framework = find(id);
    if (agent == agents_.end() || framework == nullptr || !worthOffering(offered)) return {};
    agent->second.allocated += offered;
    Resources allocated = offered;
    allocated.allocate(framework->role);
    framework->used[agentId] += allocated;
    framework->offered[agentId] += allocated;
    if (callbacks_.offer) callbacks_.offer(id, {{framework->role, {{agentId, allocated}}}});
    return offered;
  }
  template <typename Key>
  std::vector<AgentId> sortedAgents(Key key) const {
    std::vector<std::pair<double, AgentId>> keyed;
    for (const auto& [id, agent] : agents_)
      if (allocatable(agent)) keyed.emplace_back(key(agent), id);
    std::ranges::sort(keyed);
    std::vector<AgentId> ids;
    for (auto& [_, id] : keyed)
      ids.push_back(std::move(id));
    return ids;
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
  bool posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<AgentId, AgentState> agents_;
  std::map<FrameworkId, FrameworkState> frameworks_;
};

}  // namespace plexus
