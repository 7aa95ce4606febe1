// GarbageCollector: removes the sandboxes of completed executors and frameworks
// from --work_dir, as Mesos's agent does (src/slave/gc.cpp, Slave::checkDiskUsage).
//
// A path is scheduled with the time it was last modified and removed --gc_delay
// after it. Every --disk_watch_interval the disk holding the work dir is measured
// (statvfs: used = 1 - free/total blocks) and everything scheduled to go within
//   gc_delay - age,  age = gc_delay * max(0, 1 - gc_disk_headroom - used)
// is removed at once, so a filling disk shortens the delay and a disk past
// 1 - gc_disk_headroom empties every completed sandbox.
//
// Nothing is kept anywhere but in the work dir itself: the agent touches a
// sandbox (mtime = now) when its executor ends, and after a restart recover()
// walks slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container> and
// schedules every directory that belongs to no live executor by its newest
// mtime (the directory's or its direct entries'), so the deadline a restarted
// agent derives is the one it had before.
//
// Threading: every method on the agent's loop; statvfs, the walk and the removals
// run on a one-thread pool owned here and post back. Destruction waits for a
// removal in progress and drops the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include <plexus/duration.hpp>
#include <plexus/runtime.hpp>

namespace plexus::agent {

class GarbageCollector {
 public:
  struct Options {
    std::string workDir;
    Duration delay;              // --gc_delay
    double diskHeadroom = 0.1;   // --gc_disk_headroom, in [0, 1]
    Duration diskWatchInterval;  // --disk_watch_interval
  };
  using WallTime = std::chrono::system_clock::time_point;

  GarbageCollector(Runtime& runtime, Options options);
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Starts watching the disk (the first check after one interval).
  void start();

  // Removes `path` (and what it holds) --gc_delay after `lastModified`, sooner
  // under disk pressure. A path already scheduled is moved to the new time.
  void schedule(const std::string& path, WallTime lastModified);

  // Sets the mtime of `path` to now (on the pool, so that a restarted agent
  // derives the same deadline), then schedules it from now.
  void scheduleCompleted(const std::string& path);

  // Takes `path` off the schedule (it is in use again: the agent calls it for
  // the agent, framework and executor directories of every executor it starts).
  // A removal already under way is not stopped.
  void unschedule(const std::string& path);

  // After a restart: schedules every sandbox under <work_dir>/slaves that is not
  // one of `liveRunDirs` (the run directories of the executors the agent knows),
  // every executor and framework directory with no live run left, and the
  // directories of agent ids other than `currentAgentDir`, by their newest mtime.
  // Only the first call walks; recovered() says whether it was made.
  void recover(std::set<std::string> liveRunDirs, std::string currentAgentDir);
  bool recovered() const { return recovered_; }

  // Removes at once every path whose removal is due within `within`.
  void prune(Duration within);

  std::size_t pending() const { return scheduled_.size(); }
  bool scheduled(const std::string& path) const { return scheduled_.contains(path); }
  std::uint64_t removalsSucceeded() const { return succeeded_; }
  std::uint64_t removalsFailed() const { return failed_; }

  // gc_delay * max(0, 1 - headroom - used): how old a sandbox may get when the
  // disk is `used` full (0..1). Pure.
  static Duration maxAllowedAge(Duration delay, double headroom, double used);

 private:
  struct Entry {
    Runtime::TimePoint due;
    Runtime::TimerId timer = 0;
  };

  void remove(const std::string& path);
  void checkDiskUsage();

  Runtime& runtime_;
  Options options_;
  boost::asio::thread_pool pool_{1};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<std::string, Entry> scheduled_;
  Runtime::TimerId diskTimer_ = 0;
  bool recovered_ = false;
  std::uint64_t succeeded_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace plexus::agent
