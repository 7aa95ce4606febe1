// PriorityAllocator: strict priorities between roles, DRF inside a level, a
// guaranteed minimum per role, and revocation after a grace period.
//
// Created by the allocator_priority module's factory (module.cpp) or directly by
// unit tests. It is the hierarchical DRF allocator of allocator_drf (whose logic
// library it links) with a RolePolicy: every role has a priority level (default
// 0; a role inherits its parent's), and at every level of the role tree the
// roles of a higher level are offered an agent's resources before any role of a
// lower level, DRF deciding among roles of one level and among the frameworks of
// a role. A role's minimum is a guarantee: it is satisfied before anything else
// (stage 1, as a quota guarantee) and its headroom is held back, so no role is
// starved below its minimum.
//
// Revocation (as the Mesos paper describes it): a role waits when one of its
// frameworks wants offers (active, not suppressed, no refusal filters) and a
// periodic cycle made it none. When a role has waited for the grace period, the
// allocator asks the master, through AllocatorCallbacks::reclaim, to free
// resources that roles of lower levels use above their minimums, lowest level
// first and, within a level, the role with the largest share first: the amount
// is what the waiting role's minimum still lacks, or `revocation_quantum` when
// its minimum is met. It then waits another grace period before asking again for
// the same role. The master kills tasks covering the amount (TASK_KILLED,
// REASON_CONTAINER_PREEMPTED) and the freed resources come back through
// recoverResources, and are offered to the highest level first.
//
// Threading, lifetime and errors: as DrfAllocator.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <plexus/allocator.hpp>
#include <plexus/parameters.hpp>

#include "drf_allocator.hpp"

namespace plexus::priority {

struct PriorityConfig {
  drf::DrfConfig drf;
  drf::RolePolicy policy;
  // How long a role waits before lower levels' resources are reclaimed for it.
  Duration gracePeriod = std::chrono::seconds(30);
  // How much to reclaim per revocation for a role whose minimum is met.
  ResourceQuantities revocationQuantum;
};

// Reads the module's parameters (see kParameters in module.cpp):
// `priorities` "prod=10,batch=1", `minimums` "prod=cpus:4;mem:4096,batch=cpus:1".
[[nodiscard]] Result<PriorityConfig> configFromParameters(const Parameters& parameters);

class PriorityAllocator final : public drf::DrfAllocator {
 public:
  static Result<std::unique_ptr<PriorityAllocator>> create(const Parameters& parameters);

  explicit PriorityAllocator(PriorityConfig config);

  // Resources coming back end the reclaims outstanding for them.
  void recoverResources(const FrameworkId& framework, const AgentId& agent,
                        const Resources& resources, const std::optional<v1::Filters>& filters,
                        bool isAllocated) override;
  void removeFramework(const FrameworkId& framework) override;
  void removeAgent(const AgentId& agent) override;

  // Introspection for tests: reclaims requested so far.
  std::size_t reclaimRequests() const { return reclaimRequests_; }

 private:
  void afterCycle(bool periodic) override;
  // Asks for `needed` from roles below `level`; false if nothing could be asked.
  bool reclaimFor(const std::string& role, int level, drf::QVec needed);

  Duration gracePeriod_;
  ResourceQuantities quantum_;
  std::uint64_t lastPeriodicCycle_ = 0;
  // Asked for and not yet recovered, so never asked twice: (framework, agent) -> amount.
  std::map<std::pair<FrameworkId, AgentId>, Resources> outstanding_;
  // Waiting roles: since when.
  std::map<std::string, Runtime::TimePoint> waitingSince_;
  std::size_t reclaimRequests_ = 0;
};

}  // namespace plexus::priority
