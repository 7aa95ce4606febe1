// Loads libplexus_allocator_drf.so through the core's module loader, as the
// master does for `--allocator=allocator_drf`, and drives it through the
// plexus::Allocator interface: offers must arrive.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/testing/fake_runtime.hpp>

#include "module/module_registry.hpp"
#include "module/modules_config.hpp"

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_DRF_MODULE_DIR;

Result<module::ModuleInstance<Allocator>> loadAllocator(module::ModuleRegistry& registry,
                                                        const std::string& parameters) {
  const std::string json =
      R"({"libraries": [{"file": ")" + (kModuleDir / "libplexus_allocator_drf.so").string() +
      R"(", "modules": [{"name": "allocator_drf", "parameters": [)" + parameters + "]}]}]}";
  auto config = module::parseModulesJson(json, "test");
  if (!config) return fail(config.error());
  PLEXUS_TRY(registry.load(*config));
  return registry.create<Allocator>("allocator_drf", "--allocator");
}

TEST(AllocatorDrfModule, LoadsAndMakesOffers) {
  module::ModuleRegistry registry({kModuleDir});
  auto allocator = loadAllocator(registry, R"({"key": "agent_order", "value": "sorted"})");
  ASSERT_TRUE(allocator.has_value()) << allocator.error().message();
  const module::LoadedModule* loaded = registry.find("allocator_drf");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->kind, "Allocator");

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
  module::ModuleRegistry registry({kModuleDir});
  auto allocator = loadAllocator(registry, R"({"key": "agent_order", "value": "sideways"})");
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("agent_order"), std::string::npos)
      << allocator.error().message();
}

TEST(AllocatorDrfModule, RefusesAnUnknownParameter) {
  module::ModuleRegistry registry({kModuleDir});
  auto allocator = loadAllocator(registry, R"({"key": "weights", "value": "x"})");
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("weights"), std::string::npos)
      << allocator.error().message();
}

}  // namespace
}  // namespace plexus
