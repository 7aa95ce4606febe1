// Unit tests of DrfAllocator, driven through plexus::Allocator on a FakeRuntime:
// offers, DRF order, filters, suppression, activation, removal, bookkeeping of
// offered and used resources, operations, minimum offers, whitelist, pausing,
// the periodic timer and the coalescing of event-driven cycles, maintenance.
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "drf_test_util.hpp"

namespace plexus::drf::test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const AgentId kA1("a1");
const AgentId kA2("a2");
const FrameworkId kF1("f1");
const FrameworkId kF2("f2");

using Capability = v1::FrameworkInfo::Capability;

v1::Offer::Operation reserveOperation(const Resources& resources) {
  v1::Offer::Operation operation;
  operation.set_type(v1::Offer::Operation::RESERVE);
  resources.toWire(operation.mutable_reserve()->mutable_resources());
  return operation;
}

v1::Offer::Operation unreserveOperation(const Resources& resources) {
  v1::Offer::Operation operation;
  operation.set_type(v1::Offer::Operation::UNRESERVE);
  resources.toWire(operation.mutable_unreserve()->mutable_resources());
  return operation;
}

Resources reservedFor(std::string_view text, const std::string& role) {
  auto reserved = R(text).pushReservation(Reservation::makeDynamic(role, "ops"));
  EXPECT_TRUE(reserved.has_value());
  return reserved.value_or(Resources());
}

// ---------------------------------------------------------------------------
// Offers and DRF order

TEST_F(DrfTest, OffersTheWholeAgentWithItsAllocationRole) {
  start();
  addAgent("a1", "cpus:4;mem:4096;ports:[31000-32000]");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);
  EXPECT_EQ(offers[0].role, "*");
  EXPECT_EQ(offers[0].agent, kA1);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096;ports:[31000-32000]", "*"));
  EXPECT_TRUE(allocator->available(kA1).empty());
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF1), offers[0].resources);
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 1.0);
}

TEST_F(DrfTest, LowerDominantShareGetsTheNextOffer) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  addFramework("f2");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);  // equal shares: the smaller id first

  launchAndDecline(offers[0], "cpus:2;mem:512");  // f1: 2/4 cpus = 0.5
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.5);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);  // 0 < 0.5
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:2;mem:3584", "*"));

  launchAndDecline(offers[0], "cpus:1;mem:3072");  // f2: 3072/4096 mem = 0.75
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF2), 0.75);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);  // 0.5 < 0.75
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:1;mem:512", "*"));
}

TEST_F(DrfTest, ExcludedResourceNamesDoNotCountTowardsTheShare) {
  AllocatorOptions options;
  options.fairnessExcludeResourceNames = {"disk"};
  start(options);
  addAgent("a1", "cpus:4;mem:4096;disk:1000");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  launchAndDecline(offers[0], "cpus:1;mem:1024;disk:1000");
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.25);  // disk 1.0 is ignored
}

TEST_F(DrfTest, ReservedResourcesGoOnlyToTheirRole) {
  start();
  addAgent("a1", "cpus:2;mem:1024;cpus(eng):2");
  addFramework("f1");                        // role *
  addFramework("f2", frameworkInfo("eng"));  // role eng
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].framework, kF1);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:2;mem:1024", "*"));
  EXPECT_EQ(offers[1].framework, kF2);
  EXPECT_EQ(offers[1].role, "eng");
  EXPECT_EQ(offers[1].resources, allocatedTo("cpus(eng):2", "eng"));
}

TEST_F(DrfTest, MultiRoleFrameworkIsOfferedPerRole) {
  start();
  addAgent("a1", "cpus:4;mem:4096;cpus(b):2");
  addFramework("f1", multiRoleInfo({"a", "b"}));
  auto offers = takeOffers();
  EXPECT_EQ(offerCalls, 1);  // one callback, grouped by role
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].role, "a");
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096", "a"));
  EXPECT_EQ(offers[1].role, "b");
  EXPECT_EQ(offers[1].resources, allocatedTo("cpus(b):2", "b"));

  // Suppressing role a leaves everything the agent has to role b.
  allocator->suppressOffers(kF1, {"a"});
  decline(offers[0]);
  decline(offers[1]);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "b");
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096;cpus(b):2", "b"));
}

TEST_F(DrfTest, SingleRoleFrameworkWithoutRoleUsesStar) {
  start();
  addAgent("a1", "cpus:1;mem:128");
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("n");
  addFramework("f1", info);
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "*");
}

TEST_F(DrfTest, GpuAgentsGoOnlyToGpuAwareFrameworks) {
  start();
  addAgent("a1", "cpus:4;mem:4096;gpus:1");
  addFramework("f1");
  addFramework("f2", frameworkInfo("*", {Capability::GPU_RESOURCES}));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
}

TEST_F(DrfTest, GpuAgentsGoToEveryoneWhenNotFiltered) {
  AllocatorOptions options;
  options.filterGpuResources = false;
  start(options);
  addAgent("a1", "cpus:4;mem:4096;gpus:1");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);
}

TEST_F(DrfTest, RevocableResourcesGoOnlyToCapableFrameworks) {
  start();
  Resources total = R("cpus:2;mem:1024");
  Resources revocable = R("cpus:4");
  for (const Resource& resource : revocable) {
    Resource copy = resource;
    copy.setRevocable(true);
    total += copy;
  }
  allocator->addAgent(kA1, agentInfo("h1"), std::nullopt, total, {});
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:2;mem:1024", "*"));

  addFramework("f2", frameworkInfo("*", {Capability::REVOCABLE_RESOURCES}));
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  EXPECT_EQ(offers[0].resources.scalar("cpus"), 4.0);
  EXPECT_TRUE(offers[0].resources.begin()->isRevocable());
}

