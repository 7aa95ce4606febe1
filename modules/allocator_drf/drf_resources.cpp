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
  Agent* agent = findAgent(agentId);
  auto framework = frameworks_.find(frameworkId);
  if (agent == nullptr || framework == frameworks_.end()) {
    PLEXUS_LOG(Warning) << logName() << ": updateAllocation for unknown framework " << frameworkId
                        << " or agent " << agentId;
    return;
  }
  auto heldIt = agent->offeredOrAllocated.find(frameworkId);
  const Resources held = heldIt == agent->offeredOrAllocated.end() ? Resources() : heldIt->second;
  auto updatedOffered = applyConversions(offered, conversions);
  if (!held.contains(offered) || !updatedOffered) {
    PLEXUS_LOG(Warning) << logName() << ": cannot update the allocation of framework "
                        << frameworkId << " on agent " << agentId << ": "
                        << (updatedOffered ? "it does not hold " + offered.toString()
                                           : updatedOffered.error().message());
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
  auto updatedTotal = applyConversions(agent->total, stripped);
  if (!updatedTotal) {
    PLEXUS_LOG(Warning) << logName() << ": cannot update the total of agent " << agentId << ": "
                        << updatedTotal.error().message();
    return;
  }
  // Held and total move by the same conversions, so available is unchanged; the
  // books (shares, reservations for quota) move with them.
  Resources& heldRef = agent->offeredOrAllocated[frameworkId];
  heldRef -= offered;
  heldRef += *updatedOffered;
  account(*framework->second, offered, false);
  account(*framework->second, *updatedOffered, true);
  accountTotal(*agent, false);
  agent->total = *updatedTotal;
  accountTotal(*agent, true);
  if (heldRef.empty()) agent->offeredOrAllocated.erase(frameworkId);
  PLEXUS_LOG(Debug) << logName() << ": framework " << frameworkId << " on agent " << agentId << ": "
                    << offered << " became " << *updatedOffered;
}

Result<void> DrfAllocator::updateAvailable(const AgentId& agentId,
                                           const std::vector<v1::Offer::Operation>& operations) {
  Agent* agent = findAgent(agentId);
  if (agent == nullptr) return fail(logName() + ": unknown agent " + agentId.value());
  std::vector<ResourceConversion> conversions;
  for (const auto& operation : operations) {
    auto converted = conversionsOf(operation);
    if (!converted) return fail(converted.error());
    for (auto& conversion : *converted) {
      conversions.push_back({unallocatedCopy(std::move(conversion.consumed)),
                             unallocatedCopy(std::move(conversion.converted))});
    }
  }
  auto available = applyConversions(agent->available, conversions);
  if (!available) return fail(available.error().context("agent " + agentId.value()));
  auto total = applyConversions(agent->total, conversions);
  if (!total) return fail(total.error().context("agent " + agentId.value()));
  accountTotal(*agent, false);
  agent->total = *total;
  accountTotal(*agent, true);
  setAvailable(*agent, *available, true);
  // A reservation changes who may be offered what.
  ++agent->growth;
  if (tree_.anyQuota()) ++epoch_;
  return {};
}

void DrfAllocator::updateUnavailability(const AgentId& id,
                                        const std::optional<v1::Unavailability>& unavailability) {
  Agent* agent = findAgent(id);
  if (agent == nullptr) {
    PLEXUS_LOG(Warning) << logName() << ": unavailability for unknown agent " << id;
    return;
  }
  // Frameworks reassess a changed schedule: their inverse offer filters go.
  clearAgentFilters(*agent, false, true);
  agent->maintenance.reset();
  if (unavailability) agent->maintenance = Maintenance{*unavailability, {}, {}};
  requestAllocation(id);
}

void DrfAllocator::updateInverseOffer(const AgentId& agentId, const FrameworkId& frameworkId,
                                      bool accepted, const std::optional<v1::Filters>& filters) {
  Agent* agent = findAgent(agentId);
  auto framework = frameworks_.find(frameworkId);
  if (agent == nullptr || framework == frameworks_.end() || !agent->maintenance) {
    PLEXUS_LOG(Debug) << logName() << ": ignoring an inverse offer answer from " << frameworkId
                      << " for agent " << agentId;
    return;
  }
  Maintenance& maintenance = *agent->maintenance;
  // Only an answer to an outstanding inverse offer counts; a stale one is ignored.
  if (maintenance.outstanding.erase(frameworkId) > 0) maintenance.answers[frameworkId] = accepted;
  if (!filters) return;
  if (auto timeout = refusalTimeout(*filters)) {
    installInverseOfferFilter(frameworkId, *framework->second, agentId, *timeout);
  }
}

