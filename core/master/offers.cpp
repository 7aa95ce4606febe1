// Offers: the allocator's offers become Offer messages; accept, decline, rescind.
#include <plexus/logging.hpp>

#include "master/master.hpp"

namespace plexus::master {
namespace {

// Every resource of `operation` that lacks an allocation_info gets `allocation`, as
// Mesos's master does for every ACCEPT (protobuf::injectAllocationInfo): frameworks
// that are not MULTI_ROLE capable are offered resources without it and send them
// back so. LAUNCH and LAUNCH_GROUP (tasks and executors), RESERVE, UNRESERVE,
// CREATE and DESTROY.
void injectAllocationInfo(v1::Offer::Operation* operation,
                          const v1::Resource::AllocationInfo& allocation) {
  auto inject = [&](google::protobuf::RepeatedPtrField<v1::Resource>* resources) {
    for (v1::Resource& resource : *resources) {
      if (!resource.has_allocation_info()) *resource.mutable_allocation_info() = allocation;
    }
  };
  auto injectTask = [&](v1::TaskInfo& task) {
    inject(task.mutable_resources());
    if (task.has_executor()) inject(task.mutable_executor()->mutable_resources());
  };
  switch (operation->type()) {
    case v1::Offer::Operation::LAUNCH:
      for (v1::TaskInfo& task : *operation->mutable_launch()->mutable_task_infos())
        injectTask(task);
      break;
    case v1::Offer::Operation::LAUNCH_GROUP:
      if (operation->launch_group().has_executor())
        inject(operation->mutable_launch_group()->mutable_executor()->mutable_resources());
      for (v1::TaskInfo& task :
           *operation->mutable_launch_group()->mutable_task_group()->mutable_tasks())
        injectTask(task);
      break;
    case v1::Offer::Operation::RESERVE:
      inject(operation->mutable_reserve()->mutable_resources());
      break;
    case v1::Offer::Operation::UNRESERVE:
      inject(operation->mutable_unreserve()->mutable_resources());
      break;
    case v1::Offer::Operation::CREATE:
      inject(operation->mutable_create()->mutable_volumes());
      break;
    case v1::Offer::Operation::DESTROY:
      inject(operation->mutable_destroy()->mutable_volumes());
      break;
    default:
      break;
  }
}

// The offer as `framework` reads it (Mesos's Master::offer): without allocation_info
// for a framework that is not MULTI_ROLE capable, and reservations in the
// pre-refinement format (`role` and `reservation`; unreserved ones with role "*")
// for one without RESERVATION_REFINEMENT (the allocator offers it no refined ones).
v1::Offer offerFor(const FrameworkRecord& framework, v1::Offer offer) {
  if (!framework.hasCapability(v1::FrameworkInfo::Capability::MULTI_ROLE)) {
    offer.clear_allocation_info();
    for (v1::Resource& resource : *offer.mutable_resources())
      resource.clear_allocation_info();
  }
  if (!framework.hasCapability(v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT)) {
    for (v1::Resource& resource : *offer.mutable_resources()) {
      if (resource.reservations_size() > 1) continue;  // never offered to it
      if (resource.reservations_size() == 0) {
        resource.set_role("*");
        continue;
      }
      const v1::Resource::ReservationInfo only = resource.reservations(0);
      resource.clear_reservations();
      resource.set_role(only.role());
      if (only.type() == v1::Resource::ReservationInfo::DYNAMIC) {
        v1::Resource::ReservationInfo* legacy = resource.mutable_reservation();
        if (only.has_principal()) legacy->set_principal(only.principal());
        if (only.has_labels()) *legacy->mutable_labels() = only.labels();
      }
    }
  }
  return offer;
}

// The offer of `resources` on `agent` to `framework`'s `role`, as the master keeps it.
OfferRecord offerRecord(const OfferId& id, const FrameworkRecord& framework,
                        const AgentRecord& agent, const std::string& role,
                        const Resources& resources) {
  OfferRecord record;
  record.framework = framework.id;
  record.agent = agent.id;
  record.resources = resources;
  v1::Offer& offer = record.offer;
  id.toWire(offer.mutable_id());
  framework.id.toWire(offer.mutable_framework_id());
  agent.id.toWire(offer.mutable_agent_id());
  offer.set_hostname(agent.info.hostname());
  // Where the agent serves its endpoints, as Mesos writes it: http://ip:port/slave(1).
  v1::URL* url = offer.mutable_url();
  url->set_scheme("http");
  url->mutable_address()->set_hostname(agent.info.hostname());
  url->mutable_address()->set_ip(agent.endpoint.substr(0, agent.endpoint.rfind(':')));
  url->mutable_address()->set_port(agent.info.port());
  url->set_path("/slave(1)");
  resources.toWire(offer.mutable_resources());
  *offer.mutable_attributes() = agent.info.attributes();
  offer.mutable_allocation_info()->set_role(role);
  if (auto executors = framework.executors.find(agent.id); executors != framework.executors.end()) {
    for (const auto& [executorId, executor] : executors->second)
      executorId.toWire(offer.add_executor_ids());
  }
  return record;
}

}  // namespace

void Master::offer(const FrameworkId& frameworkId, const OfferedResources& offered) {
  FrameworkRecord* framework = findFramework(frameworkId);
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::OFFERS);
  for (const auto& [role, byAgent] : offered) {
    for (const auto& [agentId, resources] : byAgent) {
      AgentRecord* agent = findAgent(agentId);
      if (framework == nullptr || !framework->active || agent == nullptr || !agent->connected) {
        // Nobody to offer to: give the resources straight back.
        allocator_.recoverResources(frameworkId, agentId, resources, std::nullopt, false);
        continue;
      }
      if (framework->offerConstraints.isAgentExcluded(role, agent->info)) {
        // An allocator module that does not honour offer constraints: the resources
        // go back (held from this framework for the default 5 s), never offered.
        PLEXUS_LOG(Warning) << "The allocator offered agent " << agentId << " to role '" << role
                            << "' of framework " << frameworkId
                            << ", which its offer constraints exclude; giving it back";
        allocator_.recoverResources(frameworkId, agentId, resources, v1::Filters(), false);
        continue;
      }
      OfferId id = offers_.mint(info_.id());
      OfferRecord record = offerRecord(id, *framework, *agent, role, resources);
      if (flags_.offerTimeoutValue.count() > 0) {
        record.timeoutTimer =
            context_.runtime.schedule(flags_.offerTimeoutValue, [this, id] { offerTimedOut(id); });
      }
      *event.mutable_offers()->add_offers() = offerFor(*framework, record.offer);
      offers_.add(id, std::move(record));
    }
  }
  if (framework != nullptr && event.offers().offers_size() > 0) sendEvent(*framework, event);
}

