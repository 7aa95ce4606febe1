// binpack_allocator: first-fit bin packing, an example Allocator module built
// outside the Plexus tree against the installed SDK (see README.md).
//
// Each allocation, every framework that takes offers (fewest cpus held first) is
// offered the free resources of the agents already in use, least free cpus first.
// An empty agent is offered to it only when no agent in use is open to it (each
// is full, or it refused them with a filter, "it does not fit"), and then one
// empty agent at a time: tasks fill one machine before the next is touched, and
// whole machines stay free for the jobs that need them.
//
// The bookkeeping (agents, frameworks, offers, filters, suppression, the timer and
// the events) is the SDK's plexus::AllocatorBase; this file is only the policy.
#include <memory>

#include <plexus/allocator_base.hpp>
#include <plexus/module.hpp>

namespace {

using plexus::AgentId;
using plexus::FrameworkId;

class BinpackAllocator final : public plexus::AllocatorBase {
 public:
  static plexus::Result<std::unique_ptr<BinpackAllocator>> create(const plexus::Parameters&) {
    return std::make_unique<BinpackAllocator>();
  }

 private:
  bool inUse(const AgentId& agent) const { return !agents().at(agent).allocated.empty(); }

  // An agent in use that the framework may still fill: it has room, or the
  // framework holds an offer on it that it has not answered yet.
  bool packing(const FrameworkId& framework) const {
    for (const auto& [id, agent] : agents()) {
      if (agent.active && inUse(id) && canOffer(framework, id) &&
          (allocatable(agent) || hasOfferOutstanding(framework, id)))
        return true;
    }
    return false;
  }

  void allocate() override {
    for (const FrameworkId& framework : fewestHeldFirst("cpus")) {
      bool fill = packing(framework);
      for (const AgentId& agent : leastFreeFirst("cpus")) {
        if (!canOffer(framework, agent) || (fill && !inUse(agent))) continue;
        offer(framework, agent);
        fill = true;  // an empty agent just offered is now in use
      }
    }
  }
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Allocator, BinpackAllocator>(
    {.name = "binpack_allocator",
     .version = "1.1.0",
     .author = "Plexus examples",
     .description = "First-fit bin packing: fills the agents in use before an empty one."}));
