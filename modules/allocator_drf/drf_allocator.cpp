// The allocator's life cycle and its reaction to frameworks and agents coming,
// going and changing. Resources' events are in drf_resources.cpp, the allocation
// cycle and the filters in drf_allocation.cpp.
#include "drf_allocator.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <plexus/logging.hpp>

#include "resource_helpers.hpp"

namespace plexus::drf {

namespace {

using Capability = v1::FrameworkInfo::Capability;

// Mesos's protobuf::framework::getRoles: `roles` for MULTI_ROLE frameworks, else `role`.
std::set<std::string> rolesOf(const v1::FrameworkInfo& info) {
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == Capability::MULTI_ROLE) {
      return {info.roles().begin(), info.roles().end()};
    }
  }
  // `role` is deprecated in the wire type, but still how single-role frameworks speak.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return {info.role()};
#pragma GCC diagnostic pop
}

bool hasCapability(const v1::FrameworkInfo& info, Capability::Type type) {
  return std::any_of(info.capabilities().begin(), info.capabilities().end(),
                     [type](const auto& capability) { return capability.type() == type; });
}

// FrameworkInfo.offer_filters: for each role that sets min_allocatable_resources,
// the quantity sets (an empty list means any offer will do).
std::map<std::string, std::vector<ResourceQuantities>> minAllocatableOf(
    const v1::FrameworkInfo& info) {
  std::map<std::string, std::vector<ResourceQuantities>> result;
  for (const auto& [role, filters] : info.offer_filters()) {
    if (!filters.has_min_allocatable_resources()) continue;
    auto& sets = result[role];
    for (const auto& quantities : filters.min_allocatable_resources().quantities()) {
      ResourceQuantities set;
      for (const auto& [name, scalar] : quantities.quantities()) {
        const double value = scalar.value();
        if (!std::isfinite(value) || value <= 0) continue;
        set.add(name, std::llround(value * Resource::kScalarScale));
      }
      sets.push_back(std::move(set));
    }
  }
  return result;
}

std::string attributesKey(const v1::AgentInfo& info) {
  std::vector<std::string> attributes;
  for (const auto& attribute : info.attributes()) {
    attributes.push_back(attribute.SerializeAsString());
  }
  std::sort(attributes.begin(), attributes.end());
  std::string key;
  for (const auto& attribute : attributes) {
    key += std::to_string(attribute.size()) + ":" + attribute;
  }
  return key;
}

}  // namespace

Result<DrfConfig> configFromParameters(const Parameters& parameters) {
  DrfConfig config;
  const std::string& order = parameters.string("agent_order");
  if (order == "random") {
    config.agentOrder = AgentOrder::kRandom;
  } else if (order == "sorted") {
    config.agentOrder = AgentOrder::kSorted;
  } else {
    return fail("agent_order must be 'random' or 'sorted', not '" + order + "'");
  }
  return config;
}

Result<std::unique_ptr<DrfAllocator>> DrfAllocator::create(const Parameters& parameters) {
  auto config = configFromParameters(parameters);
  if (!config) return fail(config.error());
  return std::make_unique<DrfAllocator>(*config);
}

DrfAllocator::DrfAllocator(DrfConfig config)
    : config_(config), random_(config.seed ? *config.seed : std::random_device{}()) {}

DrfAllocator::~DrfAllocator() {
  alive_.reset();
  if (runtime_ == nullptr) return;
  if (allocationTimer_) runtime_->cancel(*allocationTimer_);
  if (recoveryTimer_) runtime_->cancel(*recoveryTimer_);
  for (auto& [id, framework] : frameworks_) {
    clearAllFilters(framework);
  }
}

