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

DrfAllocator::DrfAllocator(DrfConfig config, RolePolicy policy)
    : config_(config),
      policy_(std::move(policy)),
      random_(config_.seed ? *config_.seed : std::random_device{}()) {
  for (const auto& [role, level] : policy_.roleLevels) {
    tree_.setLevel(role, level);
  }
}

DrfAllocator::~DrfAllocator() {
  alive_.reset();
  if (runtime_ == nullptr) return;
  if (allocationTimer_) runtime_->cancel(*allocationTimer_);
  if (recoveryTimer_) runtime_->cancel(*recoveryTimer_);
  for (auto& [expiry, bucket] : expiries_) {
    runtime_->cancel(bucket.timer);
  }
  for (auto& [id, framework] : frameworks_) {
    for (auto& [agent, filters] : framework->inverseOfferFilters) {
      for (auto& [filterId, timer] : filters)
        runtime_->cancel(timer);
    }
  }
}

Result<void> DrfAllocator::initialize(const AllocatorOptions& options, AllocatorCallbacks callbacks,
                                      Runtime& runtime) {
  if (initialized_) return fail(logName() + ": initialize() called twice");
  if (options.allocationInterval <= Duration::zero()) {
    return fail(logName() + ": the allocation interval must be positive, not " +
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
  slots_.setExcluded(options_.fairnessExcludeResourceNames);
  for (const auto& minimum : options_.minAllocatableResources) {
    minimumQ_.push_back(toQVec(minimum, slots_));
    std::uint64_t mask = 0;
    for (const auto& quantity : minimum) {
      const std::size_t slot = slots_.slotOf(quantity.name);
      if (slot < 64) mask |= 1ULL << slot;
      // Names that agents may carry as ranges or sets (ports) are counted by
      // Resources::contains, not by QVecs.
      if (slot >= 64 || (quantity.name != "cpus" && quantity.name != "mem" &&
                         quantity.name != "disk" && quantity.name != "gpus")) {
        minimumIsScalar_ = false;
      }
    }
    if (mask == 0) minimumIsScalar_ = false;  // an empty set: any offer will do
    minimumMasks_.push_back(mask);
  }
  callbacks_ = std::move(callbacks);
  runtime_ = &runtime;
  initialized_ = true;
  for (const auto& [role, minimum] : policy_.roleMinimums)
    applyQuota(role);
  allocationTimer_ =
      runtime_->schedule(options_.allocationInterval, guarded([this] { onAllocationTimer(); }));
  PLEXUS_LOG(Info) << logName() << ": allocating every "
                   << formatDuration(options_.allocationInterval) << ", agents in "
                   << (config_.agentOrder == AgentOrder::kRandom ? "random" : "sorted") << " order";
  return {};
}

void DrfAllocator::recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) {
  if (!initialized_) {
    PLEXUS_LOG(Warning) << logName() << ": recover() before initialize(); ignored";
    return;
  }
  for (const auto& [role, quota] : quotas) {
    updateQuota(role, quota);
  }
  // Unlike Mesos, which holds off only when there is quota: fair shares decided on
  // a partial cluster are as wrong as quota decided on one.
  if (expectedAgentCount <= 0) return;
  const int expected = static_cast<int>(expectedAgentCount * options_.agentRecoveryFactor);
  if (expected <= 0) return;
  if (static_cast<int>(agents_.size()) >= expected) return;
  expectedAgentCount_ = expected;
  pause();
  recoveryTimer_ = runtime_->schedule(options_.recoveryTimeout, guarded([this] {
                                        recoveryTimer_.reset();
                                        expectedAgentCount_.reset();
                                        PLEXUS_LOG(Info) << logName() << ": recovery timed out";
                                        resume();
                                      }));
  PLEXUS_LOG(Info) << logName() << ": waiting for " << expected << " agents or "
                   << formatDuration(options_.recoveryTimeout) << " before allocating";
}

// ---------------------------------------------------------------------------
// Frameworks.

DrfAllocator::Framework& DrfAllocator::frameworkRecord(const FrameworkId& id) {
  auto& slot = frameworks_[id];
  if (!slot) {
    slot = std::make_unique<Framework>();
    slot->id = id;
  }
  return *slot;
}

RoleTree::PairIdx DrfAllocator::pairFor(Framework& framework, const std::string& role) {
  auto found = framework.pairs.find(role);
  if (found != framework.pairs.end()) return found->second;
  const PairIdx pair = tree_.addPair(tree_.node(role), framework.id.value(), &framework);
  if (pairInfo_.size() <= pair) pairInfo_.resize(pair + 1);
  pairInfo_[pair] = PairInfo{&framework, role, 0, 0};
  framework.pairs.emplace(role, pair);
  return pair;
}

void DrfAllocator::dropPairIfUnused(Framework& framework, const std::string& role) {
  auto found = framework.pairs.find(role);
  if (found == framework.pairs.end()) return;
  if (framework.added && framework.roles.contains(role)) return;
  if (!isZero(tree_.pair(found->second).held)) return;
  clearPairFilters(found->second);
  tree_.removePair(found->second);
  pairInfo_[found->second] = PairInfo{};
  framework.pairs.erase(found);
}

void DrfAllocator::refreshEligibility(Framework& framework) {
  for (const auto& role : framework.roles)
    pairFor(framework, role);
  for (const auto& [role, pair] : framework.pairs) {
    tree_.setEligible(pair, framework.added && framework.active && framework.roles.contains(role) &&
                                !framework.suppressedRoles.contains(role));
  }
  ++epoch_;
}

void DrfAllocator::addFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                                const std::map<AgentId, Resources>& used, bool active,
                                FrameworkOptions options) {
  auto existing = frameworks_.find(id);
  if (existing != frameworks_.end() && existing->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": framework " << id << " added twice; ignored";
    return;
  }
  Framework& framework = frameworkRecord(id);
  framework.added = true;
  framework.roles = rolesOf(info);
  framework.capabilities = {hasCapability(info, Capability::GPU_RESOURCES),
                            hasCapability(info, Capability::REVOCABLE_RESOURCES),
                            hasCapability(info, Capability::SHARED_RESOURCES),
                            hasCapability(info, Capability::RESERVATION_REFINEMENT)};
  framework.capabilityMask = (framework.capabilities.revocableResources ? 1 : 0) |
                             (framework.capabilities.sharedResources ? 2 : 0) |
                             (framework.capabilities.reservationRefinement ? 4 : 0);
  framework.active = active;
  framework.offerConstraints = std::move(options.offerConstraints);
  framework.minAllocatableResources = minAllocatableOf(info);
  if (!framework.minAllocatableResources.empty()) ++frameworksWithOwnMinimum_;
  for (const auto& role : options.suppressedRoles) {
    if (framework.roles.contains(role)) framework.suppressedRoles.insert(role);
  }
  // Resources the framework uses on known agents that the agent did not report
  // (addAgent's `used` normally covers them already): count them once, and only
  // out of what the agent has available, so that the books still balance.
  for (const auto& [agentId, resources] : used) {
    Agent* agent = findAgent(agentId);
    if (agent == nullptr) continue;
    auto heldIt = agent->offeredOrAllocated.find(id);
    const Resources held = heldIt == agent->offeredOrAllocated.end() ? Resources() : heldIt->second;
    Resources missing = resources - held;
    if (missing.empty()) continue;
    Resources taken = coveredBy(agent->available, missing);
    if (!(taken == missing)) {
      PLEXUS_LOG(Warning) << logName() << ": framework " << id << " uses " << missing
                          << " on agent " << agentId << " that the agent does not have";
    }
    if (taken.empty()) continue;
    hold(*agent, framework, taken);
    agent->allocated += taken;
  }
  refreshEligibility(framework);
  PLEXUS_LOG(Info) << logName() << ": added framework " << id << (active ? "" : " (inactive)");
  if (active) requestAllocation(std::nullopt);
}

