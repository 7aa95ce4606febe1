// PriorityAllocator on a FakeRuntime: strict priority between levels, DRF inside a
// level, minimums never starved, revocation above the minimums after the grace
// period (recorded reclaim callbacks answered the way the master does).
#include "priority_allocator.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/testing/fake_runtime.hpp>

namespace plexus::priority {
namespace {

using std::chrono::seconds;

Resources R(std::string_view text) {
  return *Resources::parse(text);
}

Resources allocatedTo(std::string_view text, std::string_view role) {
  Resources resources = R(text);
  resources.allocate(role);
  return resources;
}

v1::FrameworkInfo frameworkInfo(const std::string& role) {
  v1::FrameworkInfo info;
  info.set_user("test");
  info.set_name("test");
  info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  return info;
}

struct Offer {
  FrameworkId framework;
  std::string role;
  AgentId agent;
  Resources resources;
};

struct Reclaim {
  FrameworkId framework;
  AgentId agent;
  Resources resources;
  ResourceQuantities atMost;
};

class PriorityTest : public ::testing::Test {
 protected:
  void start(std::map<std::string, int> levels, std::map<std::string, std::string> minimums = {},
             Duration grace = seconds(30)) {
    PriorityConfig config;
    config.drf = {.agentOrder = drf::AgentOrder::kSorted, .seed = 1};
    config.policy.roleLevels = std::move(levels);
    for (const auto& [role, text] : minimums) {
      config.policy.roleMinimums[role] = *ResourceQuantities::parse(text);
    }
    config.policy.logName = "allocator_priority";
    config.gracePeriod = grace;
    config.revocationQuantum = *ResourceQuantities::parse("cpus:1;mem:1024");
    allocator = std::make_unique<PriorityAllocator>(std::move(config));
    AllocatorCallbacks callbacks;
    callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& resources) {
      for (const auto& [role, agents] : resources) {
        for (const auto& [agent, offered] : agents)
          offers.push_back({framework, role, agent, offered});
      }
    };
    callbacks.reclaim = [this](const FrameworkId& framework, const AgentId& agent,
                               const Resources& resources, const ResourceQuantities& atMost) {
      reclaims.push_back({framework, agent, resources, atMost});
    };
    ASSERT_TRUE(allocator->initialize(AllocatorOptions{}, std::move(callbacks), runtime));
  }

  void addAgents(int count, std::string_view resources) {
    for (int i = 1; i <= count; ++i) {
      v1::AgentInfo info;
      info.set_hostname("host" + std::to_string(i));
      allocator->addAgent(AgentId("a" + std::to_string(i)), info, std::nullopt, R(resources), {});
    }
  }

  void addFramework(const std::string& id, const std::string& role) {
    allocator->addFramework(FrameworkId(id), frameworkInfo(role), {}, true, {});
  }

  // Every pending offer is used whole (its tasks keep running).
  std::map<std::string, int> useAll() {
    runtime.runPosted();
    std::map<std::string, int> agentsPerFramework;
    for (const auto& offer : std::exchange(offers, {})) {
      allocator->transitionOfferedToAllocated(offer.agent, offer.resources);
      ++agentsPerFramework[offer.framework.value()];
    }
    return agentsPerFramework;
  }

  // The master's side of a reclaim: the task covering it (here: all the framework
  // uses on that agent in that role) is killed and its resources recovered; the
  // master never frees more than `atMost`.
  void killFor(const Reclaim& reclaim) {
    const std::string role = reclaim.resources.begin()->allocationRole().value_or("*");
    Resources used =
        allocator->offeredOrAllocated(reclaim.agent, reclaim.framework).allocatedTo(role);
    ASSERT_TRUE(used.contains(reclaim.resources));
    ASSERT_TRUE(reclaim.atMost.contains(used.quantities())) << reclaim.atMost;
    allocator->recoverResources(reclaim.framework, reclaim.agent, used, std::nullopt, true);
  }