// ---------------------------------------------------------------------------
// Filters

TEST_F(DrfTest, DeclineFilterKeepsTheAgentFromTheFrameworkUntilItExpires) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  addFramework("f2");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].framework, kF1);
  decline(offers[0], refuse(5));
  EXPECT_EQ(allocator->offerFilterCount(kF1), 1u);

  // Meanwhile the other framework is offered the agent.
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  decline(offers[0], refuse(60));

  runtime.advance(milliseconds(4999));  // periodic cycles run, the filters hold
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(milliseconds(1));
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
}

TEST_F(DrfTest, FilterCoversOnlyTheAgentItWasInstalledFor) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addAgent("a2", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  decline(offers[0], refuse(60));  // a1
  decline(offers[1], refuse(0));   // a2
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA2);
}

TEST_F(DrfTest, FilterDoesNotCoverMoreResourcesThanWereRefused) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  launchAndDecline(offers[0], "cpus:3;mem:3072", refuse(60));
  EXPECT_TRUE(takeOffers().empty());  // cpus:1;mem:1024 refused

  // The task ends: the agent now has more than was refused, which is a new offer.
  allocator->recoverResources(kF1, kA1, allocatedTo("cpus:3;mem:3072", "*"), std::nullopt, true);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096", "*"));
}

TEST_F(DrfTest, RefuseSecondsZeroInstallsNoFilter) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(0));
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, RecoveringWithoutFiltersInstallsNoFilter) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], std::nullopt);
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, DefaultFiltersRefuseForFiveSeconds) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], v1::Filters());  // refuse_seconds unset: the proto default, 5
  runtime.advance(milliseconds(4999));
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(milliseconds(1));
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, NegativeOrNanRefuseSecondsMeanTheDefault) {
  for (double value : {-1.0, std::nan("")}) {
    SCOPED_TRACE(value);
    start();
    addAgent("a1", "cpus:4;mem:4096");
    addFramework("f1");
    auto offers = takeOffers();
    ASSERT_EQ(offers.size(), 1u);
    decline(offers[0], refuse(value));
    EXPECT_EQ(allocator->offerFilterCount(kF1), 1u);
    runtime.advance(milliseconds(4999));
    EXPECT_TRUE(takeOffers().empty());
    runtime.advance(milliseconds(1));
    EXPECT_EQ(takeOffers().size(), 1u);
    allocator.reset();
  }
}

TEST_F(DrfTest, ShortFiltersLastOneAllocationInterval) {
  AllocatorOptions options;
  options.allocationInterval = seconds(10);
  start(options);
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(0.5));
  runtime.advance(milliseconds(9999));
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(milliseconds(1));
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, SubNanosecondRefusalInstallsNoFilter) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(1e-12));
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, HugeFiltersAreCappedAt365Days) {
  for (double value : {1e12, std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(value);
    AllocatorOptions options;
    options.allocationInterval = hours(24);  // few periodic cycles over a year
    start(options);
    addAgent("a1", "cpus:4;mem:4096");
    addFramework("f1");
    auto offers = takeOffers();
    ASSERT_EQ(offers.size(), 1u);
    decline(offers[0], refuse(value));
    runtime.advance(hours(24 * 365) - seconds(1));
    EXPECT_TRUE(takeOffers().empty());
    runtime.advance(seconds(1));
    EXPECT_EQ(takeOffers().size(), 1u);
    allocator.reset();
  }
}

TEST_F(DrfTest, ReviveClearsFiltersAndOffersAgain) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(3600));
  runtime.advance(seconds(10));
  EXPECT_TRUE(takeOffers().empty());
  allocator->reviveOffers(kF1, {});
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, ReviveOfOneRoleKeepsTheOtherRolesFilters) {
  start();
  addAgent("a1", "cpus:4;mem:4096;cpus(b):1");
  addFramework("f1", multiRoleInfo({"a", "b"}));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  decline(offers[0], refuse(3600));  // role a
  decline(offers[1], refuse(3600));  // role b
  EXPECT_EQ(allocator->offerFilterCount(kF1), 2u);
  allocator->reviveOffers(kF1, {"b"});
  EXPECT_EQ(allocator->offerFilterCount(kF1), 1u);
  offers = takeOffers();
  // Role b is offered its reservation and, since role a still refuses them, the
  // unreserved resources too.
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "b");
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096;cpus(b):1", "b"));
}

// ---------------------------------------------------------------------------
// Suppression and activation

TEST_F(DrfTest, SuppressedFrameworkGetsNoOffersUntilRevived) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  allocator->suppressOffers(kF1, {});
  decline(offers[0], refuse(0));
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(seconds(5));
  EXPECT_TRUE(takeOffers().empty());
  allocator->reviveOffers(kF1, {});
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, FrameworkCanSubscribeSuppressed) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  FrameworkOptions options;
  options.suppressedRoles = {"*"};
  addFramework("f1", frameworkInfo(), true, options);
  EXPECT_TRUE(takeOffers().empty());
  allocator->reviveOffers(kF1, {"*"});
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, UpdateFrameworkChangesRolesAndSuppression) {
  start();
  addAgent("a1", "cpus:4;mem:4096;cpus(eng):1");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096", "*"));
  decline(offers[0], refuse(3600));

  // Moving to role eng: the old role's filters go, the reservation becomes usable.
  allocator->updateFramework(kF1, frameworkInfo("eng"), {});
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "eng");
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096;cpus(eng):1", "eng"));

  FrameworkOptions suppressed;
  suppressed.suppressedRoles = {"eng"};
  allocator->updateFramework(kF1, frameworkInfo("eng"), suppressed);
  decline(offers[0]);
  EXPECT_TRUE(takeOffers().empty());
}