void DrfAllocator::removeFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot remove unknown framework " << id;
    return;
  }
  Framework& framework = *found->second;
  for (auto& [agentId, agent] : agents_) {
    if (agent->maintenance) {
      agent->maintenance->outstanding.erase(id);
      agent->maintenance->answers.erase(id);
    }
    auto held = agent->offeredOrAllocated.find(id);
    if (held == agent->offeredOrAllocated.end()) continue;
    const Resources resources = held->second;
    release(*agent, id, resources);
    // What tasks of this framework used is no longer in use; `allocated` is kept
    // per agent and role only, so keep it within what the remaining frameworks hold.
    Resources stillHeld;
    for (const auto& [other, otherResources] : agent->offeredOrAllocated) {
      stillHeld += otherResources;
    }
    agent->allocated = intersection(agent->allocated, stillHeld);
    requestAllocation(*agent);
  }
  clearAllFilters(framework);
  if (!framework.minAllocatableResources.empty()) --frameworksWithOwnMinimum_;
  for (const auto& [role, pair] : framework.pairs) {
    tree_.removePair(pair);
    pairInfo_[pair] = PairInfo{};
  }
  frameworks_.erase(found);
  PLEXUS_LOG(Info) << logName() << ": removed framework " << id;
}

void DrfAllocator::activateFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot activate unknown framework " << id;
    return;
  }
  found->second->active = true;
  refreshEligibility(*found->second);
  PLEXUS_LOG(Info) << logName() << ": activated framework " << id;
  requestAllocation(std::nullopt);
}

