// Loads libplexus_isolator_cgroups.so with the SDK's loadModule (the checks the
// agent's loader makes for `--isolation=isolator_cgroups`, as an author outside
// this repository would load it), and runs the SDK's isolator conformance suite on it, under a
// parent cgroup unique to this test run that TearDown removes. Skipped, saying why, without root or
// cgroups.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <plexus/isolator.hpp>
#include <plexus/testing/isolator_conformance.hpp>
#include <plexus/testing/load_module.hpp>

#include "cgroup_test_util.hpp"

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_CGROUPS_MODULE_DIR;

Result<std::shared_ptr<Isolator>> loadCgroups(const testing::ModuleParameters& parameters) {
  return testing::loadModule<Isolator>(kModuleDir / "libplexus_isolator_cgroups.so",
                                       "isolator_cgroups", parameters);
}

testing::IsolatorConformanceConfig cgroupsConfig() {
  static const std::string root = cgroups::testing::uniqueRoot("conformance");
  return {.name = "isolator_cgroups",
          .make =
              [] {
                return loadCgroups({{"root", root}, {"cfs_quota", "true"}, {"pids_max", "200"}});
              },
          .enforcesMemory = true,
          .skipReason = [] { return cgroups::testing::realCgroupsSkipReason(); },
          .leftovers = [] { return cgroups::testing::leftoverContainers(root); },
          .tearDown = [] { cgroups::testing::removeRootEverywhere(root); }};
}

PLEXUS_ISOLATOR_CONFORMANCE(CgroupsModule, cgroupsConfig());

TEST(IsolatorCgroupsModule, RefusesBadParameters) {
  const testing::ModuleParameters bad[] = {{{"version", "v3"}},
                                           {{"root", "../escape"}},
                                           {{"root", "/abs"}},
                                           {{"pids_max", "-1"}},
                                           {{"memory", "1"}}};
  for (const auto& parameters : bad) {
    auto made = loadCgroups(parameters);
    EXPECT_FALSE(made.has_value()) << parameters[0].first << "=" << parameters[0].second;
  }
}

}  // namespace
}  // namespace plexus
