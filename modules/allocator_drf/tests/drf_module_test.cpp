// Loads libplexus_allocator_drf.so with the SDK's loadModule (the checks the
// master's loader makes, as an author outside this repository would load it), and
// drives it through the plexus::Allocator interface: offers must arrive.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_DRF_MODULE_DIR;

Result<std::shared_ptr<Allocator>> loadAllocator(const testing::ModuleParameters& parameters) {
  return testing::loadModule<Allocator>(kModuleDir / "libplexus_allocator_drf.so", "allocator_drf",
                                        parameters);
}

TEST(AllocatorDrfModule, LoadsAndMakesOffers) {
  auto allocator = loadAllocator({{"agent_order", "sorted"}});
  ASSERT_TRUE(allocator.has_value()) << allocator.error().message();

  testing::FakeRuntime runtime;
  std::vector<std::pair<FrameworkId, OfferedResources>> offers;
  AllocatorCallbacks callbacks;
  callbacks.offer = [&](const FrameworkId& framework, const OfferedResources& resources) {
    offers.emplace_back(framework, resources);
  };
  ASSERT_TRUE((*allocator)->initialize(AllocatorOptions{}, callbacks, runtime).has_value());

  auto total = Resources::parse("cpus:4;mem:4096");
  ASSERT_TRUE(total.has_value());
  v1::AgentInfo agent;
  agent.set_hostname("host1");
  (*allocator)->addAgent(AgentId("a1"), agent, std::nullopt, *total, {});
  v1::FrameworkInfo framework;
  framework.set_user("u");
  framework.set_name("n");
  (*allocator)->addFramework(FrameworkId("f1"), framework, {}, true, {});
  runtime.runPosted();

  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].first, FrameworkId("f1"));
  Resources expected = *total;
  expected.allocate("*");
  EXPECT_EQ(offers[0].second.at("*").at(AgentId("a1")), expected);

  // Declined with a filter, then revived: offered again.
  v1::Filters filters;
  filters.set_refuse_seconds(60);
  (*allocator)->recoverResources(FrameworkId("f1"), AgentId("a1"), expected, filters, false);
  runtime.advance(std::chrono::seconds(5));
  EXPECT_EQ(offers.size(), 1u);
  (*allocator)->reviveOffers(FrameworkId("f1"), {});
  runtime.runPosted();
  EXPECT_EQ(offers.size(), 2u);

  allocator->reset();  // destroyed by the module's own deleter, timers cancelled
  EXPECT_EQ(runtime.pendingTimers(), 0u);
}

TEST(AllocatorDrfModule, RefusesABadAgentOrder) {
  auto allocator = loadAllocator({{"agent_order", "sideways"}});
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("agent_order"), std::string::npos)
      << allocator.error().message();
}

TEST(AllocatorDrfModule, RefusesAnUnknownParameter) {
  auto allocator = loadAllocator({{"weights", "x"}});
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("weights"), std::string::npos)
      << allocator.error().message();
}

}  // namespace
}  // namespace plexus
