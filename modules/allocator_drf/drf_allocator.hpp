// DrfAllocator: the default allocator, Dominant Resource Fairness across frameworks.
//
// Created by the module's factory (module.cpp) for the master's `--allocator`, or
// directly by unit tests. It implements plexus::Allocator (see that header for the
// meaning of every method) the way Mesos's HierarchicalDRF allocator does, with a
// single level for now: frameworks are sorted by their dominant share (offered
// plus in use, over the cluster's total, per scalar resource name), and each
// allocation cycle visits the candidate agents in random (or sorted) order and
// offers each agent's available resources to the frameworks in that order, each
// (framework, role) receiving everything left on the agent that it may use, unless
// the offer is smaller than the minimum allocatable resources or covered by one of
// the framework's refusal filters. README.md lists the behaviour in detail.
//
// Cycles run every Options::allocationInterval (a Runtime timer, re-armed each
// time) and after events that make offers possible; events within one loop turn
// share one cycle (posted once to the Runtime), which covers just the agents they
// touched unless one of them affects all agents.
//
// Threading: everything on the master's loop (the Runtime's), callbacks included.
// Callbacks run after the cycle's bookkeeping is complete, so a callback may call
// back into the allocator. Lifetime: the Runtime must outlive the allocator; the
// destructor cancels its timers, and callbacks it posted become no-ops.
// Errors: initialize() and updateAvailable() return them; other calls with unknown
// ids or inconsistent resources log a warning and change nothing they cannot
// change consistently. Nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <plexus/allocator.hpp>
#include <plexus/parameters.hpp>

#include "drf_sorter.hpp"

namespace plexus::drf {

// The order in which a cycle visits agents.
enum class AgentOrder {
  kRandom,  // shuffled every cycle, as Mesos does: no agent is always first
  kSorted,  // by agent id: reproducible, for debugging and tests
};

struct DrfConfig {
  AgentOrder agentOrder = AgentOrder::kRandom;
  // Seed of the shuffle; nullopt draws one from std::random_device.
  std::optional<std::uint64_t> seed;
};

// Reads the module's parameters (see kParameters in module.cpp).
[[nodiscard]] Result<DrfConfig> configFromParameters(const Parameters& parameters);

// How long a refusal with `filters` lasts, with Mesos's rules: refuse_seconds
// above 365 days is capped to 365 days, a negative or NaN value means the proto
// default (5 s), and a value that rounds to zero nanoseconds installs no filter
// (nullopt). Offer filters then last at least one allocation interval.
std::optional<Duration> refusalTimeout(const v1::Filters& filters);

class DrfAllocator final : public Allocator {
 public:
  static Result<std::unique_ptr<DrfAllocator>> create(const Parameters& parameters);

  explicit DrfAllocator(DrfConfig config = {});
  ~DrfAllocator() override;
  DrfAllocator(const DrfAllocator&) = delete;
  DrfAllocator& operator=(const DrfAllocator&) = delete;

