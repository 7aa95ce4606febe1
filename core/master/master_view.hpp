// MasterView: what the master's read-only endpoints read of it (/state,
// /metrics/snapshot, /flags, the operator API's GET calls), as const references.
// MasterReader hands one out; OperatorCalls adds what the operator API may change.
// Master implements both; the endpoints see nothing else of it.
//
// Everything runs on the master's loop. A view is for the call at hand: it is
// valid while the master lives, and what it refers to changes as the master does.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/resource_conversions.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/quota.pb.h>

#include "common/flags.hpp"
#include "master/agent_book.hpp"
#include "master/framework_book.hpp"
#include "master/master_flags.hpp"
#include "master/metrics.hpp"
#include "master/offer_book.hpp"
#include "master/registrar.hpp"

namespace plexus::master {

struct MasterView {
  const v1::MasterInfo& info;
  const MasterFlags& flags;
  const Flags& allFlags;
  const Metrics& metrics;
  const FrameworkBook& frameworks;
  const AgentBook& agents;
  const OfferBook& offers;
  const std::map<std::string, double>& weights;                 // roles not listed weigh 1
  const std::map<std::string, v1::quota::QuotaConfig>& quotas;  // by role
  const Registrar* registrar;                                   // null before Master::initialize()
  std::chrono::system_clock::time_point startTime;
  std::chrono::system_clock::time_point now;
  bool elected;
  std::optional<std::chrono::system_clock::time_point> electedTime;
  const std::optional<v1::MasterInfo>& leader;  // as the detector last told
};

class MasterReader {
 public:
  virtual ~MasterReader() = default;
  virtual MasterView view() const = 0;
  // Agents this master marked unreachable, and those the registry lists that it
  // never saw (a previous leader marked them).
  virtual std::size_t unreachableAgentCount() const = 0;
};

// What the operator API (operator_api.hpp) may do besides reading.
class OperatorCalls : public MasterReader {
 public:
  // Counted for /metrics/snapshot.
  virtual void countRequest() = 0;
  // The --acls decisions (authorization.cpp): the refusal's message, or nullopt.
  virtual std::optional<std::string> aclRefusal(std::string_view action,
                                                const std::optional<std::string>& principal,
                                                const std::optional<std::string>& object) const = 0;
  virtual std::optional<std::string> authorizeReservation(
      const v1::Offer::Operation& operation, const std::optional<std::string>& principal) const = 0;
  // Runs `then` once the registry holds every change made so far.
  virtual void afterWrites(std::function<void()> then) = 0;
  // TEARDOWN: removes the framework; false if no framework `id` is registered.
  virtual bool teardown(const FrameworkId& id) = 0;
  // Sets the weights (valid ones) and tells the allocator; persistWeightsAndQuota() stores them.
  virtual void setWeights(const std::vector<v1::WeightInfo>& weights) = 0;
  // Sets the quota of `config`'s role (none without guarantees and limits) and
  // tells the allocator; persistWeightsAndQuota() stores it.
  virtual void setQuota(const v1::quota::QuotaConfig& config) = 0;
  virtual void persistWeightsAndQuota() = 0;
  // The conversions a RESERVE or UNRESERVE by the operator makes, after Mesos's
  // validation of it; the error says why it is invalid.
  virtual Result<std::vector<ResourceConversion>> operatorConversions(
      const v1::Offer::Operation& operation) const = 0;
  // Applies a valid RESERVE or UNRESERVE to the agent's unoffered resources,
  // rescinding its offers when that frees what it needs; fails when the agent is
  // unknown or unreachable, or the resources are not there.
  virtual Result<void> applyOperatorOperation(const AgentId& agent,
                                              const v1::Offer::Operation& operation) = 0;
  // Rescinds offer `id`; its resources go back to the allocator.
  virtual void rescindOffer(const OfferId& id) = 0;
};

}  // namespace plexus::master
