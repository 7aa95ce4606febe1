// Loads libplexus_isolator_cgroups.so through the core's module loader, as the
// agent does for `--isolation=isolator_cgroups`, and runs the SDK's isolator
// conformance suite on it, under a parent cgroup unique to this test run that
// TearDown removes. Skipped, saying why, without root or cgroups.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <plexus/isolator.hpp>
#include <plexus/testing/isolator_conformance.hpp>

#include "cgroup_test_util.hpp"
#include "module/module_registry.hpp"
#include "module/modules_config.hpp"

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_CGROUPS_MODULE_DIR;

Result<std::shared_ptr<Isolator>> loadCgroups(const std::string& parameters) {
  auto registry =
      std::make_shared<module::ModuleRegistry>(std::vector<std::filesystem::path>{kModuleDir});
  const std::string json =
      R"({"libraries": [{"file": ")" + (kModuleDir / "libplexus_isolator_cgroups.so").string() +
      R"(", "modules": [{"name": "isolator_cgroups", "parameters": [)" + parameters + "]}]}]}";
  auto config = module::parseModulesJson(json, "test");
  if (!config) return fail(config.error());
  PLEXUS_TRY(registry->load(*config));
  auto made = registry->create<Isolator>("isolator_cgroups", "--isolation");
  if (!made) return fail(made.error());
  auto instance = std::shared_ptr<Isolator>(std::move(*made));
  return std::shared_ptr<Isolator>(instance.get(), [instance, registry](Isolator*) mutable {
    instance.reset();
    registry.reset();
  });
}

testing::IsolatorConformanceConfig cgroupsConfig() {
  static const std::string root = cgroups::testing::uniqueRoot("conformance");
  return {.name = "isolator_cgroups",
          .make =
              [] {
                return loadCgroups(R"({"key": "root", "value": ")" + root +
                                   R"("}, {"key": "cfs_quota", "value": "true"},
                                      {"key": "pids_max", "value": "200"})");
              },
          .enforcesMemory = true,
          .skipReason = [] { return cgroups::testing::realCgroupsSkipReason(); },
          .leftovers = [] { return cgroups::testing::leftoverContainers(root); },
          .tearDown = [] { cgroups::testing::removeRootEverywhere(root); }};
}

PLEXUS_ISOLATOR_CONFORMANCE(CgroupsModule, cgroupsConfig());

TEST(IsolatorCgroupsModule, RefusesBadParameters) {
  for (const char* parameters :
       {R"({"key": "version", "value": "v3"})", R"({"key": "root", "value": "../escape"})",
        R"({"key": "root", "value": "/abs"})", R"({"key": "pids_max", "value": "-1"})",
        R"({"key": "memory", "value": "1"})"}) {
    auto made = loadCgroups(parameters);
    EXPECT_FALSE(made.has_value()) << parameters;
  }
}

}  // namespace
}  // namespace plexus
