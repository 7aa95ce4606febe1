// Dynamic reservations: RESERVE and UNRESERVE, inside a framework's ACCEPT or from
// the operator API. The master validates them as Mesos does, has the allocator move
// its books (updateAllocation / updateAvailable), moves the agent's total the same
// way, and sends the agent its new total to checkpoint.
#include <plexus/logging.hpp>

#include "master/master.hpp"

namespace plexus::master {

Result<std::vector<ResourceConversion>> Master::reservationConversions(
    const v1::Offer::Operation& operation, const FrameworkRecord* framework) const {
  bool reserve = operation.type() == v1::Offer::Operation::RESERVE;
  if (!reserve && operation.type() != v1::Offer::Operation::UNRESERVE) {
    return fail("unsupported operation " + v1::Offer::Operation::Type_Name(operation.type()));
  }
  const auto& wire = reserve ? operation.reserve().resources() : operation.unreserve().resources();
  if (wire.empty()) return fail("no resources given");
  auto resources = Resources::fromWire(wire);
  if (!resources) return fail(resources.error());
  if (framework != nullptr) {
    auto principal = framework->info.has_principal()
                         ? std::optional<std::string>(framework->info.principal())
                         : std::nullopt;
    if (auto refused = authorizeReservation(operation, principal)) return fail(*refused);
  }
  for (const Resource& resource : *resources) {
    if (!resource.isDynamicallyReserved()) {
      return fail("resource " + resource.toString() + " is not dynamically reserved");
    }
    const Reservation& reservation = resource.reservations().back();
    if (framework == nullptr) continue;
    // A framework reserves in the role it was offered the resources to, or below it.
    const auto& allocated = resource.allocationRole();
    if (reserve && (!allocated || (reservation.role != *allocated &&
                                   !Resources::isStrictSubrole(reservation.role, *allocated)))) {
      return fail("resource " + resource.toString() + " is reserved to role '" + reservation.role +
                  "' but was offered to " +
                  (allocated ? "role '" + *allocated + "'" : "no role (allocation_info missing)") +
                  "; a framework reserves in its offer's role or a role below it");
    }
    const std::string& principal = framework->info.principal();
    if (reserve && reservation.principal && !principal.empty() &&
        *reservation.principal != principal) {
      return fail("the reservation's principal '" + *reservation.principal +
                  "' is not the framework's principal '" + principal + "'");
    }
  }
  return conversionsOf(operation);
}

void Master::applyOfferOperation(FrameworkRecord& framework, AgentRecord& agent,
                                 const v1::Offer::Operation& operation, Resources* available) {
  const std::string name = v1::Offer::Operation::Type_Name(operation.type());
  auto conversions = reservationConversions(operation, &framework);
  Result<Resources> converted =
      conversions ? applyConversions(*available, *conversions) : fail(conversions.error());
  if (!converted) {
    PLEXUS_LOG(Warning) << "Dropping " << name << " from framework " << framework.id << " on agent "
                        << agent.id << ": " << converted.error().message();
    return;
  }
  allocator_.updateAllocation(framework.id, agent.id, *available, *conversions);
  *available = std::move(*converted);
  updateAgentTotal(agent, *conversions);
  PLEXUS_LOG(Info) << "Framework " << framework.id << " applied " << name << " on agent "
                   << agent.id;
}

Result<void> Master::applyOperatorOperation(const AgentId& id,
                                            const v1::Offer::Operation& operation) {
  AgentRecord* found = findAgent(id);
  if (found == nullptr || found->unreachable) return fail("No agent found with ID " + id.value());
  AgentRecord& agent = *found;
  auto conversions = reservationConversions(operation, nullptr);
  if (!conversions) return fail(conversions.error());
  if (auto applied = allocator_.updateAvailable(agent.id, {operation}); !applied) {
    // What is offered is not available: take the agent's offers back and retry.
    rescindOffersOf(agent.id);
    if (auto retried = allocator_.updateAvailable(agent.id, {operation}); !retried) {
      return fail(retried.error());
    }
  }
  updateAgentTotal(agent, *conversions);
  PLEXUS_LOG(Info) << "The operator applied " << v1::Offer::Operation::Type_Name(operation.type())
                   << " on agent " << agent.id;
  return {};
}

void Master::updateAgentTotal(AgentRecord& agent,
                              const std::vector<ResourceConversion>& conversions) {
  std::vector<ResourceConversion> unallocated;
  for (ResourceConversion conversion : conversions) {
    conversion.consumed.unallocate();
    conversion.converted.unallocate();
    unallocated.push_back(std::move(conversion));
  }
  auto total = applyConversions(agent.total, unallocated);
  if (!total) {
    PLEXUS_LOG(Error) << "The total of agent " << agent.id
                      << " does not hold what a reservation changed: " << total.error().message();
    return;
  }
  agent.total = std::move(*total);
  agent.info.clear_resources();
  agent.total.toWire(agent.info.mutable_resources());
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::CHECKPOINT_RESOURCES);
  *event.mutable_checkpoint_resources()->mutable_total() = agent.info.resources();
  if (agent.connected) sendToAgent(agent, event);
}

}  // namespace plexus::master
