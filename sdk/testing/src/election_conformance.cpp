#include "plexus/testing/election_conformance.hpp"

#include <thread>

namespace plexus::testing {

using namespace std::chrono_literals;

bool linkElectionConformance() {
  return true;
}

void ElectionConformance::SetUp() {
  if (GetParam().setUp) GetParam().setUp();
  setUpRan_ = true;
  if (GetParam().skipReason) {
    if (auto reason = GetParam().skipReason()) GTEST_SKIP() << *reason;
  }
}

void ElectionConformance::TearDown() {
  // Instances are destroyed by the tests; run what they left posted.
  runtime_.runPosted();
  if (setUpRan_ && GetParam().tearDown) GetParam().tearDown();
}

bool ElectionConformance::pumpUntil(const std::function<bool()>& done) {
  return runtime_.runUntil(done, GetParam().timeout);
}

ElectionConformance::Candidate ElectionConformance::contend(const std::string& id) {
  Candidate candidate;
  candidate.info.set_id(id);
  candidate.info.set_ip(0x0100007f);
  candidate.info.set_port(5050);
  candidate.info.set_hostname("master-" + id);
  auto made = GetParam().makeContender();
  if (!made) {
    ADD_FAILURE() << "makeContender: " << made.error().message();
    return candidate;
  }
  candidate.contender = std::move(*made);
  auto initialized = candidate.contender->initialize(candidate.info, runtime_);
  if (!initialized) {
    ADD_FAILURE() << "initialize: " << initialized.error().message();
    candidate.contender.reset();
    return candidate;
  }
  const auto loop = std::this_thread::get_id();
  candidate.contender->contend(
      {.onCandidacy =
           [flag = candidate.candidacy, loop] {
             EXPECT_EQ(std::this_thread::get_id(), loop) << "onCandidacy off the loop";
             *flag = true;
           },
       .onCandidacyLost = [flag = candidate.lost](const Error&) { *flag = true; }});
  return candidate;
}

std::shared_ptr<MasterDetector> ElectionConformance::detector() {
  auto made = GetParam().makeDetector();
  if (!made) {
    ADD_FAILURE() << "makeDetector: " << made.error().message();
    return nullptr;
  }
  auto initialized = (*made)->initialize(runtime_);
  if (!initialized) {
    ADD_FAILURE() << "initialize: " << initialized.error().message();
    return nullptr;
  }
  return std::move(*made);
}

std::optional<Result<std::optional<v1::MasterInfo>>> ElectionConformance::detect(
    MasterDetector& detector, const std::optional<v1::MasterInfo>& previous) {
  auto answer = std::make_shared<std::optional<Result<std::optional<v1::MasterInfo>>>>();
  const auto loop = std::this_thread::get_id();
  detector.detect(previous, [answer, loop](Result<std::optional<v1::MasterInfo>> leader) {
    EXPECT_EQ(std::this_thread::get_id(), loop) << "the detect callback ran off the loop";
    EXPECT_FALSE(answer->has_value()) << "the detect callback ran twice";
    *answer = std::move(leader);
  });
  pumpUntil([&] { return answer->has_value(); });
  return *answer;
}

std::optional<v1::MasterInfo> ElectionConformance::detectUntil(
    MasterDetector& detector, std::optional<v1::MasterInfo> known,
    const std::function<bool(const std::optional<v1::MasterInfo>&)>& wanted) {
  for (int i = 0; i < 3 && !wanted(known); ++i) {
    auto answer = detect(detector, known);
    if (!answer) {
      ADD_FAILURE() << "detect() never called back";
      break;
    }
    if (!*answer) {
      ADD_FAILURE() << "detect() answered an error: " << answer->error().message();
      break;
    }
    known = **answer;
  }
  return known;
}

namespace {
auto leaderIs(const std::string& id) {
  return [id](const std::optional<v1::MasterInfo>& leader) { return leader && leader->id() == id; };
}
}  // namespace

TEST_P(ElectionConformance, ContenderReportsCandidacy) {
  Candidate one = contend("m1");
  ASSERT_NE(one.contender, nullptr);
  EXPECT_TRUE(pumpUntil([&] { return *one.candidacy; })) << "no onCandidacy";
  EXPECT_FALSE(*one.lost);
}

TEST_P(ElectionConformance, DetectorFindsTheLeader) {
  Candidate one = contend("m1");
  ASSERT_NE(one.contender, nullptr);
  ASSERT_TRUE(pumpUntil([&] { return *one.candidacy; }));
  auto watcher = detector();
  ASSERT_NE(watcher, nullptr);
  auto leader = detectUntil(*watcher, std::nullopt, leaderIs("m1"));
  ASSERT_TRUE(leader.has_value()) << "no leader reported";
  EXPECT_EQ(leader->id(), "m1");
  EXPECT_EQ(leader->hostname(), "master-m1");
}

TEST_P(ElectionConformance, LeaderGoneIsDetected) {
  Candidate one = contend("m1");
  ASSERT_NE(one.contender, nullptr);
  ASSERT_TRUE(pumpUntil([&] { return *one.candidacy; }));
  auto watcher = detector();
  ASSERT_NE(watcher, nullptr);
  auto leader = detectUntil(*watcher, std::nullopt, leaderIs("m1"));
  ASSERT_TRUE(leaderIs("m1")(leader));
  one.contender.reset();
  auto answer = detect(*watcher, leader);
  ASSERT_TRUE(answer.has_value()) << "the leader's contender is gone and detect() never said so";
  ASSERT_TRUE(answer->has_value()) << answer->error().message();
  EXPECT_FALSE(leaderIs("m1")(**answer)) << "still reports m1";
}

TEST_P(ElectionConformance, NextContenderLeadsWhenTheFirstIsGone) {
  Candidate one = contend("m1");
  ASSERT_NE(one.contender, nullptr);
  ASSERT_TRUE(pumpUntil([&] { return *one.candidacy; }));
  Candidate two = contend("m2");
  ASSERT_NE(two.contender, nullptr);
  ASSERT_TRUE(pumpUntil([&] { return *two.candidacy; }));
  auto watcher = detector();
  ASSERT_NE(watcher, nullptr);
  auto leader = detectUntil(*watcher, std::nullopt, [](const auto& l) { return l.has_value(); });
  ASSERT_TRUE(leader.has_value()) << "no leader reported";
  EXPECT_EQ(leader->id(), "m1") << "the first contender should lead";
  one.contender.reset();
  leader = detectUntil(*watcher, leader, leaderIs("m2"));
  ASSERT_TRUE(leader.has_value()) << "no leader after the first contender left";
  EXPECT_EQ(leader->id(), "m2");
}

TEST_P(ElectionConformance, DestroyedInstancesCallNothingBack) {
  Candidate one = contend("m1");
  ASSERT_NE(one.contender, nullptr);
  ASSERT_TRUE(pumpUntil([&] { return *one.candidacy; }));
  auto watcher = detector();
  ASSERT_NE(watcher, nullptr);
  v1::MasterInfo other;
  other.set_id("not-the-leader");
  // The leader differs from `previous`, so an answer is due; destroy before it runs.
  watcher->detect(other, [](Result<std::optional<v1::MasterInfo>>) {});
  watcher.reset();
  one.contender.reset();
  // Whatever the instances posted or scheduled must not touch them now (a crash,
  // or an AddressSanitizer report, here is the failure).
  for (int i = 0; i < 20; ++i) {
    runtime_.runPosted();
    runtime_.advance(std::chrono::seconds(1));
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(runtime_.pendingTimers(), 0u) << "timers left by destroyed instances";
}

}  // namespace plexus::testing