void DrfAllocator::transitionOfferedToAllocated(const AgentId& agentId,
                                                const Resources& resources) {
  Agent* agent = findAgent(agentId);
  if (agent == nullptr) {
    PLEXUS_LOG(Warning) << logName() << ": resources used on unknown agent " << agentId;
    return;
  }
  Resources held;
  for (const auto& [frameworkId, heldResources] : agent->offeredOrAllocated) {
    held += heldResources;
  }
  if (!held.contains(agent->allocated + resources)) {
    PLEXUS_LOG(Warning) << logName() << ": agent " << agentId << ": " << resources
                        << " were not offered; counting them as in use anyway";
  }
  agent->allocated += resources;
}

void DrfAllocator::recoverResources(const FrameworkId& frameworkId, const AgentId& agentId,
                                    const Resources& resources,
                                    const std::optional<v1::Filters>& filters, bool isAllocated) {
  if (resources.empty()) return;
  Agent* agent = findAgent(agentId);
  if (agent == nullptr) return;  // removed meanwhile: nothing left to return to
  if (isAllocated) {
    if (!agent->allocated.contains(resources)) {
      PLEXUS_LOG(Warning) << logName() << ": agent " << agentId << ": " << resources
                          << " recovered as in use but were not";
    }
    agent->allocated -= resources;
  }
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end() || !framework->second->added) {
    return;  // removed meanwhile: already returned
  }
  Framework& record = *framework->second;
  Resources recovered = release(*agent, frameworkId, resources);
  if (!(recovered == resources)) {
    PLEXUS_LOG(Warning) << logName() << ": framework " << frameworkId << " returned " << resources
                        << " on agent " << agentId << " but held only " << recovered << " of them";
  }
  PLEXUS_LOG(Debug) << logName() << ": recovered " << recovered << " on agent " << agentId
                    << " from framework " << frameworkId;
  if (filters && !recovered.empty()) {
    if (auto timeout = refusalTimeout(*filters)) {
      for (const auto& [role, refused] : recovered.allocations()) {
        // A filter for a role the framework left would never be looked at.
        if (!record.roles.contains(role)) continue;
        installOfferFilter(*agent, pairFor(record, role), unallocatedCopy(refused), *timeout);
      }
    }
  }
  requestAllocation(*agent);
}

Resources DrfAllocator::total(const AgentId& agent) const {
  const Agent* found = findAgent(agent);
  return found == nullptr ? Resources() : found->total;
}

Resources DrfAllocator::available(const AgentId& agent) const {
  const Agent* found = findAgent(agent);
  return found == nullptr ? Resources() : found->available;
}

Resources DrfAllocator::offeredOrAllocated(const AgentId& agent,
                                           const FrameworkId& framework) const {
  const Agent* found = findAgent(agent);
  if (found == nullptr) return {};
  auto held = found->offeredOrAllocated.find(framework);
  return held == found->offeredOrAllocated.end() ? Resources() : held->second;
}

Resources DrfAllocator::allocated(const AgentId& agent) const {
  const Agent* found = findAgent(agent);
  return found == nullptr ? Resources() : found->allocated;
}

double DrfAllocator::dominantShare(const FrameworkId& framework) const {
  auto found = frameworks_.find(framework);
  if (found == frameworks_.end()) return 0;
  QVec held;
  for (const auto& [role, pair] : found->second->pairs) {
    addTo(held, tree_.pair(pair).held);
  }
  return plexus::drf::dominantShare(held, tree_.total(), slots_);
}

double DrfAllocator::roleShare(const std::string& role) const {
  const RoleTree::NodeIdx node = tree_.find(role);
  return node == RoleTree::kNone ? 0 : tree_.share(node);
}

ResourceQuantities DrfAllocator::consumedQuota(const std::string& role) const {
  ResourceQuantities result;
  const RoleTree::NodeIdx node = tree_.find(role);
  if (node == RoleTree::kNone) return result;
  const QVec consumed = tree_.consumed(node);
  for (std::size_t slot = 0; slot < consumed.size(); ++slot) {
    if (consumed[slot] > 0) result.add(slots_.name(slot), consumed[slot]);
  }
  return result;
}

std::size_t DrfAllocator::offerFilterCount(const FrameworkId& framework) const {
  auto found = frameworks_.find(framework);
  if (found == frameworks_.end()) return 0;
  std::size_t count = 0;
  for (const auto& [role, pair] : found->second->pairs) {
    count += pairInfo_[pair].filterCount;
  }
  return count;
}

}  // namespace plexus::drf
