// Choosing the cgroup version and the parent folders at start-up.
#include <algorithm>

#include "cgroups_isolator.hpp"

namespace plexus::cgroups {

namespace {

// The v1 controllers used, memory first (required); the rest are optional.
constexpr const char* kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids", "freezer"};
constexpr const char* kV2Controllers[] = {"memory", "cpu", "pids"};

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> v2Available(const fs::path& mount) {
  auto text = readFile(mount / "cgroup.controllers");
  return text ? parseControllers(*text) : std::vector<std::string>{};
}

Layout v2Layout(const fs::path& mount, const std::string& root) {
  Layout layout;
  layout.version = Version::kV2;
  auto available = v2Available(mount);
  for (const char* controller : kV2Controllers) {
    if (contains(available, controller))
      layout.roots[controller] = mount / root;
    else
      layout.missing.emplace_back(controller);
  }
  return layout;
}

Layout v1Layout(const std::map<std::string, fs::path>& mounts, const std::string& root) {
  Layout layout;
  layout.version = Version::kV1;
  for (const char* controller : kV1Controllers) {
    auto it = mounts.find(controller);
    if (it != mounts.end())
      layout.roots[controller] = it->second / root;
    else
      layout.missing.emplace_back(controller);
  }
  return layout;
}

}  // namespace

std::vector<fs::path> Layout::distinctRoots() const {
  std::vector<fs::path> distinct;
  for (const auto& [controller, path] : roots) {
    if (std::find(distinct.begin(), distinct.end(), path) == distinct.end())
      distinct.push_back(path);
  }
  return distinct;
}

Result<Layout> chooseLayout(const CgroupsOptions& options, const Mounts& found) {
  bool rootOk = !options.root.empty() && !fs::path(options.root).is_absolute();
  for (const auto& part : fs::path(options.root))
    rootOk = rootOk && isSafeName(part.string());
  if (!rootOk) {
    return fail("parameter 'root' must be a relative cgroup path without '.' or '..', got '" +
                options.root + "'");
  }
  if (options.version != "auto" && options.version != "v1" && options.version != "v2") {
    return fail("parameter 'version' must be auto, v1 or v2, got '" + options.version + "'");
  }
  Mounts mounts = found;
  if (!options.mount.empty()) {
    // An explicit mount: a cgroup2 mount (v2) or a folder of per-controller mounts (v1).
    mounts = Mounts{};
    if (options.version != "v1") mounts.unified = fs::path(options.mount);
    if (options.version != "v2") {
      for (const char* controller : kV1Controllers) {
        fs::path path = fs::path(options.mount) / controller;
        std::error_code error;
        if (fs::is_directory(path, error)) mounts.legacy[controller] = path;
      }
    }
  }

  bool v2HasMemory = mounts.unified && contains(v2Available(*mounts.unified), "memory");
  bool v1HasMemory = mounts.legacy.contains("memory");
  std::string found2 = mounts.unified
                           ? "a cgroup2 mount at " + mounts.unified->string() +
                                 (v2HasMemory ? " with" : " without") + " the memory controller"
                           : "no cgroup2 mount";
  std::string found1 = v1HasMemory
                           ? "a v1 memory hierarchy at " + mounts.legacy.at("memory").string()
                           : "no v1 memory hierarchy";
  std::string what = "found " + found2 + " and " + found1;

  if (options.version == "v2" || (options.version == "auto" && v2HasMemory)) {
    if (!v2HasMemory) return fail("cgroup v2 asked for, but " + what);
    return v2Layout(*mounts.unified, options.root);
  }
  if (!v1HasMemory) return fail("no usable memory controller: " + what);
  return v1Layout(mounts.legacy, options.root);
}

}  // namespace plexus::cgroups
