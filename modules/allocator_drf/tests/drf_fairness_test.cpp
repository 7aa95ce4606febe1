// DRF at the allocator level: the worked example of the DRF paper (Ghodsi et al.,
// NSDI 2011, section 4) and equal demands converging to equal shares.
#include "drf_test_util.hpp"

namespace plexus::drf::test {
namespace {

class DrfFairnessTest : public DrfTest {
 protected:
  // Plays the frameworks' side until a round of offers launches nothing. Each
  // framework launches ONE task per offer when its task fits, and declines the
  // rest with refuse_seconds 0, so what it does not use goes straight back into
  // the next (event-driven) cycle. One task per offer is what makes this the
  // paper's progressive filling: the allocator offers whole agents, so a
  // framework that packed every task it could into one offer would take the
  // agent before the other framework had a turn (as in Mesos: DRF decides who
  // gets the next offer, not how much of it is used). Returns the tasks launched
  // by each framework.
  std::map<std::string, int> runToQuiescence(const std::map<std::string, std::string>& demands) {
    std::map<std::string, int> tasks;
    for (int round = 0; round < 1000; ++round) {
      bool launched = false;
      for (const auto& offer : takeOffers()) {
        const std::string& demand = demands.at(offer.framework.value());
        if (offer.resources.contains(allocatedTo(demand, offer.role))) {
          launchAndDecline(offer, demand, refuse(0));
          ++tasks[offer.framework.value()];
          launched = true;
        } else {
          decline(offer, refuse(0));
        }
      }
      if (!launched) break;
    }
    return tasks;
  }
};

// Cluster <9 CPUs, 18 GB>; A's tasks need <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>.
// A's dominant resource is memory (4/18 per task), B's is CPU (3/9 per task).
// DRF equalizes the dominant shares: A runs 3 tasks (12/18 = 2/3 of memory), B
// runs 2 (6/9 = 2/3 of the CPUs). One agent holds the whole cluster, so that no
// task is blocked by fragmentation (with several small agents B's 3-CPU tasks
// may fit nowhere while A's still do, which is packing, not fairness). The
// offers go to A (tied at 0, smaller id), B (0 < 2/9), A (2/9 < 1/3), B (1/3 <
// 4/9), A (4/9 < 2/3); then A and B are tied at 2/3 and what is left, <0 CPUs,
// 4 GB>, fits neither.
TEST_F(DrfFairnessTest, DrfPaperExample) {
  start();
  addAgent("a1", "cpus:9;mem:18432");
  addFramework("A");
  addFramework("B");
  auto tasks = runToQuiescence({{"A", "cpus:1;mem:4096"}, {"B", "cpus:3;mem:1024"}});
  EXPECT_EQ(tasks["A"], 3);
  EXPECT_EQ(tasks["B"], 2);
  EXPECT_NEAR(allocator->dominantShare(FrameworkId("A")), 2.0 / 3, 1e-9);
  EXPECT_NEAR(allocator->dominantShare(FrameworkId("B")), 2.0 / 3, 1e-9);
  EXPECT_EQ(allocator->available(AgentId("a1")), R("mem:4096"));
}

// The same example with the frameworks' names swapped: the outcome does not
// depend on who wins the first tie.
TEST_F(DrfFairnessTest, DrfPaperExampleWithTheOtherTieBreak) {
  start();
  addAgent("a1", "cpus:9;mem:18432");
  addFramework("A");
  addFramework("B");
  auto tasks = runToQuiescence({{"A", "cpus:3;mem:1024"}, {"B", "cpus:1;mem:4096"}});
  EXPECT_EQ(tasks["A"], 2);
  EXPECT_EQ(tasks["B"], 3);
}

// Two frameworks with the same demand on four agents end up with the same number
// of tasks, whatever order the agents are visited in.
TEST_F(DrfFairnessTest, EqualDemandsGetEqualShares) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(seed);
    start(defaultOptions(), {.agentOrder = AgentOrder::kRandom, .seed = seed});
    for (int i = 1; i <= 4; ++i) {
      addAgent("a" + std::to_string(i), "cpus:4;mem:4096");
    }
    addFramework("f1");
    addFramework("f2");
    auto tasks = runToQuiescence({{"f1", "cpus:1;mem:1024"}, {"f2", "cpus:1;mem:1024"}});
    EXPECT_EQ(tasks["f1"], 8);
    EXPECT_EQ(tasks["f2"], 8);
    allocator.reset();
    pending.clear();
  }
}

// A framework arriving in a full cluster gets every freed slot until its
// dominant share has caught up with the others'.
TEST_F(DrfFairnessTest, LateFrameworkCatchesUp) {
  start();
  addAgent("a1", "cpus:12;mem:12288");
  addFramework("f1");
  addFramework("f2");
  auto early = runToQuiescence({{"f1", "cpus:1;mem:1024"}, {"f2", "cpus:1;mem:1024"}});
  EXPECT_EQ(early["f1"], 6);
  EXPECT_EQ(early["f2"], 6);
  // Each framework's tasks end, one by one, as in a busy cluster: the newcomer
  // gets every freed slot until it has caught up.
  addFramework("f3");
  runtime.runPosted();
  for (int i = 0; i < 4; ++i) {
    const FrameworkId finished(i % 2 == 0 ? "f1" : "f2");
    allocator->recoverResources(finished, AgentId("a1"), allocatedTo("cpus:1;mem:1024", "*"),
                                std::nullopt, true);
    auto offers = takeOffers();
    ASSERT_EQ(offers.size(), 1u);
    EXPECT_EQ(offers[0].framework, FrameworkId("f3"));
    launchAndDecline(offers[0], "cpus:1;mem:1024", refuse(0));
    runtime.runPosted();
    pending.clear();
  }
  EXPECT_NEAR(allocator->dominantShare(FrameworkId("f1")), 4.0 / 12, 1e-9);
  EXPECT_NEAR(allocator->dominantShare(FrameworkId("f2")), 4.0 / 12, 1e-9);
  EXPECT_NEAR(allocator->dominantShare(FrameworkId("f3")), 4.0 / 12, 1e-9);
}

}  // namespace
}  // namespace plexus::drf::test
