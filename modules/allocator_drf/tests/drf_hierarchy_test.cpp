// Roles in DrfAllocator: hierarchical fair sharing (roles first, then frameworks),
// weights, quota guarantees (met first, with headroom held back) and limits
// (never exceeded), reservations offered only to their role and its
// descendants, and the idle-agent skipping that keeps declined clusters cheap.
#include <map>
#include <string>

#include "drf_test_util.hpp"

namespace plexus::drf::test {
namespace {

using std::chrono::seconds;

class DrfHierarchyTest : public DrfTest {
 protected:
  // Adds `count` agents a01, a02, ... with `resources` each.
  void addAgents(int count, std::string_view resources) {
    for (int i = 1; i <= count; ++i) {
      addAgent((i < 10 ? "a0" : "a") + std::to_string(i), resources);
    }
  }

  // Runs the pending cycle; every offer is used whole (its tasks keep running).
  // Returns the offers.
  std::vector<Offer> takeAndUseAll() {
    auto offers = takeOffers();
    for (const auto& offer : offers) {
      allocator->transitionOfferedToAllocated(offer.agent, offer.resources);
    }
    return offers;
  }

  static double sum(const std::vector<Offer>& offers, const std::string& name,
                    const std::function<bool(const Offer&)>& which) {
    double total = 0;
    for (const auto& offer : offers) {
      if (which(offer)) total += offer.resources.scalar(name).value_or(0);
    }
    return total;
  }

  static std::map<std::string, int> agentsPerFramework(const std::vector<Offer>& offers) {
    std::map<std::string, int> counts;
    for (const auto& offer : offers)
      ++counts[offer.framework.value()];
    return counts;
  }

  static Quota quota(std::string_view guarantees, std::string_view limits = "") {
    Quota result;
    if (!guarantees.empty()) result.guarantees = *ResourceQuantities::parse(guarantees);
    if (!limits.empty()) result.limits = *ResourceQuantities::parse(limits);
    return result;
  }

