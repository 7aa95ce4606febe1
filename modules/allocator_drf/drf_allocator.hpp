// DrfAllocator: the default allocator, hierarchical Dominant Resource Fairness.
//
// Created by the module's factory (module.cpp) for the master's `--allocator`, or
// directly by unit tests; allocator_priority derives from it. It implements
// plexus::Allocator (see that header for the meaning of every method) the way
// Mesos's HierarchicalDRF allocator does: roles form a tree ("eng/web" under
// "eng"), fair sharing goes first between roles at each level of the tree (by
// weighted dominant share), then between the frameworks of a role (RoleTree);
// a framework may subscribe to several roles (MULTI_ROLE); quota guarantees are
// satisfied first while headroom for them is held back, and quota limits are
// never exceeded (offers are chopped to fit); reserved resources go only to
// their role and its descendants. Each cycle visits the candidate agents in
// random (or sorted) order and offers each agent's available resources in that
// order, each (framework, role) receiving everything left on the agent that it
// may use, unless the offer is smaller than the minimum allocatable resources
// or covered by one of the framework's refusal filters. README.md lists the
// behaviour in detail, and how the data structures keep a cycle fast.
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

#include <boost/unordered/unordered_flat_map.hpp>

#include <plexus/allocator.hpp>
#include <plexus/parameters.hpp>

#include "role_tree.hpp"

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

// What allocator_priority adds to the role tree; the DRF allocator uses none.
struct RolePolicy {
  // Priority levels of roles: a higher level is offered first at every level of
  // the role tree; a role inherits its parent's level (default 0).
  std::map<std::string, int> roleLevels;
  // Guaranteed minimums of roles: treated as quota guarantees (the larger of the
  // two per resource name when both are set).
  std::map<std::string, ResourceQuantities> roleMinimums;
  // The name the allocator logs under.
  std::string logName = "allocator_drf";
};

// Reads the module's parameters (see kParameters in module.cpp).
[[nodiscard]] Result<DrfConfig> configFromParameters(const Parameters& parameters);

// How long a refusal with `filters` lasts, with Mesos's rules: refuse_seconds
// above 365 days is capped to 365 days, a negative or NaN value means the proto
// default (5 s), and a value that rounds to zero nanoseconds installs no filter
// (nullopt). Offer filters then last at least one allocation interval.
std::optional<Duration> refusalTimeout(const v1::Filters& filters);

class DrfAllocator : public Allocator {
 public:
  static Result<std::unique_ptr<DrfAllocator>> create(const Parameters& parameters);

  explicit DrfAllocator(DrfConfig config = {}, RolePolicy policy = {});
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
  // The framework's dominant share over all its roles (unweighted).
  double dominantShare(const FrameworkId& framework) const;
  // The role's weighted dominant share (its whole subtree), 0 when unknown.
  double roleShare(const std::string& role) const;
  // The role's consumed quota: reserved to it plus unreserved it holds (subtree).
  ResourceQuantities consumedQuota(const std::string& role) const;
  // The refusal filters `framework` has installed, over all roles and agents.
  std::size_t offerFilterCount(const FrameworkId& framework) const;
  // Cycles that ran on a non-empty set of agents.
  std::size_t allocationRuns() const { return allocationRuns_; }
  bool isPaused() const { return paused_; }

 protected:
  struct Capabilities {
    bool gpuResources = false;
    bool revocableResources = false;
    bool sharedResources = false;
    bool reservationRefinement = false;
  };

  using FilterId = std::uint64_t;
  using PairIdx = RoleTree::PairIdx;

  struct Framework {
    FrameworkId id;
    bool added = false;  // false: only known from an agent's `used` so far
    bool active = true;
    std::set<std::string> roles;
    std::set<std::string> suppressedRoles;
    Capabilities capabilities;
    std::uint8_t capabilityMask = 0;
    // FrameworkInfo.offer_filters: per role, overrides the global minimum.
    std::map<std::string, std::vector<ResourceQuantities>> minAllocatableResources;
    // Offer constraints: agents it excludes for a role are never offered to that role.
    OfferConstraintsFilter offerConstraints;
    // Every role it subscribes to or holds resources in -> its pair in the tree.
    std::map<std::string, PairIdx> pairs;
    std::map<AgentId, std::map<FilterId, Runtime::TimerId>> inverseOfferFilters;
    // Its entry in the running cycle's Offerable, valid when offerCycle == cycle_.
    std::size_t offerSlot = 0;
    std::uint64_t offerCycle = 0;
  };

  // The allocator's side of a (framework, role) pair of the tree.
  struct PairInfo {
    Framework* framework = nullptr;
    std::string role;
    std::size_t filterCount = 0;       // agents where it has a refusal filter
    std::uint64_t lastOfferCycle = 0;  // the cycle that last offered it something
  };

