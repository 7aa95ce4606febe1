// The registry store conformance suite: what every RegistryStore must do, as
// GoogleTest tests an author instantiates for their module.
//
// The store runs on a FakeRuntime that the test pumps from its own thread (posted
// callbacks run, the fake clock follows the real one), so a store that talks to a
// real service from its own threads and posts back works as in the master. Each
// test makes fresh instances with the config's factory and checks that
//   - a store that holds nothing reads nothing, at version kNothingStored;
//   - bytes written (any bytes, NULs included) read back as they were, with the
//     version the write answered;
//   - a write over a version that moved fails, and leaves what is stored alone;
//   - answers come on the loop, never inside the call that asked for them;
//   - nothing is answered after the store is destroyed.
// With `shared` (two instances made by the factory see one registry, as masters
// sharing ZooKeeper do) it also checks that
//   - a write by one instance makes the other's write over the old version fail;
//   - watch() reports another instance's write, and not the store's own writes.
//
//   #include <plexus/testing/registry_store_conformance.hpp>
//   plexus::testing::RegistryStoreConformanceConfig myConfig() {
//     return {.name = "my_store",
//             .make = [] { return plexus::testing::loadModule<plexus::RegistryStore>(
//                              "/path/libmy.so", "my_store", {{"url", "..."}}); },
//             .shared = true};
//   }
//   PLEXUS_REGISTRY_STORE_CONFORMANCE(MyStore, myConfig());
//
// Link `plexus_registry_store_conformance` (Plexus::registry_store_conformance) and
// GoogleTest.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/error.hpp>
#include <plexus/registry_store.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus::testing {

struct RegistryStoreConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh, uninitialized store; within one test every instance must see
  // the same registry when `shared`, and one made after another is destroyed must
  // see what it stored.
  std::function<Result<std::shared_ptr<RegistryStore>>()> make;
  // Whether two instances may live at once and share one registry.
  bool shared = false;
  // Why the store cannot run here; asked after setUp, and the test is skipped
  // when it answers.
  std::function<std::optional<std::string>()> skipReason = {};
  // Run before and after each test (e.g. to start a server, or to give each test
  // an empty registry); tearDown runs even when the test fails or is skipped.
  std::function<void()> setUp = {};
  std::function<void()> tearDown = {};
  // How long (real time) an expected answer may take.
  std::chrono::milliseconds timeout{20000};
};

inline void PrintTo(const RegistryStoreConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class RegistryStoreConformance : public ::testing::TestWithParam<RegistryStoreConformanceConfig> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A store from the factory, initialized on runtime_ (null after a failure).
  std::shared_ptr<RegistryStore> make();
  // read() and pump until it answers; nullopt if it never did.
  std::optional<Result<StoredRegistry>> read(RegistryStore& store);
  // write() and pump until it answers; nullopt if it never did.
  std::optional<Result<std::int64_t>> write(RegistryStore& store, const std::string& data,
                                            std::int64_t expected);
  // Pumps the runtime until `done` or the config's timeout; returns done().
  bool pumpUntil(const std::function<bool()>& done);

  FakeRuntime runtime_;
  bool setUpRan_ = false;
};

// Referenced by PLEXUS_REGISTRY_STORE_CONFORMANCE so the linker keeps the tests.
bool linkRegistryStoreConformance();

struct RegistryStoreConformanceName {
  std::string operator()(
      const ::testing::TestParamInfo<RegistryStoreConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite: tests named `<prefix>/RegistryStoreConformance.<Test>/<name>`.
#define PLEXUS_REGISTRY_STORE_CONFORMANCE(prefix, ...)                                       \
  using RegistryStoreConformance = ::plexus::testing::RegistryStoreConformance;              \
  INSTANTIATE_TEST_SUITE_P(prefix, RegistryStoreConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::RegistryStoreConformanceName());               \
  [[maybe_unused]] static const bool plexus_registry_store_conformance_linked_##prefix =     \
      ::plexus::testing::linkRegistryStoreConformance()