TEST_F(DrfTest, InactiveFrameworkGetsNoOffers) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1", frameworkInfo(), /*active=*/false);
  addFramework("f2");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  decline(offers[0], refuse(60));

  allocator->activateFramework(kF1);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF1);

  // Deactivated: its offer comes back (the master rescinds it) and goes nowhere.
  allocator->deactivateFramework(kF1);
  decline(offers[0], refuse(0));
  EXPECT_TRUE(takeOffers().empty());
}

TEST_F(DrfTest, DeactivationClearsTheFrameworksFilters) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(3600));
  EXPECT_EQ(allocator->offerFilterCount(kF1), 1u);
  allocator->deactivateFramework(kF1);
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  allocator->activateFramework(kF1);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, DeactivatedAgentIsNotOffered) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addAgent("a2", "cpus:4;mem:4096");
  allocator->deactivateAgent(kA1);
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA2);
  runtime.advance(seconds(3));
  EXPECT_TRUE(takeOffers().empty());

  allocator->activateAgent(kA1);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA1);
}

// ---------------------------------------------------------------------------
// Removal and bookkeeping

TEST_F(DrfTest, RemovingAnAgentWhileOfferedDropsItsAllocations) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  allocator->removeAgent(kA1);
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.0);
  EXPECT_TRUE(allocator->offeredOrAllocated(kA1, kF1).empty());
  // The master rescinds the offer and returns it: nothing to return it to.
  decline(offers[0], refuse(60));
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_TRUE(takeOffers().empty());

  addAgent("a2", "cpus:2;mem:2048");
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA2);
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 1.0);  // the total is a2's alone
}

TEST_F(DrfTest, RemovingAFrameworkReturnsEverythingItHeld) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  addFramework("f2");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].framework, kF1);
  launchAndDecline(offers[0], "cpus:4;mem:4096");  // all in use
  EXPECT_EQ(allocator->allocated(kA1), allocatedTo("cpus:4;mem:4096", "*"));

  allocator->removeFramework(kF1);
  EXPECT_TRUE(allocator->allocated(kA1).empty());
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.0);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096", "*"));
}

TEST_F(DrfTest, RecoverResourcesDistinguishesUsedFromOffered) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);

  // Launch cpus:1;mem:1024; the rest comes back as offered (isAllocated false).
  launchAndDecline(offers[0], "cpus:1;mem:1024", refuse(3600));
  EXPECT_EQ(allocator->allocated(kA1), allocatedTo("cpus:1;mem:1024", "*"));
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF1), allocatedTo("cpus:1;mem:1024", "*"));
  EXPECT_EQ(allocator->available(kA1), R("cpus:3;mem:3072"));
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.25);
  EXPECT_TRUE(takeOffers().empty());

  // The task finishes (isAllocated true): no longer in use, and offered again.
  allocator->recoverResources(kF1, kA1, allocatedTo("cpus:1;mem:1024", "*"), std::nullopt, true);
  EXPECT_TRUE(allocator->allocated(kA1).empty());
  EXPECT_EQ(allocator->available(kA1), R("cpus:4;mem:4096"));
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.0);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:4;mem:4096", "*"));
}

TEST_F(DrfTest, RecoveringMoreThanHeldReturnsOnlyWhatWasHeld) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  launchAndDecline(offers[0], "cpus:4;mem:4096");
  allocator->recoverResources(kF1, kA1, allocatedTo("cpus:8;mem:4096", "*"), std::nullopt, true);
  EXPECT_EQ(allocator->available(kA1), R("cpus:4;mem:4096"));
  EXPECT_EQ(allocator->total(kA1), R("cpus:4;mem:4096"));
}

TEST_F(DrfTest, AgentAndFrameworkAddedWithUsedResources) {
  start();
  // The master recovered: the agent reports f1's running tasks before f1 re-subscribes.
  addAgent("a1", "cpus:4;mem:4096", {{kF1, allocatedTo("cpus:1;mem:1024", "*")}});
  EXPECT_EQ(allocator->available(kA1), R("cpus:3;mem:3072"));
  EXPECT_EQ(allocator->allocated(kA1), allocatedTo("cpus:1;mem:1024", "*"));
  allocator->addFramework(kF1, frameworkInfo(), {{kA1, allocatedTo("cpus:1;mem:1024", "*")}}, true,
                          {});
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.25);  // counted once
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:3;mem:3072", "*"));
}

TEST_F(DrfTest, UsedResourcesBeyondWhatTheAgentHasAreNotCounted) {
  start();
  allocator->pause();
  addAgent("a1", "cpus:2;mem:1024", {{kF1, allocatedTo("cpus:4;mem:512", "*")}});
  EXPECT_EQ(allocator->allocated(kA1), allocatedTo("cpus:2;mem:512", "*"));
  EXPECT_EQ(allocator->available(kA1), R("mem:512"));
  // f2 re-subscribes with tasks on a1 the agent did not report: only what is
  // available can be theirs.
  allocator->addFramework(kF2, frameworkInfo(), {{kA1, allocatedTo("mem:768", "*")}}, true, {});
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF2), allocatedTo("mem:512", "*"));
  EXPECT_TRUE(allocator->available(kA1).empty());
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF2), 0.5);
}