  // A refusal filter: keeps an agent's resources from one (framework, role) until
  // `expiry` (steady clock, ns); covers an offer only if the refused resources
  // (the agent's RefusedSet `refused`) contain all of it, as Mesos.
  struct FilterRecord {
    std::int64_t expiry = 0;
    std::uint32_t refused = 0;
  };
  // Resources refused on one agent, shared by every filter that refused the same
  // (usually all of them), with the last answer to "does it cover offer `token`".
  struct RefusedSet {
    Resources resources;
    std::uint32_t references = 0;
    std::uint64_t checkedToken = 0;
    bool covers = false;
    // Whether `resources` contain all the agent has available, as of Agent::growth
    // `availableChecked` (available only shrinks between growths, so a yes holds).
    std::uint64_t availableChecked = 0;
    bool coversAvailable = false;
  };

  struct Maintenance {
    v1::Unavailability unavailability;
    // Frameworks sent an inverse offer for this agent and not answered yet.
    std::set<FrameworkId> outstanding;
    // The last answer of each framework (true: accepted).
    std::map<FrameworkId, bool> answers;
  };

  struct Agent {
    AgentId id;
    std::uint32_t index = 0;
    v1::AgentInfo info;
    Resources total;      // unallocated
    Resources available;  // unallocated: total minus everything offered or in use
    // Scalars of `available` (all; unreserved non-revocable), kept by setAvailable.
    QVec availableQ;
    QVec availableUnreservedQ;
    std::map<FrameworkId, Resources> offeredOrAllocated;  // with allocation roles
    Resources allocated;  // in use, with allocation roles; part of offeredOrAllocated
    bool active = true;
    bool pending = false;  // in pendingAgents_
    bool hasGpus = false;
    bool hasReservations = false;  // offers depend on the role
    bool hasSpecial = false;       // revocable, shared or refined: offers depend on capabilities
    std::optional<Maintenance> maintenance;
    // Refusal filters by pair, with a bit per pair for the cheap test.
    std::vector<std::uint64_t> filterBits;
    boost::unordered_flat_map<std::uint32_t, FilterRecord> filters;
    std::vector<RefusedSet> refused;
    // Idle skipping: a visit that offered nothing records (growth, epoch); while
    // neither moved, another visit would offer nothing either.
    std::uint64_t growth = 1;
    std::uint64_t idleGrowth = 0;
    std::uint64_t idleEpoch = 0;
    // Whether every live RefusedSet contains all of `available`, as of growth
    // `allRefusedChecked` (0: not known; a new filter resets it). When yes, any
    // filter bit settles a pair without looking the filter up.
    std::uint64_t allRefusedChecked = 0;
    bool allRefusedCover = false;
  };

  // What an agent can offer to one (role, capabilities), computed once per visit.
  // Usually the agent's whole available, borrowed rather than copied (`own` unset).
  struct Candidate {
    RoleTree::NodeIdx role = RoleTree::kNone;
    std::uint8_t capabilities = 0;
    std::optional<Resources> own;  // set when it differs from the agent's available
    const Resources* agentAvailable = nullptr;
    QVec unreserved;  // its unreserved, non-revocable scalars
    QVec all;         // all its scalars
    std::uint64_t token = 0;
    const Resources& resources() const { return own ? *own : *agentAvailable; }
  };

  enum class Stage { kQuotaGuarantees, kFairShare };

  // A cycle's offers, one entry per framework offered something (Framework::offerSlot).
  using Offerable = std::vector<std::pair<Framework*, OfferedResources>>;

  struct Visit {
    Agent* agent = nullptr;
    std::vector<Candidate> candidates;
    bool offered = false;
    Offerable* offerable = nullptr;
  };

  // Hook for derived allocators: called at the end of every cycle, after the
  // offer callbacks; `periodic` is true for the timer's cycles over all agents.
  virtual void afterCycle(bool periodic) {}

  // Cycles.
  void requestAllocation(const std::optional<AgentId>& agent);
  void requestAllocation(Agent& agent);
  void runPendingAllocation(bool periodic);
  void onAllocationTimer();
  void allocate(std::vector<Agent*> candidates, bool periodic);
  void allocateAgent(Agent& agent, Offerable& offerable);
  // Whether the pair has a refusal filter on the agent (its bit in Agent::filterBits).
  static bool hasFilterBit(const Agent& agent, PairIdx pair);
  // Whether scalars `q` meet one of the global minimums (only when minimumIsScalar_).
  bool meetsMinimumQ(const QVec& q) const;
  // Whether the agent's available meets one of the global minimums.
  bool availableMeetsMinimum(const Agent& agent) const;
  bool tryOffer(Visit& visit, PairIdx pair, Stage stage);
  const Candidate& candidateFor(Visit& visit, RoleTree::NodeIdx role, const Framework& framework);
  void generateInverseOffers(const std::vector<Agent*>& candidates,
                             std::map<FrameworkId, std::map<AgentId, v1::InverseOffer>>& out);
  bool isWhitelisted(const Agent& agent) const;
  bool isCapableOfAgent(const Framework& framework, const Agent& agent) const;
  Resources stripIncapable(const Resources& resources, const Capabilities& capabilities) const;
  bool isAllocatable(const Resources& resources, const std::string& role,
                     const Framework& framework) const;
  bool isFiltered(Agent& agent, PairIdx pair, const Resources& resources, std::uint64_t token);
  // The pair has a filter on `agent` that covers everything the agent has available.
  bool refusesAllAvailable(Agent& agent, PairIdx pair);
  // A role whose limits leave no room for any offer of the global minimum size
  // (only meaningful on agents without reservations, when no framework sets its own).
  bool isSaturated(RoleTree::NodeIdx role) const;