void Master::offerTimedOut(const OfferId& id) {
  OfferRecord* offer = offers_.find(id);
  if (offer == nullptr) return;
  offer->timeoutTimer.reset();
  PLEXUS_LOG(Info) << "Rescinding offer " << id << ": unanswered for "
                   << formatDuration(flags_.offerTimeoutValue);
  removeOffer(id, true);
}

void Master::removeOffer(const OfferId& id, bool rescind, bool recover) {
  std::optional<OfferRecord> record = offers_.take(id);
  if (!record) return;
  FrameworkRecord* framework = findFramework(record->framework);
  if (framework != nullptr && rescind) {
    v1::scheduler::Event event;
    event.set_type(v1::scheduler::Event::RESCIND);
    id.toWire(event.mutable_rescind()->mutable_offer_id());
    sendEvent(*framework, event);
  }
  if (recover) {
    allocator_.recoverResources(record->framework, record->agent, record->resources, std::nullopt,
                                false);
  }
}

void Master::rescindOffersOf(const AgentId& agentId) {
  AgentRecord* agent = findAgent(agentId);
  if (agent == nullptr) return;
  for (OfferId id : std::set<OfferId>(agent->offers))
    removeOffer(id, true);
}

void Master::decline(FrameworkRecord& framework, const v1::scheduler::Call::Decline& decline) {
  for (const v1::OfferID& wireId : decline.offer_ids()) {
    OfferId id = OfferId::fromWire(wireId);
    const OfferRecord* offer = offers_.find(id);
    if (offer == nullptr || offer->framework != framework.id) continue;  // Rescinded already.
    OfferRecord record = *offers_.take(id);
    // Without filters, Mesos applies the default refuse_seconds (5 s).
    std::optional<v1::Filters> filters = decline.has_filters() ? decline.filters() : v1::Filters();
    allocator_.recoverResources(framework.id, record.agent, record.resources, filters, false);
  }
}

