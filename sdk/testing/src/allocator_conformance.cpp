#include "plexus/testing/allocator_conformance.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>
#include <sstream>

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
        checkOffer(offers_.back());
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

namespace {
Resources unallocated(Resources resources) {
  resources.unallocate();
  return resources;
}
}  // namespace

void AllocatorConformance::checkOffer(const Offer& offer) {
  auto roles = roles_.find(offer.framework);
  EXPECT_TRUE(roles != roles_.end() && roles->second.contains(offer.role))
      << "rule [offer-in-role] (allocator.hpp): offered " << offer.resources << " on "
      << offer.agent << " to " << offer.framework << " in role '" << offer.role
      << "', not one of its roles";
  for (const Resource& resource : offer.resources) {
    EXPECT_EQ(resource.allocationRole(), std::optional<std::string>(offer.role))
        << "rule [offer-in-role] (allocator.hpp): " << resource << " in an offer to "
        << offer.framework << " in role '" << offer.role << "' is not allocated to that role";
  }
  auto total = totals_.find(offer.agent);
  if (total == totals_.end()) {
    ADD_FAILURE() << "rule [within-agent] (allocator.hpp): offered " << offer.resources
                  << " on agent " << offer.agent << " to " << offer.framework
                  << ", an agent that was never added or was removed";
    return;
  }
  Resources& held = held_[offer.agent];
  held += unallocated(offer.resources);
  EXPECT_TRUE(total->second.contains(held))
      << "rule [within-agent] (allocator.hpp): agent " << offer.agent << " has " << total->second
      << ", but its outstanding offers and what is used on it add up to " << held
      << " (the last offer: " << offer.resources << " to " << offer.framework << ")";
}

void AllocatorConformance::addAgent(const std::string& id, const std::string& resources) {
  auto total = Resources::parse(resources);
  ASSERT_TRUE(total.has_value()) << resources;
  v1::AgentInfo info;
  info.set_hostname("host-" + id);
  info.mutable_id()->set_value(id);
  totals_[AgentId(id)] = *total;
  held_.erase(AgentId(id));
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
  roles_[FrameworkId(id)].insert(role);
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

std::vector<AllocatorConformance::Offer> AllocatorConformance::offersWithin(int intervals) {
  auto offers = takeOffers();
  for (int i = 0; i < intervals && offers.empty(); ++i)
    offers = advanceAndTakeOffers(std::chrono::seconds(1));
  return offers;
}

void AllocatorConformance::decline(const Offer& offer, double refuseSeconds) {
  if (auto held = held_.find(offer.agent); held != held_.end())
    held->second -= unallocated(offer.resources);
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
// Tests, one per rule of allocator.hpp.

TEST_P(AllocatorConformance, OffersGoOut) {
  addAgent("a1", "cpus:4;mem:4096;disk:1024");
  addFramework("f1", "web");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): framework f1 (role "
                                  "web) was offered nothing of the idle agent a1 in 1 s";
  EXPECT_EQ(offers[0].framework, FrameworkId("f1"));
  EXPECT_EQ(offers[0].agent, AgentId("a1"));
  // Further offers (of the rest, if the first was a part) stay within the agent:
  // checkOffer() fails [within-agent] otherwise.
  advanceAndTakeOffers(seconds(3));
}

TEST_P(AllocatorConformance, DeclinedResourcesComeBack) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  for (const auto& offer : offers)
    decline(offer, 0);
  auto again = offersWithin(1);
  EXPECT_FALSE(again.empty()) << "rule [declined-return] (allocator.hpp): f1 declined "
                              << describe(offers)
                              << " without a filter, and nothing was offered again within 1 s";
  for (const auto& offer : again) {
    EXPECT_EQ(offer.framework, FrameworkId("f1"));
    EXPECT_EQ(offer.agent, AgentId("a1"));
  }
}

TEST_P(AllocatorConformance, FiltersExpire) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  for (const auto& offer : offers)
    decline(offer, 10);
  auto inside = advanceAndTakeOffers(seconds(8));
  EXPECT_TRUE(inside.empty()) << "rule [filters] (allocator.hpp): f1 declined a1 with "
                                 "refuse_seconds 10, and within 8 s was offered "
                              << describe(inside);
  auto after = advanceAndTakeOffers(seconds(2));  // the filter expires at 10 s
  if (after.empty()) after = offersWithin(1);
  EXPECT_FALSE(after.empty()) << "rule [filters] (allocator.hpp): f1's 10 s filter on a1 "
                                 "expired, and a1 was not offered within 1 s after";
  for (const auto& offer : after)
    EXPECT_EQ(offer.agent, AgentId("a1"));
}

TEST_P(AllocatorConformance, SuppressStopsOffers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  allocator_->suppressOffers(FrameworkId("f1"), {});
  for (const auto& offer : offers)
    decline(offer, 0);
  auto suppressed = advanceAndTakeOffers(seconds(10));
  EXPECT_TRUE(suppressed.empty()) << "rule [suppress] (allocator.hpp): f1 suppressed offers, and "
                                     "within 10 s was offered "
                                  << describe(suppressed);
  // Another framework still gets the agent.
  addFramework("f2");
  auto other = offersWithin(1);
  EXPECT_FALSE(other.empty()) << "rule [suppress] (allocator.hpp): f1 suppressed, and the other "
                                 "framework f2 was offered nothing of the idle a1 within 1 s";
  for (const auto& offer : other)
    EXPECT_EQ(offer.framework, FrameworkId("f2"))
        << "rule [suppress] (allocator.hpp): f1 suppressed, and was offered " << offer.resources;
}

