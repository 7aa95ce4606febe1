// FakeRuntime: a plexus::Runtime for tests, driven by a manual clock.
//
// Module tests (allocators, detectors, anything that takes a Runtime&) hand a
// FakeRuntime to the code under test and move time themselves, so no test ever
// sleeps to wait for a timer. now() and wallNow() only change when the test calls
// advance(); schedule() records a timer due at now() + delay; post() queues a
// callback. Nothing runs on its own: the test runs queued callbacks with
// runPosted() and due timers with advance().
//
// Order: advance(d) first runs every posted callback, then repeatedly takes the
// earliest timer due at or before now() + d (ties in the order they were
// scheduled), sets the clock to its due time, runs it and then every callback
// posted meanwhile. Timers and posts made by callbacks while advancing run too,
// if they fall within the window. Finally the clock is set to now() + d.
// advance() and runPosted() are the test's to call, not the callbacks'.
//
// Thread-safety: post() may be called from any thread (as the Runtime contract
// says); every other method belongs to the test's thread, which plays the loop.
// Lifetime: callbacks still queued or pending when the FakeRuntime is destroyed
// are dropped without running.
//
//   plexus::testing::FakeRuntime runtime;
//   allocator.initialize(options, callbacks, runtime);
//   runtime.runPosted();                          // event-driven work
//   runtime.advance(std::chrono::seconds(1));     // the periodic timer fires
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include <plexus/runtime.hpp>

namespace plexus::testing {

class FakeRuntime final : public Runtime {
 public:
  // The steady clock starts at `start` (an arbitrary, non-zero point by default)
  // and the wall clock at `wallStart`; both advance together.
  explicit FakeRuntime(
      TimePoint start = TimePoint(std::chrono::hours(1)),
      std::chrono::system_clock::time_point wallStart =
          std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)));
  ~FakeRuntime() override;

  FakeRuntime(const FakeRuntime&) = delete;
  FakeRuntime& operator=(const FakeRuntime&) = delete;

  // plexus::Runtime.
  TimePoint now() const override;
  std::chrono::system_clock::time_point wallNow() const override;
  // A negative delay counts as zero. Ids start at 1 and are never reused.
  TimerId schedule(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId timer) override;
  void post(std::function<void()> callback) override;

  // Moves the clock forward by `delta` (>= 0), running posted callbacks and due
  // timers in order as described above.
  void advance(Duration delta);

  // Runs queued callbacks, including those they post, until the queue is empty.
  // Returns how many ran. Aborts (a livelock in the code under test) after a
  // million callbacks in one call.
  std::size_t runPosted();

  // For modules that wait on a real service from their own threads: runs posted
  // callbacks and moves the clock along with real time (5 ms steps) until `done`
  // or `timeout` of real time; returns done().
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // Timers scheduled and neither run nor cancelled.
  std::size_t pendingTimers() const { return timers_.size(); }
  // Callbacks posted and not yet run.
  std::size_t pendingPosted() const;
  // When the earliest pending timer is due, or TimePoint::max() if none is.
  TimePoint nextTimerDue() const;

 private:
  using TimerKey = std::pair<TimePoint, TimerId>;  // due time, then scheduling order

  TimePoint now_;
  std::chrono::system_clock::time_point wallNow_;
  TimerId nextTimerId_ = 1;
  std::map<TimerKey, std::function<void()>> timers_;
  std::map<TimerId, TimePoint> dueTimes_;

  mutable std::mutex postedMutex_;
  std::deque<std::function<void()>> posted_;
};

}  // namespace plexus::testing
