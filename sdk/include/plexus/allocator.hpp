// Allocator: the policy that decides which framework is offered which resources.
//
// Loaded by the master (`--allocator=<module>`). The master tells the allocator
// everything that changes the cluster's supply and demand: frameworks and their
// roles, agents and their resources, resources offered, used and given back,
// filters, suppression, weights and quota. The allocator answers by calling the
// callbacks it received in initialize(): `offer` hands a framework resources on
// agents, grouped by role; the master turns them into Offers. It allocates on a
// timer (Options::allocationInterval, through the Runtime) and whenever an event
// makes it worthwhile (an agent added, resources recovered, a revive).
//
// Threading: every method is called on the master's loop, and the allocator calls
// the callbacks on that loop (never from inside another thread). A method must not
// block; an allocator that needs its own thread posts back through the Runtime.
// Lifetime: created at master start-up, initialize() first, then recover(), then
// the rest; destroyed before the master exits. Errors are returned as values; an
// allocator never throws across this interface.
//
// Rules every allocator follows, whatever its policy. The SDK's conformance suite
// (<plexus/testing/allocator_conformance.hpp>) checks exactly these, on a fake
// clock with allocationInterval = 1 s, and a failure names the rule:
//   [offer-in-role]     every offered resource is allocated to the role the offer
//                       is made in, a role of the framework's;
//   [within-agent]      offers are made only on agents added and not removed, and
//                       what is offered (outstanding) or used on an agent never
//                       exceeds its total;
//   [offers-go-out]     an active framework with no filter and no suppression is
//                       offered some of an idle agent within one interval;
//   [declined-return]   resources declined without a filter are offered again
//                       (to the only framework) within one interval;
//   [filters]           declined with refuse_seconds t, the agent is not offered
//                       to that framework before t, and is again within one
//                       interval after t;
//   [suppress]          after SUPPRESS the framework is offered nothing until
//                       REVIVE; other frameworks still are;
//   [revive]            REVIVE lifts suppression and clears the framework's
//                       filters: it is offered again within one interval;
//   [removed-agent]     a removed agent is never offered again, and late
//                       recoveries of its resources are harmless; added again, it
//                       is offered again;
//   [fair-share]        two frameworks of one role (same weight, no quota) that
//                       launch on everything offered end up holding every cpu of
//                       the cluster worth offering (an agent's rest below
//                       0.01 cpus and 32 MB excepted), and their cpus differ by
//                       at most one agent's cpus;
//   [timers]            once destroyed, nothing the allocator scheduled or posted
//                       runs.
// Nothing else is a rule: an allocator may offer whole agents or parts of them,
// several frameworks parts of one agent in one allocation, one framework several
// offers on one agent, and agents in any order.
//
// The methods and their meaning are Mesos's (include/mesos/allocator/allocator.hpp),
// fitted to one event loop: callbacks instead of futures, plexus::Resources and IDs.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/ids.hpp>
#include <plexus/module.hpp>
#include <plexus/offer_constraints.hpp>
#include <plexus/resource_conversions.hpp>
#include <plexus/resources.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

// A role's quota: the allocator satisfies `guarantees` first (holding headroom for
// them) and never allocates a role more than its `limits`.
struct Quota {
  ResourceQuantities guarantees;
  ResourceQuantities limits;
};

struct AllocatorOptions {
  Duration allocationInterval = std::chrono::seconds(1);
  // Resource names left out of fair sharing, e.g. {"gpus"}.
  std::set<std::string> fairnessExcludeResourceNames;
  bool filterGpuResources = true;
  // Offers smaller than every one of these are not made (default cpus:0.01|mem:32).
  std::vector<ResourceQuantities> minAllocatableResources;
  // After recover(expected, ...): make no offer until expected * agentRecoveryFactor
  // agents (rounded down) are added, or recoveryTimeout passes. The master sets
  // them from --agent_recovery_factor and --agent_reregister_timeout.
  Duration recoveryTimeout = std::chrono::minutes(10);
  double agentRecoveryFactor = 0.8;
};

struct FrameworkOptions {
  // Roles the framework has suppressed offers for.
  std::set<std::string> suppressedRoles;
  // Its offer constraints (SUBSCRIBE / UPDATE_FRAMEWORK), validated by the master:
  // offer none of an agent's resources to (framework, role) when
  // offerConstraints.isAgentExcluded(role, agentInfo). An allocator that ignores
  // them still never makes such an offer: the master gives it straight back.
  // Default: no constraints.
  OfferConstraintsFilter offerConstraints;
};

// Offered resources for one framework: role -> agent -> resources.
using OfferedResources = std::map<std::string, std::map<AgentId, Resources>>;

