// The hook conformance suite: what every Hook module must do, as GoogleTest
// tests an author instantiates for their own module.
//
// Each test makes a fresh hook with the config's `make` and calls it the way the
// master and the agent do, with a realistic task, executor, framework and agent
// and with empty (default) messages. It checks that
//   - every hook point answers (value, std::nullopt or an Error) and no exception
//     escapes, for realistic and for empty inputs;
//   - decorated labels have keys; decorated environment variables have a name
//     without '=' and are plain values (never secrets);
//   - decorated agent attributes are named; an Error carries a message;
//   - many instances can be made and destroyed in turn.
//
//   #include <plexus/testing/hook_conformance.hpp>
//   plexus::testing::HookConformanceConfig myConfig() {
//     return {.name = "my_hook", .make = [] {
//       return plexus::testing::loadModule<plexus::Hook>("/path/libmy_hook.so", "my_hook", {});
//     }};
//   }
//   PLEXUS_HOOK_CONFORMANCE(MyHook, myConfig());
//
// Link `plexus_hook_conformance` (Plexus::hook_conformance) and GoogleTest, or
// use plexus_add_conformance_test(... KIND hook ...). Runs on the test's thread.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/error.hpp>
#include <plexus/hook.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus::testing {

struct HookConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh hook; called at least once per test.
  std::function<Result<std::shared_ptr<Hook>>()> make;
};

inline void PrintTo(const HookConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class HookConformance : public ::testing::TestWithParam<HookConformanceConfig> {
 protected:
  void SetUp() override;

  std::shared_ptr<Hook> hook_;
};

// Referenced by PLEXUS_HOOK_CONFORMANCE so the linker keeps the tests.
bool linkHookConformance();

struct HookConformanceName {
  std::string operator()(const ::testing::TestParamInfo<HookConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite: tests named `<prefix>/HookConformance.<Test>/<config name>`.
#define PLEXUS_HOOK_CONFORMANCE(prefix, ...)                                        \
  using HookConformance = ::plexus::testing::HookConformance;                       \
  INSTANTIATE_TEST_SUITE_P(prefix, HookConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::HookConformanceName());               \
  [[maybe_unused]] static const bool plexus_hook_conformance_linked_##prefix =      \
      ::plexus::testing::linkHookConformance()
