// Loads libplexus_isolator_posix.so with the SDK's loadModule (the checks the
// agent's loader makes for `--isolation=isolator_posix`, as an author outside this
// repository would load it), and runs the SDK's isolator conformance suite on it:
// once as shipped, once with memory enforcement on.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <plexus/isolator.hpp>
#include <plexus/testing/isolator_conformance.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_POSIX_MODULE_DIR;

Result<std::shared_ptr<Isolator>> loadPosix(const testing::ModuleParameters& parameters) {
  return testing::loadModule<Isolator>(kModuleDir / "libplexus_isolator_posix.so", "isolator_posix",
                                       parameters);
}

testing::IsolatorConformanceConfig asShipped() {
  return {.name = "isolator_posix", .make = [] { return loadPosix({}); }};
}

testing::IsolatorConformanceConfig enforcingMemory() {
  return {.name = "isolator_posix_enforce_memory",
          .make =
              [] {
                return loadPosix({{"enforce_memory", "true"}, {"memory_poll_interval", "50ms"}});
              },
          .enforcesMemory = true};
}

PLEXUS_ISOLATOR_CONFORMANCE(PosixModule, asShipped(), enforcingMemory());

TEST(IsolatorPosixModule, RefusesBadParameters) {
  auto bad = loadPosix({{"rlimits", "NOFILE=10:5"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("soft limit exceeds the hard limit"), std::string::npos)
      << bad.error().message();
  auto interval = loadPosix({{"memory_poll_interval", "0secs"}});
  EXPECT_FALSE(interval.has_value());
  auto unknown = loadPosix({{"cfs_quota", "true"}});
  EXPECT_FALSE(unknown.has_value());
}

}  // namespace
}  // namespace plexus
