// The isolator conformance suite: what every Isolator module must do, as
// GoogleTest tests an author instantiates for their own module.
//
// Each test makes a fresh isolator with the config's `make` (typically through the
// agent's module loader) and runs real child processes through it, as the agent's
// containerizer does: prepare, fork a child that starts its own session and waits,
// isolate(pid), watch, release the child; then usage(), status(), kill the
// container's first process and cleanup(). It checks that
//   - every call succeeds, usage() measures the work (cpu time or memory) and
//     cleanup() leaves no process of the container alive, even ones that
//     outlived the first process;
//   - cleanup() of an unknown container and after a prepare() alone succeed;
//   - for a module that enforces memory (`enforcesMemory`), a container that
//     allocates far beyond its mem gets a REASON_CONTAINER_LIMITATION_MEMORY
//     limitation through watch() whose message names its limit, and a container
//     beside it is neither limited nor killed;
//   - after every test, `leftovers()` (e.g. cgroups the module made) is empty.
//
//   #include <plexus/testing/isolator_conformance.hpp>
//   plexus::testing::IsolatorConformanceConfig myConfig() {
//     return {.name = "my_isolator",
//             .make = [] { return makeMyIsolatorSomehow(); },
//             .enforcesMemory = true};
//   }
//   PLEXUS_ISOLATOR_CONFORMANCE(MyIsolator, myConfig());
//
// Link `plexus_isolator_conformance` (Plexus::isolator_conformance) and GoogleTest.
// The tests fork, so they must run in a test binary, and, for modules that need
// privileges (cgroups), as a user that has them; `skipReason` skips them otherwise.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/error.hpp>
#include <plexus/isolator.hpp>

namespace plexus::testing {

struct IsolatorConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh isolator; called once per test, destroyed at its end.
  std::function<Result<std::shared_ptr<Isolator>>()> make;
  // Whether the module reports memory limitations (runs MemoryLimitation).
  bool enforcesMemory = false;
  // Why the module cannot run on this machine (printed, and the test skipped).
  std::function<std::optional<std::string>()> skipReason = {};
  // What the module left behind after all its containers were cleaned up (paths,
  // names); empty when nothing. Called at the end of each test.
  std::function<std::vector<std::string>()> leftovers = {};
  // Run before and after each test (e.g. to make and remove a unique parent cgroup).
  // tearDown runs even when the test fails.
  std::function<void()> setUp = {};
  std::function<void()> tearDown = {};
  // How long a limitation may take to arrive.
  std::chrono::milliseconds limitationTimeout{20000};
};

inline void PrintTo(const IsolatorConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class IsolatorConformance : public ::testing::TestWithParam<IsolatorConformanceConfig> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::shared_ptr<Isolator> isolator_;
  std::string sandbox_;
  bool setUpRan_ = false;
};

// Referenced by PLEXUS_ISOLATOR_CONFORMANCE so the linker keeps the tests.
bool linkIsolatorConformance();

struct IsolatorConformanceName {
  std::string operator()(const ::testing::TestParamInfo<IsolatorConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite for one or more configs: tests named
// `<prefix>/IsolatorConformance.<Test>/<config name>`. Use at namespace scope
// (GoogleTest needs the suite's unqualified name, so this declares an alias).
#define PLEXUS_ISOLATOR_CONFORMANCE(prefix, ...)                                        \
  using IsolatorConformance = ::plexus::testing::IsolatorConformance;                   \
  INSTANTIATE_TEST_SUITE_P(prefix, IsolatorConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::IsolatorConformanceName());               \
  [[maybe_unused]] static const bool plexus_isolator_conformance_linked_##prefix =      \
      ::plexus::testing::linkIsolatorConformance()
