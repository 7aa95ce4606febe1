#include "agent/gc.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include <plexus/logging.hpp>

namespace plexus::agent {

namespace fs = std::filesystem;

namespace {

using WallTime = GarbageCollector::WallTime;

// The mtime of `path` itself (not following a symlink); nullopt when it is gone.
std::optional<WallTime> modified(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return WallTime(
      std::chrono::seconds(st.st_mtim.tv_sec) +
      std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

std::vector<fs::path> subdirectories(const fs::path& path) {
  std::vector<fs::path> found;
  std::error_code error;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    // `latest` links (Mesos's layout) are not directories of their own.
    if (it->is_symlink(error) || !it->is_directory(error)) continue;
    found.push_back(it->path());
  }
  return found;
}

// The newest mtime of a run directory and of its direct entries: when the
// executor last wrote its stdout, or when the agent touched it as it ended.
WallTime newestOf(const fs::path& runDir) {
  WallTime newest = modified(runDir).value_or(WallTime());
  std::error_code error;
  for (fs::directory_iterator it(runDir, error), end; !error && it != end; it.increment(error)) {
    if (auto time = modified(it->path())) newest = std::max(newest, *time);
  }
  return newest;
}

struct Candidate {
  std::string path;
  WallTime lastModified;
};

// Walks <work_dir>/slaves; blocking. Returns what to schedule, deepest first.
std::vector<Candidate> scan(const std::string& workDir, const std::set<std::string>& live,
                            const std::string& currentAgentDir) {
  std::vector<Candidate> found;
  for (const fs::path& agent : subdirectories(fs::path(workDir) / "slaves")) {
    bool agentLive = false;
    WallTime agentNewest = modified(agent).value_or(WallTime());
    for (const fs::path& framework : subdirectories(agent / "frameworks")) {
      bool frameworkLive = false;
      WallTime frameworkNewest = modified(framework).value_or(WallTime());
      for (const fs::path& executor : subdirectories(framework / "executors")) {
        bool executorLive = false;
        WallTime executorNewest = modified(executor).value_or(WallTime());
        for (const fs::path& run : subdirectories(executor / "runs")) {
          if (live.contains(run.string())) {
            executorLive = true;
            continue;
          }
          WallTime newest = newestOf(run);
          executorNewest = std::max(executorNewest, newest);
          found.push_back({run.string(), newest});
        }
        frameworkNewest = std::max(frameworkNewest, executorNewest);
        if (executorLive) {
          frameworkLive = true;
        } else {
          found.push_back({executor.string(), executorNewest});
        }
      }
      agentNewest = std::max(agentNewest, frameworkNewest);
      if (frameworkLive) {
        agentLive = true;
      } else {
        found.push_back({framework.string(), frameworkNewest});
      }
    }
    if (!agentLive && agent.string() != currentAgentDir)
      found.push_back({agent.string(), agentNewest});
  }
  return found;
}

double diskUsage(const std::string& path, std::string* error) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) {
    *error = "statvfs(" + path + ") failed";
    return -1;
  }
  return static_cast<double>(st.f_blocks - st.f_bfree) / static_cast<double>(st.f_blocks);
}

}  // namespace

Duration GarbageCollector::maxAllowedAge(Duration delay, double headroom, double used) {
  double factor = std::max(0.0, 1.0 - headroom - used);
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, Duration::period>(static_cast<double>(delay.count()) * factor));
}

GarbageCollector::GarbageCollector(Runtime& runtime, Options options)
    : runtime_(runtime), options_(std::move(options)) {}

GarbageCollector::~GarbageCollector() {
  *alive_ = false;
  if (diskTimer_ != 0) runtime_.cancel(diskTimer_);
  for (auto& [path, entry] : scheduled_)
    runtime_.cancel(entry.timer);
  pool_.join();
}

void GarbageCollector::start() {
  diskTimer_ = runtime_.schedule(options_.diskWatchInterval, [this] { checkDiskUsage(); });
}