TEST_F(DrfTest, UsedResourcesWithoutAllocationRoleAreCountedAsGiven) {
  start();
  allocator->pause();
  addAgent("a1", "cpus:4;mem:4096", {{kF1, R("cpus:1;mem:1024")}});
  EXPECT_EQ(allocator->available(kA1), R("cpus:3;mem:3072"));
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF1), R("cpus:1;mem:1024"));
  addFramework("f1");
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 0.25);
  allocator->recoverResources(kF1, kA1, R("cpus:1;mem:1024"), std::nullopt, true);
  EXPECT_EQ(allocator->available(kA1), R("cpus:4;mem:4096"));
  EXPECT_TRUE(allocator->allocated(kA1).empty());
}

TEST_F(DrfTest, UpdateAgentTotalOffersTheDifference) {
  start();
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  launchAndDecline(offers[0], "cpus:2;mem:1024");
  allocator->updateAgent(kA1, agentInfo("host-a1"), R("cpus:4;mem:2048"));
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:2;mem:1024", "*"));
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 1.0);

  // Shrinking below what is held leaves nothing available, and no negative.
  allocator->updateAgent(kA1, agentInfo("host-a1"), R("cpus:1;mem:512"));
  EXPECT_TRUE(allocator->available(kA1).empty());
}

TEST_F(DrfTest, ChangedAttributesClearTheAgentsFilters) {
  start();
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], refuse(3600));
  v1::AgentInfo info = agentInfo("host-a1");
  auto* attribute = info.add_attributes();
  attribute->set_name("rack");
  attribute->set_type(v1::Value::TEXT);
  attribute->mutable_text()->set_value("r1");
  allocator->updateAgent(kA1, info, std::nullopt);
  EXPECT_EQ(allocator->offerFilterCount(kF1), 0u);
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, UpdateAllocationAppliesConversionsToHeldAndTotal) {
  start();
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1", frameworkInfo("eng"));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);

  // ACCEPT with RESERVE cpus:1 for eng.
  auto reserved = R("cpus:1").pushReservation(Reservation::makeDynamic("eng", "ops"));
  ASSERT_TRUE(reserved.has_value());
  ResourceConversion conversion{allocatedTo("cpus:1", "eng"), allocatedTo(*reserved, "eng")};
  allocator->updateAllocation(kF1, kA1, offers[0].resources, {conversion});
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF1),
            allocatedTo(R("cpus:1;mem:1024") + *reserved, "eng"));
  EXPECT_EQ(allocator->total(kA1), R("cpus:1;mem:1024") + *reserved);
  EXPECT_DOUBLE_EQ(allocator->dominantShare(kF1), 1.0);

  allocator->recoverResources(kF1, kA1, allocator->offeredOrAllocated(kA1, kF1), refuse(3600),
                              false);
  EXPECT_EQ(allocator->available(kA1), R("cpus:1;mem:1024") + *reserved);
}

TEST_F(DrfTest, UpdateAllocationOfResourcesNotHeldChangesNothing) {
  start();
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1", frameworkInfo("eng"));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  auto reserved = R("cpus:4").pushReservation(Reservation::makeDynamic("eng", "ops"));
  ASSERT_TRUE(reserved.has_value());
  ResourceConversion conversion{allocatedTo("cpus:4", "eng"), allocatedTo(*reserved, "eng")};
  allocator->updateAllocation(kF1, kA1, allocatedTo("cpus:4", "eng"), {conversion});
  EXPECT_EQ(allocator->offeredOrAllocated(kA1, kF1), offers[0].resources);
  EXPECT_EQ(allocator->total(kA1), R("cpus:2;mem:1024"));
}

// ---------------------------------------------------------------------------
// updateAvailable

TEST_F(DrfTest, UpdateAvailableReservesUnofferedResources) {
  start();
  allocator->pause();
  addAgent("a1", "cpus:4;mem:4096");
  auto reserved = allocator->updateAvailable(kA1, {reserveOperation(reservedFor("cpus:1", "eng"))});
  ASSERT_TRUE(reserved.has_value()) << reserved.error().message();
  EXPECT_EQ(allocator->available(kA1), R("cpus:3;mem:4096") + reservedFor("cpus:1", "eng"));
  EXPECT_EQ(allocator->total(kA1), allocator->available(kA1));

  addFramework("f1");                        // role *
  addFramework("f2", frameworkInfo("eng"));  // role eng
  allocator->resume();
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].framework, kF1);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:3;mem:4096", "*"));
  EXPECT_EQ(offers[1].framework, kF2);
  EXPECT_EQ(offers[1].resources, allocatedTo(reservedFor("cpus:1", "eng"), "eng"));
}

TEST_F(DrfTest, UpdateAvailableFailsWithoutChangingAnything) {
  start();
  allocator->pause();
  addAgent("a1", "cpus:4;mem:4096");
  const Resources before = allocator->available(kA1);

  // More than the agent has.
  auto tooMuch = allocator->updateAvailable(kA1, {reserveOperation(reservedFor("cpus:8", "eng"))});
  EXPECT_FALSE(tooMuch.has_value());
  // A valid first operation followed by an invalid one: all or nothing.
  auto partial =
      allocator->updateAvailable(kA1, {reserveOperation(reservedFor("cpus:1", "eng")),
                                       unreserveOperation(reservedFor("cpus:2", "eng"))});
  EXPECT_FALSE(partial.has_value());
  auto unknown = allocator->updateAvailable(AgentId("nope"), {});
  EXPECT_FALSE(unknown.has_value());
  EXPECT_EQ(allocator->available(kA1), before);
  EXPECT_EQ(allocator->total(kA1), before);

  // Offered resources are not available either.
  addFramework("f1");
  allocator->resume();
  ASSERT_EQ(takeOffers().size(), 1u);
  auto offered = allocator->updateAvailable(kA1, {reserveOperation(reservedFor("cpus:1", "eng"))});
  ASSERT_FALSE(offered.has_value());
  EXPECT_NE(offered.error().message().find("not available"), std::string::npos);
  EXPECT_TRUE(allocator->available(kA1).empty());
  EXPECT_EQ(allocator->total(kA1), before);
}