  static v1::WeightInfo weight(const std::string& role, double value) {
    v1::WeightInfo info;
    info.set_role(role);
    info.set_weight(value);
    return info;
  }
};

// Role a has three frameworks, role b one: roles share first (4 agents each),
// then a's frameworks share a's half. Framework-level DRF would give each of the
// four frameworks 2 agents instead.
TEST_F(DrfHierarchyTest, FairSharingIsBetweenRolesFirstThenBetweenFrameworks) {
  start();
  addAgents(8, "cpus:1;mem:1024");
  addFramework("a1", frameworkInfo("a"));
  addFramework("a2", frameworkInfo("a"));
  addFramework("a3", frameworkInfo("a"));
  addFramework("b1", frameworkInfo("b"));
  auto counts = agentsPerFramework(takeAndUseAll());
  EXPECT_EQ(counts["b1"], 4);
  EXPECT_EQ(counts["a1"] + counts["a2"] + counts["a3"], 4);
  EXPECT_GE(counts["a1"], 1);
  EXPECT_GE(counts["a2"], 1);
  EXPECT_GE(counts["a3"], 1);
  EXPECT_DOUBLE_EQ(allocator->roleShare("a"), 0.5);
  EXPECT_DOUBLE_EQ(allocator->roleShare("b"), 0.5);
}

// eng's subtree (eng/web and eng/db) shares with ops as one role; inside eng the
// two children split eng's half.
TEST_F(DrfHierarchyTest, NestedRolesShareTheirParentsShare) {
  start();
  addAgents(8, "cpus:1;mem:1024");
  addFramework("web", frameworkInfo("eng/web"));
  addFramework("db", frameworkInfo("eng/db"));
  addFramework("ops", frameworkInfo("ops"));
  auto counts = agentsPerFramework(takeAndUseAll());
  EXPECT_EQ(counts["ops"], 4);
  EXPECT_EQ(counts["web"], 2);
  EXPECT_EQ(counts["db"], 2);
  EXPECT_DOUBLE_EQ(allocator->roleShare("eng"), 0.5);
  EXPECT_DOUBLE_EQ(allocator->roleShare("eng/web"), 0.25);
}

// Frameworks of role eng itself sit in a virtual leaf next to eng's children.
TEST_F(DrfHierarchyTest, FrameworksOfAParentRoleShareWithItsChildren) {
  start();
  addAgents(4, "cpus:1;mem:1024");
  addFramework("eng", frameworkInfo("eng"));
  addFramework("web", frameworkInfo("eng/web"));
  auto counts = agentsPerFramework(takeAndUseAll());
  EXPECT_EQ(counts["eng"], 2);
  EXPECT_EQ(counts["web"], 2);
}

// Weight 3 against weight 1: a 3:1 split (weighted shares equal at 3/4 / 3 = 1/4).
TEST_F(DrfHierarchyTest, WeightsScaleARolesFairShare) {
  start();
  allocator->updateWeights({weight("a", 3)});
  addAgents(8, "cpus:1;mem:1024");
  addFramework("fa", frameworkInfo("a"));
  addFramework("fb", frameworkInfo("b"));
  auto counts = agentsPerFramework(takeAndUseAll());
  EXPECT_EQ(counts["fa"], 6);
  EXPECT_EQ(counts["fb"], 2);
  EXPECT_DOUBLE_EQ(allocator->roleShare("a"), 0.75 / 3);
  EXPECT_DOUBLE_EQ(allocator->roleShare("b"), 0.25);
}

// Weights apply to a subtree: eng (weight 2, two children) against ops.
TEST_F(DrfHierarchyTest, WeightsApplyToNestedRoles) {
  start();
  allocator->updateWeights({weight("eng", 2), weight("eng/web", 3)});
  addAgents(12, "cpus:1;mem:1024");
  addFramework("web", frameworkInfo("eng/web"));
  addFramework("db", frameworkInfo("eng/db"));
  addFramework("ops", frameworkInfo("ops"));
  auto counts = agentsPerFramework(takeAndUseAll());
  EXPECT_EQ(counts["ops"], 4);  // eng : ops = 2 : 1
  EXPECT_EQ(counts["web"], 6);  // web : db = 3 : 1
  EXPECT_EQ(counts["db"], 2);
}

// Role q is guaranteed 6 of the cluster's 8 CPUs: stage 1 gives it three agents
// before fair sharing starts, although role a wins every tie by name.
TEST_F(DrfHierarchyTest, QuotaGuaranteeIsMetBeforeFairSharing) {
  start();
  allocator->updateQuota("q", quota("cpus:6"));
  addAgents(4, "cpus:2;mem:1024");
  addFramework("fa", frameworkInfo("a"));
  addFramework("fq", frameworkInfo("q"));
  auto offers = takeAndUseAll();
  auto isQ = [](const Offer& offer) { return offer.role == "q"; };
  auto isA = [](const Offer& offer) { return offer.role == "a"; };
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", isQ), 6);
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", isA), 2);
  EXPECT_EQ(allocator->consumedQuota("q").get("cpus"), 6);
  // The first agent went to q, before a (which comes first by name).
  for (const auto& offer : offers) {
    if (offer.agent == AgentId("a01")) {
      EXPECT_EQ(offer.role, "q");
    }
  }
}

// Without any framework in role q, what its guarantee lacks is held back from
// other roles: a is offered only the 4 CPUs beyond q's 4.
TEST_F(DrfHierarchyTest, HeadroomIsHeldBackForUnmetGuarantees) {
  start();
  allocator->updateQuota("q", quota("cpus:4"));
  addAgents(4, "cpus:2;mem:1024");
  addFramework("fa", frameworkInfo("a"));
  auto offers = takeAndUseAll();
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", [](const Offer&) { return true; }), 4);
  // q's framework arrives: the held-back CPUs go to it.
  addFramework("fq", frameworkInfo("q"));
  offers = takeAndUseAll();
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", [](const Offer& o) { return o.role == "q"; }), 4);
}

// A limit of 3 CPUs is never exceeded: the second agent's offer is chopped to
// 1 CPU, and later ones carry no CPUs; freed CPUs can be offered again.
TEST_F(DrfHierarchyTest, QuotaLimitIsNeverExceeded) {
  start();
  allocator->updateQuota("a", quota("", "cpus:3"));
  addAgents(3, "cpus:2;mem:1024");
  addFramework("fa", frameworkInfo("a"));
  auto offers = takeAndUseAll();
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", [](const Offer&) { return true; }), 3);
  EXPECT_EQ(allocator->consumedQuota("a").get("cpus"), 3);
  // More cycles change nothing.
  runtime.advance(seconds(5));
  EXPECT_DOUBLE_EQ(sum(std::exchange(pending, {}), "cpus", [](const Offer&) { return true; }), 0);
  // One CPU freed: exactly one CPU may be offered again.
  Offer first = offers[0];
  allocator->recoverResources(first.framework, first.agent, allocatedTo("cpus:1", "a"),
                              std::nullopt, true);
  offers = takeAndUseAll();
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", [](const Offer&) { return true; }), 1);
  EXPECT_EQ(allocator->consumedQuota("a").get("cpus"), 3);
}

// A lowered limit does not take back what is held, but nothing more is offered.
TEST_F(DrfHierarchyTest, LimitBelowWhatIsHeldStopsOffers) {
  start();
  addAgents(2, "cpus:2;mem:1024");
  addFramework("fa", frameworkInfo("a"));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  allocator->transitionOfferedToAllocated(offers[0].agent, offers[0].resources);
  decline(offers[1]);
  allocator->updateQuota("a", quota("", "cpus:1"));
  offers = takeOffers();
  EXPECT_DOUBLE_EQ(sum(offers, "cpus", [](const Offer&) { return true; }), 0);
}

// Resources reserved to eng/web go to eng/web only; those reserved to eng go to
// eng or its descendants, never to ops.
TEST_F(DrfHierarchyTest, ReservationIsOfferedOnlyToItsRoleAndItsDescendants) {
  start();
  addAgent("a01", "cpus(eng/web):2;mem(eng/web):512");
  addAgent("a02", "cpus(eng):2;mem(eng):512");
  addFramework("eng", frameworkInfo("eng"));
  addFramework("ops", frameworkInfo("ops"));
  addFramework("web", frameworkInfo("eng/web"));
  for (int round = 0; round < 4; ++round) {
    for (const auto& offer : takeOffers()) {
      EXPECT_NE(offer.framework, FrameworkId("ops")) << offer.resources;
      if (offer.agent == AgentId("a01")) {
        EXPECT_EQ(offer.framework, FrameworkId("web"));
      }
      decline(offer, refuse(0));
    }
    runtime.advance(seconds(1));
  }
}

// A RESERVE accepted on an offer (updateAllocation) makes the reservation; once
// declined, the reserved CPU goes only to the reserving role.
TEST_F(DrfHierarchyTest, DynamicReservationGoesOnlyToItsRole) {
  start();
  addAgent("a01", "cpus:2;mem:1024");
  addFramework("eng", frameworkInfo("eng"));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  auto reserved = R("cpus:1").pushReservation(Reservation::makeDynamic("eng", "ops"));
  ASSERT_TRUE(reserved.has_value());
  ResourceConversion conversion{allocatedTo("cpus:1", "eng"), allocatedTo(*reserved, "eng")};
  allocator->updateAllocation(FrameworkId("eng"), AgentId("a01"), offers[0].resources,
                              {conversion});
  EXPECT_EQ(allocator->consumedQuota("eng").get("cpus"), 2);  // 1 reserved + 1 unreserved held
  allocator->suppressOffers(FrameworkId("eng"), {});
  addFramework("ops", frameworkInfo("ops"));
  allocator->recoverResources(FrameworkId("eng"), AgentId("a01"),
                              allocator->offeredOrAllocated(AgentId("a01"), FrameworkId("eng")),
                              refuse(0), false);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, FrameworkId("ops"));
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:1;mem:1024", "ops"));
  // Reserved but unused resources count towards eng's consumed quota.
  EXPECT_EQ(allocator->consumedQuota("eng").get("cpus"), 1);
}

// A MULTI_ROLE framework's allocation counts in each role separately.
TEST_F(DrfHierarchyTest, MultiRoleFrameworkCountsInEachRole) {
  start();
  addAgents(4, "cpus:1;mem:1024");
  addFramework("m", multiRoleInfo({"a", "b"}));
  addFramework("fb", frameworkInfo("b"));
  auto offers = takeAndUseAll();
  // Roles a and b get 2 agents each; inside b, m and fb share.
  int a = 0, b = 0;
  for (const auto& offer : offers)
    (offer.role == "a" ? a : b)++;
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 2);
  EXPECT_DOUBLE_EQ(allocator->roleShare("a"), 0.5);
}

