// Reading and writing cgroup file systems (v1 and v2), and the pure functions that
// turn resources into control-file values and control files into figures.
//
// Everything here is a plain function of paths and text so it can be tested on a
// temporary folder laid out like a cgroup file system. Blocking (file I/O); no state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <plexus/error.hpp>

namespace plexus::cgroups {

namespace fs = std::filesystem;

// Where the cgroup hierarchies are mounted, from /proc/self/mountinfo.
struct Mounts {
  std::optional<fs::path> unified;         // the cgroup2 mount, if any
  std::map<std::string, fs::path> legacy;  // v1: controller -> its hierarchy's mount
};

// Parses the text of /proc/self/mountinfo (cgroup and cgroup2 entries only).
Mounts parseMountInfo(std::string_view text);

// Reads /proc/self/mountinfo.
Mounts readMounts();

// Control files. write() opens with O_CREAT so that a plain folder can stand in for
// a cgroup in tests; on a cgroup file system a missing control file is still an
// error (the kernel refuses to create files there). Errors name the file.
[[nodiscard]] Result<std::string> readFile(const fs::path& path);
[[nodiscard]] Result<void> writeFile(const fs::path& path, std::string_view value);
// Reads an unsigned integer (or "max", as nullopt).
[[nodiscard]] Result<std::optional<std::uint64_t>> readNumber(const fs::path& path);

// "key value" lines (cpu.stat, memory.stat, memory.events, cpuacct.stat,
// memory.oom_control) into a map; lines that do not parse are skipped.
std::map<std::string, std::uint64_t> parseKeyValues(std::string_view text);

// The pids of a cgroup.procs (or tasks) file.
std::vector<pid_t> parsePids(std::string_view text);

// The controller names of cgroup.controllers / cgroup.subtree_control.
std::vector<std::string> parseControllers(std::string_view text);

// cpu resource -> v1 cpu.shares (1024 per cpu, at least 2).
std::uint64_t cpuShares(double cpus);
// cpu resource -> v2 cpu.weight (100 per cpu, the default weight being 100; 1..10000).
std::uint64_t cpuWeight(double cpus);
// The CFS period (100 ms) and the quota for `cpus` in it (at least 1 ms).
inline constexpr std::uint64_t kCfsPeriodUs = 100000;
std::uint64_t cfsQuotaUs(double cpus);
// v2 cpu.max: "<quota> <period>".
std::string cpuMax(double cpus);

// The memory limit for a mem resource in MB: at least 32 MB, as Mesos.
inline constexpr std::uint64_t kMinMemoryBytes = 32ull << 20;
std::uint64_t memoryLimitBytes(double megabytes);

// "Memory limit exceeded: Requested: 64MB Maximum Used: 64MB" (Mesos's wording).
std::string memoryLimitMessage(std::uint64_t limitBytes, std::uint64_t usedBytes);

// True if `name` is usable as one path component (no '/', not '.' or '..', not empty).
bool isSafeName(std::string_view name);

// Removes a cgroup folder (rmdir; a cgroup holds no files of its own to delete),
// retrying briefly while the kernel still counts exiting tasks in it. Missing: ok.
[[nodiscard]] Result<void> removeCgroup(const fs::path& path);

// Child cgroups (folders) of `path`, by name.
std::vector<std::string> childCgroups(const fs::path& path);

}  // namespace plexus::cgroups