void DrfAllocator::deactivateFramework(const FrameworkId& id) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot deactivate unknown framework " << id;
    return;
  }
  // Its resources stay allocated (the master rescinds its offers and recovers
  // them); its filters go, as in Mesos, so a failed-over scheduler starts afresh.
  found->second->active = false;
  clearAllFilters(*found->second);
  refreshEligibility(*found->second);
  PLEXUS_LOG(Info) << logName() << ": deactivated framework " << id;
}

void DrfAllocator::updateFramework(const FrameworkId& id, const v1::FrameworkInfo& info,
                                   FrameworkOptions options) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot update unknown framework " << id;
    return;
  }
  Framework& framework = *found->second;
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
  framework.offerConstraints = std::move(options.offerConstraints);
  framework.capabilities = {hasCapability(info, Capability::GPU_RESOURCES),
                            hasCapability(info, Capability::REVOCABLE_RESOURCES),
                            hasCapability(info, Capability::SHARED_RESOURCES),
                            hasCapability(info, Capability::RESERVATION_REFINEMENT)};
  framework.capabilityMask = (framework.capabilities.revocableResources ? 1 : 0) |
                             (framework.capabilities.sharedResources ? 2 : 0) |
                             (framework.capabilities.reservationRefinement ? 4 : 0);
  if (!framework.minAllocatableResources.empty()) --frameworksWithOwnMinimum_;
  framework.minAllocatableResources = minAllocatableOf(info);
  if (!framework.minAllocatableResources.empty()) ++frameworksWithOwnMinimum_;
  refreshEligibility(framework);
  // Roles it left keep their pair while it still holds resources in them.
  for (const auto& role : removedRoles)
    dropPairIfUnused(framework, role);
  PLEXUS_LOG(Info) << logName() << ": updated framework " << id;
  requestAllocation(std::nullopt);
}

// ---------------------------------------------------------------------------
// Agents.

DrfAllocator::Agent* DrfAllocator::findAgent(const AgentId& id) const {
  auto found = agentIndex_.find(id.value());
  return found == agentIndex_.end() ? nullptr : found->second;
}

void DrfAllocator::addAgent(const AgentId& id, const v1::AgentInfo& info,
                            const std::optional<v1::Unavailability>& unavailability,
                            const Resources& total, const std::map<FrameworkId, Resources>& used) {
  if (agents_.contains(id)) {
    PLEXUS_LOG(Warning) << logName() << ": agent " << id << " added twice; ignored";
    return;
  }
  auto owned = std::make_unique<Agent>();
  Agent& agent = *owned;
  agent.id = id;
  if (!freeAgentSlots_.empty()) {
    agent.index = freeAgentSlots_.back();
    freeAgentSlots_.pop_back();
    agentSlots_[agent.index] = &agent;
  } else {
    agent.index = static_cast<std::uint32_t>(agentSlots_.size());
    agentSlots_.push_back(&agent);
  }
  agents_.emplace(id, std::move(owned));
  agentIndex_.emplace(id.value(), &agent);
  agent.info = info;
  agent.total = unallocatedCopy(total);
  accountTotal(agent, true);
  setAvailable(agent, agent.total, true);
  for (const auto& [frameworkId, resources] : used) {
    Resources taken = coveredBy(agent.available, resources);
    if (!(taken == resources)) {
      PLEXUS_LOG(Warning) << logName() << ": agent " << id << " reports " << resources
                          << " used by framework " << frameworkId << " beyond its total";
    }
    if (taken.empty()) continue;
    // A framework not added yet gets a record now, completed by addFramework.
    hold(agent, frameworkRecord(frameworkId), taken);
    agent.allocated += taken;
  }
  if (unavailability) agent.maintenance = Maintenance{*unavailability, {}, {}};
  PLEXUS_LOG(Debug) << logName() << ": added agent " << id << " (" << info.hostname() << ") with "
                    << agent.total;
  if (expectedAgentCount_ && static_cast<int>(agents_.size()) >= *expectedAgentCount_) {
    PLEXUS_LOG(Info) << logName() << ": recovery complete, " << agents_.size() << " agents";
    expectedAgentCount_.reset();
    if (recoveryTimer_) runtime_->cancel(*recoveryTimer_);
    recoveryTimer_.reset();
    resume();
  }
  requestAllocation(agent);
}