Result<void> DrfAllocator::initialize(const AllocatorOptions& options, AllocatorCallbacks callbacks,
                                      Runtime& runtime) {
  if (initialized_) return fail("allocator_drf: initialize() called twice");
  if (options.allocationInterval <= Duration::zero()) {
    return fail("allocator_drf: the allocation interval must be positive, not " +
                formatDuration(options.allocationInterval));
  }
  options_ = options;
  if (options_.minAllocatableResources.empty()) {
    // Mesos's --min_allocatable_resources default; {ResourceQuantities{}} lifts the minimum.
    ResourceQuantities cpus, mem;
    cpus.add("cpus", 10);
    mem.add("mem", 32 * Resource::kScalarScale);
    options_.minAllocatableResources = {cpus, mem};
  }
  callbacks_ = std::move(callbacks);
  runtime_ = &runtime;
  sorter_ = DrfSorter(options_.fairnessExcludeResourceNames);
  initialized_ = true;
  allocationTimer_ =
      runtime_->schedule(options_.allocationInterval, guarded([this] { onAllocationTimer(); }));
  PLEXUS_LOG(Info) << "allocator_drf: allocating every "
                   << formatDuration(options_.allocationInterval) << ", agents in "
                   << (config_.agentOrder == AgentOrder::kRandom ? "random" : "sorted") << " order";
  return {};
}

void DrfAllocator::recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) {
  if (!initialized_) {
    PLEXUS_LOG(Warning) << "allocator_drf: recover() before initialize(); ignored";
    return;
  }
  for (const auto& [role, quota] : quotas) {
    updateQuota(role, quota);
  }
  // As Mesos: without quota there is nothing to protect, so no hold-off.
  if (quotas.empty() || expectedAgentCount <= 0) return;
  const int expected = static_cast<int>(expectedAgentCount * options_.agentRecoveryFactor);
  if (expected <= 0) return;
  expectedAgentCount_ = expected;
  pause();
  recoveryTimer_ = runtime_->schedule(options_.recoveryTimeout, guarded([this] {
                                        recoveryTimer_.reset();
                                        expectedAgentCount_.reset();
                                        PLEXUS_LOG(Info) << "allocator_drf: recovery timed out";
                                        resume();
                                      }));
  PLEXUS_LOG(Info) << "allocator_drf: waiting for " << expected << " agents or "
                   << formatDuration(options_.recoveryTimeout) << " before allocating";
}

void DrfAllocator::trackFramework(const FrameworkId& id) {
  sorter_.add(id.value());
  // What the agents already know this framework holds (an agent added before it).
  for (const auto& [agentId, agent] : agents_) {
    auto held = agent.offeredOrAllocated.find(id);
    if (held != agent.offeredOrAllocated.end()) {
      sorter_.allocated(id.value(), held->second.quantities());
    }
  }
}

void DrfAllocator::addFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                                const std::map<AgentId, Resources>& used, bool active,
                                FrameworkOptions options) {
  if (frameworks_.contains(id)) {
    PLEXUS_LOG(Warning) << "allocator_drf: framework " << id << " added twice; ignored";
    return;
  }
  Framework& framework = frameworks_[id];
  framework.roles = rolesOf(info);
  framework.capabilities = {hasCapability(info, Capability::GPU_RESOURCES),
                            hasCapability(info, Capability::REVOCABLE_RESOURCES),
                            hasCapability(info, Capability::SHARED_RESOURCES),
                            hasCapability(info, Capability::RESERVATION_REFINEMENT)};
  framework.active = active;
  framework.minAllocatableResources = minAllocatableOf(info);
  for (const auto& role : options.suppressedRoles) {
    if (framework.roles.contains(role)) framework.suppressedRoles.insert(role);
  }
  // Resources the framework uses on known agents that the agent did not report
  // (addAgent's `used` normally covers them already): count them once, and only
  // out of what the agent has available, so that the books still balance.
  for (const auto& [agentId, resources] : used) {
    auto agent = agents_.find(agentId);
    if (agent == agents_.end()) continue;
    Resources& held = agent->second.offeredOrAllocated[id];
    Resources missing = resources - held;
    if (missing.empty()) continue;
    Resources taken = coveredBy(agent->second.available, missing);
    if (!(taken == missing)) {
      PLEXUS_LOG(Warning) << "allocator_drf: framework " << id << " uses " << missing
                          << " on agent " << agentId << " that the agent does not have";
    }
    held += taken;
    agent->second.allocated += taken;
    agent->second.available -= unallocatedCopy(taken);
  }
  for (auto& [agentId, agent] : agents_) {
    auto held = agent.offeredOrAllocated.find(id);
    if (held != agent.offeredOrAllocated.end() && held->second.empty()) {
      agent.offeredOrAllocated.erase(held);
    }
  }
  trackFramework(id);
  PLEXUS_LOG(Info) << "allocator_drf: added framework " << id << (active ? "" : " (inactive)");
  if (active) requestAllocation(std::nullopt);
}

