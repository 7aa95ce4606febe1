// The packing policy of binpack_allocator, loaded from its library as the master
// loads it and driven on a FakeRuntime: of two empty agents one is offered; an
// agent in use is offered before an empty one, and the empty one only when the
// framework has filled or refused the other.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/load_module.hpp>

namespace {

using plexus::AgentId;
using plexus::FrameworkId;
using plexus::Resources;

struct Offer {
  AgentId agent;
  Resources resources;
};

class BinpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made =
        plexus::testing::loadModule<plexus::Allocator>(BINPACK_LIBRARY, "binpack_allocator", {});
    ASSERT_TRUE(made.has_value()) << made.error().message();
    allocator_ = *made;
    plexus::AllocatorCallbacks callbacks;
    callbacks.offer = [this](const FrameworkId&, const plexus::OfferedResources& offered) {
      for (const auto& [role, agents] : offered)
        for (const auto& [agent, resources] : agents)
          offers_.push_back({agent, resources});
    };
    ASSERT_TRUE(allocator_->initialize({}, callbacks, runtime_).has_value());
    for (const char* id : {"a1", "a2"}) {
      plexus::v1::AgentInfo info;
      info.set_hostname(id);
      allocator_->addAgent(AgentId(id), info, std::nullopt, *Resources::parse("cpus:4;mem:4096"),
                           {});
    }
    plexus::v1::FrameworkInfo framework;
    framework.add_roles("*");
    allocator_->addFramework(FrameworkId("f1"), framework, {}, true, {});
  }

  std::vector<Offer> cycle() {
    offers_.clear();
    runtime_.advance(std::chrono::seconds(1));
    return offers_;
  }
  // Launches `used` on the offer and gives the rest back (with a filter, if any).
  void use(const Offer& offer, const std::string& used, double refuseSeconds = 0) {
    Resources launched = *Resources::parse(used);
    launched.allocate("*");
    allocator_->transitionOfferedToAllocated(offer.agent, launched);
    plexus::v1::Filters filters;
    filters.set_refuse_seconds(refuseSeconds);
    allocator_->recoverResources(FrameworkId("f1"), offer.agent, offer.resources - launched,
                                 filters, false);
  }

  plexus::testing::FakeRuntime runtime_;
  std::shared_ptr<plexus::Allocator> allocator_;
  std::vector<Offer> offers_;
};

TEST_F(BinpackTest, FillsThePartlyUsedAgentBeforeTheEmptyOne) {
  auto offers = cycle();
  ASSERT_EQ(offers.size(), 1u) << "both agents are empty: one is offered";
  EXPECT_EQ(offers[0].agent, AgentId("a1"));
  use(offers[0], "cpus:1;mem:1024");
  for (int i = 0; i < 3; ++i) {
    offers = cycle();
    ASSERT_EQ(offers.size(), 1u) << "cycle " << i << ": only the partly used agent";
    EXPECT_EQ(offers[0].agent, AgentId("a1"));
    use(offers[0], "cpus:1;mem:1024");
  }
  // a1 is full (4 of 4 cpus, 4096 of 4096 mem): now a2.
  offers = cycle();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, AgentId("a2"));
}

TEST_F(BinpackTest, NoEmptyAgentWhileAnOfferIsOutstanding) {
  auto offers = cycle();
  ASSERT_EQ(offers.size(), 1u);
  // The framework has not answered yet: the next cycles offer nothing else.
  EXPECT_TRUE(cycle().empty()) << "an empty agent was offered while a1's offer was outstanding";
  EXPECT_TRUE(cycle().empty());
}

TEST_F(BinpackTest, OffersTheEmptyAgentOnceThePartlyUsedOneIsRefused) {
  auto offers = cycle();
  ASSERT_EQ(offers.size(), 1u);
  use(offers[0], "cpus:1;mem:1024");
  offers = cycle();
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].agent, AgentId("a1"));
  use(offers[0], "", 30);  // "my task does not fit there"
  offers = cycle();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, AgentId("a2"));
}

}  // namespace
