// plexus::AllocatorBase, the SDK's books for placement policies, driven on a
// FakeRuntime through a policy each test sets: partial offers (a quantity, a
// share), several frameworks on one agent in one allocation, allocation after
// events (not only on the timer), the orders it offers, and outstanding offers.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator_base.hpp>
#include <plexus/testing/fake_runtime.hpp>

namespace plexus {
namespace {

using std::chrono::seconds;

class PolicyAllocator final : public AllocatorBase {
 public:
  std::function<void(PolicyAllocator&)> policy;
  int allocations = 0;

  using AllocatorBase::byAttribute;
  using AllocatorBase::fewestHeldFirst;
  using AllocatorBase::hasOfferOutstanding;
  using AllocatorBase::leastFreeFirst;
  using AllocatorBase::mostFreeFirst;
  using AllocatorBase::offer;
  using AllocatorBase::offerShare;

 private:
  void allocate() override {
    ++allocations;
    if (policy) policy(*this);
  }
};

struct Offer {
  FrameworkId framework;
  AgentId agent;
  Resources resources;
};

class AllocatorBaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AllocatorCallbacks callbacks;
    callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& offered) {
      for (const auto& [role, agents] : offered)
        for (const auto& [agent, resources] : agents)
          offers_.push_back({framework, agent, resources});
    };
    ASSERT_TRUE(allocator_->initialize({}, callbacks, runtime_).has_value());
  }

  void addAgent(const std::string& id, const std::string& resources, const std::string& rack = "") {
    v1::AgentInfo info;
    info.set_hostname(id);
    if (!rack.empty()) {
      auto* attribute = info.add_attributes();
      attribute->set_name("rack");
      attribute->set_type(v1::Value::TEXT);
      attribute->mutable_text()->set_value(rack);
    }
    allocator_->addAgent(AgentId(id), info, std::nullopt, *Resources::parse(resources), {});
  }
  void addFramework(const std::string& id) {
    v1::FrameworkInfo info;
    info.add_roles(std::string("*"));  // (a const char* trips GCC 12's -Wrestrict)
    allocator_->addFramework(FrameworkId(id), info, {}, true, {});
  }
  std::vector<Offer> take() {
    runtime_.runPosted();
    return std::exchange(offers_, {});
  }

  testing::FakeRuntime runtime_;
  std::unique_ptr<PolicyAllocator> allocator_ = std::make_unique<PolicyAllocator>();
  std::vector<Offer> offers_;
};

TEST_F(AllocatorBaseTest, AllocatesAfterEventsNotOnlyOnTheTimer) {
  addAgent("a1", "cpus:2;mem:1024");
  addFramework("f1");
  EXPECT_EQ(allocator_->allocations, 0) << "allocation is posted, not run inside the event";
  runtime_.runPosted();
  EXPECT_EQ(allocator_->allocations, 1) << "two events of one loop turn make one allocation";
  allocator_->reviveOffers(FrameworkId("f1"), {});
  runtime_.runPosted();
  EXPECT_EQ(allocator_->allocations, 2) << "REVIVE allocates";
  allocator_->recoverResources(FrameworkId("f1"), AgentId("a1"), *Resources::parse("cpus:1"),
                               std::nullopt, false);
  runtime_.runPosted();
  EXPECT_EQ(allocator_->allocations, 3) << "recovered resources allocate";
  allocator_->pause();
  addAgent("a2", "cpus:2;mem:1024");
  runtime_.advance(seconds(3));
  EXPECT_EQ(allocator_->allocations, 3) << "nothing while paused";
  allocator_->resume();
  runtime_.runPosted();
  EXPECT_EQ(allocator_->allocations, 4) << "resume allocates";
}

TEST_F(AllocatorBaseTest, OffersAQuantityAndNothingItDoesNotName) {
  addAgent("a1", "cpus:4;mem:4096;disk:100;ports:[31000-31010]");
  addFramework("f1");
  allocator_->policy = [](PolicyAllocator& self) {
    self.offer(FrameworkId("f1"), AgentId("a1"), *ResourceQuantities::parse("cpus:1;mem:512"));
  };
  auto offers = take();
  ASSERT_EQ(offers.size(), 1u);
  Resources expected = *Resources::parse("cpus:1;mem:512");
  expected.allocate("*");
  EXPECT_EQ(offers[0].resources, expected);
  // The rest is still free: the next allocation offers another cpus:1;mem:512.
  offers = (runtime_.advance(seconds(1)), take());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, expected);
}