struct AllocatorCallbacks {
  // Hands `framework` these resources; the master makes one Offer per agent and role.
  std::function<void(const FrameworkId& framework, const OfferedResources& resources)> offer;
  // Asks `framework` to give back resources on agents going into maintenance.
  std::function<void(const FrameworkId& framework,
                     const std::map<AgentId, v1::InverseOffer>& inverseOffers)>
      inverseOffer;
  // Revocation (allocator_priority): asks the master to free `resources` that
  // `framework` uses on `agent`. `resources` is an amount, with allocation roles,
  // not a list of tasks: the master kills running tasks of `framework` on `agent`
  // allocated to those roles (TASK_KILLED, REASON_CONTAINER_PREEMPTED), largest
  // first, until together they cover `resources`. Tasks being indivisible, it may
  // free more than `resources`, but never more than `atMost` (a task that would
  // take the total freed by this call above `atMost` in any quantity is spared),
  // so an allocator can protect a role's minimum; it frees less when the
  // framework uses less. Tasks already being killed for an earlier call are not
  // killed again and count for neither. The freed resources come back through
  // Allocator::recoverResources(..., isAllocated = true) as usual; the
  // allocator's books do not change at the call. May be left empty, in which
  // case nothing is revoked.
  std::function<void(const FrameworkId& framework, const AgentId& agent, const Resources& resources,
                     const ResourceQuantities& atMost)>
      reclaim;
};

class PLEXUS_API Allocator {
 public:
  virtual ~Allocator();

  // Called once, before anything else. The Runtime outlives the allocator.
  [[nodiscard]] virtual Result<void> initialize(const AllocatorOptions& options,
                                                AllocatorCallbacks callbacks, Runtime& runtime) = 0;

  // Called once the master is elected, after initialize() and before any addAgent()
  // or addFramework(): how many agents the new leader expects to re-register (those
  // its registry lists as admitted), and the quota it recovered.
  virtual void recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) = 0;

  // A framework subscribed (or was recovered with resources it already uses).
  virtual void addFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                            const std::map<AgentId, Resources>& used, bool active,
                            FrameworkOptions options) = 0;
  virtual void removeFramework(const FrameworkId& framework) = 0;
  // An active framework receives offers; an inactive one (disconnected) does not.
  virtual void activateFramework(const FrameworkId& framework) = 0;
  virtual void deactivateFramework(const FrameworkId& framework) = 0;
  // UPDATE_FRAMEWORK or a re-subscription changed its info (e.g. its roles).
  virtual void updateFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                               FrameworkOptions options) = 0;

  // An agent registered with `total` resources, `used` by frameworks already.
  virtual void addAgent(const AgentId& agent, const v1::AgentInfo& info,
                        const std::optional<v1::Unavailability>& unavailability,
                        const Resources& total, const std::map<FrameworkId, Resources>& used) = 0;
  virtual void removeAgent(const AgentId& agent) = 0;
  // The agent's info or total changed (e.g. after re-registration).
  virtual void updateAgent(const AgentId& agent, const v1::AgentInfo& info,
                           const std::optional<Resources>& total) = 0;
  // A deactivated agent's resources are not offered (e.g. it is unreachable).
  virtual void activateAgent(const AgentId& agent) = 0;
  virtual void deactivateAgent(const AgentId& agent) = 0;

  // Restricts offers to agents with these hostnames; nullopt lifts the restriction.
  virtual void updateWhitelist(const std::optional<std::set<std::string>>& hostnames) = 0;

  // A framework's REQUEST call: a hint the allocator may use or ignore.
  virtual void requestResources(const FrameworkId& framework,
                                const std::vector<v1::Request>& requests) = 0;

  // Operations accepted on offered resources converted them (RESERVE, UNRESERVE).
  virtual void updateAllocation(const FrameworkId& framework, const AgentId& agent,
                                const Resources& offered,
                                const std::vector<ResourceConversion>& conversions) = 0;

  // Applies operator operations to an agent's available (unoffered) resources.
  // Fails, changing nothing, when the resources are not available.
  [[nodiscard]] virtual Result<void> updateAvailable(
      const AgentId& agent, const std::vector<v1::Offer::Operation>& operations) = 0;

  // Maintenance: the agent will be unavailable (or no longer will be).
  virtual void updateUnavailability(const AgentId& agent,
                                    const std::optional<v1::Unavailability>& unavailability) = 0;
  // A framework answered an inverse offer (accepted/declined, with filters).
  virtual void updateInverseOffer(const AgentId& agent, const FrameworkId& framework, bool accepted,
                                  const std::optional<v1::Filters>& filters) = 0;

  // The framework launched tasks on offered resources: they are now allocated.
  virtual void transitionOfferedToAllocated(const AgentId& agent, const Resources& resources) = 0;

  // Resources come back: declined or unused offers (isAllocated false), or freed
  // by finished tasks (isAllocated true). Filters, when given, keep the same
  // resources on that agent from this framework for filters->refuse_seconds().
  virtual void recoverResources(const FrameworkId& framework, const AgentId& agent,
                                const Resources& resources,
                                const std::optional<v1::Filters>& filters, bool isAllocated) = 0;

  // SUPPRESS and REVIVE; an empty set means all of the framework's roles.
  // REVIVE also clears the framework's filters for those roles.
  virtual void suppressOffers(const FrameworkId& framework, const std::set<std::string>& roles) = 0;
  virtual void reviveOffers(const FrameworkId& framework, const std::set<std::string>& roles) = 0;

  // Sets a role's quota; an empty Quota removes it.
  virtual void updateQuota(const std::string& role, const Quota& quota) = 0;
  // Sets roles' weights (default 1.0).
  virtual void updateWeights(const std::vector<v1::WeightInfo>& weights) = 0;

  // Stops and restarts allocation (e.g. while a new leader recovers).
  virtual void pause() = 0;
  virtual void resume() = 0;
};

template <>
struct ModuleKindOf<Allocator> {
  static constexpr const char* kName = "Allocator";
};

}  // namespace plexus
