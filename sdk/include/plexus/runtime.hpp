// Runtime: the daemon's event loop, as a module sees it.
//
// The daemon owns one event loop (DESIGN.md, Concurrency) and calls modules on it.
// A module that needs time, timers or a way back onto the loop from its own thread
// (a ZooKeeper callback, a watcher thread) gets a Runtime& when it is initialized.
// now() and schedule() come from an injectable clock: tests drive a fake one and
// never sleep for a timer to fire.
//
// Thread-safety: post() may be called from any thread; everything else only on
// the loop. The Runtime outlives every module instance it was given to.
//
//   timer_ = runtime.schedule(std::chrono::seconds(1), [this] { allocate(); });
//   zkThreadCallback = [&runtime, this](Event e) { runtime.post([this, e] { onZk(e); }); };
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include <plexus/duration.hpp>
#include <plexus/export.hpp>

namespace plexus {

class PLEXUS_API Runtime {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using TimerId = std::uint64_t;

  virtual ~Runtime();

  // Monotonic time, for intervals and timeouts.
  virtual TimePoint now() const = 0;

  // Wall-clock time, for timestamps that leave the process (TaskStatus.timestamp).
  virtual std::chrono::system_clock::time_point wallNow() const = 0;

  // Runs `callback` on the loop once `delay` has passed. Returns an id for cancel().
  virtual TimerId schedule(Duration delay, std::function<void()> callback) = 0;

  // Cancels a pending timer; a timer that already ran or was cancelled is ignored.
  virtual void cancel(TimerId timer) = 0;

  // Runs `callback` on the loop soon. The one method safe from any thread.
  virtual void post(std::function<void()> callback) = 0;
};

}  // namespace plexus
