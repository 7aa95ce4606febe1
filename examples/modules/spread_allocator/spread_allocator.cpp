// spread_allocator: spreads tasks over the agents with the most free cpus, an
// example Allocator module built outside the Plexus tree against the installed SDK
// (see README.md).
//
// Each allocation, every framework that takes offers (fewest cpus held first) is
// offered one agent: the one with the most free cpus that it can take (ties by
// agent ID). With the parameter `share` below 1, it gets only that share of the
// agent's free resources, so the next framework may be offered the rest of the
// same agent. A framework that launches one task per offer (plexus-execute
// --placement=spread) puts each task on the agent then the least loaded.
//
// The bookkeeping (agents, frameworks, offers, filters, suppression, the timer and
// the events) is the SDK's plexus::AllocatorBase; this file is only the policy.
#include <memory>

#include <plexus/allocator_base.hpp>
#include <plexus/module.hpp>

namespace {

class SpreadAllocator final : public plexus::AllocatorBase {
 public:
  static plexus::Result<std::unique_ptr<SpreadAllocator>> create(
      const plexus::Parameters& parameters) {
    const double share = parameters.real("share");
    if (!(share > 0 && share <= 1)) return plexus::fail("share must be in (0, 1]");
    return std::make_unique<SpreadAllocator>(share);
  }
  explicit SpreadAllocator(double share) : share_(share) {}

 private:
  void allocate() override {
    for (const plexus::FrameworkId& framework : fewestHeldFirst("cpus")) {
      for (const plexus::AgentId& agent : mostFreeFirst("cpus")) {
        if (!canOffer(framework, agent)) continue;
        offerShare(framework, agent, share_);
        break;
      }
    }
  }

  double share_;
};

constexpr plexus::ParameterSpec kParameters[] = {
    {"share", plexus::ParameterType::Double, "1.0",
     "Share (0, 1] of the chosen agent's free resources offered to one framework."}};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Allocator, SpreadAllocator>(
    {.name = "spread_allocator",
     .version = "1.0.0",
     .author = "Plexus examples",
     .description = "Spreads tasks: each framework is offered the agent with the most free cpus.",
     .parameters = kParameters}));
