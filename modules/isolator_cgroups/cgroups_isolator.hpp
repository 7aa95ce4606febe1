// CgroupsIsolator: isolation with Linux control groups, v1 or v2 (module
// isolator_cgroups).
//
// At start-up it finds the hierarchies in /proc/self/mountinfo and picks a version
// (`version`=auto: v2 when the cgroup2 mount offers the memory controller, else v1
// when a v1 hierarchy has it). Under each hierarchy it owns one parent cgroup,
// `root` (default "plexus"), made if missing, and one child per container,
// named by the container id; it creates, writes and removes nothing else.
//   - cpu: cpu.shares = 1024 per cpu (v1) / cpu.weight = 100 per cpu (v2); with
//     `cfs_quota`, a hard quota of cpus x 100 ms per 100 ms period.
//   - memory: memory.limit_in_bytes (v1) / memory.max (v2) from mem (at least
//     32 MB, as Mesos). An OOM kill (v1: memory.oom_control eventfd, with the
//     oom_kill counter as a backstop; v2: memory.events oom_kill, polled) is
//     reported once through watch() as REASON_CONTAINER_LIMITATION_MEMORY, the
//     message saying the limit and the peak usage.
//   - pids: pids.max from `pids_max` (default kDefaultPidsMax; 0: no limit).
//   - usage(): cpu time (cpuacct.stat / cpu.stat), throttling, memory usage and
//     its breakdown (memory.stat), processes and threads.
//   - cleanup(): freezes (v1 freezer) and SIGKILLs every process, or writes
//     cgroup.kill (v2), waits for the cgroups to empty and removes them.
//   - recover(): adopts the cgroups of the live containers it is given and
//     destroys every other child of `root` (orphans).
//
// Threading: as <plexus/isolator.hpp>, state guarded by a mutex; one watcher thread
// (owned here, joined by the destructor) waits for OOM events and calls the watch
// callbacks.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <plexus/isolator.hpp>
#include <plexus/parameters.hpp>

#include "cgroup_fs.hpp"

namespace plexus::cgroups {

enum class Version { kV1, kV2 };

// The default `pids_max`: a container that forks without end (a fork bomb) stops at
// this many processes and threads instead of taking the machine's pid space
// (kernel.pid_max is 32768 on most machines). Near systemd's default TasksMax (15%
// of pid_max) and far above what a task's threads need.
inline constexpr std::int64_t kDefaultPidsMax = 4096;

struct CgroupsOptions {
  std::string root = "plexus";
  std::string version = "auto";  // auto, v1, v2
  // Empty: from /proc/self/mountinfo. Otherwise the cgroup2 mount (v2) or the
  // folder holding one mount per v1 controller, named after it (v1).
  std::string mount;
  bool cfsQuota = false;
  std::int64_t pidsMax = kDefaultPidsMax;
  // False when pidsMax is only the default: without a pids controller the isolator
  // then starts, saying the limit is not applied, instead of refusing to load.
  bool pidsMaxGiven = false;
  Duration oomPollInterval = std::chrono::milliseconds(250);
};

// Which cgroup folders the isolator works under: the parent (`root`) cgroup of
// each controller it uses. For v2 every controller maps to the same folder.
struct Layout {
  Version version = Version::kV1;
  std::map<std::string, fs::path> roots;  // controller -> <mount>/<root>
  std::vector<std::string> missing;       // wanted controllers that are not there

  // The distinct parent folders.
  std::vector<fs::path> distinctRoots() const;
  bool has(const std::string& controller) const { return roots.contains(controller); }
};

// Chooses the version and the parent folders from the mounts (or options.mount).
// Fails when no usable memory controller exists, saying what was found.
[[nodiscard]] Result<Layout> chooseLayout(const CgroupsOptions& options, const Mounts& mounts);

class CgroupsIsolator final : public Isolator {
 public:
  static Result<std::unique_ptr<CgroupsIsolator>> create(const Parameters& parameters);
  // Detects the layout, makes the parent cgroups and starts the watcher.
  static Result<std::unique_ptr<CgroupsIsolator>> make(CgroupsOptions options);

  ~CgroupsIsolator() override;

  Result<void> recover(const std::vector<v1::ContainerState>& states,
                       const std::set<ContainerId>& orphans) override;
  Result<std::optional<v1::ContainerLaunchInfo>> prepare(
      const ContainerId& container, const v1::ContainerConfig& config) override;
  Result<void> isolate(const ContainerId& container, pid_t pid) override;
  void watch(const ContainerId& container, LimitationCallback onLimitation) override;
  Result<void> update(const ContainerId& container, const Resources& resources,
                      const std::map<std::string, double>& limits) override;
  Result<v1::ResourceStatistics> usage(const ContainerId& container) override;
  Result<void> cleanup(const ContainerId& container) override;

  const Layout& layout() const { return layout_; }
  // The cgroup folders of a container (whether or not they exist).
  std::vector<fs::path> cgroupsOf(const ContainerId& container) const;

  // Looks for OOM kills now (the watcher's periodic body); for tests.
  void checkOomOnce();

 private:
  struct Container {
    std::optional<std::uint64_t> memLimitBytes;
    std::optional<double> cpus;
    int oomEvent = -1;    // v1 eventfd registered on memory.oom_control
    int oomControl = -1;  // v1 memory.oom_control, held open for the eventfd
    std::uint64_t oomKillsBefore = 0;
    bool oomSeen = false;  // an OOM happened (maybe before watch())
    bool limited = false;  // the limitation was delivered
    LimitationCallback onLimitation;
  };

  CgroupsIsolator(CgroupsOptions options, Layout layout);

  fs::path cgroup(const std::string& controller, const ContainerId& container) const;
  fs::path memoryCgroup(const ContainerId& container) const { return cgroup("memory", container); }
  Result<void> applyLimits(const ContainerId& id, const Container& container);
  Result<void> watchOom(const ContainerId& id, Container& container);
  void closeOom(Container& container);
  std::uint64_t oomKills(const ContainerId& id) const;
  // Kills every process in the container's cgroups and removes them.
  Result<void> destroy(const ContainerId& id);
  Result<void> killAll(const ContainerId& id);
  void deliver(const ContainerId& id);
  void watchLoop();
  void wake();

  const CgroupsOptions options_;
  const Layout layout_;
  std::mutex mutex_;
  std::map<ContainerId, Container> containers_;
  std::map<int, ContainerId> byEventFd_;
  int epoll_ = -1;
  int wakeFd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace plexus::cgroups
