// GarbageCollector (core/agent/gc.hpp) on a fake clock with real directories:
// removal after the delay, unscheduling, Mesos's disk-headroom formula, pruning,
// and the schedule a restarted agent re-derives from the work dir.
#include "agent/gc.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <plexus/testing/fake_runtime.hpp>

#include "process.hpp"

namespace plexus::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr Duration kDelay = std::chrono::hours(24 * 7);

class GarbageCollectorTest : public ::testing::Test {
 protected:
  GarbageCollectorTest()
      : runtime_(testing::FakeRuntime::TimePoint(std::chrono::hours(1)),
                 std::chrono::system_clock::now()),
        gc_(runtime_, GarbageCollector::Options{dir_.path().string(), kDelay, 0.1, 1min}) {}

  fs::path makeDir(const fs::path& relative) {
    fs::path path = dir_.path() / relative;
    fs::create_directories(path);
    std::ofstream(path / "stdout") << "output\n";
    return path;
  }
  bool removed(std::uint64_t count) {
    return runtime_.runUntil([&] { return gc_.removalsSucceeded() >= count; }, 10s);
  }

  testing::TempDir dir_;
  testing::FakeRuntime runtime_;
  GarbageCollector gc_;
};

TEST(GarbageCollectorAge, IsMesosFormula) {
  // gc_delay * max(0.0, 1.0 - gc_disk_headroom - disk usage)
  EXPECT_EQ(GarbageCollector::maxAllowedAge(100s, 0.1, 0.0), 90s);
  EXPECT_EQ(GarbageCollector::maxAllowedAge(100s, 0.1, 0.5), 40s);
  EXPECT_EQ(GarbageCollector::maxAllowedAge(100s, 0.1, 0.9), 0s);
  EXPECT_EQ(GarbageCollector::maxAllowedAge(100s, 0.1, 0.97), 0s);
  EXPECT_EQ(GarbageCollector::maxAllowedAge(100s, 0.0, 0.25), 75s);
}

TEST_F(GarbageCollectorTest, RemovesAPathOnceTheDelayHasPassed) {
  fs::path sandbox = makeDir("slaves/a/frameworks/f/executors/e/runs/c");
  gc_.schedule(sandbox.string(), runtime_.wallNow());
  runtime_.advance(kDelay - 1s);
  EXPECT_TRUE(fs::exists(sandbox));
  EXPECT_EQ(gc_.pending(), 1u);
  runtime_.advance(1s);
  ASSERT_TRUE(removed(1));
  EXPECT_FALSE(fs::exists(sandbox));
  EXPECT_EQ(gc_.pending(), 0u);
}

TEST_F(GarbageCollectorTest, APathLastModifiedLongAgoGoesAtOnceAndUnscheduledOnesStay) {
  fs::path old = makeDir("old");
  fs::path kept = makeDir("kept");
  gc_.schedule(old.string(), runtime_.wallNow() - 2 * kDelay);
  gc_.schedule(kept.string(), runtime_.wallNow() - 2 * kDelay);
  gc_.unschedule(kept.string());
  runtime_.advance(0s);
  ASSERT_TRUE(removed(1));
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(kept));
}

TEST_F(GarbageCollectorTest, PruneRemovesWhatIsDueWithinTheWindow) {
  fs::path soon = makeDir("soon");
  fs::path later = makeDir("later");
  gc_.schedule(soon.string(), runtime_.wallNow() - (kDelay - 1h));  // due in 1h
  gc_.schedule(later.string(), runtime_.wallNow());                 // due in a week
  gc_.prune(2h);
  ASSERT_TRUE(removed(1));
  EXPECT_FALSE(fs::exists(soon));
  EXPECT_TRUE(fs::exists(later));
  EXPECT_TRUE(gc_.scheduled(later.string()));
}

TEST_F(GarbageCollectorTest, RecoverSchedulesEverythingButTheLiveSandboxes) {
  fs::path live = makeDir("slaves/A/frameworks/F/executors/E/runs/live");
  fs::path ended = makeDir("slaves/A/frameworks/F/executors/E/runs/ended");
  fs::path otherExecutor = makeDir("slaves/A/frameworks/F/executors/E2/runs/r");
  fs::path otherFramework = makeDir("slaves/A/frameworks/G/executors/E/runs/r");
  fs::path oldAgent = makeDir("slaves/OLD/frameworks/F/executors/E/runs/r");
  fs::path root = dir_.path() / "slaves";
  gc_.recover({live.string()}, (root / "A").string());
  ASSERT_TRUE(runtime_.runUntil([&] { return gc_.pending() > 0; }, 10s));

  for (const fs::path& path :
       {ended, otherExecutor, otherExecutor.parent_path().parent_path(), otherFramework,
        root / "A/frameworks/G", oldAgent, root / "OLD/frameworks/F", root / "OLD"}) {
    EXPECT_TRUE(gc_.scheduled(path.string())) << path;
  }
  for (const fs::path& path :
       {live, root / "A/frameworks/F/executors/E", root / "A/frameworks/F", root / "A"}) {
    EXPECT_FALSE(gc_.scheduled(path.string())) << path;
  }
  // Scheduled from their mtimes (just now): a week to go; a full disk takes them now.
  runtime_.advance(1h);
  EXPECT_TRUE(fs::exists(ended));
  gc_.prune(kDelay);
  ASSERT_TRUE(removed(10));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_FALSE(fs::exists(ended));
  EXPECT_FALSE(fs::exists(root / "OLD"));
  EXPECT_FALSE(fs::exists(root / "A/frameworks/G"));
  // A second call walks nothing: the agent calls it at every registration.
  gc_.recover({}, (root / "A").string());
  runtime_.runPosted();
  EXPECT_EQ(gc_.pending(), 0u);
}

}  // namespace
}  // namespace plexus::agent
