// SchedulerCalls and AgentCalls (master_calls.hpp), MasterReader and OperatorCalls
// (master_view.hpp): a checked call, dispatched to the part of the master that
// handles it.
#include <cctype>

#include <plexus/logging.hpp>

#include "master/master.hpp"
#include "master/operator_api.hpp"

namespace plexus::master {
namespace {

using v1::scheduler::Call;

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::set<std::string> rolesOf(const google::protobuf::RepeatedPtrField<std::string>& roles,
                              const FrameworkRecord& framework) {
  std::set<std::string> listed(roles.begin(), roles.end());
  return listed.empty() ? framework.roles() : listed;
}

}  // namespace

void Master::countRequest() {
  metrics_.httpRequests++;
}

void Master::countCall(Call::Type type) {
  metrics_.schedulerCalls[lower(Call::Type_Name(type))]++;
}

const FrameworkRecord* Master::framework(const FrameworkId& id) const {
  return frameworks_.find(id);
}

Result<void> Master::call(const Call& call) {
  FrameworkRecord* found = findFramework(FrameworkId::fromWire(call.framework_id()));
  if (found == nullptr) return fail("Framework cannot be found");
  FrameworkRecord& framework = *found;
  switch (call.type()) {
    case Call::TEARDOWN:
      removeFramework(framework.id, "the framework asked to be torn down");
      break;
    case Call::ACCEPT:
      accept(framework, call.accept());
      break;
    case Call::DECLINE:
      decline(framework, call.decline());
      break;
    case Call::REVIVE: {
      for (const auto& role : rolesOf(call.revive().roles(), framework))
        framework.suppressedRoles.erase(role);
      std::set<std::string> roles(call.revive().roles().begin(), call.revive().roles().end());
      allocator_.reviveOffers(framework.id, roles);
      break;
    }
    case Call::SUPPRESS: {
      for (const auto& role : rolesOf(call.suppress().roles(), framework))
        framework.suppressedRoles.insert(role);
      std::set<std::string> roles(call.suppress().roles().begin(), call.suppress().roles().end());
      allocator_.suppressOffers(framework.id, roles);
      break;
    }
    case Call::KILL:
      kill(framework, call.kill());
      break;
    case Call::SHUTDOWN:
      shutdownExecutor(framework, call.shutdown());
      break;
    case Call::ACKNOWLEDGE:
      acknowledge(framework, call.acknowledge());
      break;
    case Call::RECONCILE:
      reconcile(framework, call.reconcile());
      break;
    case Call::MESSAGE:
      frameworkMessage(framework, call.message());
      break;
    case Call::REQUEST: {
      std::vector<v1::Request> requests(call.request().requests().begin(),
                                        call.request().requests().end());
      allocator_.requestResources(framework.id, requests);
      break;
    }
    case Call::UPDATE_FRAMEWORK:
      return updateFramework(framework, call.update_framework());
    case Call::ACCEPT_INVERSE_OFFERS:
    case Call::DECLINE_INVERSE_OFFERS:
      break;  // No maintenance schedules yet, so no inverse offers to answer.
    case Call::ACKNOWLEDGE_OPERATION_STATUS:
    case Call::RECONCILE_OPERATIONS:
      break;  // Operations with feedback (resource providers) are not supported yet.
    case Call::SUBSCRIBE:
    case Call::UNKNOWN:
      break;  // The endpoint handles them before.
  }
  return {};
}

std::string Master::newAgentStreamId() {
  return agents_.mintStreamId(info_.id());
}

const AgentRecord* Master::agent(const AgentId& id) const {
  return agents_.find(id);
}

void Master::agentCall(const internal::AgentCall& call) {
  AgentRecord* agent = findAgent(AgentId::fromWire(call.agent_id()));
  if (agent == nullptr) return;
  switch (call.type()) {
    case internal::AgentCall::UPDATE:
      statusUpdate(*agent, call.update());
      break;
    case internal::AgentCall::EXECUTOR_EXITED:
      executorExited(*agent, call.executor_exited());
      break;
    case internal::AgentCall::MESSAGE:
      executorMessage(*agent, call.message());
      break;
    case internal::AgentCall::PONG:
      agentPonged(*agent);
      break;
    default:
      break;  // Registrations go through registerAgent; the endpoint refuses the rest.
  }
}

MasterView Master::view() const {
  return MasterView{.info = info_,
                    .flags = flags_,
                    .allFlags = context_.allFlags,
                    .metrics = metrics_,
                    .frameworks = frameworks_,
                    .agents = agents_,
                    .offers = offers_,
                    .weights = weights_,
                    .quotas = quotas_,
                    .registrar = registrar_.get(),
                    .startTime = startTime_,
                    .now = context_.runtime.wallNow(),
                    .elected = elected_,
                    .electedTime = electedTime_,
                    .leader = leader_};
}

void Master::afterWrites(std::function<void()> then) {
  registrar_->afterWrites(std::move(then));
}

bool Master::teardown(const FrameworkId& id) {
  if (findFramework(id) == nullptr) return false;
  removeFramework(id, "the operator tore it down");
  return true;
}

void Master::setWeights(const std::vector<v1::WeightInfo>& weights) {
  for (const v1::WeightInfo& info : weights) {
    weights_[info.role()] = info.weight();
    PLEXUS_LOG(Info) << "Weight of role '" << info.role() << "' set to " << info.weight();
  }
  allocator_.updateWeights(weights);
}

void Master::setQuota(const v1::quota::QuotaConfig& config) {
  Quota quota{quantities(config.guarantees()), quantities(config.limits())};
  if (config.guarantees().empty() && config.limits().empty())
    quotas_.erase(config.role());
  else
    quotas_[config.role()] = config;
  allocator_.updateQuota(config.role(), quota);
  PLEXUS_LOG(Info) << "Quota of role '" << config.role() << "' set to guarantees "
                   << quota.guarantees << ", limits " << quota.limits;
}

Result<std::vector<ResourceConversion>> Master::operatorConversions(
    const v1::Offer::Operation& operation) const {
  return reservationConversions(operation, nullptr);
}

void Master::rescindOffer(const OfferId& id) {
  removeOffer(id, true);
}

}  // namespace plexus::master
