// Hierarchical quota as Mesos 1.9+ counts it: a role's consumed quota is what is
// reserved to its subtree plus the unreserved resources its subtree holds; its limit
// caps that whole subtree, reservations included; the guarantees of its children
// count inside its own, not on top of it.
#include <string>

#include "drf_test_util.hpp"

namespace plexus::drf::test {
namespace {

using std::chrono::seconds;

class DrfQuotaTest : public DrfTest {
 protected:
  static Quota quota(std::string_view guarantees, std::string_view limits = "") {
    Quota result;
    if (!guarantees.empty()) result.guarantees = *ResourceQuantities::parse(guarantees);
    if (!limits.empty()) result.limits = *ResourceQuantities::parse(limits);
    return result;
  }

  // Runs the pending cycle and keeps every offer in use; returns the CPUs offered
  // to `framework`.
  double useAllOffered(const std::string& framework) {
    double cpus = 0;
    for (const auto& offer : takeOffers()) {
      allocator->transitionOfferedToAllocated(offer.agent, offer.resources);
      if (offer.framework == FrameworkId(framework)) cpus += offer.resources.cpus().value_or(0);
    }
    return cpus;
  }
};

// The audit's case: eng may use 3 CPUs; one is reserved to eng and one to eng/front,
// on two of three agents. A framework in eng/front gets both reservations and one
// unreserved CPU: 3, however many cycles run.
TEST_F(DrfQuotaTest, LimitCapsTheSubtreeReservationsIncluded) {
  start();
  allocator->updateQuota("eng", quota("", "cpus:3"));
  addAgent("a01", "cpus(eng):1;cpus:3;mem:1024");
  addAgent("a02", "cpus(eng/front):1;cpus:3;mem:1024");
  addAgent("a03", "cpus:3;mem:1024");
  addFramework("front", frameworkInfo("eng/front"));
  double offered = useAllOffered("front");
  for (int cycle = 0; cycle < 3; ++cycle) {
    runtime.advance(seconds(1));
    offered += useAllOffered("front");
  }
  EXPECT_DOUBLE_EQ(offered, 3);
  EXPECT_EQ(allocator->consumedQuota("eng").get("cpus"), 3);
}

// Reservations count in every ancestor's consumption, held or not.
TEST_F(DrfQuotaTest, ReservationsOfChildrenCountInTheirAncestors) {
  start();
  addAgent("a01", "cpus(eng/front):1;cpus(eng/back/db):2;cpus(ops):4;cpus:3;mem:1024");
  EXPECT_EQ(allocator->consumedQuota("eng").get("cpus"), 3);
  EXPECT_EQ(allocator->consumedQuota("eng/back").get("cpus"), 2);
  EXPECT_EQ(allocator->consumedQuota("ops").get("cpus"), 4);
}

// A limit on eng binds eng/front even when eng/front's own limit is higher, and
// frameworks of eng and of its children share it.
TEST_F(DrfQuotaTest, AnAncestorsLimitBindsItsDescendants) {
  start();
  allocator->updateQuota("eng", quota("", "cpus:3"));
  allocator->updateQuota("eng/front", quota("", "cpus:10"));
  addAgent("a01", "cpus:4;mem:1024");
  addAgent("a02", "cpus:4;mem:1024");
  addFramework("front", frameworkInfo("eng/front"));
  addFramework("eng", frameworkInfo("eng"));
  double front = 0, eng = 0;
  for (int cycle = 0; cycle < 3; ++cycle) {
    for (const auto& offer : takeOffers()) {
      allocator->transitionOfferedToAllocated(offer.agent, offer.resources);
      (offer.framework == FrameworkId("front") ? front : eng) += offer.resources.cpus().value_or(0);
    }
    runtime.advance(seconds(1));
  }
  EXPECT_DOUBLE_EQ(front + eng, 3);
  EXPECT_EQ(allocator->consumedQuota("eng").get("cpus"), 3);
}

// eng is guaranteed 4 CPUs, of which eng/front 2: 4 are held back for eng, not 6,
// so a role without quota gets the other 2 of the cluster's 6.
TEST_F(DrfQuotaTest, ChildrensGuaranteesCountInsideTheirParents) {
  start();
  allocator->updateQuota("eng", quota("cpus:4"));
  allocator->updateQuota("eng/front", quota("cpus:2"));
  addAgent("a01", "cpus:2;mem:1024");
  addAgent("a02", "cpus:2;mem:1024");
  addAgent("a03", "cpus:2;mem:1024");
  addFramework("other", frameworkInfo("other"));
  EXPECT_DOUBLE_EQ(useAllOffered("other"), 2);
  runtime.advance(seconds(1));
  EXPECT_DOUBLE_EQ(useAllOffered("other"), 0);
}

// A child's guarantee beyond what its parent still lacks is still held back: eng's
// 4 are consumed by eng/back, but eng/front's 2 are not met yet.
TEST_F(DrfQuotaTest, AnUnmetChildGuaranteeIsHeldEvenWhenItsParentsIsMet) {
  start();
  allocator->updateQuota("eng", quota("cpus:4"));
  allocator->updateQuota("eng/front", quota("cpus:2"));
  addAgent("a01", "cpus(eng/back):4;mem:512");
  addAgent("a02", "cpus:2;mem:1024");
  addAgent("a03", "cpus:2;mem:1024");
  addFramework("other", frameworkInfo("other"));
  EXPECT_DOUBLE_EQ(useAllOffered("other"), 2);
}

}  // namespace
}  // namespace plexus::drf::test
