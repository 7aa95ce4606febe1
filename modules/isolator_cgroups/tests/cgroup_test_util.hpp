// Helpers for tests that use the machine's real cgroups: why they cannot run, a
// unique parent name per test run, and the removal of everything under it (called
// from TearDown, so it runs even when a test fails). They touch nothing but the
// folders named `plexus-test-<pid>-<tag>` under each hierarchy.
#pragma once

#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cgroup_fs.hpp"
#include "cgroups_isolator.hpp"

namespace plexus::cgroups::testing {

inline std::optional<std::string> realCgroupsSkipReason() {
  if (::geteuid() != 0) return "not root: cgroups cannot be created";
  Mounts mounts = readMounts();
  auto layout = chooseLayout(CgroupsOptions{}, mounts);
  if (!layout) return "no usable cgroup hierarchy: " + layout.error().message();
  return std::nullopt;
}

inline std::string uniqueRoot(const std::string& tag) {
  return "plexus-test-" + std::to_string(::getpid()) + "-" + tag;
}

// Every folder named `root` directly under a cgroup mount of this machine.
inline std::vector<fs::path> rootsEverywhere(const std::string& root) {
  Mounts mounts = readMounts();
  std::vector<fs::path> found;
  auto add = [&](const fs::path& mount) {
    fs::path path = mount / root;
    std::error_code error;
    if (fs::is_directory(path, error) &&
        std::find(found.begin(), found.end(), path) == found.end()) {
      found.push_back(path);
    }
  };
  if (mounts.unified) add(*mounts.unified);
  for (const auto& [controller, mount] : mounts.legacy)
    add(mount);
  return found;
}

// Container cgroups left under `root` anywhere (should be none after cleanup).
inline std::vector<std::string> leftoverContainers(const std::string& root) {
  std::vector<std::string> left;
  for (const fs::path& path : rootsEverywhere(root)) {
    for (const std::string& child : childCgroups(path))
      left.push_back((path / child).string());
  }
  return left;
}

inline void removeTree(const fs::path& path) {
  for (const std::string& child : childCgroups(path))
    removeTree(path / child);
  for (int i = 0; i < 200; ++i) {
    auto text = readFile(path / "cgroup.procs");
    auto pids = text ? parsePids(*text) : std::vector<pid_t>{};
    if (pids.empty()) break;
    if (i == 0 && fs::exists(path / "freezer.state"))
      (void)writeFile(path / "freezer.state", "THAWED");
    for (pid_t pid : pids)
      ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (void)removeCgroup(path);
}

// Removes `root` and everything below it, under every hierarchy.
inline void removeRootEverywhere(const std::string& root) {
  for (const fs::path& path : rootsEverywhere(root))
    removeTree(path);
}

}  // namespace plexus::cgroups::testing