void DrfAllocator::removeFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot remove unknown framework " << id;
    return;
  }
  for (auto& [agentId, agent] : agents_) {
    if (agent.maintenance) {
      agent.maintenance->outstanding.erase(id);
      agent.maintenance->answers.erase(id);
    }
    auto held = agent.offeredOrAllocated.find(id);
    if (held == agent.offeredOrAllocated.end()) continue;
    agent.available += unallocatedCopy(held->second);
    agent.offeredOrAllocated.erase(held);
    // What tasks of this framework used is no longer in use; `allocated` is kept
    // per agent and role only, so keep it within what the remaining frameworks hold.
    Resources stillHeld;
    for (const auto& [other, resources] : agent.offeredOrAllocated) {
      stillHeld += resources;
    }
    agent.allocated = intersection(agent.allocated, stillHeld);
    requestAllocation(agentId);
  }
  clearAllFilters(found->second);
  sorter_.remove(id.value());
  frameworks_.erase(found);
  PLEXUS_LOG(Info) << "allocator_drf: removed framework " << id;
}

void DrfAllocator::activateFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot activate unknown framework " << id;
    return;
  }
  found->second.active = true;
  PLEXUS_LOG(Info) << "allocator_drf: activated framework " << id;
  requestAllocation(std::nullopt);
}

void DrfAllocator::deactivateFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot deactivate unknown framework " << id;
    return;
  }
  // Its resources stay allocated (the master rescinds its offers and recovers
  // them); its filters go, as in Mesos, so a failed-over scheduler starts afresh.
  found->second.active = false;
  clearAllFilters(found->second);
  PLEXUS_LOG(Info) << "allocator_drf: deactivated framework " << id;
}

void DrfAllocator::updateFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                                   FrameworkOptions options) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot update unknown framework " << id;
    return;
  }
  Framework& framework = found->second;
  const std::set<std::string> newRoles = rolesOf(info);
  std::set<std::string> removedRoles;
  for (const auto& role : framework.roles) {
    if (!newRoles.contains(role)) removedRoles.insert(role);
  }
  clearOfferFilters(framework, removedRoles);
  std::set<std::string> suppressed;
  for (const auto& role : options.suppressedRoles) {
    if (newRoles.contains(role)) suppressed.insert(role);
  }
  // Roles revived by this update lose their filters, as a REVIVE would clear them.
  std::set<std::string> revived;
  for (const auto& role : framework.suppressedRoles) {
    if (newRoles.contains(role) && !suppressed.contains(role)) revived.insert(role);
  }
  clearOfferFilters(framework, revived);
  framework.roles = newRoles;
  framework.suppressedRoles = std::move(suppressed);
  framework.capabilities = {hasCapability(info, Capability::GPU_RESOURCES),
                            hasCapability(info, Capability::REVOCABLE_RESOURCES),
                            hasCapability(info, Capability::SHARED_RESOURCES),
                            hasCapability(info, Capability::RESERVATION_REFINEMENT)};
  framework.minAllocatableResources = minAllocatableOf(info);
  PLEXUS_LOG(Info) << "allocator_drf: updated framework " << id;
  requestAllocation(std::nullopt);
}