void DrfAllocator::removeAgent(const AgentId& id) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << logName() << ": cannot remove unknown agent " << id;
    return;
  }
  Agent& agent = *found->second;
  const auto held = agent.offeredOrAllocated;
  for (const auto& [frameworkId, resources] : held) {
    release(agent, frameworkId, resources);
  }
  clearAgentFilters(agent, true, true);
  setAvailable(agent, Resources(), false);
  accountTotal(agent, false);
  agentSlots_[agent.index] = nullptr;
  freeAgentSlots_.push_back(agent.index);
  if (agent.pending) {
    pendingAgents_.erase(std::find(pendingAgents_.begin(), pendingAgents_.end(), &agent));
  }
  agentIndex_.erase(id.value());
  agents_.erase(found);
  PLEXUS_LOG(Info) << logName() << ": removed agent " << id;
}

void DrfAllocator::updateAgent(const AgentId& id, const v1::AgentInfo& info,
                               const std::optional<Resources>& total) {
  Agent* found = findAgent(id);
  if (found == nullptr) {
    PLEXUS_LOG(Warning) << logName() << ": cannot update unknown agent " << id;
    return;
  }
  Agent& agent = *found;
  bool updated = false;
  // Schedulers may have declined this agent for lacking an attribute: let them
  // see it again when its attributes change (Mesos does the same).
  if (attributesKey(info) != attributesKey(agent.info)) {
    clearAgentFilters(agent, true, false);
    updated = true;
  }
  if (info.SerializeAsString() != agent.info.SerializeAsString()) {
    agent.info = info;
    updated = true;
  }
  if (total && !(unallocatedCopy(*total) == agent.total)) {
    setAgentTotal(agent, unallocatedCopy(*total));
    PLEXUS_LOG(Info) << logName() << ": agent " << id << " now has " << agent.total;
    updated = true;
  }
  if (updated) {
    ++agent.growth;
    requestAllocation(id);
  }
}

void DrfAllocator::setAgentTotal(Agent& agent, const Resources& total) {
  accountTotal(agent, false);
  agent.total = total;
  accountTotal(agent, true);
  // What is offered or in use stays so; the rest of the new total is available.
  Resources held;
  for (const auto& [frameworkId, resources] : agent.offeredOrAllocated) {
    held += resources;
  }
  setAvailable(agent, agent.total - unallocatedCopy(held), true);
}

void DrfAllocator::activateAgent(const AgentId& id) {
  Agent* agent = findAgent(id);
  if (agent == nullptr) {
    PLEXUS_LOG(Warning) << logName() << ": cannot activate unknown agent " << id;
    return;
  }
  agent->active = true;
  PLEXUS_LOG(Info) << logName() << ": activated agent " << id;
  requestAllocation(id);
}

void DrfAllocator::deactivateAgent(const AgentId& id) {
  Agent* agent = findAgent(id);
  if (agent == nullptr) {
    PLEXUS_LOG(Warning) << logName() << ": cannot deactivate unknown agent " << id;
    return;
  }
  agent->active = false;
  PLEXUS_LOG(Info) << logName() << ": deactivated agent " << id;
}

void DrfAllocator::updateWhitelist(const std::optional<std::set<std::string>>& hostnames) {
  whitelist_ = hostnames;
  if (!whitelist_) {
    PLEXUS_LOG(Info) << logName() << ": offering every agent";
  } else if (whitelist_->empty()) {
    PLEXUS_LOG(Warning) << logName() << ": the whitelist is empty, no offers will be made";
  } else {
    PLEXUS_LOG(Info) << logName() << ": offering only " << whitelist_->size()
                     << " whitelisted hosts";
  }
  ++epoch_;
  requestAllocation(std::nullopt);
}