// ---------------------------------------------------------------------------
// Minimum offer size, whitelist

TEST_F(DrfTest, OffersBelowTheDefaultMinimumAreNotMade) {
  start();
  addFramework("f1");
  addAgent("a1", "cpus:0.005;mem:16");  // neither cpus:0.01 nor mem:32
  EXPECT_TRUE(takeOffers().empty());
  addAgent("a2", "cpus:0.01;mem:16");
  addAgent("a3", "cpus:0.001;mem:32");
  auto offers = takeOffers();
  EXPECT_EQ(agentsOf(offers), (std::set<std::string>{"a2", "a3"}));
}

TEST_F(DrfTest, ConfiguredMinimumAllocatableResources) {
  AllocatorOptions options;
  options.minAllocatableResources = {*ResourceQuantities::parse("cpus:1;mem:1024"),
                                     *ResourceQuantities::parse("disk:100")};
  start(options);
  addFramework("f1");
  addAgent("a1", "cpus:2;mem:512");
  addAgent("a2", "cpus:1;mem:1024");
  addAgent("a3", "cpus:0.1;mem:16;disk:100");
  EXPECT_EQ(agentsOf(takeOffers()), (std::set<std::string>{"a2", "a3"}));
}

TEST_F(DrfTest, EmptyQuantitySetLiftsTheMinimum) {
  AllocatorOptions options;
  options.minAllocatableResources = {ResourceQuantities()};
  start(options);
  addFramework("f1");
  addAgent("a1", "cpus:0.001");
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, FrameworkOfferFiltersOverrideTheMinimum) {
  start();
  v1::FrameworkInfo picky = frameworkInfo();
  auto& filters = (*picky.mutable_offer_filters())["*"];
  auto* quantities = filters.mutable_min_allocatable_resources()->add_quantities();
  (*quantities->mutable_quantities())["cpus"].set_value(2);
  addFramework("f1", picky);
  v1::FrameworkInfo lax = frameworkInfo();
  (*lax.mutable_offer_filters())["*"].mutable_min_allocatable_resources();  // any offer
  addFramework("f2", lax);

  addAgent("a1", "cpus:1;mem:1024");  // too small for f1, fine for f2
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  decline(offers[0], refuse(3600));
  addAgent("a2", "cpus:0.001");  // below the global minimum, but f2 takes anything
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, kF2);
  EXPECT_EQ(offers[0].agent, kA2);
}

TEST_F(DrfTest, WhitelistRestrictsOffersToItsHosts) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addAgent("a2", "cpus:4;mem:4096");
  addFramework("f1");
  allocator->updateWhitelist(std::set<std::string>{"host-a2"});
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA2);
  runtime.advance(seconds(2));
  EXPECT_TRUE(takeOffers().empty());

  allocator->updateWhitelist(std::set<std::string>{});
  decline(offers[0]);
  EXPECT_TRUE(takeOffers().empty());  // an empty whitelist offers nothing

  allocator->updateWhitelist(std::nullopt);
  EXPECT_EQ(agentsOf(takeOffers()), (std::set<std::string>{"a1", "a2"}));
}

// ---------------------------------------------------------------------------
// Cycles: pause, timer, coalescing

TEST_F(DrfTest, PausedAllocatorMakesNoOffersUntilResumed) {
  start();
  allocator->pause();
  EXPECT_TRUE(allocator->isPaused());
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(seconds(5));
  EXPECT_TRUE(takeOffers().empty());
  EXPECT_EQ(allocator->allocationRuns(), 0u);
  allocator->resume();
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, AllocationIntervalTimerRunsCyclesAndReArms) {
  AllocatorOptions options;
  options.allocationInterval = seconds(2);
  start(options);
  EXPECT_EQ(runtime.pendingTimers(), 1u);
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  ASSERT_EQ(takeOffers().size(), 1u);
  EXPECT_EQ(allocator->allocationRuns(), 1u);  // the events' cycle
  runtime.advance(milliseconds(1999));
  EXPECT_EQ(allocator->allocationRuns(), 1u);
  runtime.advance(milliseconds(1));
  EXPECT_EQ(allocator->allocationRuns(), 2u);
  runtime.advance(seconds(6));
  EXPECT_EQ(allocator->allocationRuns(), 5u);
  EXPECT_EQ(runtime.pendingTimers(), 1u);
}

