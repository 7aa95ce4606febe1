// SchedulerCalls and AgentCalls (master_calls.hpp): a checked call, dispatched to
// the part of the master that handles it.
#include <cctype>

#include "master/master.hpp"

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
  auto it = frameworks_.find(id);
  return it == frameworks_.end() ? nullptr : it->second.get();
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
  return info_.id() + "-agent-stream-" + std::to_string(++nextAgentStreamId_);
}

const AgentRecord* Master::agent(const AgentId& id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : it->second.get();
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

}  // namespace plexus::master
