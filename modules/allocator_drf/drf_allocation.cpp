// The allocation cycle, its triggers, refusal filters and inverse offers.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <plexus/logging.hpp>

#include "drf_allocator.hpp"
#include "resource_helpers.hpp"

namespace plexus::drf {

std::optional<Duration> refusalTimeout(const v1::Filters& filters) {
  const double kDefaultSeconds = v1::Filters().refuse_seconds();
  constexpr double kMaxSeconds = 365.0 * 24 * 3600;
  double seconds = filters.refuse_seconds();
  if (std::isnan(seconds) || seconds < 0) {
    PLEXUS_LOG(Warning) << "allocator_drf: refuse_seconds " << seconds
                        << " is invalid, using the default of " << kDefaultSeconds << " seconds";
    seconds = kDefaultSeconds;
  } else if (seconds > kMaxSeconds) {
    // Common (schedulers decline "forever" with INT_MAX): not worth a warning each time.
    PLEXUS_LOG(Debug) << "allocator_drf: refuse_seconds " << seconds
                      << " is too large, using 365 days";
    seconds = kMaxSeconds;
  }
  const auto timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  if (timeout <= Duration::zero()) return std::nullopt;
  return timeout;
}

// ---------------------------------------------------------------------------
// Triggers.

void DrfAllocator::requestAllocation(const std::optional<AgentId>& agent) {
  if (agent) {
    if (Agent* found = findAgent(*agent)) requestAllocation(*found);
    return;
  }
  // Mesos drops triggers while paused as well; resume() covers every agent.
  if (!initialized_ || paused_) return;
  allAgentsPending_ = true;
  for (Agent* pending : pendingAgents_)
    pending->pending = false;
  pendingAgents_.clear();
  if (allocationPosted_) return;
  allocationPosted_ = true;
  runtime_->post(guarded([this] {
    allocationPosted_ = false;
    runPendingAllocation(false);
  }));
}

void DrfAllocator::requestAllocation(Agent& agent) {
  if (!initialized_ || paused_) return;
  if (!allAgentsPending_ && !agent.pending) {
    agent.pending = true;
    pendingAgents_.push_back(&agent);
  }
  if (allocationPosted_) return;  // one cycle per loop turn, however many events
  allocationPosted_ = true;
  runtime_->post(guarded([this] {
    allocationPosted_ = false;
    runPendingAllocation(false);
  }));
}

void DrfAllocator::runPendingAllocation(bool periodic) {
  std::vector<Agent*> candidates;
  if (allAgentsPending_) {
    candidates.reserve(agents_.size());
    for (const auto& [id, agent] : agents_) {
      candidates.push_back(agent.get());
    }
  } else {
    candidates = pendingAgents_;
    if (config_.agentOrder == AgentOrder::kSorted) {
      std::sort(candidates.begin(), candidates.end(),
                [](const Agent* l, const Agent* r) { return l->id < r->id; });
    }
  }
  // Every queued agent leaves the queue here, whichever way the cycle went:
  // an agent still marked pending would never be queued again, and its freed
  // resources would wait for the periodic cycle.
  for (Agent* agent : pendingAgents_)
    agent->pending = false;
  pendingAgents_.clear();
  allAgentsPending_ = false;
  if (paused_) return;
  allocate(std::move(candidates), periodic);
}

void DrfAllocator::onAllocationTimer() {
  allocationTimer_ =
      runtime_->schedule(options_.allocationInterval, guarded([this] { onAllocationTimer(); }));
  if (paused_) return;
  // A periodic cycle covers every agent, and with it any pending event.
  allAgentsPending_ = true;
  runPendingAllocation(true);
}

// ---------------------------------------------------------------------------
// The cycle.

void DrfAllocator::allocate(std::vector<Agent*> candidates, bool periodic) {
  if (candidates.empty()) {
    if (periodic) afterCycle(periodic);
    return;
  }
  ++allocationRuns_;
  ++cycle_;

  std::vector<Agent*> order;
  order.reserve(candidates.size());
  for (Agent* agent : candidates) {
    if (agent->active && isWhitelisted(*agent)) order.push_back(agent);
  }
  if (config_.agentOrder == AgentOrder::kRandom) std::shuffle(order.begin(), order.end(), random_);

  tree_.resortIfDirty();
  Offerable offerable;
  for (Agent* agent : order) {
    allocateAgent(*agent, offerable);
  }
  // Callbacks in framework id order, whatever order the offers were made in.
  std::sort(offerable.begin(), offerable.end(),
            [](const auto& left, const auto& right) { return left.first->id < right.first->id; });

  std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>> inverseOfferable;
  generateInverseOffers(candidates, inverseOfferable);

  // The books are complete: the callbacks may call back into the allocator.
  if (callbacks_.offer) {
    for (const auto& [framework, resources] : offerable) {
      callbacks_.offer(framework->id, resources);
    }
  }
  if (callbacks_.inverseOffer) {
    for (const auto& [framework, inverseOffers] : inverseOfferable) {
      callbacks_.inverseOffer(framework, inverseOffers);
    }
  }
  afterCycle(periodic);
}

namespace {

// Mesos's --min_allocatable_resources: `resources` contain one of the sets.
bool meetsOneOf(const Resources& resources, const std::vector<ResourceQuantities>& minimum) {
  if (minimum.empty()) return true;
  return std::any_of(minimum.begin(), minimum.end(), [&](const ResourceQuantities& quantities) {
    return resources.contains(quantities);
  });
}

}  // namespace

bool DrfAllocator::hasFilterBit(const Agent& agent, PairIdx pair) {
  const std::size_t word = pair / 64;
  return word < agent.filterBits.size() && (agent.filterBits[word] & (1ULL << (pair % 64))) != 0;
}

bool DrfAllocator::meetsMinimumQ(const QVec& q) const {
  return std::any_of(minimumQ_.begin(), minimumQ_.end(),
                     [&](const QVec& minimum) { return containsQ(q, minimum); });
}

bool DrfAllocator::availableMeetsMinimum(const Agent& agent) const {
  // On the cached scalars when the minimum names only plain scalars.
  return minimumIsScalar_ ? meetsMinimumQ(agent.availableQ)
                          : meetsOneOf(agent.available, options_.minAllocatableResources);
}

void DrfAllocator::allocateAgent(Agent& agent, Offerable& offerable) {
  if (agent.available.empty()) return;
  // Nothing that could change the outcome happened since a visit offered nothing.
  if (agent.idleGrowth == agent.growth && agent.idleEpoch == epoch_) return;
  // Leftovers below everyone's minimum can go to nobody.
  if (frameworksWithOwnMinimum_ == 0 && !availableMeetsMinimum(agent)) return;
  Visit visit;
  visit.agent = &agent;
  visit.offerable = &offerable;
  tree_.beginBatch();
  // Stage 1: roles whose quota guarantee is not met yet, in their DRF order.
  if (tree_.unsatisfiedNodes() > 0) {
    const std::vector<RoleTree::NodeIdx>& quotaRoles = tree_.quotaOrder();
    for (RoleTree::NodeIdx role : quotaRoles) {
      const QVec* lacking = tree_.unsatisfied(role);
      if (lacking == nullptr || isZero(*lacking)) continue;
      if (!tree_.forEachPair(
              role, [&](PairIdx pair) { return tryOffer(visit, pair, Stage::kQuotaGuarantees); })) {
        break;
      }
    }
  }
  // Stage 2: fair sharing of the rest, down the role tree.
  if (!agent.available.empty()) {
    const bool prune = tree_.anyQuota() && !agent.hasReservations && minimumIsScalar_ &&
                       frameworksWithOwnMinimum_ == 0;
    tree_.forEachPair(
        RoleTree::kRoot,
        [&](PairIdx pair) {
          // Most pairs of a long-running cluster refused this agent: settle them
          // here, inline, with a bit test and the agent's cached answer.
          if (hasFilterBit(agent, pair) && agent.allRefusedChecked == agent.growth &&
              agent.allRefusedCover) {
            return true;
          }
          return tryOffer(visit, pair, Stage::kFairShare);
        },
        [&](RoleTree::NodeIdx role) { return prune && isSaturated(role); });
  }
  tree_.endBatch();
  if (!visit.offered) {
    agent.idleGrowth = agent.growth;
    agent.idleEpoch = epoch_;
  }
}

const DrfAllocator::Candidate& DrfAllocator::candidateFor(Visit& visit, RoleTree::NodeIdx role,
                                                          const Framework& framework) {
  const Agent& agent = *visit.agent;
  const RoleTree::NodeIdx key = agent.hasReservations ? role : RoleTree::kNone;
  const std::uint8_t capabilities = agent.hasSpecial ? framework.capabilityMask : 0;
  for (const Candidate& candidate : visit.candidates) {
    if (candidate.role == key && candidate.capabilities == capabilities) return candidate;
  }
  Candidate candidate;
  candidate.role = key;
  candidate.capabilities = capabilities;
  candidate.agentAvailable = &agent.available;
  if (agent.hasReservations || agent.hasSpecial) {
    Resources own =
        agent.hasReservations ? agent.available.allocatableTo(tree_.path(role)) : agent.available;
    if (agent.hasSpecial) own = stripIncapable(own, framework.capabilities);
    candidate.unreserved = unreservedQVec(own, slots_);
    candidate.all = toQVec(own, slots_);
    candidate.own = std::move(own);
  } else {
    candidate.unreserved = agent.availableUnreservedQ;
    candidate.all = agent.availableQ;
  }
  candidate.token = nextToken_++;
  visit.candidates.push_back(std::move(candidate));
  return visit.candidates.back();
}

namespace {

// `resources` with their unreserved, non-revocable scalars cut down to `cap`
// (per slot); indivisible ones that do not fit are left out.
Resources chop(const Resources& resources, QVec cap, ScalarSlots& slots) {
  Resources result;
  for (const Resource& resource : resources) {
    if (resource.type() != ValueType::kScalar || resource.isReserved() || resource.isRevocable()) {
      result += resource;
      continue;
    }
    const std::size_t slot = slots.slotOf(resource.name());
    const std::int64_t allowed = slot < cap.size() ? cap[slot] : kUnlimited;
    if (allowed >= resource.scalarMillis()) {
      result += resource;
      if (allowed != kUnlimited) cap[slot] -= resource.scalarMillis();
    } else if (allowed > 0 && !resource.hasDisk() && !resource.isShared()) {
      auto piece = Resource::makeScalar(resource.name(),
                                        static_cast<double>(allowed) / Resource::kScalarScale);
      if (piece) result += *piece;
      cap[slot] = 0;
    }
  }
  return result;
}

}  // namespace

bool DrfAllocator::tryOffer(Visit& visit, PairIdx pair, Stage stage) {
  Agent& agent = *visit.agent;
  // The common refusal first, before touching the framework's record: a filter
  // holding all the agent has left covers whatever this pair could be offered here.
  if (hasFilterBit(agent, pair) && refusesAllAvailable(agent, pair)) return true;
  Framework& framework = *pairInfo_[pair].framework;
  if (!isCapableOfAgent(framework, agent)) return true;
  const RoleTree::NodeIdx role = tree_.pair(pair).node;
  // The framework's offer constraints rule the agent out for this role.
  if (!framework.offerConstraints.empty() &&
      framework.offerConstraints.isAgentExcluded(pairInfo_[pair].role, agent.info)) {
    return true;
  }
  if (stage == Stage::kQuotaGuarantees) {
    const QVec* lacking = tree_.unsatisfied(role);
    if (lacking == nullptr || isZero(*lacking)) return true;
  }
  const Candidate& candidate = candidateFor(visit, role, framework);
  const Resources& candidateResources = candidate.resources();
  if (candidateResources.empty()) return true;
  const Resources* toOffer = &candidateResources;
  std::uint64_t token = candidate.token;
  Resources chopped;
  if (tree_.anyQuota()) {
    // Quota: never above a limit; hold back what unmet guarantees of other roles
    // need (headroom); stage 1 gives a role only what its guarantee lacks.
    QVec cap = tree_.limitHeadroom(role);  // kUnlimited where no limit applies
    const QVec* lacking = tree_.unsatisfied(role);
    const QVec* guaranteed = stage == Stage::kQuotaGuarantees ? tree_.guarantee(role) : nullptr;
    const QVec& required = tree_.requiredHeadroom();
    // What is held back for guarantees that do not cover this role.
    const QVec* own = tree_.ownNeed(role);
    bool needsChop = false;
    for (std::size_t slot = 0; slot < cap.size(); ++slot) {
      if (guaranteed != nullptr && at(*guaranteed, slot) > 0) {
        cap[slot] = std::min(cap[slot], lacking != nullptr ? at(*lacking, slot) : 0);
      } else if (at(required, slot) > 0) {
        const std::int64_t others = at(required, slot) - (own != nullptr ? at(*own, slot) : 0);
        cap[slot] =
            std::min(cap[slot], std::max<std::int64_t>(0, at(availableUnreserved_, slot) - others));
      }
      if (cap[slot] < at(candidate.unreserved, slot)) needsChop = true;
    }
    if (needsChop && minimumIsScalar_ && framework.minAllocatableResources.empty()) {
      // Would the chopped offer reach the minimum? Decide on quantities before
      // building any Resources: most roles at their limits are skipped here.
      QVec offered = candidate.all;
      for (std::size_t slot = 0; slot < cap.size() && slot < offered.size(); ++slot) {
        const std::int64_t unreservedPart = at(candidate.unreserved, slot);
        offered[slot] -= unreservedPart - std::min(unreservedPart, cap[slot]);
      }
      const bool enough = std::any_of(minimumQ_.begin(), minimumQ_.end(), [&](const QVec& minimum) {
        return containsQ(offered, minimum);
      });
      if (!enough) return true;
    }
    if (needsChop) {
      chopped = chop(candidateResources, std::move(cap), slots_);
      toOffer = &chopped;
      token = nextToken_++;
    }
  }
  if (toOffer->empty()) return true;
  if (isFiltered(agent, pair, *toOffer, token)) return true;
  const std::string& roleName = pairInfo_[pair].role;
  const bool wholeCandidate = toOffer == &candidateResources;
  if (wholeCandidate && minimumIsScalar_ && !framework.minAllocatableResources.contains(roleName)) {
    if (!meetsMinimumQ(candidate.all)) return true;  // isAllocatable, on the cached scalars
  } else if (!isAllocatable(*toOffer, roleName, framework)) {
    return true;
  }

  PLEXUS_LOG(Debug) << logName() << ": offering " << *toOffer << " on agent " << agent.id
                    << " to role '" << roleName << "' of framework " << framework.id;
  // The agent's whole available moves into the offer (`toOffer` is gone after this).
  Resources offered =
      grant(agent, framework, pair, *toOffer, wholeCandidate && !candidate.own.has_value());
  toOffer = nullptr;
  if (framework.offerCycle != cycle_) {
    framework.offerCycle = cycle_;
    framework.offerSlot = visit.offerable->size();
    visit.offerable->emplace_back(&framework, OfferedResources());
  }
  Resources& slot = (*visit.offerable)[framework.offerSlot].second[roleName][agent.id];
  if (slot.empty()) {
    slot = std::move(offered);
  } else {
    slot += offered;
  }
  visit.candidates.clear();
  visit.offered = true;
  pairInfo_[pair].lastOfferCycle = cycle_;
  if (agent.available.empty()) return false;
  if (frameworksWithOwnMinimum_ == 0 && !availableMeetsMinimum(agent)) return false;
  return true;
}

void DrfAllocator::generateInverseOffers(
    const std::vector<Agent*>& candidates,
    std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>>& out) {
  // Frameworks that hold something on an agent going into maintenance are asked,
  // once, to give it back; the master fills in the offer's id and url.
  for (Agent* agent : candidates) {
    if (!agent->maintenance) continue;
    Maintenance& maintenance = *agent->maintenance;
    for (const auto& [frameworkId, held] : agent->offeredOrAllocated) {
      auto framework = frameworks_.find(frameworkId);
      if (framework == frameworks_.end() || !framework->second->added ||
          !framework->second->active) {
        continue;
      }
      if (maintenance.outstanding.contains(frameworkId)) continue;
      if (framework->second->inverseOfferFilters.contains(agent->id)) continue;
      v1::InverseOffer& inverseOffer = out[frameworkId][agent->id];
      frameworkId.toWire(inverseOffer.mutable_framework_id());
      agent->id.toWire(inverseOffer.mutable_agent_id());
      *inverseOffer.mutable_unavailability() = maintenance.unavailability;
      maintenance.outstanding.insert(frameworkId);
    }
  }
}

bool DrfAllocator::isSaturated(RoleTree::NodeIdx role) const {
  const std::uint64_t reached = tree_.limitReachedMask(role);
  if (reached == 0) return false;
  return std::all_of(minimumMasks_.begin(), minimumMasks_.end(),
                     [reached](std::uint64_t mask) { return (reached & mask) != 0; });
}

bool DrfAllocator::isWhitelisted(const Agent& agent) const {
  return !whitelist_ || whitelist_->contains(agent.info.hostname());
}

bool DrfAllocator::isCapableOfAgent(const Framework& framework, const Agent& agent) const {
  // Agents with GPUs go only to GPU-aware frameworks (MESOS-5634).
  return !(options_.filterGpuResources && agent.hasGpus && !framework.capabilities.gpuResources);
}

Resources DrfAllocator::stripIncapable(const Resources& resources,
                                       const Capabilities& capabilities) const {
  return resources.filter([&](const Resource& resource) {
    if (!capabilities.sharedResources && resource.isShared()) return false;
    if (!capabilities.revocableResources && resource.isRevocable()) return false;
    // Refined reservations cannot be shown to frameworks that predate them.
    if (!capabilities.reservationRefinement && resource.reservations().size() > 1) return false;
    return true;
  });
}

bool DrfAllocator::isAllocatable(const Resources& resources, const std::string& role,
                                 const Framework& framework) const {
  if (resources.empty()) return false;
  const std::vector<ResourceQuantities>* minimum = &options_.minAllocatableResources;
  auto own = framework.minAllocatableResources.find(role);
  if (own != framework.minAllocatableResources.end()) minimum = &own->second;
  return meetsOneOf(resources, *minimum);
}

bool DrfAllocator::refusesAllAvailable(Agent& agent, PairIdx pair) {
  // Usually every filter on an agent refused the same leftovers: one answer for
  // the agent, until its available grows or a filter is installed.
  if (agent.allRefusedChecked != agent.growth) {
    agent.allRefusedCover = true;
    for (RefusedSet& refused : agent.refused) {
      if (refused.references == 0) continue;
      if (refused.availableChecked != agent.growth) {
        refused.coversAvailable = refused.resources.contains(agent.available);
        refused.availableChecked = agent.growth;
      }
      agent.allRefusedCover = agent.allRefusedCover && refused.coversAvailable;
    }
    agent.allRefusedChecked = agent.growth;
  }
  if (agent.allRefusedCover) return true;
  auto filter = agent.filters.find(pair);
  if (filter == agent.filters.end()) return false;
  RefusedSet& refused = agent.refused[filter->second.refused];
  if (refused.availableChecked != agent.growth) {
    refused.coversAvailable = refused.resources.contains(agent.available);
    refused.availableChecked = agent.growth;
  }
  return refused.coversAvailable;
}

bool DrfAllocator::isFiltered(Agent& agent, PairIdx pair, const Resources& resources,
                              std::uint64_t token) {
  const std::size_t word = pair / 64;
  if (word >= agent.filterBits.size() || (agent.filterBits[word] & (1ULL << (pair % 64))) == 0) {
    return false;
  }
  auto found = agent.filters.find(pair);
  if (found == agent.filters.end()) return false;
  RefusedSet& refused = agent.refused[found->second.refused];
  // A filter covers only what was refused: more resources make a new offer.
  if (refused.checkedToken != token) {
    refused.covers = refused.resources.contains(resources);
    refused.checkedToken = token;
  }
  return refused.covers;
}

// ---------------------------------------------------------------------------
// Bookkeeping.

void DrfAllocator::setAvailable(Agent& agent, Resources available, bool mayGrow) {
  QVec unreserved = unreservedQVec(available, slots_);
  subtractFrom(availableUnreserved_, agent.availableUnreservedQ);
  addTo(availableUnreserved_, unreserved);
  if (mayGrow && !agent.available.contains(available)) ++agent.growth;
  agent.availableQ = toQVec(available, slots_);
  agent.availableUnreservedQ = std::move(unreserved);
  agent.available = std::move(available);
}

void DrfAllocator::accountTotal(Agent& agent, bool add) {
  const QVec all = toQVec(agent.total, slots_);
  if (add) {
    tree_.addTotal(all);
  } else {
    tree_.removeTotal(all);
  }
  for (const auto& [role, part] : agent.total.reservations()) {
    const QVec reserved = toQVec(part, slots_);
    if (add) {
      tree_.reserved(tree_.node(role), reserved);
    } else {
      tree_.unreserved(tree_.node(role), reserved);
    }
  }
  if (add) {
    agent.hasGpus = agent.total.gpus().value_or(0) > 0;
    agent.hasReservations = false;
    agent.hasSpecial = false;
    for (const Resource& resource : agent.total) {
      if (resource.isReserved()) agent.hasReservations = true;
      if (resource.isRevocable() || resource.isShared() || resource.reservations().size() > 1) {
        agent.hasSpecial = true;
      }
    }
  }
  ++agent.growth;
}

void DrfAllocator::account(Framework& framework, const Resources& resources, bool add) {
  std::map<std::string, Resources> byRole = resources.allocations();
  // Resources reported without an allocation role count towards "*".
  Resources unallocated = resources.unallocated();
  if (!unallocated.empty()) byRole["*"] += unallocated;
  for (const auto& [role, part] : byRole) {
    const QVec all = toQVec(part, slots_);
    const QVec unreservedPart = unreservedQVec(part, slots_);
    if (add) {
      tree_.allocated(pairFor(framework, role), all, unreservedPart);
    } else {
      auto pair = framework.pairs.find(role);
      if (pair == framework.pairs.end()) continue;
      tree_.unallocated(pair->second, all, unreservedPart);
      dropPairIfUnused(framework, role);
    }
  }
  if (tree_.anyQuota()) ++epoch_;
}

Resources DrfAllocator::grant(Agent& agent, Framework& framework, PairIdx pair,
                              const Resources& resources, bool everything) {
  Resources offered;
  if (everything) {
    // `resources` is the agent's whole available: it moves into the offer, nothing
    // is copied or subtracted, and its scalars are known already.
    tree_.allocated(pair, agent.availableQ, agent.availableUnreservedQ);
    offered = std::move(agent.available);
    setAvailable(agent, Resources(), false);
  } else {
    tree_.allocated(pair, toQVec(resources, slots_), unreservedQVec(resources, slots_));
    offered = resources;
    setAvailable(agent, agent.available - resources, false);
  }
  offered.allocate(pairInfo_[pair].role);
  Resources& held = agent.offeredOrAllocated[framework.id];
  if (held.empty()) {
    held = offered;
  } else {
    held += offered;
  }
  if (tree_.anyQuota()) ++epoch_;
  return offered;
}

void DrfAllocator::hold(Agent& agent, Framework& framework, const Resources& resources) {
  setAvailable(agent, agent.available - unallocatedCopy(resources), false);
  agent.offeredOrAllocated[framework.id] += resources;
  account(framework, resources, true);
}

Resources DrfAllocator::release(Agent& agent, const FrameworkId& frameworkId,
                                const Resources& resources) {
  auto held = agent.offeredOrAllocated.find(frameworkId);
  if (held == agent.offeredOrAllocated.end()) return {};
  // Only what the framework holds comes back (a confused caller cannot mint resources).
  Resources released = intersection(held->second, resources);
  if (released.empty()) return released;
  held->second -= released;
  if (held->second.empty()) agent.offeredOrAllocated.erase(held);
  setAvailable(agent, agent.available + unallocatedCopy(released), true);
  auto framework = frameworks_.find(frameworkId);
  if (framework != frameworks_.end()) {
    account(*framework->second, released, false);
    // A record made only for an agent's report goes once it holds nothing.
    if (!framework->second->added && framework->second->pairs.empty()) frameworks_.erase(framework);
  }
  return released;
}

// ---------------------------------------------------------------------------
// Filters.

void DrfAllocator::installOfferFilter(Agent& agent, PairIdx pair, Resources refused,
                                      Duration timeout) {
  // As Mesos (MESOS-4302): a filter lasts at least one allocation interval, so a
  // short refusal still skips the next periodic cycle.
  timeout = std::max(timeout, options_.allocationInterval);
  const std::int64_t expiry = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  (runtime_->now() + timeout).time_since_epoch())
                                  .count();
  PLEXUS_LOG(Debug) << logName() << ": framework " << pairInfo_[pair].framework->id << " refused "
                    << refused << " on agent " << agent.id << " for role '" << pairInfo_[pair].role
                    << "' for " << formatDuration(timeout);
  auto existing = agent.filters.find(pair);
  if (existing != agent.filters.end()) {
    // One filter per (framework, role, agent): keep the older one if it refuses
    // at least as much for at least as long, else the new one replaces it.
    RefusedSet& old = agent.refused[existing->second.refused];
    if (existing->second.expiry >= expiry && old.resources.contains(refused)) return;
    if (--old.references == 0) old.resources = Resources();
  }
  std::uint32_t index = static_cast<std::uint32_t>(agent.refused.size());
  std::uint32_t freeIndex = index;
  for (std::uint32_t i = 0; i < agent.refused.size(); ++i) {
    if (agent.refused[i].references == 0) {
      freeIndex = std::min(freeIndex, i);
    } else if (agent.refused[i].resources == refused) {
      index = i;
      break;
    }
  }
  if (index == agent.refused.size()) {
    index = freeIndex;
    if (index == agent.refused.size()) agent.refused.emplace_back();
    agent.refused[index] = RefusedSet{std::move(refused), 0, 0, false};
  }
  ++agent.refused[index].references;
  agent.allRefusedChecked = 0;
  if (existing != agent.filters.end()) {
    existing->second = FilterRecord{expiry, index};
  } else {
    agent.filters.emplace(pair, FilterRecord{expiry, index});
    const std::size_t word = pair / 64;
    if (agent.filterBits.size() <= word) agent.filterBits.resize(word + 1, 0);
    agent.filterBits[word] |= 1ULL << (pair % 64);
    ++pairInfo_[pair].filterCount;
  }
  ExpiryBucket& bucket = expiries_[expiry];
  if (bucket.entries.empty()) {
    bucket.timer =
        runtime_->schedule(timeout, guarded([this, expiry] { expireOfferFilters(expiry); }));
  }
  bucket.entries.emplace_back(agent.index, pair);
}

