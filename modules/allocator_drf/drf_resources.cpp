// The allocator's reaction to resources changing hands: used, returned,
// converted by operations, and agents going into maintenance; plus the
// introspection accessors.
#include <plexus/logging.hpp>

#include "drf_allocator.hpp"
#include "resource_conversions.hpp"
#include "resource_helpers.hpp"

namespace plexus::drf {

void DrfAllocator::updateAllocation(const FrameworkId& frameworkId, const AgentId& agentId,
                                    const Resources& offered,
                                    const std::vector<ResourceConversion>& conversions) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end() || !frameworks_.contains(frameworkId)) {
    PLEXUS_LOG(Warning) << "allocator_drf: updateAllocation for unknown framework " << frameworkId
                        << " or agent " << agentId;
    return;
  }
  Resources& held = agent->second.offeredOrAllocated[frameworkId];
  auto updatedOffered = applyConversions(offered, conversions);
  if (!held.contains(offered) || !updatedOffered) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot update the allocation of framework "
                        << frameworkId << " on agent " << agentId << ": "
                        << (updatedOffered ? "it does not hold " + offered.toString()
                                           : updatedOffered.error().message());
    if (held.empty()) agent->second.offeredOrAllocated.erase(frameworkId);
    return;
  }
  // The total changes the same way, without allocation roles. A conversion that
  // consumes nothing adds copies of a shared resource: the total keeps one copy.
  std::vector<ResourceConversion> stripped;
  for (const ResourceConversion& conversion : conversions) {
    if (conversion.consumed.empty()) continue;
    stripped.push_back(
        {unallocatedCopy(conversion.consumed), unallocatedCopy(conversion.converted)});
  }
  auto updatedTotal = applyConversions(agent->second.total, stripped);
  if (!updatedTotal) {
    PLEXUS_LOG(Warning) << "allocator_drf: cannot update the total of agent " << agentId << ": "
                        << updatedTotal.error().message();
    return;
  }
  held -= offered;
  held += *updatedOffered;
  sorter_.unallocated(frameworkId.value(), offered.quantities());
  sorter_.allocated(frameworkId.value(), updatedOffered->quantities());
  // Available is unchanged: total and held moved by the same conversions.
  sorter_.removeTotal(agent->second.total.quantities());
  agent->second.total = *updatedTotal;
  sorter_.addTotal(agent->second.total.quantities());
  if (held.empty()) agent->second.offeredOrAllocated.erase(frameworkId);
  PLEXUS_LOG(Debug) << "allocator_drf: framework " << frameworkId << " on agent " << agentId << ": "
                    << offered << " became " << *updatedOffered;
}

Result<void> DrfAllocator::updateAvailable(const AgentId& agentId,
                                           const std::vector<v1::Offer::Operation>& operations) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) return fail("allocator_drf: unknown agent " + agentId.value());
  std::vector<ResourceConversion> conversions;
  for (const auto& operation : operations) {
    auto converted = conversionsOf(operation);
    if (!converted) return fail(converted.error());
    for (auto& conversion : *converted) {
      conversions.push_back({unallocatedCopy(std::move(conversion.consumed)),
                             unallocatedCopy(std::move(conversion.converted))});
    }
  }
  auto available = applyConversions(agent->second.available, conversions);
  if (!available) return fail(available.error().context("agent " + agentId.value()));
  auto total = applyConversions(agent->second.total, conversions);
  if (!total) return fail(total.error().context("agent " + agentId.value()));
  agent->second.available = *available;
  sorter_.removeTotal(agent->second.total.quantities());
  agent->second.total = *total;
  sorter_.addTotal(agent->second.total.quantities());
  return {};
}

void DrfAllocator::updateUnavailability(const AgentId& id,
                                        const std::optional<v1::Unavailability>& unavailability) {
  auto found = agents_.find(id);
  if (found == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: unavailability for unknown agent " << id;
    return;
  }
  // Frameworks reassess a changed schedule: their inverse offer filters go.
  clearAgentFilters(id, false, true);
  found->second.maintenance.reset();
  if (unavailability) found->second.maintenance = Maintenance{*unavailability, {}, {}};
  requestAllocation(id);
}

