// Unit tests of FakeRuntime: the manual clock, timer order, cancellation, posts.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/testing/fake_runtime.hpp>

namespace plexus::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeRuntime, ClocksMoveOnlyWhenAdvanced) {
  FakeRuntime runtime;
  const auto start = runtime.now();
  const auto wallStart = runtime.wallNow();
  EXPECT_EQ(runtime.now(), start);
  runtime.advance(seconds(3));
  EXPECT_EQ(runtime.now() - start, seconds(3));
  EXPECT_EQ(runtime.wallNow() - wallStart, seconds(3));
}

TEST(FakeRuntime, TimersRunInTimeThenSchedulingOrder) {
  FakeRuntime runtime;
  std::vector<std::string> ran;
  runtime.schedule(seconds(2), [&] { ran.push_back("b"); });
  runtime.schedule(seconds(1), [&] { ran.push_back("a"); });
  runtime.schedule(seconds(2), [&] { ran.push_back("c"); });
  EXPECT_EQ(runtime.pendingTimers(), 3u);
  runtime.advance(milliseconds(999));
  EXPECT_TRUE(ran.empty());
  runtime.advance(seconds(5));
  EXPECT_EQ(ran, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(runtime.pendingTimers(), 0u);
}

TEST(FakeRuntime, TimersSeeTheirDueTime) {
  FakeRuntime runtime;
  const auto start = runtime.now();
  Runtime::TimePoint seen;
  runtime.schedule(seconds(2), [&] { seen = runtime.now(); });
  runtime.advance(seconds(10));
  EXPECT_EQ(seen - start, seconds(2));
  EXPECT_EQ(runtime.now() - start, seconds(10));
}

TEST(FakeRuntime, TimersScheduledWhileAdvancingRunIfDue) {
  FakeRuntime runtime;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    runtime.schedule(seconds(1), tick);
  };
  runtime.schedule(seconds(1), tick);
  runtime.advance(milliseconds(3500));
  EXPECT_EQ(ticks, 3);
  EXPECT_EQ(runtime.pendingTimers(), 1u);
  EXPECT_EQ(runtime.nextTimerDue() - runtime.now(), milliseconds(500));
}

TEST(FakeRuntime, CancelledTimersDoNotRun) {
  FakeRuntime runtime;
  bool ran = false;
  auto id = runtime.schedule(seconds(1), [&] { ran = true; });
  runtime.cancel(id);
  runtime.cancel(id);     // twice: ignored
  runtime.cancel(12345);  // unknown: ignored
  runtime.advance(seconds(2));
  EXPECT_FALSE(ran);
  EXPECT_EQ(runtime.nextTimerDue(), Runtime::TimePoint::max());
}

TEST(FakeRuntime, ZeroAndNegativeDelaysRunOnTheNextAdvance) {
  FakeRuntime runtime;
  int ran = 0;
  runtime.schedule(Duration::zero(), [&] { ++ran; });
  runtime.schedule(-seconds(1), [&] { ++ran; });
  runtime.runPosted();
  EXPECT_EQ(ran, 0);
  runtime.advance(Duration::zero());
  EXPECT_EQ(ran, 2);
}

TEST(FakeRuntime, PostedCallbacksRunInOrderIncludingNestedOnes) {
  FakeRuntime runtime;
  std::vector<int> ran;
  runtime.post([&] {
    ran.push_back(1);
    runtime.post([&] { ran.push_back(3); });
  });
  runtime.post([&] { ran.push_back(2); });
  EXPECT_EQ(runtime.pendingPosted(), 2u);
  EXPECT_EQ(runtime.runPosted(), 3u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(FakeRuntime, AdvanceRunsCallbacksPostedByTimers) {
  FakeRuntime runtime;
  std::vector<std::string> ran;
  runtime.schedule(seconds(1), [&] {
    ran.push_back("timer1");
    runtime.post([&] { ran.push_back("posted"); });
  });
  runtime.schedule(seconds(2), [&] { ran.push_back("timer2"); });
  runtime.advance(seconds(2));
  EXPECT_EQ(ran, (std::vector<std::string>{"timer1", "posted", "timer2"}));
}

TEST(FakeRuntime, PostIsSafeFromOtherThreads) {
  FakeRuntime runtime;
  int ran = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) {
        runtime.post([&] { ++ran; });
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  runtime.runPosted();
  EXPECT_EQ(ran, 400);
}

}  // namespace
}  // namespace plexus::testing
