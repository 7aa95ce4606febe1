// Loads libplexus_isolator_posix.so through the core's module loader, as the agent
// does for `--isolation=isolator_posix`, and runs the SDK's isolator conformance
// suite on it: once as shipped, once with memory enforcement on.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <plexus/isolator.hpp>
#include <plexus/testing/isolator_conformance.hpp>

#include "module/module_registry.hpp"
#include "module/modules_config.hpp"

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_POSIX_MODULE_DIR;

// Each config gets its own registry: a module name is loaded once per registry.
Result<std::shared_ptr<Isolator>> loadPosix(const std::string& parameters) {
  auto registry =
      std::make_shared<module::ModuleRegistry>(std::vector<std::filesystem::path>{kModuleDir});
  const std::string json =
      R"({"libraries": [{"file": ")" + (kModuleDir / "libplexus_isolator_posix.so").string() +
      R"(", "modules": [{"name": "isolator_posix", "parameters": [)" + parameters + "]}]}]}";
  auto config = module::parseModulesJson(json, "test");
  if (!config) return fail(config.error());
  PLEXUS_TRY(registry->load(*config));
  auto made = registry->create<Isolator>("isolator_posix", "--isolation");
  if (!made) return fail(made.error());
  // The registry lives as long as the instance (libraries are never unloaded anyway).
  auto instance = std::shared_ptr<Isolator>(std::move(*made));
  return std::shared_ptr<Isolator>(instance.get(), [instance, registry](Isolator*) mutable {
    instance.reset();
    registry.reset();
  });
}

testing::IsolatorConformanceConfig asShipped() {
  return {.name = "isolator_posix", .make = [] { return loadPosix(""); }};
}

testing::IsolatorConformanceConfig enforcingMemory() {
  return {.name = "isolator_posix_enforce_memory",
          .make =
              [] {
                return loadPosix(R"({"key": "enforce_memory", "value": "true"},
                                    {"key": "memory_poll_interval", "value": "50ms"})");
              },
          .enforcesMemory = true};
}

PLEXUS_ISOLATOR_CONFORMANCE(PosixModule, asShipped(), enforcingMemory());

TEST(IsolatorPosixModule, RefusesBadParameters) {
  auto bad = loadPosix(R"({"key": "rlimits", "value": "NOFILE=10:5"})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("soft limit exceeds the hard limit"), std::string::npos)
      << bad.error().message();
  auto interval = loadPosix(R"({"key": "memory_poll_interval", "value": "0secs"})");
  EXPECT_FALSE(interval.has_value());
  auto unknown = loadPosix(R"({"key": "cfs_quota", "value": "true"})");
  EXPECT_FALSE(unknown.has_value());
}

}  // namespace
}  // namespace plexus
