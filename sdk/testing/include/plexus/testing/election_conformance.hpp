// The election conformance suite: what a MasterContender and its MasterDetector
// must do together, as GoogleTest tests an author instantiates for their modules.
//
// The modules run on a FakeRuntime that the test pumps from its own thread
// (posted callbacks run, the fake clock follows the real one), so a module that
// talks to a real service (ZooKeeper) from its own threads and posts back works
// as in a daemon. Each test makes fresh instances with the config's factories and
// checks that
//   - a contender that contends reports its candidacy, on the loop;
//   - a detector reports the contending master as leader (its MasterInfo.id);
//   - when the leader's contender is destroyed, detect(previous = that leader)
//     reports the change (no leader, or the next contender);
//   - with two contenders, the first one leads, and the second leads once the
//     first is gone;
//   - destroying a detector with a detect() pending, and a contender, leaves no
//     callback to run into destroyed objects.
//
//   #include <plexus/testing/election_conformance.hpp>
//   plexus::testing::ElectionConformanceConfig myConfig() {
//     return {.name = "my_election",
//             .makeContender = [] { return plexus::testing::loadModule<plexus::MasterContender>(
//                                       "/path/libmy.so", "my_contender", {{"url", "..."}}); },
//             .makeDetector = [] { return plexus::testing::loadModule<plexus::MasterDetector>(
//                                      "/path/libmy.so", "my_detector", {{"url", "..."}}); }};
//   }
//   PLEXUS_ELECTION_CONFORMANCE(MyElection, myConfig());
//
// Link `plexus_election_conformance` (Plexus::election_conformance) and GoogleTest.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/error.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus::testing {

struct ElectionConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Make fresh, uninitialized instances; called several times per test.
  std::function<Result<std::shared_ptr<MasterContender>>()> makeContender;
  std::function<Result<std::shared_ptr<MasterDetector>>()> makeDetector;
  // Why the modules cannot run here (e.g. no ZooKeeper); asked after setUp, and
  // the test is skipped when it answers.
  std::function<std::optional<std::string>()> skipReason = {};
  // Run before and after each test (e.g. to start and stop a server); tearDown
  // runs even when the test fails or is skipped.
  std::function<void()> setUp = {};
  std::function<void()> tearDown = {};
  // How long (real time) an expected callback may take.
  std::chrono::milliseconds timeout{20000};
};

inline void PrintTo(const ElectionConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class ElectionConformance : public ::testing::TestWithParam<ElectionConformanceConfig> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A contender for a master with this id, initialized and contending.
  struct Candidate {
    v1::MasterInfo info;
    std::shared_ptr<MasterContender> contender;
    std::shared_ptr<bool> candidacy = std::make_shared<bool>(false);
    std::shared_ptr<bool> lost = std::make_shared<bool>(false);
  };
  Candidate contend(const std::string& id);
  std::shared_ptr<MasterDetector> detector();
  // detect(previous) and pump until the callback; nullopt if it never came.
  std::optional<Result<std::optional<v1::MasterInfo>>> detect(
      MasterDetector& detector, const std::optional<v1::MasterInfo>& previous);
  // detect() again and again (at most three times: a detector may first report no
  // leader while it catches up) until the leader it reports satisfies `wanted`;
  // returns the last leader reported. Fails the test if detect() never answers or
  // answers an Error.
  std::optional<v1::MasterInfo> detectUntil(
      MasterDetector& detector, std::optional<v1::MasterInfo> known,
      const std::function<bool(const std::optional<v1::MasterInfo>&)>& wanted);
  // Pumps the runtime until `done` or the config's timeout; returns done().
  bool pumpUntil(const std::function<bool()>& done);

  FakeRuntime runtime_;
  bool setUpRan_ = false;
};

// Referenced by PLEXUS_ELECTION_CONFORMANCE so the linker keeps the tests.
bool linkElectionConformance();

struct ElectionConformanceName {
  std::string operator()(const ::testing::TestParamInfo<ElectionConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite: tests named `<prefix>/ElectionConformance.<Test>/<name>`.
#define PLEXUS_ELECTION_CONFORMANCE(prefix, ...)                                        \
  using ElectionConformance = ::plexus::testing::ElectionConformance;                   \
  INSTANTIATE_TEST_SUITE_P(prefix, ElectionConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::ElectionConformanceName());               \
  [[maybe_unused]] static const bool plexus_election_conformance_linked_##prefix =      \
      ::plexus::testing::linkElectionConformance()
