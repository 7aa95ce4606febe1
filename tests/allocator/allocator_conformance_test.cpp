// Instantiates the allocator conformance suite for allocator_drf and
// allocator_priority, loaded through the core's module loader, and for the example
// allocators (spread_allocator, whole and half shares; binpack_allocator) through
// the SDK's loader, so the suite keeps accepting every placement the contract allows.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <plexus/testing/allocator_conformance.hpp>

#include "module/module_registry.hpp"
#include "module/modules_config.hpp"

namespace {

const std::filesystem::path kModuleDir = PLEXUS_ALLOCATOR_MODULE_DIR;

// The registry must outlive its instances (it owns the libraries' handles).
plexus::Result<std::shared_ptr<plexus::Allocator>> loadThroughCore(const std::string& name) {
  static auto* registry = new plexus::module::ModuleRegistry({kModuleDir});
  if (registry->find(name) == nullptr) {
    const std::string json = R"({"libraries": [{"file": ")" +
                             (kModuleDir / ("libplexus_" + name + ".so")).string() +
                             R"(", "modules": [{"name": ")" + name + R"("}]}]})";
    auto config = plexus::module::parseModulesJson(json, "conformance");
    if (!config) return plexus::fail(config.error());
    PLEXUS_TRY(registry->load(*config));
  }
  auto instance = registry->create<plexus::Allocator>(name, "--allocator");
  if (!instance) return plexus::fail(instance.error());
  return std::shared_ptr<plexus::Allocator>(std::move(*instance));
}

plexus::testing::AllocatorConformanceConfig drf() {
  return {.name = "allocator_drf", .make = [] { return loadThroughCore("allocator_drf"); }};
}

plexus::testing::AllocatorConformanceConfig priority() {
  return {.name = "allocator_priority",
          .make = [] { return loadThroughCore("allocator_priority"); }};
}

plexus::testing::AllocatorConformanceConfig drfThroughSdk() {
  return {.name = "allocator_drf_sdk_loader", .make = [] {
            return plexus::testing::loadAllocatorModule(kModuleDir / "libplexus_allocator_drf.so",
                                                        "allocator_drf",
                                                        {{"agent_order", "sorted"}});
          }};
}

plexus::testing::AllocatorConformanceConfig example(
    std::string config, std::string name,
    std::vector<std::pair<std::string, std::string>> parameters = {}) {
  return {.name = std::move(config), .make = [name, parameters] {
            return plexus::testing::loadModule<plexus::Allocator>(
                std::filesystem::path(PLEXUS_EXAMPLE_ALLOCATOR_DIR) /
                    ("libplexus_example_" + name + ".so"),
                name, parameters);
          }};
}

}  // namespace

PLEXUS_ALLOCATOR_CONFORMANCE(Shipped, drf(), priority(), drfThroughSdk());
PLEXUS_ALLOCATOR_CONFORMANCE(Examples, example("spread_allocator", "spread_allocator"),
                             example("spread_allocator_half", "spread_allocator",
                                     {{"share", "0.5"}}),
                             example("binpack_allocator", "binpack_allocator"));
