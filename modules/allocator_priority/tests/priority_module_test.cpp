// Loads libplexus_allocator_priority.so through the core's module loader, as the
// master does for `--allocator=allocator_priority`: parameters are checked, offers
// go out in priority order.
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

const std::filesystem::path kModuleDir = PLEXUS_PRIORITY_MODULE_DIR;

Result<module::ModuleInstance<Allocator>> load(module::ModuleRegistry& registry,
                                               const std::string& parameters) {
  const std::string json =
      R"({"libraries": [{"file": ")" + (kModuleDir / "libplexus_allocator_priority.so").string() +
      R"(", "modules": [{"name": "allocator_priority", "parameters": [)" + parameters + "]}]}]}";
  auto config = module::parseModulesJson(json, "test");
  if (!config) return fail(config.error());
  PLEXUS_TRY(registry.load(*config));
  return registry.create<Allocator>("allocator_priority", "--allocator");
}

TEST(AllocatorPriorityModule, LoadsAndOffersByPriority) {
  module::ModuleRegistry registry({kModuleDir});
  auto allocator = load(registry, R"({"key": "priorities", "value": "prod=10"},
                                     {"key": "agent_order", "value": "sorted"})");
  ASSERT_TRUE(allocator.has_value()) << allocator.error().message();
  testing::FakeRuntime runtime;
  std::vector<FrameworkId> offered;
  AllocatorCallbacks callbacks;
  callbacks.offer = [&](const FrameworkId& framework, const OfferedResources&) {
    offered.push_back(framework);
  };
  ASSERT_TRUE((*allocator)->initialize(AllocatorOptions{}, callbacks, runtime).has_value());
  for (const char* id : {"a-batch", "b-prod"}) {
    v1::FrameworkInfo info;
    info.set_user("u");
    info.set_name("n");
    info.add_roles(id[2] == 'p' ? "prod" : "batch");
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
    (*allocator)->addFramework(FrameworkId(id), info, {}, true, {});
  }
  v1::AgentInfo agent;
  agent.set_hostname("h");
  (*allocator)
      ->addAgent(AgentId("a1"), agent, std::nullopt, *Resources::parse("cpus:1;mem:128"), {});
  runtime.runPosted();
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0], FrameworkId("b-prod"));
  allocator->reset();
  EXPECT_EQ(runtime.pendingTimers(), 0u);
}

TEST(AllocatorPriorityModule, RefusesBadParameters) {
  module::ModuleRegistry registry({kModuleDir});
  auto allocator = load(registry, R"({"key": "priorities", "value": "prod=high"})");
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("priorities"), std::string::npos)
      << allocator.error().message();
}

}  // namespace
}  // namespace plexus