void DrfAllocator::requestResources(const FrameworkId& framework,
                                    const std::vector<v1::Request>& requests) {
  // Mesos's allocator ignores REQUEST too: it is a hint without defined semantics.
  PLEXUS_LOG(Debug) << logName() << ": ignoring " << requests.size()
                    << " resource requests from framework " << framework;
}

void DrfAllocator::suppressOffers(const FrameworkId& id, const std::set<std::string>& roles) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot suppress offers for unknown framework " << id;
    return;
  }
  Framework& framework = *found->second;
  for (const auto& role : roles.empty() ? framework.roles : roles) {
    if (framework.roles.contains(role)) framework.suppressedRoles.insert(role);
  }
  refreshEligibility(framework);
  PLEXUS_LOG(Info) << logName() << ": framework " << id << " suppressed offers for "
                   << (roles.empty() ? "all its roles" : std::to_string(roles.size()) + " roles");
}

void DrfAllocator::reviveOffers(const FrameworkId& id, const std::set<std::string>& roles) {
  auto found = frameworks_.find(id);
  if (found == frameworks_.end() || !found->second->added) {
    PLEXUS_LOG(Warning) << logName() << ": cannot revive offers for unknown framework " << id;
    return;
  }
  Framework& framework = *found->second;
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
  refreshEligibility(framework);
  PLEXUS_LOG(Info) << logName() << ": framework " << id << " revived offers for "
                   << (roles.empty() ? "all its roles" : std::to_string(roles.size()) + " roles");
  requestAllocation(std::nullopt);
}

void DrfAllocator::applyQuota(const std::string& role) {
  // The effective guarantee: the larger of the quota's and the role's minimum.
  ResourceQuantities guarantees;
  ResourceQuantities limits;
  if (auto quota = quotas_.find(role); quota != quotas_.end()) {
    guarantees = quota->second.guarantees;
    limits = quota->second.limits;
  }
  if (auto minimum = policy_.roleMinimums.find(role); minimum != policy_.roleMinimums.end()) {
    for (const auto& quantity : minimum->second) {
      const std::int64_t missing = quantity.millis - guarantees.getMillis(quantity.name);
      if (missing > 0) guarantees.add(quantity.name, missing);
    }
  }
  QVec guarantee = toQVec(guarantees, slots_);
  QVec limit(slots_.size(), kUnlimited);
  for (const auto& quantity : limits) {
    const std::size_t slot = slots_.slotOf(quantity.name);
    if (limit.size() <= slot) limit.resize(slot + 1, kUnlimited);
    limit[slot] = quantity.millis;
  }
  tree_.setQuota(role, guarantee, limit);
  ++epoch_;
}

void DrfAllocator::updateQuota(const std::string& role, const Quota& quota) {
  if (quota.guarantees.empty() && quota.limits.empty()) {
    quotas_.erase(role);
  } else {
    quotas_[role] = quota;
  }
  applyQuota(role);
  PLEXUS_LOG(Info) << logName() << ": quota of role '" << role << "': guarantees "
                   << quota.guarantees << ", limits " << quota.limits;
  // A higher limit or a lower guarantee may make offers possible.
  requestAllocation(std::nullopt);
}

void DrfAllocator::updateWeights(const std::vector<v1::WeightInfo>& weights) {
  for (const auto& weight : weights) {
    if (!weight.has_role()) continue;
    const double value = weight.weight();
    if (!std::isfinite(value) || value <= 0) {
      PLEXUS_LOG(Warning) << logName() << ": ignoring weight " << value << " of role '"
                          << weight.role() << "'";
      continue;
    }
    weights_[weight.role()] = value;
    tree_.setWeight(weight.role(), value);
  }
  ++epoch_;
  PLEXUS_LOG(Info) << logName() << ": updated " << weights.size() << " role weights";
}

void DrfAllocator::pause() {
  if (paused_) return;
  paused_ = true;
  PLEXUS_LOG(Info) << logName() << ": allocation paused";
}

void DrfAllocator::resume() {
  if (!paused_) return;
  paused_ = false;
  ++epoch_;
  PLEXUS_LOG(Info) << logName() << ": allocation resumed";
  // Events while paused did not queue cycles: look at every agent once.
  requestAllocation(std::nullopt);
}

}  // namespace plexus::drf