void DrfAllocator::removeOfferFilter(Agent& agent, PairIdx pair) {
  auto found = agent.filters.find(pair);
  if (found == agent.filters.end()) return;
  RefusedSet& refused = agent.refused[found->second.refused];
  if (--refused.references == 0) refused.resources = Resources();
  agent.filters.erase(found);
  agent.filterBits[pair / 64] &= ~(1ULL << (pair % 64));
  --pairInfo_[pair].filterCount;
  ++agent.growth;
}

void DrfAllocator::expireOfferFilters(std::int64_t expiry) {
  auto bucket = expiries_.find(expiry);
  if (bucket == expiries_.end()) return;
  const auto entries = std::move(bucket->second.entries);
  expiries_.erase(bucket);
  for (const auto& [index, pair] : entries) {
    if (index >= agentSlots_.size() || agentSlots_[index] == nullptr) continue;
    Agent& agent = *agentSlots_[index];
    auto found = agent.filters.find(pair);
    // A filter replaced or removed since is not this bucket's any more.
    if (found == agent.filters.end() || found->second.expiry != expiry) continue;
    removeOfferFilter(agent, pair);
    // Unlike Mesos, which waits for the next periodic cycle, offer right away.
    requestAllocation(agent);
  }
}

void DrfAllocator::installInverseOfferFilter(const FrameworkId& frameworkId, Framework& framework,
                                             const AgentId& agent, Duration timeout) {
  const FilterId id = nextFilterId_++;
  framework.inverseOfferFilters[agent][id] =
      runtime_->schedule(timeout, guarded([this, frameworkId, agent, id] {
                           expireInverseOfferFilter(frameworkId, agent, id);
                         }));
}