TEST_P(AllocatorConformance, ReviveRestoresOffers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  allocator_->suppressOffers(FrameworkId("f1"), {});
  for (const auto& offer : offers)
    decline(offer, 3600);  // suppressed *and* filtered for an hour
  EXPECT_TRUE(advanceAndTakeOffers(seconds(5)).empty())
      << "rule [suppress] (allocator.hpp): offered while suppressed";
  allocator_->reviveOffers(FrameworkId("f1"), {});
  auto revived = offersWithin(1);
  EXPECT_FALSE(revived.empty())
      << "rule [revive] (allocator.hpp): f1 was suppressed and had a 3600 s filter on a1; "
         "after REVIVE it was offered nothing within 1 s";
  for (const auto& offer : revived)
    EXPECT_EQ(offer.framework, FrameworkId("f1"));
}

TEST_P(AllocatorConformance, RemovedAgentIsNeverOfferedAgain) {
  addAgent("a1", "cpus:2;mem:1024");
  addAgent("a2", "cpus:2;mem:1024");
  addFramework("f1");
  std::vector<Offer> offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  // The master removes a1 and rescinds its offers; a late recovery for it is harmless.
  allocator_->removeAgent(AgentId("a1"));
  totals_.erase(AgentId("a1"));  // an offer on it now fails [within-agent]
  for (const auto& offer : offers)
    decline(offer, 0);
  bool a2Seen = false;
  for (int i = 0; i < 5; ++i) {
    for (const auto& offer : advanceAndTakeOffers(seconds(1))) {
      a2Seen |= offer.agent == AgentId("a2");
      decline(offer, 0);
    }
  }
  EXPECT_TRUE(a2Seen) << "rule [declined-return] (allocator.hpp): a2, declined without a "
                         "filter, was not offered again in 5 s";
  // The agent comes back (re-registers): offered again.
  addAgent("a1", "cpus:2;mem:1024");
  bool a1Seen = false;
  for (int i = 0; i < 5 && !a1Seen; ++i) {
    for (const auto& offer : advanceAndTakeOffers(seconds(1))) {
      a1Seen |= offer.agent == AgentId("a1");
      decline(offer, 0);
    }
  }
  EXPECT_TRUE(a1Seen) << "rule [removed-agent] (allocator.hpp): a1 was removed and added "
                         "again, and not offered again in 5 s";
}

TEST_P(AllocatorConformance, TwoFrameworksShareFairly) {
  constexpr int kAgents = 8;
  for (int i = 1; i <= kAgents; ++i)
    addAgent("a" + std::to_string(i), "cpus:1;mem:1024");
  addFramework("f1");
  addFramework("f2");
  std::map<std::string, double> cpus;
  int quiet = 0;
  for (int interval = 0; interval < 200 && quiet < 3; ++interval) {
    auto offers = advanceAndTakeOffers(seconds(1));
    quiet = offers.empty() ? quiet + 1 : 0;
    for (const auto& offer : offers) {
      use(offer);
      cpus[offer.framework.value()] += offer.resources.scalar("cpus").value_or(0);
    }
  }
  const double held = cpus["f1"] + cpus["f2"];
  // Per agent, a rest below the smallest worthwhile offer (0.01 cpus) may stay.
  EXPECT_GE(held, kAgents * (1 - 0.01))
      << "rule [fair-share] (allocator.hpp): two frameworks launching on everything offered "
         "hold "
      << held << " of the cluster's " << kAgents << " cpus (f1 " << cpus["f1"] << ", f2 "
      << cpus["f2"] << ")";
  EXPECT_LE(std::abs(cpus["f1"] - cpus["f2"]), 1.0 + 1e-9)
      << "rule [fair-share] (allocator.hpp): frameworks f1 and f2 of one role hold " << cpus["f1"]
      << " and " << cpus["f2"] << " cpus: more than one agent's cpus (1) apart";
}

TEST_P(AllocatorConformance, DestroyingCancelsTimers) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  auto offers = offersWithin(1);
  ASSERT_FALSE(offers.empty()) << "rule [offers-go-out] (allocator.hpp): nothing offered in 1 s";
  for (const auto& offer : offers)
    decline(offer, 60);
  allocator_.reset();
  EXPECT_EQ(runtime_.pendingTimers(), 0u)
      << "rule [timers] (allocator.hpp): the destroyed allocator left " << runtime_.pendingTimers()
      << " timers scheduled";
  runtime_.advance(seconds(120));  // nothing left to run into a destroyed allocator
}

std::string AllocatorConformance::describe(const std::vector<Offer>& offers) {
  if (offers.empty()) return "nothing";
  std::string text;
  for (const auto& offer : offers) {
    std::ostringstream one;
    one << offer.framework << " on " << offer.agent << " (" << offer.resources << ")";
    text += (text.empty() ? "" : ", ") + one.str();
  }
  return text;
}

}  // namespace plexus::testing
