// Authorisation: the master's --acls decisions (Mesos's local authorizer, see
// auth/acls.hpp), for subscriptions, task launches, reservations and operator calls.
#include <plexus/logging.hpp>
#include <plexus/resources.hpp>

#include "master/master.hpp"
#include "master/operator_api.hpp"

namespace plexus::master {
namespace {

std::optional<std::string> principalOf(const v1::FrameworkInfo& info) {
  if (info.has_principal()) return info.principal();
  return std::nullopt;
}

std::string who(const std::optional<std::string>& principal) {
  return principal ? "principal '" + *principal + "'" : "an unauthenticated caller";
}

}  // namespace

std::optional<std::string> Master::aclRefusal(std::string_view action,
                                              const std::optional<std::string>& principal,
                                              const std::optional<std::string>& object) const {
  if (!acls_) return std::nullopt;
  auth::AclDecision decision = acls_->authorize(action, principal, object);
  if (decision.allowed) return std::nullopt;
  std::string message = "Not authorized: " + who(principal) + " may not " + std::string(action) +
                        (object ? " '" + *object + "'" : "") + " (refused by " + decision.by +
                        " of --acls)";
  PLEXUS_LOG(Warning) << message;
  return message;
}

std::optional<http::Response> Master::authorizeSubscribe(const v1::FrameworkInfo& info) const {
  bool multiRole = false;
  for (const auto& capability : info.capabilities())
    multiRole = multiRole || capability.type() == v1::FrameworkInfo::Capability::MULTI_ROLE;
  std::vector<std::string> roles{info.role()};
  if (multiRole) roles.assign(info.roles().begin(), info.roles().end());
  for (const std::string& role : roles) {
    if (auto refused = aclRefusal("register_frameworks", principalOf(info), role))
      return http::text(403, *refused + ": framework '" + info.name() +
                                 "' cannot subscribe in role '" + role + "'");
  }
  return std::nullopt;
}

std::optional<std::string> Master::authorizeTask(const FrameworkRecord& framework,
                                                 const v1::TaskInfo& task,
                                                 const v1::ExecutorInfo* executor) const {
  // The users the agent runs processes as (agent/executors.cpp): an executor runs
  // as its command's user, else the framework's; a command task's executor, built
  // by the agent, as the task's command user, else the framework's; the tasks of a
  // custom or default executor run inside it. Mesos authorises only the task's user
  // (its command's, else its executor's, else the framework's), so a task group's
  // executor could run as any user: every one of them is authorised here.
  const std::string& frameworkUser = framework.info.user();
  std::string executorUser = executor != nullptr && executor->command().has_user()
                                 ? executor->command().user()
                                 : frameworkUser;
  std::string taskUser = task.has_command() && task.command().has_user() ? task.command().user()
                         : executor != nullptr                           ? executorUser
                                                                         : frameworkUser;
  const auto principal = principalOf(framework.info);
  if (executor != nullptr) {
    if (auto refused = aclRefusal("run_tasks", principal, executorUser)) {
      return *refused + ": '" + executorUser + "' is the user of executor '" +
             executor->executor_id().value() + "'";
    }
    if (taskUser == executorUser) return std::nullopt;
  }
  return aclRefusal("run_tasks", principal, taskUser);
}

std::optional<std::string> Master::authorizeReservation(
    const v1::Offer::Operation& operation, const std::optional<std::string>& principal) const {
  bool reserve = operation.type() == v1::Offer::Operation::RESERVE;
  const auto& wire = reserve ? operation.reserve().resources() : operation.unreserve().resources();
  for (const v1::Resource& resource : wire) {
    if (resource.reservations().empty()) continue;
    const auto& reservation = *resource.reservations().rbegin();
    std::optional<std::string> object;
    if (reserve)
      object = reservation.role();
    else if (reservation.has_principal())
      object = reservation.principal();
    if (auto refused =
            aclRefusal(reserve ? "reserve_resources" : "unreserve_resources", principal, object))
      return refused;
  }
  return std::nullopt;
}

std::optional<http::Response> OperatorApi::authorize(
    const v1::master::Call& call, const std::optional<std::string>& principal) const {
  using v1::master::Call;
  std::optional<std::string> refused;
  switch (call.type()) {
    case Call::UPDATE_WEIGHTS:
      for (const auto& info : call.update_weights().weight_infos()) {
        if (!refused) refused = master_.aclRefusal("update_weights", principal, info.role());
      }
      break;
    case Call::UPDATE_QUOTA:
      for (const auto& config : call.update_quota().quota_configs()) {
        if (!refused) refused = master_.aclRefusal("update_quotas", principal, config.role());
      }
      break;
    case Call::RESERVE_RESOURCES:
    case Call::UNRESERVE_RESOURCES: {
      v1::Offer::Operation operation;
      bool reserve = call.type() == Call::RESERVE_RESOURCES;
      operation.set_type(reserve ? v1::Offer::Operation::RESERVE : v1::Offer::Operation::UNRESERVE);
      if (reserve)
        *operation.mutable_reserve()->mutable_resources() = call.reserve_resources().resources();
      else
        *operation.mutable_unreserve()->mutable_resources() =
            call.unreserve_resources().resources();
      refused = master_.authorizeReservation(operation, principal);
      break;
    }
    case Call::TEARDOWN: {
      const FrameworkRecord* framework =
          master_.view().frameworks.find(FrameworkId::fromWire(call.teardown().framework_id()));
      if (framework != nullptr)
        refused = master_.aclRefusal("teardown_frameworks", principal, framework->info.principal());
      break;
    }
    case Call::GET_FLAGS:
      refused = master_.aclRefusal("view_flags", principal, std::nullopt);
      break;
    case Call::GET_STATE:
      refused = master_.aclRefusal("get_endpoints", principal, "/state");
      break;
    default:
      break;
  }
  if (refused) return http::text(403, *refused + "\n");
  return std::nullopt;
}

}  // namespace plexus::master