void DrfAllocator::addAgent(const AgentId& id, const v1::AgentInfo& info,
                            const std::optional<v1::Unavailability>& unavailability,
                            const Resources& total, const std::map<FrameworkId, Resources>& used) {
  if (agents_.contains(id)) {
    PLEXUS_LOG(Warning) << "allocator_drf: agent " << id << " added twice; ignored";
    return;
  }
  Agent& agent = agents_[id];
  agent.info = info;
  agent.total = unallocatedCopy(total);
  agent.available = agent.total;
  for (const auto& [frameworkId, resources] : used) {
    Resources taken = coveredBy(agent.available, resources);
    if (!(taken == resources)) {
      PLEXUS_LOG(Warning) << "allocator_drf: agent " << id << " reports " << resources
                          << " used by framework " << frameworkId << " beyond its total";
    }
    if (taken.empty()) continue;
    agent.offeredOrAllocated[frameworkId] += taken;
    agent.allocated += taken;
    agent.available -= unallocatedCopy(taken);
    // A framework not added yet is counted when it is (trackFramework).
    sorter_.allocated(frameworkId.value(), taken.quantities());
  }
  if (unavailability) agent.maintenance = Maintenance{*unavailability, {}, {}};
  sorter_.addTotal(agent.total.quantities());
  PLEXUS_LOG(Info) << "allocator_drf: added agent " << id << " (" << info.hostname() << ") with "
                   << agent.total;
  if (expectedAgentCount_ && static_cast<int>(agents_.size()) >= *expectedAgentCount_) {
    PLEXUS_LOG(Info) << "allocator_drf: recovery complete, " << agents_.size() << " agents";
    expectedAgentCount_.reset();
    if (recoveryTimer_) runtime_->cancel(*recoveryTimer_);
    recoveryTimer_.reset();
    resume();
  }
  requestAllocation(id);
}

void DrfAllocator::removeAgent(const AgentId& id) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot remove unknown agent " << id;
    return;
  }
  for (const auto& [frameworkId, resources] : found->second.offeredOrAllocated) {
    sorter_.unallocated(frameworkId.value(), resources.quantities());
  }
  sorter_.removeTotal(found->second.total.quantities());
  clearAgentFilters(id, true, true);
  pendingAgents_.erase(id);
  agents_.erase(found);
  PLEXUS_LOG(Info) << "allocator_drf: removed agent " << id;
}

void DrfAllocator::updateAgent(const AgentId& id, const v1::AgentInfo& info,
                               const std::optional<Resources>& total) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot update unknown agent " << id;
    return;
  }
  Agent& agent = found->second;
  bool updated = false;
  // Schedulers may have declined this agent for lacking an attribute: let them
  // see it again when its attributes change (Mesos does the same).
  if (attributesKey(info) != attributesKey(agent.info)) {
    clearAgentFilters(id, true, false);
    updated = true;
  }
  if (info.SerializeAsString() != agent.info.SerializeAsString()) {
    agent.info = info;
    updated = true;
  }
  if (total && !(unallocatedCopy(*total) == agent.total)) {
    setAgentTotal(agent, unallocatedCopy(*total));
    PLEXUS_LOG(Info) << "allocator_drf: agent " << id << " now has " << agent.total;
    updated = true;
  }
  if (updated) requestAllocation(id);
}

void DrfAllocator::setAgentTotal(Agent& agent, const Resources& total) {
  sorter_.removeTotal(agent.total.quantities());
  agent.total = total;
  sorter_.addTotal(agent.total.quantities());
  // What is offered or in use stays so; the rest of the new total is available.
  Resources held;
  for (const auto& [frameworkId, resources] : agent.offeredOrAllocated) {
    held += resources;
  }
  agent.available = agent.total - unallocatedCopy(held);
}

void DrfAllocator::activateAgent(const AgentId& id) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot activate unknown agent " << id;
    return;
  }
  found->second.active = true;
  PLEXUS_LOG(Info) << "allocator_drf: activated agent " << id;
  requestAllocation(id);
}

