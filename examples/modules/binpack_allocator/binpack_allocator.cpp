// binpack_allocator: first-fit bin packing, an example Allocator module built
// outside the Plexus tree against the installed SDK (see README.md).
//
// Every allocation cycle walks the agents fullest first (by the share of their
// cpus allocated, then by ID) and offers each one's free resources whole to the
// framework that holds the fewest cpus. An empty agent is offered to a framework
// only when no partly used agent has room for it (or the framework refused them
// all with a filter), so tasks fill one machine before the next one is touched
// and whole machines stay free. Offers go out one per agent, fullest first, so a
// framework that fills offers in the order it receives them packs them too.
//
// The bookkeeping (agents, frameworks, filters, suppression, the timer) is the
// SDK's plexus::AllocatorBase; this file is only the policy.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

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
  static double fullness(const AgentState& agent) {
    const double total = agent.total.scalar("cpus").value_or(0);
    return total > 0 ? agent.allocated.scalar("cpus").value_or(0) / total : 0;
  }

  void allocate() override {
    std::vector<std::pair<double, AgentId>> fullestFirst;
    std::vector<AgentId> partlyUsed;  // with room, as the cycle starts
    for (const auto& [id, agent] : agents()) {
      if (!allocatable(agent)) continue;
      fullestFirst.emplace_back(-fullness(agent), id);
      if (!agent.allocated.empty()) partlyUsed.push_back(id);
    }
    std::ranges::sort(fullestFirst);

    for (const auto& [_, agentId] : fullestFirst) {
      const bool empty = agents().at(agentId).allocated.empty();
      const FrameworkId* chosen = nullptr;
      for (const auto& [id, framework] : frameworks()) {
        // An empty agent only for a framework no partly used agent is open to.
        auto open = [&](const AgentId& agent) { return canOffer(id, agent); };
        if (!canOffer(id, agentId) || (empty && std::ranges::any_of(partlyUsed, open))) continue;
        if (chosen == nullptr || framework.holds("cpus") < frameworks().at(*chosen).holds("cpus"))
          chosen = &id;
      }
      if (chosen != nullptr) offer(*chosen, agentId);
    }
  }
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Allocator, BinpackAllocator>(
    {.name = "binpack_allocator",
     .version = "1.0.0",
     .author = "Plexus examples",
     .description = "First-fit bin packing: fills the fullest agent before an empty one."}));