TEST_F(DrfTest, EventsInOneLoopTurnShareOneCycle) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addAgent("a2", "cpus:4;mem:4096");
  addAgent("a3", "cpus:4;mem:4096");
  addFramework("f1");
  addFramework("f2");
  EXPECT_EQ(runtime.pendingPosted(), 1u);
  auto offers = takeOffers();
  EXPECT_EQ(allocator->allocationRuns(), 1u);
  EXPECT_EQ(offerCalls, 2);  // one callback per framework
  ASSERT_EQ(offers.size(), 3u);
  // a1 to f1 (tie, by id), a2 to f2 (0 < 1/3), a3 to f1 (1/3 each, by id).
  std::map<std::string, std::string> byAgent;
  for (const auto& offer : offers) {
    byAgent[offer.agent.value()] = offer.framework.value();
  }
  EXPECT_EQ(byAgent,
            (std::map<std::string, std::string>{{"a1", "f1"}, {"a2", "f2"}, {"a3", "f1"}}));
}

TEST_F(DrfTest, EventCyclesCoverTheirAgentsAndPeriodicCyclesCoverAll) {
  start();
  allocator->pause();
  addAgent("a1", "cpus:4;mem:4096");
  addAgent("a2", "cpus:4;mem:4096");
  ASSERT_TRUE(allocator->updateAvailable(kA1, {reserveOperation(reservedFor("cpus:1", "eng"))})
                  .has_value());
  addFramework("f1");
  allocator->resume();
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  ASSERT_EQ(offers[0].agent, kA1);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:3;mem:4096", "*"));

  // The operator unreserves cpus:1 on a1: like Mesos, no cycle for that alone.
  ASSERT_TRUE(allocator->updateAvailable(kA1, {unreserveOperation(reservedFor("cpus:1", "eng"))})
                  .has_value());
  EXPECT_EQ(allocator->available(kA1), R("cpus:1"));
  EXPECT_TRUE(takeOffers().empty());

  // a2 comes back: its cycle looks at a2 only.
  decline(offers[1]);
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA2);

  // The periodic cycle looks at every agent and finds a1's cpus.
  runtime.advance(seconds(1));
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA1);
  EXPECT_EQ(offers[0].resources, allocatedTo("cpus:1", "*"));
}

// Holds posted callbacks until released, so a test can let a timer run before
// work an event posted (as a real loop may order them).
class HeldPosts final : public Runtime {
 public:
  explicit HeldPosts(Runtime& inner) : inner_(inner) {}
  TimePoint now() const override { return inner_.now(); }
  std::chrono::system_clock::time_point wallNow() const override { return inner_.wallNow(); }
  TimerId schedule(Duration delay, std::function<void()> callback) override {
    return inner_.schedule(delay, std::move(callback));
  }
  void cancel(TimerId timer) override { inner_.cancel(timer); }
  void post(std::function<void()> callback) override {
    if (holding) {
      held_.push_back(std::move(callback));
    } else {
      inner_.post(std::move(callback));
    }
  }
  void release() {
    holding = false;
    for (auto& callback : std::exchange(held_, {}))
      inner_.post(std::move(callback));
  }
  bool holding = false;

 private:
  Runtime& inner_;
  std::vector<std::function<void()>> held_;
};

TEST_F(DrfTest, AnAgentQueuedBeforeAPeriodicCycleIsQueuedAgainAfterIt) {
  // Regression: the periodic cycle dropped the queue of agents waiting for an
  // event-driven cycle but left them marked as queued, so later events on such
  // an agent never started a cycle and freed resources waited for the timer.
  HeldPosts held(runtime);
  loop = &held;
  AllocatorOptions options;
  options.allocationInterval = seconds(1);
  start(options);
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);

  held.holding = true;
  decline(offers[0]);           // a1 queued, its cycle posted but held
  runtime.advance(seconds(1));  // the periodic cycle runs first and offers a1
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  held.release();
  EXPECT_TRUE(takeOffers().empty());  // the held cycle finds nothing left to do

  decline(offers[0]);
  offers = takeOffers();  // an event-driven cycle, not the next periodic one
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, kA1);
}

TEST_F(DrfTest, RandomOrderVisitsAgentsInDifferentOrders) {
  // With one framework and whole-agent offers, the first agent of a cycle is the
  // one the lowest-share framework gets first; across seeds, each agent leads.
  std::set<std::string> leaders;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    start(defaultOptions(), {.agentOrder = AgentOrder::kRandom, .seed = seed});
    addAgent("a1", "cpus:4;mem:4096");
    addAgent("a2", "cpus:4;mem:4096");
    addAgent("a3", "cpus:4;mem:4096");
    addFramework("f1");
    addFramework("f2");
    auto offers = takeOffers();
    ASSERT_EQ(offers.size(), 3u);
    // f1 gets the first visited agent and the third; f2 the second one.
    for (const auto& offer : offers) {
      if (offer.framework == kF2) leaders.insert(offer.agent.value());
    }
    allocator.reset();
    pending.clear();
  }
  EXPECT_EQ(leaders, (std::set<std::string>{"a1", "a2", "a3"}));
}

// ---------------------------------------------------------------------------
// Maintenance