void DrfAllocator::expireInverseOfferFilter(const FrameworkId& frameworkId, const AgentId& agent,
                                            FilterId filter) {
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) return;
  auto& filters = framework->second->inverseOfferFilters;
  auto agentFilters = filters.find(agent);
  if (agentFilters == filters.end()) return;
  agentFilters->second.erase(filter);
  if (agentFilters->second.empty()) filters.erase(agentFilters);
}

void DrfAllocator::clearPairFilters(PairIdx pair) {
  if (pair >= pairInfo_.size() || pairInfo_[pair].filterCount == 0) return;
  for (Agent* agent : agentSlots_) {
    if (pairInfo_[pair].filterCount == 0) break;
    if (agent != nullptr) removeOfferFilter(*agent, pair);
  }
  ++epoch_;
}

void DrfAllocator::clearOfferFilters(Framework& framework, const std::set<std::string>& roles) {
  for (const auto& role : roles) {
    auto pair = framework.pairs.find(role);
    if (pair != framework.pairs.end()) clearPairFilters(pair->second);
  }
}

void DrfAllocator::clearAllFilters(Framework& framework) {
  for (const auto& [role, pair] : framework.pairs) {
    clearPairFilters(pair);
  }
  for (auto& [agent, filters] : framework.inverseOfferFilters) {
    for (auto& [id, timer] : filters) {
      runtime_->cancel(timer);
    }
  }
  framework.inverseOfferFilters.clear();
}

void DrfAllocator::clearAgentFilters(Agent& agent, bool offerFilters, bool inverseOfferFilters) {
  if (offerFilters) {
    std::vector<PairIdx> pairs;
    pairs.reserve(agent.filters.size());
    for (const auto& [pair, filter] : agent.filters)
      pairs.push_back(pair);
    for (PairIdx pair : pairs)
      removeOfferFilter(agent, pair);
  }
  if (inverseOfferFilters) {
    for (auto& [frameworkId, framework] : frameworks_) {
      auto agentFilters = framework->inverseOfferFilters.find(agent.id);
      if (agentFilters != framework->inverseOfferFilters.end()) {
        for (auto& [id, timer] : agentFilters->second) {
          runtime_->cancel(timer);
        }
        framework->inverseOfferFilters.erase(agentFilters);
      }
    }
  }
}

}  // namespace plexus::drf
