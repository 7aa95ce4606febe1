#include "plexus/testing/allocator_conformance.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include <plexus/module.hpp>
#include <plexus/parameters.hpp>

namespace plexus::testing {

bool linkAllocatorConformance() {
  return true;
}

Result<std::shared_ptr<Allocator>> loadAllocatorModule(
    const std::filesystem::path& path, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& parameters) {
  return loadModule<Allocator>(path, name, parameters);
}

// ---------------------------------------------------------------------------
// Fixture.

void AllocatorConformance::SetUp() {
  auto made = GetParam().make();
  ASSERT_TRUE(made.has_value()) << made.error().message();
  allocator_ = std::move(*made);
  ASSERT_NE(allocator_, nullptr);
  AllocatorCallbacks callbacks;
  callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& resources) {
    for (const auto& [role, agents] : resources) {
      for (const auto& [agent, offered] : agents) {
        offers_.push_back({framework, role, agent, offered});
      }
    }
  };
  callbacks.inverseOffer = [](const FrameworkId&, const std::map<AgentId, v1::InverseOffer>&) {};
  AllocatorOptions options;
  options.allocationInterval = std::chrono::seconds(1);
  auto initialized = allocator_->initialize(options, std::move(callbacks), runtime_);
  ASSERT_TRUE(initialized.has_value()) << initialized.error().message();
  allocator_->recover(0, {});
}

void AllocatorConformance::TearDown() {
  allocator_.reset();
}

void AllocatorConformance::addAgent(const std::string& id, const std::string& resources) {
  auto total = Resources::parse(resources);
  ASSERT_TRUE(total.has_value()) << resources;
  v1::AgentInfo info;
  info.set_hostname("host-" + id);
  info.mutable_id()->set_value(id);
  allocator_->addAgent(AgentId(id), info, std::nullopt, *total, {});
  agents_.insert(AgentId(id));
}

void AllocatorConformance::addFramework(const std::string& id, const std::string& role) {
  v1::FrameworkInfo info;
  info.set_user("conformance");
  info.set_name(id);
  info.mutable_id()->set_value(id);
  info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  allocator_->addFramework(FrameworkId(id), info, {}, true, {});
}

std::vector<AllocatorConformance::Offer> AllocatorConformance::takeOffers() {
  runtime_.runPosted();
  return std::exchange(offers_, {});
}

std::vector<AllocatorConformance::Offer> AllocatorConformance::advanceAndTakeOffers(
    Duration duration) {
  runtime_.advance(duration);
  return takeOffers();
}

void AllocatorConformance::decline(const Offer& offer, double refuseSeconds) {
  v1::Filters filters;
  filters.set_refuse_seconds(refuseSeconds);
  allocator_->recoverResources(offer.framework, offer.agent, offer.resources, filters, false);
}

void AllocatorConformance::use(const Offer& offer) {
  allocator_->transitionOfferedToAllocated(offer.agent, offer.resources);
}

namespace {
using std::chrono::seconds;
}  // namespace

// ---------------------------------------------------------------------------
// Tests.

TEST_P(AllocatorConformance, OffersGoOut) {
  addAgent("a1", "cpus:4;mem:4096;disk:1024");
  addFramework("f1", "web");
  auto offers = takeOffers();
  if (offers.empty()) offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework, FrameworkId("f1"));
  EXPECT_EQ(offers[0].role, "web");
  EXPECT_EQ(offers[0].agent, AgentId("a1"));
  const Resources expected = *Resources::parse("cpus:4;mem:4096;disk:1024");
  Resources offered = offers[0].resources;
  offered.unallocate();
  EXPECT_TRUE(expected.contains(offered))
      << "offered " << offers[0].resources << " on an agent of " << expected;
  for (const Resource& resource : offers[0].resources) {
    EXPECT_EQ(resource.allocationRole(), std::optional<std::string>("web")) << resource;
  }
  // Nothing more while the offer is outstanding.
  EXPECT_TRUE(advanceAndTakeOffers(seconds(3)).empty());
}

TEST_P(AllocatorConformance, DeclinedResourcesComeBack) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], 0);
  auto again = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].framework, FrameworkId("f1"));
  EXPECT_EQ(again[0].resources, offers[0].resources);
}

TEST_P(AllocatorConformance, FiltersExpire) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], 10);
  EXPECT_TRUE(advanceAndTakeOffers(seconds(8)).empty()) << "offered inside the 10 s filter";
  auto after = advanceAndTakeOffers(seconds(4));
  ASSERT_EQ(after.size(), 1u) << "not offered again once the 10 s filter expired";
  EXPECT_EQ(after[0].agent, AgentId("a1"));
}

TEST_P(AllocatorConformance, SuppressStopsOffers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  allocator_->suppressOffers(FrameworkId("f1"), {});
  decline(offers[0], 0);
  EXPECT_TRUE(advanceAndTakeOffers(seconds(10)).empty()) << "offered while suppressed";
  // Another framework still gets the agent.
  addFramework("f2");
  auto other = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].framework, FrameworkId("f2"));
}

TEST_P(AllocatorConformance, ReviveRestoresOffers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  allocator_->suppressOffers(FrameworkId("f1"), {});
  decline(offers[0], 3600);  // suppressed *and* filtered for an hour
  EXPECT_TRUE(advanceAndTakeOffers(seconds(5)).empty());
  allocator_->reviveOffers(FrameworkId("f1"), {});
  auto revived = takeOffers();
  if (revived.empty()) revived = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(revived.size(), 1u) << "REVIVE must lift suppression and clear filters";
  EXPECT_EQ(revived[0].framework, FrameworkId("f1"));
}

TEST_P(AllocatorConformance, RemovedAgentIsNeverOfferedAgain) {
  addAgent("a1", "cpus:2;mem:1024");
  addAgent("a2", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 2u);
  // The master removes a1 and rescinds its offer; a late recovery for it is harmless.
  allocator_->removeAgent(AgentId("a1"));
  for (const auto& offer : offers)
    decline(offer, 0);
  for (int i = 0; i < 5; ++i) {
    for (const auto& offer : advanceAndTakeOffers(seconds(1))) {
      EXPECT_NE(offer.agent, AgentId("a1")) << "offered a removed agent";
      decline(offer, 0);
    }
  }
  // The agent comes back (re-registers): offered again.
  addAgent("a1", "cpus:2;mem:1024");
  bool seen = false;
  for (const auto& offer : advanceAndTakeOffers(seconds(1)))
    seen |= offer.agent == AgentId("a1");
  EXPECT_TRUE(seen);
}

TEST_P(AllocatorConformance, TwoFrameworksShareFairly) {
  for (int i = 1; i <= 8; ++i)
    addAgent("a" + std::to_string(i), "cpus:1;mem:1024");
  addFramework("f1");
  addFramework("f2");
  std::map<std::string, int> agents;
  for (int round = 0; round < 5; ++round) {
    for (const auto& offer : advanceAndTakeOffers(seconds(1))) {
      use(offer);
      ++agents[offer.framework.value()];
    }
  }
  EXPECT_EQ(agents["f1"] + agents["f2"], 8);
  EXPECT_EQ(agents["f1"], 4) << "f1 " << agents["f1"] << " agents, f2 " << agents["f2"];
  EXPECT_EQ(agents["f2"], 4);
}

TEST_P(AllocatorConformance, DestroyingCancelsTimers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = advanceAndTakeOffers(seconds(1));
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], 60);
  allocator_.reset();
  EXPECT_EQ(runtime_.pendingTimers(), 0u);
  runtime_.advance(seconds(120));  // nothing left to run into a destroyed allocator
}

}  // namespace plexus::testing