void DrfAllocator::updateInverseOffer(const AgentId& agentId, const FrameworkId& frameworkId,
                                      bool accepted, const std::optional<v1::Filters>& filters) {
  auto agent = agents_.find(agentId);
  auto framework = frameworks_.find(frameworkId);
  if (agent == agents_.end() || framework == frameworks_.end() || !agent->second.maintenance) {
    PLEXUS_LOG(Debug) << "allocator_drf: ignoring an inverse offer answer from " << frameworkId
                      << " for agent " << agentId;
    return;
  }
  Maintenance& maintenance = *agent->second.maintenance;
  // Only an answer to an outstanding inverse offer counts; a stale one is ignored.
  if (maintenance.outstanding.erase(frameworkId) > 0) maintenance.answers[frameworkId] = accepted;
  if (!filters) return;
  if (auto timeout = refusalTimeout(*filters)) {
    installInverseOfferFilter(frameworkId, framework->second, agentId, *timeout);
  }
}

void DrfAllocator::transitionOfferedToAllocated(const AgentId& agentId,
                                                const Resources& resources) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) {
    PLEXUS_LOG(Warning) << "allocator_drf: resources used on unknown agent " << agentId;
    return;
  }
  Resources held;
  for (const auto& [frameworkId, resources] : agent->second.offeredOrAllocated) {
    held += resources;
  }
  if (!held.contains(agent->second.allocated + resources)) {
    PLEXUS_LOG(Warning) << "allocator_drf: agent " << agentId << ": " << resources
                        << " were not offered; counting them as in use anyway";
  }
  agent->second.allocated += resources;
}

void DrfAllocator::recoverResources(const FrameworkId& frameworkId, const AgentId& agentId,
                                    const Resources& resources,
                                    const std::optional<v1::Filters>& filters, bool isAllocated) {
  if (resources.empty()) return;
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) return;  // removed meanwhile: nothing left to return to
  if (isAllocated) {
    if (!agent->second.allocated.contains(resources)) {
      PLEXUS_LOG(Warning) << "allocator_drf: agent " << agentId << ": " << resources
                          << " recovered as in use but were not";
    }
    agent->second.allocated -= resources;
  }
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) return;  // removed meanwhile: already returned
  Resources recovered = release(agent->second, frameworkId, resources);
  if (!(recovered == resources)) {
    PLEXUS_LOG(Warning) << "allocator_drf: framework " << frameworkId << " returned " << resources
                        << " on agent " << agentId << " but held only " << recovered << " of them";
  }
  PLEXUS_LOG(Debug) << "allocator_drf: recovered " << recovered << " on agent " << agentId
                    << " from framework " << frameworkId;
  if (filters && !recovered.empty()) {
    if (auto timeout = refusalTimeout(*filters)) {
      for (const auto& [role, refused] : recovered.allocations()) {
        installOfferFilter(frameworkId, framework->second, role, agentId, unallocatedCopy(refused),
                           *timeout);
      }
    }
  }
  requestAllocation(agentId);
}

Resources DrfAllocator::total(const AgentId& agent) const {
  auto found = agents_.find(agent);
  return found == agents_.end() ? Resources() : found->second.total;
}

Resources DrfAllocator::available(const AgentId& agent) const {
  auto found = agents_.find(agent);
  return found == agents_.end() ? Resources() : found->second.available;
}

Resources DrfAllocator::offeredOrAllocated(const AgentId& agent,
                                           const FrameworkId& framework) const {
  auto found = agents_.find(agent);
  if (found == agents_.end()) return {};
  auto held = found->second.offeredOrAllocated.find(framework);
  return held == found->second.offeredOrAllocated.end() ? Resources() : held->second;
}

Resources DrfAllocator::allocated(const AgentId& agent) const {
  auto found = agents_.find(agent);
  return found == agents_.end() ? Resources() : found->second.allocated;
}

double DrfAllocator::dominantShare(const FrameworkId& framework) const {
  return sorter_.share(framework.value());
}

std::size_t DrfAllocator::offerFilterCount(const FrameworkId& framework) const {
  auto found = frameworks_.find(framework);
  if (found == frameworks_.end()) return 0;
  std::size_t count = 0;
  for (const auto& [role, agents] : found->second.offerFilters) {
    for (const auto& [agent, filters] : agents) {
      count += filters.size();
    }
  }
  return count;
}

}  // namespace plexus::drf
