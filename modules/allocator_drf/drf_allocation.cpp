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
    PLEXUS_LOG(Warning) << "allocator_drf: refuse_seconds " << seconds
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
  // Mesos drops triggers while paused as well; resume() covers every agent.
  if (!initialized_ || paused_) return;
  if (agent) {
    pendingAgents_.insert(*agent);
  } else {
    allAgentsPending_ = true;
  }
  if (allocationPosted_) return;  // one cycle per loop turn, however many events
  allocationPosted_ = true;
  runtime_->post(guarded([this] {
    allocationPosted_ = false;
    runPendingAllocation();
  }));
}

void DrfAllocator::runPendingAllocation() {
  std::set<AgentId> candidates;
  if (allAgentsPending_) {
    for (const auto& [id, agent] : agents_) {
      candidates.insert(id);
    }
  } else {
    for (const auto& id : pendingAgents_) {
      if (agents_.contains(id)) candidates.insert(id);
    }
  }
  allAgentsPending_ = false;
  pendingAgents_.clear();
  if (paused_) return;
  allocate(candidates);
}

void DrfAllocator::onAllocationTimer() {
  allocationTimer_ =
      runtime_->schedule(options_.allocationInterval, guarded([this] { onAllocationTimer(); }));
  if (paused_) return;
  // A periodic cycle covers every agent, and with it any pending event.
  allAgentsPending_ = true;
  runPendingAllocation();
}

// ---------------------------------------------------------------------------
// The cycle.

void DrfAllocator::allocate(const std::set<AgentId>& candidates) {
  if (candidates.empty()) return;
  ++allocationRuns_;

  std::vector<AgentId> order;
  order.reserve(candidates.size());
  for (const auto& id : candidates) {
    const Agent& agent = agents_.at(id);
    if (agent.active && isWhitelisted(agent)) order.push_back(id);
  }
  if (config_.agentOrder == AgentOrder::kRandom) std::shuffle(order.begin(), order.end(), random_);

  std::map<FrameworkId, OfferedResources> offerable;
  for (const auto& id : order) {
    allocateAgent(id, agents_.at(id), offerable);
  }

  std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>> inverseOfferable;
  generateInverseOffers(candidates, inverseOfferable);

  // The books are complete: the callbacks may call back into the allocator.
  if (callbacks_.offer) {
    for (const auto& [framework, resources] : offerable) {
      callbacks_.offer(framework, resources);
    }
  }
  if (callbacks_.inverseOffer) {
    for (const auto& [framework, inverseOffers] : inverseOfferable) {
      callbacks_.inverseOffer(framework, inverseOffers);
    }
  }
}

void DrfAllocator::allocateAgent(const AgentId& agentId, Agent& agent,
                                 std::map<FrameworkId, OfferedResources>& offerable) {
  if (agent.available.empty()) return;
  // Lowest dominant share first; a framework's share grows with each offer, and
  // the next agent sees the new order.
  for (const std::string& client : sorter_.sort()) {
    if (agent.available.empty()) return;
    const FrameworkId frameworkId(client);
    auto found = frameworks_.find(frameworkId);
    if (found == frameworks_.end()) continue;
    const Framework& framework = found->second;
    if (!framework.active || !isCapableOfAgent(framework, agent)) continue;
    for (const std::string& role : framework.roles) {
      if (framework.suppressedRoles.contains(role)) continue;
      Resources toOffer =
          stripIncapable(agent.available.allocatableTo(role), framework.capabilities);
      if (!isAllocatable(toOffer, role, framework)) continue;
      if (isFiltered(framework, role, agentId, toOffer)) continue;
      PLEXUS_LOG(Debug) << "allocator_drf: offering " << toOffer << " on agent " << agentId
                        << " to role '" << role << "' of framework " << frameworkId
                        << " (dominant share " << sorter_.share(client) << ")";
      toOffer.allocate(role);
      grant(agent, frameworkId, toOffer);
      offerable[frameworkId][role][agentId] += toOffer;
    }
  }
}

void DrfAllocator::generateInverseOffers(
    const std::set<AgentId>& candidates,
    std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>>& out) {
  // Frameworks that hold something on an agent going into maintenance are asked,
  // once, to give it back; the master fills in the offer's id and url.
  for (const auto& agentId : candidates) {
    Agent& agent = agents_.at(agentId);
    if (!agent.maintenance) continue;
    Maintenance& maintenance = *agent.maintenance;
    for (const auto& [frameworkId, held] : agent.offeredOrAllocated) {
      auto framework = frameworks_.find(frameworkId);
      if (framework == frameworks_.end() || !framework->second.active) continue;
      if (maintenance.outstanding.contains(frameworkId)) continue;
      if (framework->second.inverseOfferFilters.contains(agentId)) continue;
      v1::InverseOffer& inverseOffer = out[frameworkId][agentId];
      frameworkId.toWire(inverseOffer.mutable_framework_id());
      agentId.toWire(inverseOffer.mutable_agent_id());
      *inverseOffer.mutable_unavailability() = maintenance.unavailability;
      maintenance.outstanding.insert(frameworkId);
    }
  }
}

bool DrfAllocator::isWhitelisted(const Agent& agent) const {
  return !whitelist_ || whitelist_->contains(agent.info.hostname());
}

bool DrfAllocator::isCapableOfAgent(const Framework& framework, const Agent& agent) const {
  // Agents with GPUs go only to GPU-aware frameworks (MESOS-5634).
  if (options_.filterGpuResources && !framework.capabilities.gpuResources) {
    if (agent.total.gpus().value_or(0) > 0) return false;
  }
  return true;
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
  if (minimum->empty()) return true;
  return std::any_of(minimum->begin(), minimum->end(), [&](const ResourceQuantities& quantities) {
    return resources.contains(quantities);
  });
}

