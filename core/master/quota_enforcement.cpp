// Quota limits at UPDATE_QUOTA, as Mesos 1.9+ enforces them on a role's whole
// subtree: a limit below what the subtree already consumes is refused unless forced,
// and offers to the subtree are rescinded until what it consumes plus what it is
// offered fits the limit (the allocator then offers within the limit only).
#include <sstream>

#include <plexus/logging.hpp>

#include "master/operator_api.hpp"

namespace plexus::master {
namespace {

bool inSubtree(std::string_view role, const std::string& of) {
  return role == of || Resources::isStrictSubrole(role, of);
}

// Every quantity named in `limits` is at most its limit (names not named are unlimited).
bool withinLimits(const ResourceQuantities& quantities, const ResourceQuantities& limits) {
  for (const auto& limit : limits) {
    if (quantities.getMillis(limit.name) > limit.millis) return false;
  }
  return true;
}

}  // namespace

ResourceQuantities OperatorApi::consumedQuota(const std::string& role) const {
  // As Mesos counts it: what the subtree's frameworks use, plus the reservations to
  // the subtree that nobody uses.
  ResourceQuantities consumed;
  for (const auto& [id, agent] : master_.view().agents.all()) {
    Resources reserved = agent->total.filter(
        [&](const Resource& r) { return r.isReserved() && inSubtree(r.reservationRole(), role); });
    ResourceQuantities unusedReserved = reserved.quantities();
    for (const auto& [framework, used] : agent->used) {
      unusedReserved -= used.filter([&](const Resource& r) {
                              return r.isReserved() && inSubtree(r.reservationRole(), role);
                            })
                            .quantities();
      consumed += used.filter([&](const Resource& r) {
                        return r.allocationRole() && inSubtree(*r.allocationRole(), role);
                      })
                      .quantities();
    }
    consumed += unusedReserved;
  }
  return consumed;
}

std::optional<http::Response> OperatorApi::refuseLimitsBelowConsumption(
    const v1::master::Call::UpdateQuota& update) const {
  if (update.force()) return std::nullopt;
  for (const auto& config : update.quota_configs()) {
    const ResourceQuantities limits = quantities(config.limits());
    const ResourceQuantities consumed = consumedQuota(config.role());
    if (withinLimits(consumed, limits)) continue;
    std::ostringstream message;
    message << "Invalid QuotaConfig: Role '" << config.role() << "' is already consuming '"
            << consumed << "'; this is more than the requested limits '" << limits
            << "' (use 'force' flag to bypass this check)";
    return http::text(400, message.str());
  }
  return std::nullopt;
}

void OperatorApi::rescindOffersAboveLimits(const v1::quota::QuotaConfig& config) {
  const ResourceQuantities limits = quantities(config.limits());
  if (limits.empty()) return;
  ResourceQuantities consumedAndOffered = consumedQuota(config.role());
  std::vector<OfferId> subtreeOffers;
  for (const auto& [id, offer] : master_.view().offers.all()) {
    if (!inSubtree(offer.offer.allocation_info().role(), config.role())) continue;
    consumedAndOffered += offer.resources.quantities();
    subtreeOffers.push_back(id);
  }
  // Reservations may be both consumed and offered: this may rescind more than
  // strictly needed, never less; the allocator offers what fits again.
  for (const OfferId& id : subtreeOffers) {
    if (withinLimits(consumedAndOffered, limits)) break;
    consumedAndOffered -= master_.view().offers.all().at(id).resources.quantities();
    PLEXUS_LOG(Info) << "Rescinding offer " << id << " to enforce the quota limits of role '"
                     << config.role() << "'";
    master_.rescindOffer(id);
  }
}

}  // namespace plexus::master
