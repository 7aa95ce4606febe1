#include "master/operator_api.hpp"

#include <cmath>

#include <boost/json.hpp>

#include <plexus/json.hpp>
#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>
#include <plexus/version.hpp>

#include "api/state_json.hpp"
#include "common/build_info.hpp"
#include "master/state_json.hpp"

namespace plexus::master {
namespace {

using v1::master::Call;
using v1::master::Response;

v1::TimeInfo timeInfo(std::chrono::system_clock::time_point time) {
  v1::TimeInfo info;
  info.set_nanoseconds(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
  return info;
}

std::optional<std::string> validateQuota(const v1::quota::QuotaConfig& config) {
  if (auto valid = Resources::validateRole(config.role()); !valid || config.role() == "*") {
    return "'" + config.role() + "' is not a valid role for quota" +
           (valid ? "" : ": " + valid.error().message());
  }
  for (const auto* map : {&config.guarantees(), &config.limits()}) {
    for (const auto& [name, scalar] : *map) {
      if (!std::isfinite(scalar.value()) || scalar.value() < 0) {
        return "quota of role '" + config.role() + "': '" + name +
               "' must be a non-negative number";
      }
    }
  }
  for (const auto& [name, guarantee] : config.guarantees()) {
    auto limit = config.limits().find(name);
    if (limit != config.limits().end() && guarantee.value() > limit->second.value()) {
      return "quota of role '" + config.role() + "': the guarantee of '" + name + "' (" +
             std::to_string(guarantee.value()) + ") exceeds its limit (" +
             std::to_string(limit->second.value()) + ")";
    }
  }
  return std::nullopt;
}

}  // namespace

ResourceQuantities quantities(const google::protobuf::Map<std::string, v1::Value::Scalar>& map) {
  ResourceQuantities out;
  for (const auto& [name, scalar] : map)
    out.add(name, std::llround(scalar.value() * Resource::kScalarScale));
  return out;
}

std::optional<std::string> OperatorApi::validate(const Call& call) {
  if (!call.IsInitialized()) return "Not initialized: " + call.InitializationErrorString();
  if (!call.has_type()) return "Expecting 'type' to be present";
  auto needs = [](bool present, const char* field) -> std::optional<std::string> {
    if (present) return std::nullopt;
    return std::string("Expecting '") + field + "' to be present";
  };
  switch (call.type()) {
    case Call::UPDATE_WEIGHTS:
      return needs(call.has_update_weights(), "update_weights");
    case Call::UPDATE_QUOTA:
      return needs(call.has_update_quota(), "update_quota");
    case Call::RESERVE_RESOURCES:
      return needs(call.has_reserve_resources(), "reserve_resources");
    case Call::UNRESERVE_RESOURCES:
      return needs(call.has_unreserve_resources(), "unreserve_resources");
    case Call::TEARDOWN:
      return needs(call.has_teardown(), "teardown");
    default:
      return std::nullopt;
  }
}

void OperatorApi::handle(const http::Request& request, const http::Responder& responder) {
  master_.countRequest();
  if (request.method != "POST") return responder.respond(http::methodNotAllowed({"POST"}));
  auto encoding = api::requestEncoding(request);
  if (!encoding) return responder.respond(encoding.error().response());
  auto accept = api::responseEncoding(request);
  if (!accept) return responder.respond(accept.error().response());
  Call call;
  if (auto parsed = api::parseBody(request.body, *encoding, &call); !parsed) {
    return responder.respond(parsed.error().response());
  }
  if (auto invalid = validate(call)) {
    return responder.respond(http::text(400, "Failed to validate master::Call: " + *invalid));
  }
  if (auto refused = authorize(call, request.principal)) return responder.respond(*refused);
  http::Response response = dispatch(call, *accept);
  if (response.ok() && (call.type() == Call::UPDATE_WEIGHTS || call.type() == Call::UPDATE_QUOTA)) {
    // Answered once the registry holds the change: a new leader keeps it.
    master_.afterWrites(
        [responder, response = std::move(response)] { responder.respond(response); });
    return;
  }
  responder.respond(std::move(response));
}

http::Response OperatorApi::reply(const Response& response, api::Encoding encoding) const {
  return http::response(200, api::encode(response, encoding),
                        std::string(api::contentType(encoding)));
}

http::Response OperatorApi::dispatch(const Call& call, api::Encoding encoding) {
  const MasterView m = master_.view();
  Response response;
  switch (call.type()) {
    case Call::GET_HEALTH:
      response.set_type(Response::GET_HEALTH);
      response.mutable_get_health()->set_healthy(true);
      return reply(response, encoding);
    case Call::GET_FLAGS:
      response.set_type(Response::GET_FLAGS);
      for (const auto& [name, value] : m.allFlags.values()) {
        auto* flag = response.mutable_get_flags()->add_flags();
        flag->set_name(name);
        flag->set_value(value);
      }
      return reply(response, encoding);
    case Call::GET_VERSION: {
      response.set_type(Response::GET_VERSION);
      auto* version = response.mutable_get_version()->mutable_version_info();
      version->set_version(std::string(kMesosApiVersion));
      version->set_build_date(build::kDate);
      version->set_build_time(build::kTime);
      version->set_build_user(build::kUser);
      return reply(response, encoding);
    }
    case Call::GET_METRICS: {
      response.set_type(Response::GET_METRICS);
      auto metrics = boost::json::parse(StateWriter(master_).metrics()).as_object();
      for (const auto& [name, value] : metrics) {
        auto* metric = response.mutable_get_metrics()->add_metrics();
        metric->set_name(std::string(name));
        if (value.is_number()) metric->set_value(value.to_number<double>());
      }
      return reply(response, encoding);
    }
    case Call::GET_MASTER: {
      response.set_type(Response::GET_MASTER);
      auto* master = response.mutable_get_master();
      *master->mutable_master_info() = m.info;
      double start = std::chrono::duration<double>(m.startTime.time_since_epoch()).count();
      master->set_start_time(start);
      master->set_elected_time(start);
      return reply(response, encoding);
    }
    case Call::GET_STATE: {
      response.set_type(Response::GET_STATE);
      auto* state = response.mutable_get_state();
      *state->mutable_get_tasks() = tasks();
      *state->mutable_get_executors() = executors();
      *state->mutable_get_frameworks() = frameworks();
      *state->mutable_get_agents() = agents();
      return reply(response, encoding);
    }
    case Call::GET_AGENTS:
      response.set_type(Response::GET_AGENTS);
      *response.mutable_get_agents() = agents();
      return reply(response, encoding);
    case Call::GET_FRAMEWORKS:
      response.set_type(Response::GET_FRAMEWORKS);
      *response.mutable_get_frameworks() = frameworks();
      return reply(response, encoding);
    case Call::GET_EXECUTORS:
      response.set_type(Response::GET_EXECUTORS);
      *response.mutable_get_executors() = executors();
      return reply(response, encoding);
    case Call::GET_TASKS:
      response.set_type(Response::GET_TASKS);
      *response.mutable_get_tasks() = tasks();
      return reply(response, encoding);
    case Call::GET_ROLES:
      response.set_type(Response::GET_ROLES);
      *response.mutable_get_roles() = roles();
      return reply(response, encoding);
    case Call::GET_WEIGHTS:
      response.set_type(Response::GET_WEIGHTS);
      for (const auto& [role, weight] : m.weights) {
        auto* info = response.mutable_get_weights()->add_weight_infos();
        info->set_role(role);
        info->set_weight(weight);
      }
      return reply(response, encoding);
    case Call::GET_QUOTA:
      response.set_type(Response::GET_QUOTA);
      *response.mutable_get_quota() = quota();
      return reply(response, encoding);
    case Call::UPDATE_WEIGHTS:
      return updateWeights(call.update_weights());
    case Call::UPDATE_QUOTA:
      return updateQuota(call.update_quota());
    case Call::RESERVE_RESOURCES: {
      v1::Offer::Operation operation;
      operation.set_type(v1::Offer::Operation::RESERVE);
      *operation.mutable_reserve()->mutable_resources() = call.reserve_resources().resources();
      *operation.mutable_reserve()->mutable_source() = call.reserve_resources().source();
      return reservation(call.reserve_resources().agent_id(), operation);
    }
    case Call::UNRESERVE_RESOURCES: {
      v1::Offer::Operation operation;
      operation.set_type(v1::Offer::Operation::UNRESERVE);
      *operation.mutable_unreserve()->mutable_resources() = call.unreserve_resources().resources();
      return reservation(call.unreserve_resources().agent_id(), operation);
    }
    case Call::TEARDOWN: {
      FrameworkId id = FrameworkId::fromWire(call.teardown().framework_id());
      if (!master_.teardown(id)) {
        return http::text(400, "No framework found with specified ID '" + id.value() + "'");
      }
      return http::response(200, "", "text/plain");
    }
    case Call::UNKNOWN:
      return http::text(501, "Received an unknown call");
    default:
      return http::text(501, Call::Type_Name(call.type()) + " is not supported by Plexus yet");
  }
}

http::Response OperatorApi::updateWeights(const Call::UpdateWeights& update) {
  std::vector<v1::WeightInfo> infos;
  for (const v1::WeightInfo& info : update.weight_infos()) {
    if (auto valid = Resources::validateRole(info.role()); !valid || info.role() == "*") {
      return http::text(400, "Failed to validate master::Call: '" + info.role() +
                                 "' is not a valid role for a weight" +
                                 (valid ? "" : ": " + valid.error().message()));
    }
    if (!(info.weight() > 0) || !std::isfinite(info.weight())) {
      return http::text(400, "Failed to validate master::Call: the weight of role '" + info.role() +
                                 "' must be a positive number");
    }
    infos.push_back(info);
  }
  master_.setWeights(infos);
  master_.persistWeightsAndQuota();
  return http::response(200, "", "text/plain");
}

http::Response OperatorApi::updateQuota(const Call::UpdateQuota& update) {
  for (const auto& config : update.quota_configs()) {
    if (auto invalid = validateQuota(config)) {
      return http::text(400, "Failed to validate master::Call: " + *invalid);
    }
  }
  if (auto refused = refuseLimitsBelowConsumption(update)) return *refused;
  // Unless forced, the guarantees (the new ones with the others kept) must fit in
  // the cluster, as Mesos checks.
  if (!update.force()) {
    std::map<std::string, ResourceQuantities> guarantees;
    for (const auto& [role, config] : master_.view().quotas)
      guarantees[role] = quantities(config.guarantees());
    for (const auto& config : update.quota_configs())
      guarantees[config.role()] = quantities(config.guarantees());
    ResourceQuantities wanted, capacity;
    for (const auto& [role, quantity] : guarantees)
      wanted += quantity;
    for (const auto& [id, agent] : master_.view().agents.all()) {
      if (!agent->unreachable) capacity += agent->total.quantities();
    }
    if (!capacity.contains(wanted)) {
      std::ostringstream message;
      message << "Invalid QuotaConfig: the total quota guarantees (" << wanted
              << ") exceed the cluster's capacity (" << capacity
              << "); set 'force' to set them anyway";
      return http::text(400, message.str());
    }
  }
  for (const auto& config : update.quota_configs()) {
    master_.setQuota(config);
    rescindOffersAboveLimits(config);
  }
  master_.persistWeightsAndQuota();
  return http::response(200, "", "text/plain");
}

http::Response OperatorApi::reservation(const v1::AgentID& agentId,
                                        const v1::Offer::Operation& operation) {
  const AgentRecord* agent = master_.view().agents.find(AgentId::fromWire(agentId));
  if (agent == nullptr || agent->unreachable) {
    return http::text(400, "No agent found with specified ID '" + agentId.value() + "'");
  }
  if (auto conversions = master_.operatorConversions(operation); !conversions) {
    return http::text(400, "Invalid " + v1::Offer::Operation::Type_Name(operation.type()) +
                               " operation: " + conversions.error().message());
  }
  if (auto applied = master_.applyOperatorOperation(agent->id, operation); !applied) {
    return http::text(409, applied.error().message());
  }
  return http::response(202, "", "text/plain");
}

Response::GetAgents OperatorApi::agents() const {
  Response::GetAgents out;
  for (const auto& [id, agent] : master_.view().agents.all()) {
    if (agent->unreachable) continue;
    auto* entry = out.add_agents();
    *entry->mutable_agent_info() = agent->info;
    entry->set_active(agent->connected);
    entry->set_deactivated(!agent->connected);
    entry->set_version(agent->version);
    entry->set_pid("slave(1)@" + agent->endpoint);
    *entry->mutable_registered_time() = timeInfo(agent->registeredTime);
    if (agent->reregisteredTime)
      *entry->mutable_reregistered_time() = timeInfo(*agent->reregisteredTime);
    agent->total.toWire(entry->mutable_total_resources());
    Resources used, offered;
    for (const auto& [framework, resources] : agent->used)
      used += resources;
    for (const OfferId& offer : agent->offers)
      offered += master_.view().offers.all().at(offer).resources;
    used.toWire(entry->mutable_allocated_resources());
    offered.toWire(entry->mutable_offered_resources());
    for (const auto& capability : agent->capabilities)
      *entry->add_capabilities() = capability;
  }
  // Admitted in the registry, not re-registered since the election.
  for (const auto& [id, info] : master_.view().agents.awaited())
    *out.add_recovered_agents() = info;
  return out;
}

Response::GetFrameworks OperatorApi::frameworks() const {
  Response::GetFrameworks out;
  auto fill = [this](const FrameworkRecord& framework, Response::GetFrameworks::Framework* entry) {
    *entry->mutable_framework_info() = framework.info;
    entry->set_active(framework.active);
    entry->set_connected(framework.subscription.open());
    entry->set_recovered(false);
    *entry->mutable_registered_time() = timeInfo(framework.registeredTime);
    if (framework.unregisteredTime)
      *entry->mutable_unregistered_time() = timeInfo(*framework.unregisteredTime);
    Resources used, offered;
    for (const auto& [id, agent] : master_.view().agents.all()) {
      if (auto it = agent->used.find(framework.id); it != agent->used.end()) used += it->second;
    }
    for (const OfferId& id : framework.offers) {
      const OfferRecord& offer = master_.view().offers.all().at(id);
      *entry->add_offers() = offer.offer;
      offered += offer.resources;
    }
    used.toWire(entry->mutable_allocated_resources());
    offered.toWire(entry->mutable_offered_resources());
    if (!framework.offerConstraints.empty())
      *entry->mutable_offer_constraints() = framework.offerConstraints.constraints();
  };
  for (const auto& [id, framework] : master_.view().frameworks.registered())
    fill(*framework, out.add_frameworks());
  for (const auto& [id, framework] : master_.view().frameworks.completed())
    fill(*framework, out.add_completed_frameworks());
  return out;
}

Response::GetExecutors OperatorApi::executors() const {
  Response::GetExecutors out;
  for (const auto& [id, framework] : master_.view().frameworks.registered()) {
    for (const auto& [agentId, byId] : framework->executors) {
      for (const auto& [executorId, info] : byId) {
        auto* entry = out.add_executors();
        *entry->mutable_executor_info() = info;
        agentId.toWire(entry->mutable_agent_id());
      }
    }
  }
  return out;
}

Response::GetTasks OperatorApi::tasks() const {
  Response::GetTasks out;
  auto add = [](const std::map<TaskId, TaskRecord>& tasks,
                google::protobuf::RepeatedPtrField<v1::Task>* into) {
    for (const auto& [id, record] : tasks)
      *into->Add() = record.task;
  };
  for (const auto* frameworks :
       {&master_.view().frameworks.registered(), &master_.view().frameworks.completed()}) {
    for (const auto& [id, framework] : *frameworks) {
      add(framework->tasks.active(), out.mutable_tasks());
      add(framework->tasks.unreachable(), out.mutable_unreachable_tasks());
      add(framework->tasks.completed(), out.mutable_completed_tasks());
    }
  }
  return out;
}

std::map<std::string, OperatorApi::RoleBreakdown> OperatorApi::roleBreakdowns() const {
  // Known roles, as Mesos's Master::knownRoles: weighted, with quota, subscribed to,
  // holding reservations, and their ancestors.
  std::map<std::string, RoleBreakdown> roles;
  auto known = [&](const std::string& name) -> RoleBreakdown& {
    for (size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1))
      roles[name.substr(0, slash)];
    return roles[name];
  };
  for (const auto& [name, weight] : master_.view().weights)
    known(name);
  for (const auto& [name, config] : master_.view().quotas)
    known(name);
  for (const auto& [id, framework] : master_.view().frameworks.registered()) {
    for (const std::string& name : framework->roles())
      known(name).frameworks.push_back(id);
  }
  for (const auto& [id, agent] : master_.view().agents.all()) {
    for (const auto& [name, reserved] : agent->total.reservations())
      known(name);
  }
  // As Mesos's RoleResourceBreakdown: each role counts its whole subtree.
  auto inSubtree = [](const std::string& role, const std::string& root) {
    return role == root || Resources::isStrictSubrole(role, root);
  };
  auto allocatedToSubtree = [&](const Resources& resources, const std::string& root) {
    return resources.filter([&](const Resource& resource) {
      return resource.allocationRole() && inSubtree(*resource.allocationRole(), root);
    });
  };
  auto reservedToSubtree = [&](const Resources& resources, const std::string& root) {
    return resources.filter([&](const Resource& resource) {
      return resource.isReserved() && inSubtree(resource.reservationRole(), root);
    });
  };
  for (auto& [name, role] : roles) {
    ResourceQuantities unallocatedReservation;
    for (const auto& [id, agent] : master_.view().agents.all()) {
      if (agent->unreachable) continue;
      ResourceQuantities reserved = reservedToSubtree(agent->total, name).quantities();
      role.reserved += reserved;
      ResourceQuantities usedReservation;
      for (const auto& [framework, used] : agent->used) {
        role.allocated += allocatedToSubtree(used, name).quantities();
        usedReservation += reservedToSubtree(used, name).quantities();
      }
      for (const OfferId& offer : agent->offers)
        role.offered +=
            allocatedToSubtree(master_.view().offers.all().at(offer).resources, name).quantities();
      unallocatedReservation += reserved - usedReservation;
    }
    role.consumedQuota = role.allocated + unallocatedReservation;
  }
  return roles;
}

Response::GetRoles OperatorApi::roles() const {
  Response::GetRoles out;
  for (const auto& [name, breakdown] : roleBreakdowns()) {
    v1::Role* role = out.add_roles();
    role->set_name(name);
    auto weight = master_.view().weights.find(name);
    role->set_weight(weight == master_.view().weights.end() ? 1.0 : weight->second);
    for (const FrameworkId& id : breakdown.frameworks)
      id.toWire(role->add_frameworks());
    // As Mesos 1.11: `resources` holds what is allocated and offered, cpus, mem,
    // disk and gpus only (Role has no other resource fields; /roles has the breakdown).
    for (const auto& quantity : breakdown.allocated + breakdown.offered) {
      const std::string& resource = quantity.name;
      if (resource != "cpus" && resource != "mem" && resource != "disk" && resource != "gpus")
        continue;
      v1::Resource* wire = role->add_resources();
      wire->set_name(resource);
      wire->set_type(v1::Value::SCALAR);
      wire->mutable_scalar()->set_value(quantity.value());
    }
  }
  return out;
}

Response::GetQuota OperatorApi::quota() const {
  Response::GetQuota out;
  for (const auto& [role, config] : master_.view().quotas) {
    *out.mutable_status()->add_configs() = config;
    auto* info = out.mutable_status()->add_infos();
    info->set_role(role);
    for (const auto& [name, scalar] : config.guarantees()) {
      auto* resource = info->add_guarantee();
      resource->set_name(name);
      resource->set_type(v1::Value::SCALAR);
      *resource->mutable_scalar() = scalar;
    }
  }
  return out;
}

std::string OperatorApi::rolesJson() const {
  // As Mesos's /roles: a quota object (with `guarantee`, `limit` and `consumed`,
  // singular as QuotaInfo named them), the allocated, offered and reserved
  // quantities of the role's subtree, and `resources` (allocated and offered).
  auto quantitiesObject = [](const ResourceQuantities& quantities) {
    boost::json::object out;
    for (const auto& quantity : quantities)
      out[quantity.name] = quantity.value();
    return out;
  };
  boost::json::array out;
  for (const auto& [name, role] : roleBreakdowns()) {
    boost::json::array frameworks;
    for (const FrameworkId& id : role.frameworks)
      frameworks.push_back(boost::json::string(id.value()));
    auto weight = master_.view().weights.find(name);
    auto quota = master_.view().quotas.find(name);
    ResourceQuantities guarantees, limits;
    if (quota != master_.view().quotas.end()) {
      guarantees = quantities(quota->second.guarantees());
      limits = quantities(quota->second.limits());
    }
    out.push_back(boost::json::object{
        {"name", name},
        {"weight", weight == master_.view().weights.end() ? 1.0 : weight->second},
        {"quota", boost::json::object{{"role", name},
                                      {"guarantee", quantitiesObject(guarantees)},
                                      {"limit", quantitiesObject(limits)},
                                      {"consumed", quantitiesObject(role.consumedQuota)}}},
        {"resources", quantitiesObject(role.allocated + role.offered)},
        {"allocated", quantitiesObject(role.allocated)},
        {"offered", quantitiesObject(role.offered)},
        {"reserved", quantitiesObject(role.reserved)},
        {"frameworks", std::move(frameworks)}});
  }
  return http::serializeJson(boost::json::object{{"roles", std::move(out)}});
}

std::string OperatorApi::weightsJson() const {
  boost::json::array out;
  for (const auto& [role, weight] : master_.view().weights)
    out.push_back(boost::json::object{{"role", role}, {"weight", weight}});
  return http::serializeJson(out);
}

std::string OperatorApi::quotaJson() const {
  return toJson(quota().status());
}

}  // namespace plexus::master
