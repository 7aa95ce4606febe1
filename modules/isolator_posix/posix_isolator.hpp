// PosixIsolator: isolation with nothing but POSIX and /proc (module isolator_posix).
//
// The agent's default isolator. Each container is the session its first process
// leads (the containerizer calls setsid); this isolator
//   - sets resource limits (setrlimit) on the first process at isolate(), from the
//     `rlimits` parameter with ContainerInfo.rlimit_info over it, so every process
//     the container forks inherits them;
//   - measures usage() from /proc over the container's whole process tree (session,
//     process group, descendants): cpu user/system time, RSS, processes, threads;
//   - optionally (`enforce_memory`) polls that RSS every `memory_poll_interval` and
//     reports a REASON_CONTAINER_LIMITATION_MEMORY limitation through watch() once
//     it exceeds the container's mem (its hard limit if given, else its request);
//   - kills the whole tree at cleanup (stop, then SIGKILL, until none is left).
//
// Threading: as <plexus/isolator.hpp>; the state is guarded by a mutex. With
// enforcement on, one poller thread (owned here, joined by the destructor) calls
// the watch callbacks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <plexus/isolator.hpp>
#include <plexus/parameters.hpp>

#include "rlimits.hpp"

namespace plexus::posix {

struct PosixOptions {
  RLimits rlimits;  // the `rlimits` parameter
  bool enforceMemory = false;
  Duration pollInterval = std::chrono::milliseconds(500);
};

class PosixIsolator final : public Isolator {
 public:
  static Result<std::unique_ptr<PosixIsolator>> create(const Parameters& parameters);

  explicit PosixIsolator(PosixOptions options);
  ~PosixIsolator() override;

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

  // Runs one enforcement round now (the poller's body); for tests.
  void checkMemoryOnce();

 private:
  struct Container {
    RLimits rlimits;
    std::optional<std::uint64_t> memLimitBytes;
    std::optional<double> cpus;
    pid_t pid = 0;
    std::uint64_t startTicks = 0;
    LimitationCallback onLimitation;
    bool limited = false;
  };

  void pollLoop();

  const PosixOptions options_;
  std::mutex mutex_;
  std::map<ContainerId, Container> containers_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::thread poller_;
};

// "Memory limit exceeded: Requested: 64MB Maximum Used: 257MB" (Mesos's wording).
std::string memoryLimitMessage(std::uint64_t limitBytes, std::uint64_t usedBytes);

// The mem limit of a container's config: limits["mem"] when given, else the mem
// resource (MB -> bytes); nothing when neither is positive.
std::optional<std::uint64_t> memLimitOf(const Resources& resources,
                                        const std::map<std::string, double>& limits);

}  // namespace plexus::posix