bool DrfAllocator::isFiltered(const Framework& framework, const std::string& role,
                              const AgentId& agent, const Resources& resources) const {
  auto roleFilters = framework.offerFilters.find(role);
  if (roleFilters == framework.offerFilters.end()) return false;
  auto agentFilters = roleFilters->second.find(agent);
  if (agentFilters == roleFilters->second.end()) return false;
  for (const auto& [id, filter] : agentFilters->second) {
    // A filter covers only what was refused: more resources make a new offer.
    if (filter.refused.contains(resources)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Bookkeeping.

void DrfAllocator::grant(Agent& agent, const FrameworkId& framework, const Resources& resources) {
  agent.available -= unallocatedCopy(resources);
  agent.offeredOrAllocated[framework] += resources;
  sorter_.allocated(framework.value(), resources.quantities());
}

Resources DrfAllocator::release(Agent& agent, const FrameworkId& framework,
                                const Resources& resources) {
  auto held = agent.offeredOrAllocated.find(framework);
  if (held == agent.offeredOrAllocated.end()) return {};
  // Only what the framework holds comes back (a confused caller cannot mint resources).
  Resources released = intersection(held->second, resources);
  held->second -= released;
  if (held->second.empty()) agent.offeredOrAllocated.erase(held);
  agent.available += unallocatedCopy(released);
  sorter_.unallocated(framework.value(), released.quantities());
  return released;
}

// ---------------------------------------------------------------------------
// Filters.

void DrfAllocator::installOfferFilter(const FrameworkId& frameworkId, Framework& framework,
                                      const std::string& role, const AgentId& agent,
                                      Resources refused, Duration timeout) {
  // As Mesos (MESOS-4302): a filter lasts at least one allocation interval, so a
  // short refusal still skips the next periodic cycle.
  timeout = std::max(timeout, options_.allocationInterval);
  const FilterId id = nextFilterId_++;
  OfferFilter& filter = framework.offerFilters[role][agent][id];
  filter.refused = std::move(refused);
  filter.timer = runtime_->schedule(timeout, guarded([this, frameworkId, role, agent, id] {
                                      expireOfferFilter(frameworkId, role, agent, id);
                                    }));
  PLEXUS_LOG(Debug) << "allocator_drf: framework " << frameworkId << " refused " << filter.refused
                    << " on agent " << agent << " for role '" << role << "' for "
                    << formatDuration(timeout);
}

void DrfAllocator::expireOfferFilter(const FrameworkId& frameworkId, const std::string& role,
                                     const AgentId& agent, FilterId filter) {
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) return;
  auto& byRole = framework->second.offerFilters;
  auto roleFilters = byRole.find(role);
  if (roleFilters == byRole.end()) return;
  auto agentFilters = roleFilters->second.find(agent);
  if (agentFilters == roleFilters->second.end()) return;
  if (agentFilters->second.erase(filter) == 0) return;
  if (agentFilters->second.empty()) roleFilters->second.erase(agentFilters);
  if (roleFilters->second.empty()) byRole.erase(roleFilters);
  // Unlike Mesos, which waits for the next periodic cycle, offer right away.
  requestAllocation(agent);
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
  auto& filters = framework->second.inverseOfferFilters;
  auto agentFilters = filters.find(agent);
  if (agentFilters == filters.end()) return;
  agentFilters->second.erase(filter);
  if (agentFilters->second.empty()) filters.erase(agentFilters);
}

void DrfAllocator::clearOfferFilters(Framework& framework, const std::set<std::string>& roles) {
  for (const auto& role : roles) {
    auto roleFilters = framework.offerFilters.find(role);
    if (roleFilters == framework.offerFilters.end()) continue;
    for (auto& [agent, filters] : roleFilters->second) {
      for (auto& [id, filter] : filters) {
        runtime_->cancel(filter.timer);
      }
    }
    framework.offerFilters.erase(roleFilters);
  }
}

void DrfAllocator::clearAllFilters(Framework& framework) {
  for (auto& [role, agents] : framework.offerFilters) {
    for (auto& [agent, filters] : agents) {
      for (auto& [id, filter] : filters) {
        runtime_->cancel(filter.timer);
      }
    }
  }
  framework.offerFilters.clear();
  for (auto& [agent, filters] : framework.inverseOfferFilters) {
    for (auto& [id, timer] : filters) {
      runtime_->cancel(timer);
    }
  }
  framework.inverseOfferFilters.clear();
}

void DrfAllocator::clearAgentFilters(const AgentId& agent, bool offerFilters,
                                     bool inverseOfferFilters) {
  for (auto& [frameworkId, framework] : frameworks_) {
    if (offerFilters) {
      for (auto roleFilters = framework.offerFilters.begin();
           roleFilters != framework.offerFilters.end();) {
        auto agentFilters = roleFilters->second.find(agent);
        if (agentFilters != roleFilters->second.end()) {
          for (auto& [id, filter] : agentFilters->second) {
            runtime_->cancel(filter.timer);
          }
          roleFilters->second.erase(agentFilters);
        }
        roleFilters = roleFilters->second.empty() ? framework.offerFilters.erase(roleFilters)
                                                  : std::next(roleFilters);
      }
    }
    if (inverseOfferFilters) {
      auto agentFilters = framework.inverseOfferFilters.find(agent);
      if (agentFilters != framework.inverseOfferFilters.end()) {
        for (auto& [id, timer] : agentFilters->second) {
          runtime_->cancel(timer);
        }
        framework.inverseOfferFilters.erase(agentFilters);
      }
    }
  }
}

}  // namespace plexus::drf
