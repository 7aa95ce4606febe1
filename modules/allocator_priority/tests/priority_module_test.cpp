// Loads libplexus_allocator_priority.so with the SDK's loadModule (the checks the
// master's loader makes, as an author outside this repository would load it):
// parameters are checked, offers go out in priority order.
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

const std::filesystem::path kModuleDir = PLEXUS_PRIORITY_MODULE_DIR;

Result<std::shared_ptr<Allocator>> load(const testing::ModuleParameters& parameters) {
  return testing::loadModule<Allocator>(kModuleDir / "libplexus_allocator_priority.so",
                                        "allocator_priority", parameters);
}

TEST(AllocatorPriorityModule, LoadsAndOffersByPriority) {
  auto allocator = load({{"priorities", "prod=10"}, {"agent_order", "sorted"}});
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
  auto allocator = load({{"priorities", "prod=high"}});
  ASSERT_FALSE(allocator.has_value());
  EXPECT_NE(allocator.error().message().find("priorities"), std::string::npos)
      << allocator.error().message();
}

}  // namespace
}  // namespace plexus