  // Bookkeeping.
  Framework& frameworkRecord(const FrameworkId& id);
  PairIdx pairFor(Framework& framework, const std::string& role);
  void dropPairIfUnused(Framework& framework, const std::string& role);
  void refreshEligibility(Framework& framework);
  // Offers `resources` (unallocated) to the pair: out of available, into what the
  // framework holds; returns them with their allocation role.
  Resources grant(Agent& agent, Framework& framework, PairIdx pair, const Resources& resources,
                  bool everything);
  // Adds `resources` (with allocation roles) to what `framework` holds on `agent`,
  // taking them out of available.
  void hold(Agent& agent, Framework& framework, const Resources& resources);
  Resources release(Agent& agent, const FrameworkId& framework, const Resources& resources);
  void account(Framework& framework, const Resources& resources, bool add);
  void setAvailable(Agent& agent, Resources available, bool mayGrow);
  void accountTotal(Agent& agent, bool add);
  void setAgentTotal(Agent& agent, const Resources& total);
  void applyQuota(const std::string& role);
  Agent* findAgent(const AgentId& id) const;

  // Filters.
  void installOfferFilter(Agent& agent, PairIdx pair, Resources refused, Duration timeout);
  void removeOfferFilter(Agent& agent, PairIdx pair);
  void expireOfferFilters(std::int64_t expiry);
  void installInverseOfferFilter(const FrameworkId& frameworkId, Framework& framework,
                                 const AgentId& agent, Duration timeout);
  void expireInverseOfferFilter(const FrameworkId& framework, const AgentId& agent,
                                FilterId filter);
  void clearPairFilters(PairIdx pair);
  void clearOfferFilters(Framework& framework, const std::set<std::string>& roles);
  void clearAllFilters(Framework& framework);
  void clearAgentFilters(Agent& agent, bool offerFilters, bool inverseOfferFilters);

  // A callback that does nothing once the allocator is gone.
  template <typename Body>
  std::function<void()> guarded(Body body);

  const std::string& logName() const { return policy_.logName; }

  DrfConfig config_;
  RolePolicy policy_;
  std::mt19937_64 random_;
  bool initialized_ = false;
  AllocatorOptions options_;
  AllocatorCallbacks callbacks_;
  Runtime* runtime_ = nullptr;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  ScalarSlots slots_;
  RoleTree tree_{slots_};
  std::vector<PairInfo> pairInfo_;  // by PairIdx
  std::map<FrameworkId, std::unique_ptr<Framework>> frameworks_;
  std::map<AgentId, std::unique_ptr<Agent>> agents_;
  boost::unordered_flat_map<std::string, Agent*> agentIndex_;  // by id, for lookups
  std::vector<Agent*> agentSlots_;                             // by Agent::index; nullptr when free
  std::vector<std::uint32_t> freeAgentSlots_;
  std::optional<std::set<std::string>> whitelist_;
  std::map<std::string, Quota> quotas_;
  std::map<std::string, double> weights_;
  QVec availableUnreserved_;  // over all agents: unreserved, non-revocable, unoffered
  std::size_t frameworksWithOwnMinimum_ = 0;
  std::vector<QVec> minimumQ_;               // options_.minAllocatableResources as QVecs
  std::vector<std::uint64_t> minimumMasks_;  // their slots as bit masks
  // The global minimum can be checked on QVecs (all its names are plain scalars).
  bool minimumIsScalar_ = true;

  // Filters' expiry: one timer per distinct expiry time.
  struct ExpiryBucket {
    Runtime::TimerId timer = 0;
    std::vector<std::pair<std::uint32_t, PairIdx>> entries;  // (agent index, pair)
  };
  std::map<std::int64_t, ExpiryBucket> expiries_;

  bool paused_ = false;
  std::optional<int> expectedAgentCount_;  // while recovering
  std::optional<Runtime::TimerId> recoveryTimer_;
  std::optional<Runtime::TimerId> allocationTimer_;
  bool allocationPosted_ = false;
  bool allAgentsPending_ = false;
  std::vector<Agent*> pendingAgents_;
  std::size_t allocationRuns_ = 0;
  std::uint64_t cycle_ = 0;
  std::uint64_t epoch_ = 1;  // bumped by changes that may enable offers anywhere
  std::uint64_t nextToken_ = 1;
  FilterId nextFilterId_ = 1;
};

template <typename Body>
std::function<void()> DrfAllocator::guarded(Body body) {
  return [alive = std::weak_ptr<int>(alive_), body = std::move(body)]() mutable {
    if (alive.lock()) body();
  };
}

}  // namespace plexus::drf