void DrfAllocator::deactivateAgent(const AgentId& id) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot deactivate unknown agent " << id;
    return;
  }
  found->second.active = false;
  PLEXUS_LOG(Info) << "allocator_drf: deactivated agent " << id;
}

void DrfAllocator::updateWhitelist(const std::optional<std::set<std::string>>& hostnames) {
  whitelist_ = hostnames;
  if (!whitelist_) {
    PLEXUS_LOG(Info) << "allocator_drf: offering every agent";
  } else if (whitelist_->empty()) {
    PLEXUS_LOG(Warning) << "allocator_drf: the whitelist is empty, no offers will be made";
  } else {
    PLEXUS_LOG(Info) << "allocator_drf: offering only " << whitelist_->size()
                     << " whitelisted hosts";
  }
  requestAllocation(std::nullopt);
}

void DrfAllocator::requestResources(const FrameworkId& framework,
                                    const std::vector<v1::Request>& requests) {
  // Mesos's allocator ignores REQUEST too: it is a hint without defined semantics.
  PLEXUS_LOG(Debug) << "allocator_drf: ignoring " << requests.size()
                    << " resource requests from framework " << framework;
}

void DrfAllocator::suppressOffers(const FrameworkId& id, const std::set<std::string>& roles) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot suppress offers for unknown framework " << id;
    return;
  }
  Framework& framework = found->second;
  for (const auto& role : roles.empty() ? framework.roles : roles) {
    if (framework.roles.contains(role)) framework.suppressedRoles.insert(role);
  }
  PLEXUS_LOG(Info) << "allocator_drf: framework " << id << " suppressed offers for "
                   << (roles.empty() ? "all its roles" : std::to_string(roles.size()) + " roles");
}

void DrfAllocator::reviveOffers(const FrameworkId& id, const std::set<std::string>& roles) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot revive offers for unknown framework " << id;
    return;
  }
  Framework& framework = found->second;
  const std::set<std::string> revived = roles.empty() ? framework.roles : roles;
  clearOfferFilters(framework, revived);
  // As Mesos, a revive also lifts every inverse offer filter of the framework.
  for (auto& [agentId, filters] : framework.inverseOfferFilters) {
    for (auto& [filterId, timer] : filters) {
      runtime_->cancel(timer);
    }
  }
  framework.inverseOfferFilters.clear();
  for (const auto& role : revived) {
    framework.suppressedRoles.erase(role);
  }
  PLEXUS_LOG(Info) << "allocator_drf: framework " << id << " revived offers for "
                   << (roles.empty() ? "all its roles" : std::to_string(roles.size()) + " roles");
  requestAllocation(std::nullopt);
}

void DrfAllocator::updateQuota(const std::string& role, const Quota& quota) {
  if (quota.guarantees.empty() && quota.limits.empty()) {
    quotas_.erase(role);
  } else {
    quotas_[role] = quota;
  }
  PLEXUS_LOG(Info) << "allocator_drf: recorded quota of role '" << role
                   << "' (not enforced by this version)";
}

void DrfAllocator::updateWeights(const std::vector<v1::WeightInfo>& weights) {
  for (const auto& weight : weights) {
    if (!weight.has_role()) continue;
    weights_[weight.role()] = weight.weight();
  }
  PLEXUS_LOG(Info) << "allocator_drf: recorded " << weights.size()
                   << " role weights (not used by this version)";
}

void DrfAllocator::pause() {
  if (paused_) return;
  paused_ = true;
  PLEXUS_LOG(Info) << "allocator_drf: allocation paused";
}

void DrfAllocator::resume() {
  if (!paused_) return;
  paused_ = false;
  PLEXUS_LOG(Info) << "allocator_drf: allocation resumed";
  // Events while paused did not queue cycles: look at every agent once.
  requestAllocation(std::nullopt);
}

}  // namespace plexus::drf