TEST_F(AllocatorBaseTest, SharesAnAgentBetweenTwoFrameworksInOneAllocation) {
  addAgent("a1", "cpus:4;mem:4096;ports:[31000-31010]");
  addFramework("f1");
  addFramework("f2");
  allocator_->policy = [](PolicyAllocator& self) {
    self.offerShare(FrameworkId("f1"), AgentId("a1"), 0.5);
    self.offerShare(FrameworkId("f2"), AgentId("a1"), 1.0);  // all that is left
  };
  auto offers = take();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].framework, FrameworkId("f1"));
  EXPECT_EQ(offers[0].resources.scalar("cpus"), 2.0);
  EXPECT_EQ(offers[0].resources.scalar("mem"), 2048.0);
  EXPECT_TRUE(offers[0].resources.ranges("ports").has_value()) << "ranges go whole with a share";
  EXPECT_EQ(offers[1].framework, FrameworkId("f2"));
  EXPECT_EQ(offers[1].resources.scalar("cpus"), 2.0);
  EXPECT_EQ(offers[1].resources.scalar("mem"), 2048.0);
  EXPECT_FALSE(offers[1].resources.ranges("ports").has_value());
  EXPECT_TRUE(allocator_->hasOfferOutstanding(FrameworkId("f1"), AgentId("a1")));
  EXPECT_TRUE(allocator_->hasOfferOutstanding(FrameworkId("f2"), AgentId("a1")));
  // f1 launches on all of its part, f2 gives its part back.
  allocator_->transitionOfferedToAllocated(AgentId("a1"), offers[0].resources);
  allocator_->recoverResources(FrameworkId("f2"), AgentId("a1"), offers[1].resources, std::nullopt,
                               false);
  EXPECT_FALSE(allocator_->hasOfferOutstanding(FrameworkId("f1"), AgentId("a1")));
  EXPECT_FALSE(allocator_->hasOfferOutstanding(FrameworkId("f2"), AgentId("a1")));
}

TEST_F(AllocatorBaseTest, APartTooSmallToOfferIsNotOffered) {
  addAgent("a1", "cpus:4;mem:4096");
  addFramework("f1");
  allocator_->policy = [](PolicyAllocator& self) {
    self.offer(FrameworkId("f1"), AgentId("a1"), *ResourceQuantities::parse("cpus:0.001;mem:1"));
  };
  EXPECT_TRUE(take().empty()) << "below Mesos's default minimum cpus:0.01|mem:32";
}

TEST_F(AllocatorBaseTest, OrdersAgentsAndFrameworks) {
  addAgent("a1", "cpus:2;mem:1024", "r2");
  addAgent("a2", "cpus:8;mem:1024", "r1");
  addAgent("a3", "cpus:4;mem:1024");
  addFramework("f1");
  addFramework("f2");
  allocator_->policy = [](PolicyAllocator& self) {
    self.offer(FrameworkId("f1"), AgentId("a3"), *ResourceQuantities::parse("cpus:1"));
  };
  take();
  allocator_->policy = nullptr;
  using Agents = std::vector<AgentId>;
  EXPECT_EQ(allocator_->mostFreeFirst("cpus"),
            (Agents{AgentId("a2"), AgentId("a3"), AgentId("a1")}));
  EXPECT_EQ(allocator_->leastFreeFirst("cpus"),
            (Agents{AgentId("a1"), AgentId("a3"), AgentId("a2")}));
  EXPECT_EQ(allocator_->byAttribute("rack"), (Agents{AgentId("a2"), AgentId("a1"), AgentId("a3")}))
      << "r1, r2, then the agent without a rack";
  EXPECT_EQ(allocator_->fewestHeldFirst("cpus"),
            (std::vector<FrameworkId>{FrameworkId("f2"), FrameworkId("f1")}));
}

TEST_F(AllocatorBaseTest, APostedAllocationNeverRunsIntoADestroyedAllocator) {
  addAgent("a1", "cpus:2;mem:1024");
  allocator_.reset();
  EXPECT_EQ(runtime_.pendingTimers(), 0u);
  runtime_.runPosted();  // the posted allocation finds it gone
}

}  // namespace
}  // namespace plexus
