// LoopAffinity: the daemon's loop thread, and a check that its state is touched there.
//
// A daemon's state lives on one event loop (DESIGN.md, Concurrency): handlers,
// timers and module callbacks run there; other threads (the thread pool, a
// ZooKeeper client, a module's own thread) only post to it. runDaemon() binds the
// thread that runs the loop; PLEXUS_ASSERT_ON_LOOP() at an entry point that
// mutates daemon state then aborts, naming the function, when it runs on any
// other thread. Before anything is bound (unit tests that drive a Master or an
// Agent from their own thread) every thread counts as the loop.
//
// Cost: one relaxed atomic load and a thread-id compare. Compiled in when NDEBUG
// is not defined, or when PLEXUS_LOOP_CHECKS is (CMake defines it for every build
// type but Release, so the tests run with it); compiled out otherwise.
#pragma once

#include <thread>

namespace plexus {

class LoopAffinity {
 public:
  // Records the calling thread as the daemon's loop.
  static void bindToThisThread() noexcept;
  // Forgets it (the loop stopped).
  static void unbind() noexcept;
  // True on the loop thread, or when no loop is bound.
  static bool onLoop() noexcept;
};

}  // namespace plexus

#if !defined(NDEBUG) || defined(PLEXUS_LOOP_CHECKS)
#include <plexus/logging.hpp>
// `where` names the entry point in the message, e.g. "the allocator's offer callback".
#define PLEXUS_ASSERT_ON_LOOP_IN(where)                                          \
  PLEXUS_CHECK(::plexus::LoopAffinity::onLoop())                                 \
      << "in " << (where) << ": daemon state touched off its loop thread (work " \
      << "on another thread must post to the loop)"
#else
#define PLEXUS_ASSERT_ON_LOOP_IN(where) \
  do {                                  \
  } while (false)
#endif
#define PLEXUS_ASSERT_ON_LOOP() PLEXUS_ASSERT_ON_LOOP_IN(__func__)