// The offers an ACCEPT names, taken out of the book, and why they cannot be used
// together, if they cannot.
struct Master::AcceptedOffers {
  std::optional<std::string> invalid;
  std::optional<AgentId> agent;
  std::optional<v1::Resource::AllocationInfo> allocation;
  Resources available;
  std::vector<OfferRecord> taken;
};

Master::AcceptedOffers Master::takeAcceptedOffers(const FrameworkRecord& framework,
                                                  const v1::scheduler::Call::Accept& accept) {
  // Every offer must exist, belong to this framework and be on one agent.
  AcceptedOffers offers;
  std::set<OfferId> seen;
  for (const v1::OfferID& wireId : accept.offer_ids()) {
    OfferId id = OfferId::fromWire(wireId);
    const OfferRecord* record = offers_.find(id);
    if (!seen.insert(id).second) {
      offers.invalid = "Offer " + id.value() + " is listed twice";
      continue;
    }
    if (record == nullptr) {
      offers.invalid = "Offer " + id.value() + " is no longer valid";
      continue;
    }
    if (record->framework != framework.id) {
      offers.invalid = "Offer " + id.value() + " belongs to another framework";
      continue;
    }
    if (offers.agent && *offers.agent != record->agent) {
      offers.invalid = "Offers span more than one agent";
    }
    const v1::Resource::AllocationInfo& allocation = record->offer.allocation_info();
    if (offers.allocation && offers.allocation->role() != allocation.role()) {
      offers.invalid = "Aggregated offers must be allocated to the same role";
    }
    offers.agent = record->agent;
    offers.allocation = allocation;
    OfferRecord taken = *offers_.take(id);
    offers.available += taken.resources;
    offers.taken.push_back(std::move(taken));
  }
  if (accept.offer_ids_size() == 0) offers.invalid = "No offers given";
  return offers;
}

void Master::refuseAccept(FrameworkRecord& framework, const v1::scheduler::Call::Accept& accept,
                          const AcceptedOffers& offers) {
  const std::string& invalid = *offers.invalid;
  PLEXUS_LOG(Info) << "Refusing ACCEPT from framework " << framework.id << ": " << invalid;
  auto drop = [&](const v1::TaskInfo& task) {
    sendMasterUpdate(framework, task.task_id(), offers.agent,
                     framework.partitionAware() ? v1::TASK_DROPPED : v1::TASK_LOST,
                     v1::TaskStatus::REASON_INVALID_OFFERS, invalid);
  };
  for (const auto& operation : accept.operations()) {
    for (const auto& task : operation.launch().task_infos())
      drop(task);
    for (const auto& task : operation.launch_group().task_group().tasks())
      drop(task);
  }
  for (const OfferRecord& record : offers.taken) {
    allocator_.recoverResources(framework.id, record.agent, record.resources, std::nullopt, false);
  }
}

void Master::accept(FrameworkRecord& framework, const v1::scheduler::Call::Accept& accept) {
  AcceptedOffers offers = takeAcceptedOffers(framework, accept);
  AgentRecord* agent = offers.agent ? findAgent(*offers.agent) : nullptr;
  if (!offers.invalid && (agent == nullptr || !agent->connected))
    offers.invalid = "The offers' agent is gone";
  if (offers.invalid) {
    refuseAccept(framework, accept, offers);
    return;
  }
  Resources available = offers.available;
  Resources offered = available;
  for (v1::Offer::Operation operation : accept.operations()) {
    injectAllocationInfo(&operation, *offers.allocation);
    switch (operation.type()) {
      case v1::Offer::Operation::LAUNCH:
      case v1::Offer::Operation::LAUNCH_GROUP:
        launch(framework, *agent, operation, &available);
        break;
      case v1::Offer::Operation::RESERVE:
      case v1::Offer::Operation::UNRESERVE: {
        // What was launched so far stays used; the rest is converted.
        Resources launched = offered - available;
        applyOfferOperation(framework, *agent, operation, &available);
        offered = launched + available;
        break;
      }
      default:
        PLEXUS_LOG(Warning) << "Framework " << framework.id << " sent an unsupported operation "
                            << v1::Offer::Operation::Type_Name(operation.type()) << "; ignoring it";
        break;
    }
  }
  Resources used = offered - available;
  if (!used.empty()) allocator_.transitionOfferedToAllocated(agent->id, used);
  std::optional<v1::Filters> filters = accept.has_filters() ? accept.filters() : v1::Filters();
  if (!available.empty()) {
    allocator_.recoverResources(framework.id, agent->id, available, filters, false);
  }
}

}  // namespace plexus::master