  // plexus::Allocator.
  Result<void> initialize(const AllocatorOptions& options, AllocatorCallbacks callbacks,
                          Runtime& runtime) override;
  void recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) override;
  void addFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                    const std::map<AgentId, Resources>& used, bool active,
                    FrameworkOptions options) override;
  void removeFramework(const FrameworkId& framework) override;
  void activateFramework(const FrameworkId& framework) override;
  void deactivateFramework(const FrameworkId& framework) override;
  void updateFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                       FrameworkOptions options) override;
  void addAgent(const AgentId& agent, const v1::AgentInfo& info,
                const std::optional<v1::Unavailability>& unavailability, const Resources& total,
                const std::map<FrameworkId, Resources>& used) override;
  void removeAgent(const AgentId& agent) override;
  void updateAgent(const AgentId& agent, const v1::AgentInfo& info,
                   const std::optional<Resources>& total) override;
  void activateAgent(const AgentId& agent) override;
  void deactivateAgent(const AgentId& agent) override;
  void updateWhitelist(const std::optional<std::set<std::string>>& hostnames) override;
  void requestResources(const FrameworkId& framework,
                        const std::vector<v1::Request>& requests) override;
  void updateAllocation(const FrameworkId& framework, const AgentId& agent,
                        const Resources& offered,
                        const std::vector<ResourceConversion>& conversions) override;
  Result<void> updateAvailable(const AgentId& agent,
                               const std::vector<v1::Offer::Operation>& operations) override;
  void updateUnavailability(const AgentId& agent,
                            const std::optional<v1::Unavailability>& unavailability) override;
  void updateInverseOffer(const AgentId& agent, const FrameworkId& framework, bool accepted,
                          const std::optional<v1::Filters>& filters) override;
  void transitionOfferedToAllocated(const AgentId& agent, const Resources& resources) override;
  void recoverResources(const FrameworkId& framework, const AgentId& agent,
                        const Resources& resources, const std::optional<v1::Filters>& filters,
                        bool isAllocated) override;
  void suppressOffers(const FrameworkId& framework, const std::set<std::string>& roles) override;
  void reviveOffers(const FrameworkId& framework, const std::set<std::string>& roles) override;
  void updateQuota(const std::string& role, const Quota& quota) override;
  void updateWeights(const std::vector<v1::WeightInfo>& weights) override;
  void pause() override;
  void resume() override;

  // Introspection (tests, and later the master's /state): empty or 0 when unknown.
  // The agent's total and its unoffered resources (no allocation role).
  Resources total(const AgentId& agent) const;
  Resources available(const AgentId& agent) const;
  // What `framework` holds on `agent`, offered or in use (with allocation roles).
  Resources offeredOrAllocated(const AgentId& agent, const FrameworkId& framework) const;
  // What tasks use on `agent` (transitioned from offered), with allocation roles.
  Resources allocated(const AgentId& agent) const;
  double dominantShare(const FrameworkId& framework) const;
  // The refusal filters `framework` has installed, over all roles and agents.
  std::size_t offerFilterCount(const FrameworkId& framework) const;
  // Cycles that ran on a non-empty set of agents.
  std::size_t allocationRuns() const { return allocationRuns_; }
  bool isPaused() const { return paused_; }

 private:
  struct Capabilities {
    bool gpuResources = false;
    bool revocableResources = false;
    bool sharedResources = false;
    bool reservationRefinement = false;
  };

  // Keeps `refused` resources on one agent from one (framework, role) until the
  // timer fires; covers an offer only if `refused` contains all of it (Mesos).
  struct OfferFilter {
    Resources refused;
    Runtime::TimerId timer = 0;
  };
  using FilterId = std::uint64_t;
  using AgentFilters = std::map<AgentId, std::map<FilterId, OfferFilter>>;

  struct Framework {
    std::set<std::string> roles;
    std::set<std::string> suppressedRoles;
    Capabilities capabilities;
    bool active = true;
    // FrameworkInfo.offer_filters: per role, overrides the global minimum.
    std::map<std::string, std::vector<ResourceQuantities>> minAllocatableResources;
    std::map<std::string, AgentFilters> offerFilters;  // by role
    std::map<AgentId, std::map<FilterId, Runtime::TimerId>> inverseOfferFilters;
  };

  struct Maintenance {
    v1::Unavailability unavailability;
    // Frameworks sent an inverse offer for this agent and not answered yet.
    std::set<FrameworkId> outstanding;
    // The last answer of each framework (true: accepted).
    std::map<FrameworkId, bool> answers;
  };

  struct Agent {
    v1::AgentInfo info;
    Resources total;      // unallocated
    Resources available;  // unallocated: total minus everything offered or in use
    std::map<FrameworkId, Resources> offeredOrAllocated;  // with allocation roles
    Resources allocated;  // in use, with allocation roles; part of offeredOrAllocated
    bool active = true;
    std::optional<Maintenance> maintenance;
  };

  // Cycles.
  void requestAllocation(const std::optional<AgentId>& agent);
  void runPendingAllocation();
  void onAllocationTimer();
  void allocate(const std::set<AgentId>& candidates);
  void allocateAgent(const AgentId& agentId, Agent& agent,
                     std::map<FrameworkId, OfferedResources>& offerable);
  void generateInverseOffers(const std::set<AgentId>& candidates,
                             std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>>& out);
  bool isWhitelisted(const Agent& agent) const;
  bool isCapableOfAgent(const Framework& framework, const Agent& agent) const;
  Resources stripIncapable(const Resources& resources, const Capabilities& capabilities) const;
  bool isAllocatable(const Resources& resources, const std::string& role,
                     const Framework& framework) const;
  bool isFiltered(const Framework& framework, const std::string& role, const AgentId& agent,
                  const Resources& resources) const;

  // Bookkeeping.
  void grant(Agent& agent, const FrameworkId& framework, const Resources& resources);
  Resources release(Agent& agent, const FrameworkId& framework, const Resources& resources);
  void setAgentTotal(Agent& agent, const Resources& total);
  void trackFramework(const FrameworkId& id);

  // Filters.
  void installOfferFilter(const FrameworkId& frameworkId, Framework& framework,
                          const std::string& role, const AgentId& agent, Resources refused,
                          Duration timeout);
  void expireOfferFilter(const FrameworkId& framework, const std::string& role,
                         const AgentId& agent, FilterId filter);
  void installInverseOfferFilter(const FrameworkId& frameworkId, Framework& framework,
                                 const AgentId& agent, Duration timeout);
  void expireInverseOfferFilter(const FrameworkId& framework, const AgentId& agent,
                                FilterId filter);
  void clearOfferFilters(Framework& framework, const std::set<std::string>& roles);
  void clearAllFilters(Framework& framework);
  void clearAgentFilters(const AgentId& agent, bool offerFilters, bool inverseOfferFilters);

  // A callback that does nothing once the allocator is gone.
  template <typename Body>
  std::function<void()> guarded(Body body);

  DrfConfig config_;
  std::mt19937_64 random_;
  bool initialized_ = false;
  AllocatorOptions options_;
  AllocatorCallbacks callbacks_;
  Runtime* runtime_ = nullptr;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  DrfSorter sorter_;
  std::map<FrameworkId, Framework> frameworks_;
  std::map<AgentId, Agent> agents_;
  std::optional<std::set<std::string>> whitelist_;
  std::map<std::string, Quota> quotas_;
  std::map<std::string, double> weights_;

  bool paused_ = false;
  std::optional<int> expectedAgentCount_;  // while recovering
  std::optional<Runtime::TimerId> recoveryTimer_;
  std::optional<Runtime::TimerId> allocationTimer_;
  bool allocationPosted_ = false;
  bool allAgentsPending_ = false;
  std::set<AgentId> pendingAgents_;
  std::size_t allocationRuns_ = 0;
  FilterId nextFilterId_ = 1;
};

template <typename Body>
std::function<void()> DrfAllocator::guarded(Body body) {
  return [alive = std::weak_ptr<int>(alive_), body = std::move(body)]() mutable {
    if (alive.lock()) body();
  };
}

}  // namespace plexus::drf