void GarbageCollector::schedule(const std::string& path, WallTime lastModified) {
  Duration age = std::chrono::duration_cast<Duration>(runtime_.wallNow() - lastModified);
  Duration delay = std::max(Duration::zero(), options_.delay - std::max(age, Duration::zero()));
  auto [it, added] = scheduled_.try_emplace(path);
  if (!added) runtime_.cancel(it->second.timer);
  it->second.due = runtime_.now() + delay;
  it->second.timer = runtime_.schedule(delay, [this, path] { remove(path); });
  PLEXUS_LOG(Info) << "Scheduling '" << path << "' for gc " << formatDuration(delay)
                   << " in the future";
}

void GarbageCollector::scheduleCompleted(const std::string& path) {
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, path] {
    // utimensat(UTIME_NOW) through the one portable spelling std::filesystem has.
    std::error_code ignored;
    fs::last_write_time(path, fs::file_time_type::clock::now(), ignored);
    runtime_.post([this, alive, path] {
      if (*alive) schedule(path, runtime_.wallNow());
    });
  });
}

void GarbageCollector::unschedule(const std::string& path) {
  auto it = scheduled_.find(path);
  if (it == scheduled_.end()) return;
  PLEXUS_LOG(Info) << "Unscheduling '" << path << "' from gc";
  runtime_.cancel(it->second.timer);
  scheduled_.erase(it);
}

void GarbageCollector::recover(std::set<std::string> liveRunDirs, std::string currentAgentDir) {
  if (recovered_) return;
  recovered_ = true;
  // Compared with the paths the walk makes: "a//b/" and "a/b" are one directory.
  std::set<std::string> live;
  for (const std::string& path : liveRunDirs)
    live.insert(fs::path(path).lexically_normal().string());
  std::string current = fs::path(currentAgentDir).lexically_normal().string();
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, live = std::move(live), current = std::move(current)] {
    std::vector<Candidate> found =
        scan(fs::path(options_.workDir).lexically_normal().string(), live, current);
    runtime_.post([this, alive, found = std::move(found)] {
      if (!*alive) return;
      PLEXUS_LOG(Info) << "Found " << found.size()
                       << " completed sandbox directories under the work dir to garbage collect";
      for (const Candidate& candidate : found) {
        // A path the agent scheduled since (or that is live again) keeps its schedule.
        if (!scheduled_.contains(candidate.path)) schedule(candidate.path, candidate.lastModified);
      }
    });
  });
}

void GarbageCollector::prune(Duration within) {
  Runtime::TimePoint limit = runtime_.now() + within;
  std::vector<std::string> due;
  for (const auto& [path, entry] : scheduled_) {
    if (entry.due <= limit) due.push_back(path);
  }
  for (const std::string& path : due) {
    PLEXUS_LOG(Info) << "Pruning '" << path << "' ahead of its gc time";
    remove(path);
  }
}

void GarbageCollector::remove(const std::string& path) {
  auto it = scheduled_.find(path);
  if (it == scheduled_.end()) return;
  runtime_.cancel(it->second.timer);
  scheduled_.erase(it);
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, path] {
    std::error_code error;
    fs::remove_all(path, error);
    runtime_.post([this, alive, path, error] {
      if (!*alive) return;
      if (error) {
        ++failed_;
        PLEXUS_LOG(Warning) << "Failed to garbage collect '" << path << "': " << error.message();
      } else {
        ++succeeded_;
        PLEXUS_LOG(Info) << "Garbage collected '" << path << "'";
      }
    });
  });
}

void GarbageCollector::checkDiskUsage() {
  diskTimer_ = 0;
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive] {
    std::string error;
    double used = diskUsage(options_.workDir, &error);
    runtime_.post([this, alive, used, error] {
      if (!*alive) return;
      if (used < 0) {
        PLEXUS_LOG(Error) << "Failed to get disk usage: " << error;
      } else {
        Duration age = maxAllowedAge(options_.delay, options_.diskHeadroom, used);
        char percent[16];
        std::snprintf(percent, sizeof percent, "%.2f", 100 * used);
        PLEXUS_LOG(Info) << "Current disk usage " << percent
                         << "%. Max allowed age: " << formatDuration(age);
        if (age < options_.delay) prune(options_.delay - age);
      }
      diskTimer_ = runtime_.schedule(options_.diskWatchInterval, [this] { checkDiskUsage(); });
    });
  });
}

}  // namespace plexus::agent