TEST_F(DrfTest, InverseOffersAskHoldersOfAnAgentUnderMaintenance) {
  start();
  v1::Unavailability unavailability;
  unavailability.mutable_start()->set_nanoseconds(1'000'000'000);
  allocator->addAgent(kA1, agentInfo("h1"), unavailability, R("cpus:4;mem:4096"), {});
  addAgent("a2", "cpus:4;mem:4096");
  addFramework("f1");
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  ASSERT_EQ(inverse.size(), 1u);  // f1 now holds something on a1
  EXPECT_EQ(inverse[0].first, kF1);
  EXPECT_EQ(inverse[0].second.agent_id().value(), "a1");
  EXPECT_EQ(inverse[0].second.framework_id().value(), "f1");
  EXPECT_EQ(inverse[0].second.unavailability().start().nanoseconds(), 1'000'000'000);

  runtime.advance(seconds(3));
  EXPECT_EQ(inverse.size(), 1u);  // outstanding: not asked twice

  allocator->updateInverseOffer(kA1, kF1, false, refuse(10));
  runtime.advance(seconds(9));
  EXPECT_EQ(inverse.size(), 1u);  // filtered
  runtime.advance(seconds(2));
  EXPECT_EQ(inverse.size(), 2u);  // asked again

  allocator->updateInverseOffer(kA1, kF1, true, std::nullopt);
  runtime.advance(seconds(1));
  EXPECT_EQ(inverse.size(), 3u);  // still holding, no filter: asked again

  allocator->updateUnavailability(kA1, std::nullopt);
  runtime.advance(seconds(3));
  EXPECT_EQ(inverse.size(), 3u);
}

// ---------------------------------------------------------------------------
// Recovery, life cycle

TEST_F(DrfTest, RecoveryWithQuotaWaitsForMostAgents) {
  start();
  Quota quota;
  quota.guarantees = *ResourceQuantities::parse("cpus:1");
  allocator->recover(10, {{"eng", quota}});
  EXPECT_TRUE(allocator->isPaused());
  addFramework("f1");
  for (int i = 1; i <= 7; ++i) {
    addAgent("a" + std::to_string(i), "cpus:1;mem:128");
  }
  EXPECT_TRUE(takeOffers().empty());
  EXPECT_TRUE(allocator->isPaused());
  addAgent("a8", "cpus:1;mem:128");  // 10 * 0.8
  EXPECT_FALSE(allocator->isPaused());
  EXPECT_EQ(takeOffers().size(), 8u);
}

TEST_F(DrfTest, RecoveryTimesOut) {
  start();
  Quota quota;
  quota.limits = *ResourceQuantities::parse("cpus:1");
  allocator->recover(10, {{"eng", quota}});
  addFramework("f1");
  addAgent("a1", "cpus:1;mem:128");
  runtime.advance(minutes(10) - seconds(1));
  EXPECT_TRUE(allocator->isPaused());
  EXPECT_TRUE(takeOffers().empty());
  runtime.advance(seconds(1));
  EXPECT_FALSE(allocator->isPaused());
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, RecoveryWithoutQuotaWaitsToo) {
  // Unlike Mesos: fair shares decided on a partial cluster are wrong too.
  start();
  allocator->recover(5, {});
  EXPECT_TRUE(allocator->isPaused());
  addFramework("f1");
  for (int i = 1; i <= 3; ++i)
    addAgent("a" + std::to_string(i), "cpus:1;mem:128");
  runtime.advance(seconds(30));
  EXPECT_TRUE(takeOffers().empty());
  EXPECT_EQ(allocator->allocationRuns(), 0u);
  addAgent("a4", "cpus:1;mem:128");  // floor(5 * 0.8)
  EXPECT_FALSE(allocator->isPaused());
  EXPECT_EQ(takeOffers().size(), 4u);
  EXPECT_EQ(runtime.pendingTimers(), 1u);  // the recovery timer is gone; the interval's stays
}

TEST_F(DrfTest, RecoveryWithAFactorOfZeroOrNoAgentsExpectedDoesNotPause) {
  AllocatorOptions options;
  options.agentRecoveryFactor = 0.0;
  start(options);
  allocator->recover(10, {});
  EXPECT_FALSE(allocator->isPaused());
  allocator->recover(0, {});
  EXPECT_FALSE(allocator->isPaused());
  addFramework("f1");
  addAgent("a1", "cpus:1;mem:128");
  EXPECT_EQ(takeOffers().size(), 1u);
}

TEST_F(DrfTest, InitializeRejectsBadOptionsAndSecondCalls) {
  DrfAllocator allocator({.agentOrder = AgentOrder::kSorted, .seed = 1});
  AllocatorOptions options;
  options.allocationInterval = Duration::zero();
  EXPECT_FALSE(allocator.initialize(options, {}, runtime).has_value());
  EXPECT_TRUE(allocator.initialize(AllocatorOptions{}, {}, runtime).has_value());
  EXPECT_FALSE(allocator.initialize(AllocatorOptions{}, {}, runtime).has_value());
}

TEST_F(DrfTest, DestroyingTheAllocatorCancelsItsTimersAndPostedCycles) {
  start();
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  addFramework("f2");
  runtime.runPosted();
  ASSERT_FALSE(pending.empty());
  decline(pending[0], refuse(60));  // a filter timer, and a posted cycle
  EXPECT_GE(runtime.pendingTimers(), 2u);
  EXPECT_EQ(runtime.pendingPosted(), 1u);
  allocator.reset();
  EXPECT_EQ(runtime.pendingTimers(), 0u);
  runtime.runPosted();  // the posted cycle finds the allocator gone: a no-op
  runtime.advance(minutes(2));
}

TEST_F(DrfTest, UnknownIdsAreIgnored) {
  start();
  const FrameworkId ghost("ghost");
  const AgentId nowhere("nowhere");
  allocator->removeFramework(ghost);
  allocator->activateFramework(ghost);
  allocator->deactivateFramework(ghost);
  allocator->updateFramework(ghost, frameworkInfo(), {});
  allocator->removeAgent(nowhere);
  allocator->updateAgent(nowhere, agentInfo("x"), R("cpus:1"));
  allocator->activateAgent(nowhere);
  allocator->deactivateAgent(nowhere);
  allocator->suppressOffers(ghost, {});
  allocator->reviveOffers(ghost, {});
  allocator->recoverResources(ghost, nowhere, R("cpus:1"), refuse(5), true);
  allocator->transitionOfferedToAllocated(nowhere, R("cpus:1"));
  allocator->updateAllocation(ghost, nowhere, R("cpus:1"), {});
  allocator->updateUnavailability(nowhere, std::nullopt);
  allocator->updateInverseOffer(nowhere, ghost, true, refuse(5));
  allocator->requestResources(ghost, {v1::Request()});
  allocator->updateQuota("eng", Quota{});
  allocator->updateWeights({});
  EXPECT_TRUE(takeOffers().empty());
}

// ---------------------------------------------------------------------------
// Invariants under a random workload

TEST_F(DrfTest, BooksBalanceUnderARandomWorkload) {
  start(defaultOptions(), {.agentOrder = AgentOrder::kRandom, .seed = 7});
  std::mt19937 random(42);
  const std::vector<FrameworkId> frameworks = {kF1, kF2, FrameworkId("f3")};
  std::vector<AgentId> agents;
  for (int i = 1; i <= 4; ++i) {
    agents.emplace_back("a" + std::to_string(i));
    addAgent(agents.back().value(), "cpus:8;mem:8192;cpus(eng):2");
  }
  addFramework("f1");
  addFramework("f2", frameworkInfo("eng"));
  addFramework("f3", multiRoleInfo({"eng", "web"}));
  // What each framework's tasks use on each agent, as the master would know it.
  std::map<std::pair<FrameworkId, AgentId>, Resources> running;
  std::map<FrameworkId, int> offersSeen;
  int launches = 0;
  int finishes = 0;
  std::vector<Offer> kept;

  for (int step = 0; step < 300; ++step) {
    for (const auto& offer : takeOffers()) {
      ++offersSeen[offer.framework];
      switch (random() % 3) {
        case 0:
          decline(offer, refuse(static_cast<double>(random() % 4)));
          break;
        case 1: {
          // Launch one unit of each scalar with room for it, decline the rest.
          Resources launched;
          for (const Resource& resource : offer.resources) {
            if (resource.type() != ValueType::kScalar || resource.scalar() < 1) continue;
            Resources unit(*Resource::makeScalar(resource.name(), 1));
            for (const auto& reservation : resource.reservations()) {
              unit = *unit.pushReservation(reservation);
            }
            launched += unit;
          }
          launched.allocate(offer.role);
          ASSERT_TRUE(offer.resources.contains(launched));
          if (!launched.empty()) {
            allocator->transitionOfferedToAllocated(offer.agent, launched);
            running[{offer.framework, offer.agent}] += launched;
            ++launches;
          }
          Resources rest = offer.resources - launched;
          if (!rest.empty()) {
            allocator->recoverResources(offer.framework, offer.agent, rest, refuse(1), false);
          }
          break;
        }
        default:
          kept.push_back(offer);  // the framework sits on the offer for a while
      }
    }
    if (!kept.empty() && random() % 2 == 0) {
      decline(kept.front(), refuse(0));
      kept.erase(kept.begin());
    }
    if (random() % 4 == 0 && !running.empty()) {  // some framework's tasks on an agent end
      auto finished = std::next(running.begin(), random() % running.size());
      allocator->recoverResources(finished->first.first, finished->first.second, finished->second,
                                  std::nullopt, true);
      running.erase(finished);
      ++finishes;
    }
    if (step == 150) {
      // As the master does: f2's tasks are recovered as in use, then f2 goes
      // (its outstanding offers with it).
      for (auto entry = running.begin(); entry != running.end();) {
        if (entry->first.first != kF2) {
          ++entry;
          continue;
        }
        allocator->recoverResources(kF2, entry->first.second, entry->second, std::nullopt, true);
        entry = running.erase(entry);
      }
      allocator->removeFramework(kF2);
      std::erase_if(kept, [](const Offer& offer) { return offer.framework == kF2; });
    }
    runtime.advance(milliseconds(250));

    // Every agent: available + everything held == total; in use is part of held.
    ResourceQuantities clusterTotal;
    std::map<FrameworkId, ResourceQuantities> holdings;
    for (const auto& agent : agents) {
      Resources held;
      Resources inUse;
      for (const auto& framework : frameworks) {
        Resources mine = allocator->offeredOrAllocated(agent, framework);
        holdings[framework] += mine.quantities();
        held += mine;
        auto tasks = running.find({framework, agent});
        if (tasks != running.end()) inUse += tasks->second;
      }
      ASSERT_EQ(allocator->allocated(agent), inUse) << "step " << step;
      ASSERT_TRUE(held.contains(inUse)) << "step " << step;
      held.unallocate();
      ASSERT_EQ(allocator->available(agent) + held, allocator->total(agent)) << "step " << step;
      clusterTotal += allocator->total(agent).quantities();
    }
    // Shares are what the holdings say.
    for (const auto& framework : frameworks) {
      double share = 0;
      for (const auto& quantity : holdings[framework]) {
        share = std::max(share, quantity.value() / clusterTotal.get(quantity.name));
      }
      ASSERT_NEAR(allocator->dominantShare(framework), share, 1e-9) << "step " << step;
    }
  }
  // The workload did exercise the allocator.
  EXPECT_GT(offersSeen[kF1], 20);
  EXPECT_GT(offersSeen[kF2], 20);
  EXPECT_GT(offersSeen[FrameworkId("f3")], 20);
  EXPECT_GT(launches, 50);
  EXPECT_GT(finishes, 30);
}

}  // namespace
}  // namespace plexus::drf::test