  testing::FakeRuntime runtime;
  std::unique_ptr<PriorityAllocator> allocator;
  std::vector<Offer> offers;
  std::vector<Reclaim> reclaims;
};

// prod (level 10) is offered every agent before batch (level 1) gets any,
// although batch came first and holds nothing.
TEST_F(PriorityTest, HigherLevelIsOfferedFirst) {
  start({{"prod", 10}, {"batch", 1}});
  addFramework("batch", "batch");
  addFramework("prod", "prod");
  addAgents(4, "cpus:1;mem:1024");
  auto counts = useAll();
  EXPECT_EQ(counts["prod"], 4);
  EXPECT_EQ(counts["batch"], 0);
}

// Roles on one level share by DRF; a lower level gets what they leave.
TEST_F(PriorityTest, DrfDecidesInsideALevel) {
  start({{"a", 5}, {"b", 5}});
  addFramework("fa", "a");
  addFramework("fb", "b");
  addFramework("low", "low");  // level 0
  addAgents(4, "cpus:1;mem:1024");
  auto counts = useAll();
  EXPECT_EQ(counts["fa"], 2);
  EXPECT_EQ(counts["fb"], 2);
  EXPECT_EQ(counts["low"], 0);
}

// batch's minimum (2 CPUs) is met before prod's higher priority, and held back.
TEST_F(PriorityTest, NothingIsStarvedBelowItsMinimum) {
  start({{"prod", 10}, {"batch", 1}}, {{"batch", "cpus:2;mem:2048"}});
  addFramework("prod", "prod");
  addAgents(4, "cpus:1;mem:1024");
  auto counts = useAll();
  EXPECT_EQ(counts["prod"], 2);  // the other 2 agents are batch's headroom
  addFramework("batch", "batch");
  counts = useAll();
  EXPECT_EQ(counts["batch"], 2);
}

// batch fills the cluster; prod arrives and waits. Nothing is reclaimed before
// the grace period; then, one quantum per grace period, batch's tasks above its
// minimum (1 CPU) are reclaimed (the test plays the master: it kills them at
// once) and their resources offered to prod — never batch's last CPU.
TEST_F(PriorityTest, ReclaimsAboveTheMinimumAfterTheGracePeriod) {
  start({{"prod", 10}, {"batch", 1}}, {{"batch", "cpus:1"}}, seconds(30));
  addFramework("batch", "batch");
  addAgents(4, "cpus:1;mem:1024");
  EXPECT_EQ(useAll()["batch"], 4);

  addFramework("prod", "prod");
  runtime.runPosted();
  EXPECT_TRUE(offers.empty());
  const auto arrived = runtime.now();
  std::vector<Runtime::TimePoint> reclaimedAt;
  int prodAgents = 0;
  for (int second = 0; second < 200; ++second) {
    runtime.advance(seconds(1));
    for (const auto& reclaim : std::exchange(reclaims, {})) {
      EXPECT_EQ(reclaim.framework, FrameworkId("batch"));
      EXPECT_EQ(reclaim.resources, allocatedTo("cpus:1;mem:1024", "batch"));
      reclaimedAt.push_back(runtime.now());
      killFor(reclaim);
    }
    prodAgents += useAll()["prod"];
  }
  EXPECT_EQ(prodAgents, 3);
  ASSERT_EQ(reclaimedAt.size(), 3u);
  EXPECT_GE(reclaimedAt[0] - arrived, seconds(30));
  EXPECT_GE(reclaimedAt[1] - reclaimedAt[0], seconds(30));
  EXPECT_EQ(allocator->reclaimRequests(), 3u);
  EXPECT_EQ(allocator->consumedQuota("batch").get("cpus"), 1);
}

// A reclaim the master has not carried out yet is not asked for twice.
TEST_F(PriorityTest, OutstandingReclaimsAreNotRepeated) {
  start({{"prod", 10}, {"batch", 1}}, {}, seconds(10));
  addFramework("batch", "batch");
  addAgents(2, "cpus:1;mem:1024");
  useAll();
  addFramework("prod", "prod");
  runtime.advance(seconds(100));
  ASSERT_EQ(reclaims.size(), 2u);  // one per agent, each asked once
  EXPECT_NE(reclaims[0].agent, reclaims[1].agent);
}

// A waiting role whose frameworks declined (filters) or suppressed is not
// waiting: nothing is reclaimed for it.
TEST_F(PriorityTest, SuppressedRolesDoNotTriggerRevocation) {
  start({{"prod", 10}, {"batch", 1}}, {}, seconds(10));
  addFramework("batch", "batch");
  addAgents(2, "cpus:1;mem:1024");
  useAll();
  addFramework("prod", "prod");
  allocator->suppressOffers(FrameworkId("prod"), {});
  runtime.advance(seconds(60));
  EXPECT_TRUE(reclaims.empty());
  allocator->reviveOffers(FrameworkId("prod"), {});
  runtime.advance(seconds(30));
  EXPECT_FALSE(reclaims.empty());
}

// Roles on the same level never reclaim from each other.
TEST_F(PriorityTest, SameLevelIsNeverRevoked) {
  start({{"a", 5}, {"b", 5}}, {}, seconds(10));
  addFramework("fa", "a");
  addAgents(2, "cpus:1;mem:1024");
  useAll();
  addFramework("fb", "b");
  runtime.advance(seconds(60));
  EXPECT_TRUE(reclaims.empty());
}

TEST(PriorityConfig, ParsesAndRejectsParameters) {
  const ParameterSpec specs[] = {
      {"priorities", ParameterType::String, "", ""},
      {"minimums", ParameterType::String, "", ""},
      {"grace_period", ParameterType::Duration, "30secs", ""},
      {"revocation_quantum", ParameterType::String, "cpus:1;mem:1024", ""},
      {"agent_order", ParameterType::String, "random", ""},
  };
  auto parameters = Parameters::validate(
      specs, {{"priorities", "prod=10, eng/web=2"}, {"minimums", "batch=cpus:2;mem:512"}});
  ASSERT_TRUE(parameters.has_value());
  auto config = configFromParameters(*parameters);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->policy.roleLevels.at("prod"), 10);
  EXPECT_EQ(config->policy.roleLevels.at("eng/web"), 2);
  EXPECT_EQ(config->policy.roleMinimums.at("batch").get("mem"), 512);

  for (auto [key, value] : {std::pair{"priorities", "prod"},
                            {"priorities", "prod=high"},
                            {"priorities", "-x=1"},
                            {"minimums", "batch=cpus"},
                            {"revocation_quantum", ""}}) {
    auto bad = Parameters::validate(specs, {{key, value}});
    ASSERT_TRUE(bad.has_value());
    EXPECT_FALSE(configFromParameters(*bad).has_value()) << key << "=" << value;
  }
}

}  // namespace
}  // namespace plexus::priority
