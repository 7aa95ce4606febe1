// The allocator conformance suite: what every Allocator module must do, as
// GoogleTest tests an author instantiates for their own module.
//
// Each test makes a fresh allocator with the config's `make` (through the core's
// module loader in this repository, or loadModule<Allocator>() from outside it),
// initializes it on a FakeRuntime (allocationInterval 1 s) with recorded
// callbacks, and plays the master: agents and frameworks come and go, offers are
// used or declined. It checks the rules allocator.hpp lists, and only those:
// [offer-in-role] and [within-agent] on every offer of every test, and one test
// each for [offers-go-out], [declined-return], [filters], [suppress], [revive],
// [removed-agent], [fair-share] and [timers]. A failure names the rule and the
// values seen (which framework, agent, resources, after how long). Any placement
// is legal: whole agents or parts, several frameworks on one agent, any order.
//
//   #include <plexus/testing/allocator_conformance.hpp>
//   plexus::testing::AllocatorConformanceConfig myConfig() {
//     return {.name = "my_allocator", .make = [] {
//       return plexus::testing::loadAllocatorModule("/path/libmy_allocator.so",
//                                                   "my_allocator", {});
//     }};
//   }
//   PLEXUS_ALLOCATOR_CONFORMANCE(MyAllocator, myConfig());
//
// Link `plexus_allocator_conformance` (Plexus::allocator_conformance) and GoogleTest.
// Everything runs on the test's thread; no test sleeps (the runtime is fake).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/error.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus::testing {

struct AllocatorConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh, uninitialized allocator; called once per test.
  std::function<Result<std::shared_ptr<Allocator>>()> make;
};

inline void PrintTo(const AllocatorConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

// loadModule<Allocator>() (<plexus/testing/load_module.hpp>), kept for existing callers.
[[nodiscard]] Result<std::shared_ptr<Allocator>> loadAllocatorModule(
    const std::filesystem::path& path, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& parameters);

class AllocatorConformance : public ::testing::TestWithParam<AllocatorConformanceConfig> {
 protected:
  struct Offer {
    FrameworkId framework;
    std::string role;
    AgentId agent;
    Resources resources;
  };

  void SetUp() override;
  void TearDown() override;

  void addAgent(const std::string& id, const std::string& resources);
  void addFramework(const std::string& id, const std::string& role = "*");
  // Runs the loop's pending work; returns (and forgets) the offers made meanwhile.
  std::vector<Offer> takeOffers();
  // advance(), then takeOffers().
  std::vector<Offer> advanceAndTakeOffers(Duration duration);
  // Gives the offer back (with a filter when refuseSeconds > 0).
  void decline(const Offer& offer, double refuseSeconds);
  // Launches on all of the offer.
  void use(const Offer& offer);
  // Advances one interval at a time, up to `intervals`, until some offer is made;
  // returns the offers of that interval (empty if none came).
  std::vector<Offer> offersWithin(int intervals);

  // Checks [offer-in-role] and [within-agent] for an offer as it is made.
  void checkOffer(const Offer& offer);
  // "f1 on a1 (cpus(allocated: *):2; mem(allocated: *):1024)", or "nothing".
  static std::string describe(const std::vector<Offer>& offers);

  FakeRuntime runtime_;
  std::shared_ptr<Allocator> allocator_;
  std::vector<Offer> offers_;
  std::set<AgentId> agents_;
  std::map<AgentId, Resources> totals_;                 // of the agents present
  std::map<AgentId, Resources> held_;                   // offered or used, unallocated
  std::map<FrameworkId, std::set<std::string>> roles_;  // each framework's roles
};

// Referenced by PLEXUS_ALLOCATOR_CONFORMANCE so the linker keeps the tests.
bool linkAllocatorConformance();

struct AllocatorConformanceName {
  std::string operator()(const ::testing::TestParamInfo<AllocatorConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite for one or more configs: tests named
// `<prefix>/AllocatorConformance.<Test>/<config name>`. Use at namespace scope
// (GoogleTest needs the suite's unqualified name, so this declares an alias).
#define PLEXUS_ALLOCATOR_CONFORMANCE(prefix, ...)                                        \
  using AllocatorConformance = ::plexus::testing::AllocatorConformance;                  \
  INSTANTIATE_TEST_SUITE_P(prefix, AllocatorConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::AllocatorConformanceName());               \
  [[maybe_unused]] static const bool plexus_allocator_conformance_linked_##prefix =      \
      ::plexus::testing::linkAllocatorConformance()