// Every framework declined every agent for an hour: cycles offer nothing, until
// something changes — a revive, a new framework, or resources coming back.
TEST_F(DrfHierarchyTest, DeclinedAgentsComeBackWhenSomethingChanges) {
  start();
  addAgents(3, "cpus:1;mem:1024");
  addFramework("f1");
  addFramework("f2");
  for (int round = 0; round < 4; ++round) {
    for (const auto& offer : takeOffers())
      decline(offer, refuse(3600));
    runtime.advance(seconds(1));
  }
  EXPECT_EQ(allocator->offerFilterCount(FrameworkId("f1")), 3u);
  EXPECT_EQ(allocator->offerFilterCount(FrameworkId("f2")), 3u);
  runtime.advance(seconds(10));
  EXPECT_TRUE(std::exchange(pending, {}).empty());

  addFramework("f3");
  auto offers = takeOffers();
  EXPECT_EQ(frameworksOf(offers), std::set<std::string>{"f3"});
  EXPECT_EQ(offers.size(), 3u);
  for (const auto& offer : offers)
    decline(offer, refuse(3600));
  runtime.advance(seconds(5));
  EXPECT_TRUE(std::exchange(pending, {}).empty());

  allocator->reviveOffers(FrameworkId("f2"), {});
  offers = takeOffers();
  EXPECT_EQ(frameworksOf(offers), std::set<std::string>{"f2"});
  EXPECT_EQ(offers.size(), 3u);
}

}  // namespace
}  // namespace plexus::drf::test
