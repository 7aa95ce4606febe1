// OperatorApi: the master's v1 operator endpoint, POST /api/v1 (and /master/api/v1;
// longest-prefix routing makes /api/v1/operator reach it too), Mesos's
// `mesos.v1.master.Call` in JSON or protobuf.
//
// Checks run in Mesos's order: 405 for a method other than POST; 400 without
// Content-Type, 415 for one that is neither JSON nor protobuf, 406 when Accept
// allows neither; 400 for a body that does not parse or a call that does not
// validate. Queries answer 200 with a `Response` in the negotiated encoding;
// UPDATE_WEIGHTS, UPDATE_QUOTA and TEARDOWN answer 200, RESERVE_RESOURCES and
// UNRESERVE_RESOURCES 202 (409 when the agent does not have the resources free);
// calls Plexus does not implement (SUBSCRIBE, files, maintenance, volumes,
// draining) answer 501 naming the call. Runs on the master's loop.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <plexus/ids.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/master.pb.h>

#include "api/v1_encoding.hpp"
#include "http/responder.hpp"
#include "http/types.hpp"
#include "master/master_view.hpp"

namespace plexus::master {

// A QuotaConfig's guarantees or limits as quantities.
ResourceQuantities quantities(const google::protobuf::Map<std::string, v1::Value::Scalar>& map);

class OperatorApi {
 public:
  explicit OperatorApi(OperatorCalls& master) : master_(master) {}

  void handle(const http::Request& request, const http::Responder& responder);

  // GET /roles, /weights and /quota as Mesos writes them (JSON).
  std::string rolesJson() const;
  std::string weightsJson() const;
  std::string quotaJson() const;

  // Why `call` is invalid (a required part is missing), or nullopt.
  static std::optional<std::string> validate(const v1::master::Call& call);

 private:
  http::Response dispatch(const v1::master::Call& call, api::Encoding encoding);
  // authorization.cpp: the --acls decision on `call` by `principal`, a 403 when refused.
  std::optional<http::Response> authorize(const v1::master::Call& call,
                                          const std::optional<std::string>& principal) const;
  http::Response reply(const v1::master::Response& response, api::Encoding encoding) const;

  v1::master::Response::GetAgents agents() const;
  v1::master::Response::GetFrameworks frameworks() const;
  v1::master::Response::GetExecutors executors() const;
  v1::master::Response::GetTasks tasks() const;
  // What each known role (and its subtree) holds, as Mesos's RoleResourceBreakdown.
  struct RoleBreakdown {
    std::vector<FrameworkId> frameworks;  // subscribed to the role itself
    ResourceQuantities allocated, offered, reserved, consumedQuota;
  };
  std::map<std::string, RoleBreakdown> roleBreakdowns() const;
  v1::master::Response::GetRoles roles() const;
  v1::master::Response::GetQuota quota() const;

  http::Response updateWeights(const v1::master::Call::UpdateWeights& update);
  http::Response updateQuota(const v1::master::Call::UpdateQuota& update);
  http::Response reservation(const v1::AgentID& agent, const v1::Offer::Operation& operation);

  // quota_enforcement.cpp: limits over a role's subtree, as Mesos enforces them.
  // What the subtree of `role` consumes: what its frameworks use plus the
  // reservations to it nobody uses.
  ResourceQuantities consumedQuota(const std::string& role) const;
  // A 400 for a limit below what its role already consumes, unless `force`.
  std::optional<http::Response> refuseLimitsBelowConsumption(
      const v1::master::Call::UpdateQuota& update) const;
  // Rescinds offers to the role's subtree until consumed plus offered fit its limits.
  void rescindOffersAboveLimits(const v1::quota::QuotaConfig& config);

  OperatorCalls& master_;
};

}  // namespace plexus::master
