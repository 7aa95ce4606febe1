#include "cgroups_isolator.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

#include <plexus/logging.hpp>

namespace plexus::cgroups {

namespace {

using namespace std::chrono_literals;

double nowSecs() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

bool pathExists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

std::map<std::string, std::uint64_t> readKeyValues(const fs::path& path) {
  auto text = readFile(path);
  return text ? parseKeyValues(*text) : std::map<std::string, std::uint64_t>{};
}

std::vector<pid_t> readPids(const fs::path& path) {
  auto text = readFile(path);
  return text ? parsePids(*text) : std::vector<pid_t>{};
}

// The number in a control file; nothing when missing, unreadable or "max".
std::optional<std::uint64_t> numberOr(const fs::path& path) {
  auto value = readNumber(path);
  if (!value) return std::nullopt;
  return *value;
}

// Every cgroup folder at or below `path`, deepest first.
std::vector<fs::path> subtreeDeepestFirst(const fs::path& path) {
  std::vector<fs::path> all;
  std::error_code error;
  if (!fs::is_directory(path, error)) return all;
  for (const std::string& child : childCgroups(path)) {
    auto below = subtreeDeepestFirst(path / child);
    all.insert(all.end(), below.begin(), below.end());
  }
  all.push_back(path);
  return all;
}

std::optional<std::uint64_t> memLimitOf(const Resources& resources,
                                        const std::map<std::string, double>& limits) {
  double mb = 0;
  if (auto it = limits.find("mem"); it != limits.end()) {
    if (std::isinf(it->second)) return std::nullopt;
    mb = it->second;
  } else if (auto mem = resources.mem()) {
    mb = *mem;
  }
  if (!(mb > 0)) return std::nullopt;
  return memoryLimitBytes(mb);
}

}  // namespace

Result<std::unique_ptr<CgroupsIsolator>> CgroupsIsolator::create(const Parameters& parameters) {
  CgroupsOptions options;
  options.root = parameters.string("root");
  options.version = parameters.string("version");
  options.mount = parameters.string("mount");
  options.cfsQuota = parameters.boolean("cfs_quota");
  options.pidsMax = parameters.integer("pids_max");
  options.pidsMaxGiven = parameters.given("pids_max");
  options.oomPollInterval = parameters.duration("oom_poll_interval");
  if (options.pidsMax < 0) return fail("parameter 'pids_max' must not be negative");
  if (options.oomPollInterval <= Duration::zero()) {
    return fail("parameter 'oom_poll_interval' must be positive");
  }
  return make(std::move(options));
}

Result<std::unique_ptr<CgroupsIsolator>> CgroupsIsolator::make(CgroupsOptions options) {
  auto layout = chooseLayout(options, options.mount.empty() ? readMounts() : Mounts{});
  if (!layout) return fail(layout.error());
  if (options.pidsMax > 0 && !layout->has("pids")) {
    if (options.pidsMaxGiven) {
      return fail("parameter 'pids_max' needs the pids controller, which is not available");
    }
    PLEXUS_LOG(Warning) << "isolator_cgroups: no pids controller, so the default pids_max="
                        << options.pidsMax
                        << " is not applied: containers' processes are not limited";
    options.pidsMax = 0;
  }
  for (const fs::path& root : layout->distinctRoots()) {
    std::error_code error;
    fs::create_directories(root, error);
    if (error)
      return fail("cannot create the parent cgroup " + root.string() + ": " + error.message());
  }
  if (layout->version == Version::kV2) {
    // Our parent must hand the controllers down to us; we hand them to the containers.
    fs::path root = layout->distinctRoots().front();
    auto available = readFile(root / "cgroup.controllers");
    std::vector<std::string> names =
        available ? parseControllers(*available) : std::vector<std::string>{};
    std::string enable;
    for (const auto& [controller, path] : layout->roots) {
      if (std::find(names.begin(), names.end(), controller) == names.end()) {
        return fail("the " + controller + " controller is not delegated to " + root.string() +
                    ": enable it in " + root.parent_path().string() + "/cgroup.subtree_control");
      }
      enable += (enable.empty() ? "+" : " +") + controller;
    }
    PLEXUS_TRY(writeFile(root / "cgroup.subtree_control", enable));
  }
  auto isolator = std::unique_ptr<CgroupsIsolator>(new CgroupsIsolator(options, *layout));
  if (isolator->epoll_ < 0 || isolator->wakeFd_ < 0) {
    return fail(std::string("cannot make the OOM watcher: ") + std::strerror(errno));
  }
  std::string missing;
  for (const auto& name : layout->missing)
    missing += " " + name;
  PLEXUS_LOG(Info) << "isolator_cgroups: cgroup " << (layout->version == Version::kV2 ? "v2" : "v1")
                   << " under " << layout->distinctRoots().front().string()
                   << (missing.empty() ? "" : "; controllers not available:" + missing);
  return isolator;
}

CgroupsIsolator::CgroupsIsolator(CgroupsOptions options, Layout layout)
    : options_(std::move(options)), layout_(std::move(layout)) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_ >= 0 && wakeFd_ >= 0) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeFd_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &event);
    watcher_ = std::thread([this] { watchLoop(); });
  }
}

CgroupsIsolator::~CgroupsIsolator() {
  stopping_ = true;
  wake();
  if (watcher_.joinable()) watcher_.join();
  for (auto& [id, container] : containers_)
    closeOom(container);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (epoll_ >= 0) ::close(epoll_);
}

fs::path CgroupsIsolator::cgroup(const std::string& controller, const ContainerId& id) const {
  auto it = layout_.roots.find(controller);
  if (it == layout_.roots.end()) return {};
  return it->second / id.value();
}

std::vector<fs::path> CgroupsIsolator::cgroupsOf(const ContainerId& id) const {
  std::vector<fs::path> paths;
  for (const fs::path& root : layout_.distinctRoots())
    paths.push_back(root / id.value());
  return paths;
}

Result<void> CgroupsIsolator::applyLimits(const ContainerId& id, const Container& container) {
  bool v2 = layout_.version == Version::kV2;
  if (container.memLimitBytes) {
    std::string limit = std::to_string(*container.memLimitBytes);
    if (v2) {
      PLEXUS_TRY(writeFile(memoryCgroup(id) / "memory.max", limit));
    } else {
      PLEXUS_TRY(writeFile(memoryCgroup(id) / "memory.limit_in_bytes", limit));
      PLEXUS_TRY(writeFile(memoryCgroup(id) / "memory.soft_limit_in_bytes", limit));
    }
  }
  if (container.cpus && layout_.has("cpu")) {
    fs::path cpu = cgroup("cpu", id);
    if (v2) {
      PLEXUS_TRY(writeFile(cpu / "cpu.weight", std::to_string(cpuWeight(*container.cpus))));
      if (options_.cfsQuota) PLEXUS_TRY(writeFile(cpu / "cpu.max", cpuMax(*container.cpus)));
    } else {
      PLEXUS_TRY(writeFile(cpu / "cpu.shares", std::to_string(cpuShares(*container.cpus))));
      if (options_.cfsQuota) {
        PLEXUS_TRY(writeFile(cpu / "cpu.cfs_period_us", std::to_string(kCfsPeriodUs)));
        PLEXUS_TRY(
            writeFile(cpu / "cpu.cfs_quota_us", std::to_string(cfsQuotaUs(*container.cpus))));
      }
    }
  }
  if (options_.pidsMax > 0) {
    PLEXUS_TRY(writeFile(cgroup("pids", id) / "pids.max", std::to_string(options_.pidsMax)));
  }
  return {};
}

Result<void> CgroupsIsolator::watchOom(const ContainerId& id, Container& container) {
  container.oomKillsBefore = oomKills(id);
  if (layout_.version == Version::kV2) return {};  // memory.events is polled
  fs::path control = memoryCgroup(id) / "memory.oom_control";
  container.oomControl = ::open(control.c_str(), O_RDONLY | O_CLOEXEC);
  if (container.oomControl < 0) {
    return fail("cannot open " + control.string() + ": " + std::strerror(errno));
  }
  container.oomEvent = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (container.oomEvent < 0) return fail(std::string("eventfd: ") + std::strerror(errno));
  PLEXUS_TRY(
      writeFile(memoryCgroup(id) / "cgroup.event_control",
                std::to_string(container.oomEvent) + " " + std::to_string(container.oomControl)));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = container.oomEvent;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, container.oomEvent, &event) != 0) {
    return fail(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  byEventFd_[container.oomEvent] = id;
  return {};
}

void CgroupsIsolator::closeOom(Container& container) {
  if (container.oomEvent >= 0) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, container.oomEvent, nullptr);
    byEventFd_.erase(container.oomEvent);
    ::close(container.oomEvent);
  }
  if (container.oomControl >= 0) ::close(container.oomControl);
  container.oomEvent = container.oomControl = -1;
}

std::uint64_t CgroupsIsolator::oomKills(const ContainerId& id) const {
  fs::path memory = memoryCgroup(id);
  auto values = readKeyValues(
      memory / (layout_.version == Version::kV2 ? "memory.events" : "memory.oom_control"));
  auto it = values.find("oom_kill");  // v1: kernels >= 4.13
  return it == values.end() ? 0 : it->second;
}

Result<std::optional<v1::ContainerLaunchInfo>> CgroupsIsolator::prepare(
    const ContainerId& id, const v1::ContainerConfig& config) {
  if (!isSafeName(id.value()))
    return fail("container id '" + id.value() + "' cannot name a cgroup");
  auto resources = Resources::fromWire(config.resources());
  if (!resources) return fail(resources.error());
  std::map<std::string, double> limits;
  for (const auto& [name, scalar] : config.limits())
    limits[name] = scalar.value();

  std::lock_guard lock(mutex_);
  if (containers_.contains(id)) return fail("container " + id.value() + " is already prepared");
  std::vector<fs::path> made;
  auto undo = [&](Error error) -> Result<std::optional<v1::ContainerLaunchInfo>> {
    for (auto it = made.rbegin(); it != made.rend(); ++it)
      (void)removeCgroup(*it);
    return fail(std::move(error));
  };
  for (const fs::path& path : cgroupsOf(id)) {
    if (pathExists(path)) return undo(Error("cgroup " + path.string() + " already exists"));
    std::error_code error;
    if (!fs::create_directory(path, error) || error) {
      return undo(Error("cannot create cgroup " + path.string() + ": " + error.message()));
    }
    made.push_back(path);
  }
  Container container;
  container.memLimitBytes = memLimitOf(*resources, limits);
  container.cpus = resources->cpus();
  if (auto applied = applyLimits(id, container); !applied) return undo(applied.error());
  if (auto watched = watchOom(id, container); !watched) {
    closeOom(container);
    return undo(watched.error());
  }
  containers_[id] = std::move(container);
  return std::optional<v1::ContainerLaunchInfo>();
}

Result<void> CgroupsIsolator::isolate(const ContainerId& id, pid_t pid) {
  {
    std::lock_guard lock(mutex_);
    if (!containers_.contains(id)) return fail("container " + id.value() + " is not prepared");
  }
  for (const fs::path& path : cgroupsOf(id))
    PLEXUS_TRY(writeFile(path / "cgroup.procs", std::to_string(pid)));
  return {};
}

void CgroupsIsolator::watch(const ContainerId& id, LimitationCallback onLimitation) {
  bool pending = false;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    it->second.onLimitation = std::move(onLimitation);
    pending = it->second.oomSeen;
  }
  if (pending) deliver(id);
}

Result<void> CgroupsIsolator::update(const ContainerId& id, const Resources& resources,
                                     const std::map<std::string, double>& limits) {
  Container copy;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail("unknown container " + id.value());
    it->second.memLimitBytes = memLimitOf(resources, limits);
    it->second.cpus = resources.cpus();
    copy.memLimitBytes = it->second.memLimitBytes;
    copy.cpus = it->second.cpus;
  }
  return applyLimits(id, copy);
}

Result<v1::ResourceStatistics> CgroupsIsolator::usage(const ContainerId& id) {
  v1::ResourceStatistics statistics;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail("unknown container " + id.value());
    if (it->second.cpus) statistics.set_cpus_limit(*it->second.cpus);
  }
  statistics.set_timestamp(nowSecs());
  fs::path memory = memoryCgroup(id);
  if (layout_.version == Version::kV2) {
    auto cpu = readKeyValues(memory / "cpu.stat");  // one folder for every controller
    if (cpu.contains("user_usec")) statistics.set_cpus_user_time_secs(cpu["user_usec"] / 1e6);
    if (cpu.contains("system_usec")) statistics.set_cpus_system_time_secs(cpu["system_usec"] / 1e6);
    if (cpu.contains("nr_periods")) {
      statistics.set_cpus_nr_periods(static_cast<std::uint32_t>(cpu["nr_periods"]));
      statistics.set_cpus_nr_throttled(static_cast<std::uint32_t>(cpu["nr_throttled"]));
      statistics.set_cpus_throttled_time_secs(cpu["throttled_usec"] / 1e6);
    }
    if (auto current = numberOr(memory / "memory.current"); current && *current)
      statistics.set_mem_total_bytes(*current);
    if (auto limit = numberOr(memory / "memory.max"); limit && *limit)
      statistics.set_mem_limit_bytes(*limit);
    if (auto swap = numberOr(memory / "memory.swap.current"); swap && *swap)
      statistics.set_mem_swap_bytes(*swap);
    auto stat = readKeyValues(memory / "memory.stat");
    if (stat.contains("anon")) {
      statistics.set_mem_anon_bytes(stat["anon"]);
      statistics.set_mem_rss_bytes(stat["anon"]);
    }
    if (stat.contains("file")) {
      statistics.set_mem_file_bytes(stat["file"]);
      statistics.set_mem_cache_bytes(stat["file"]);
    }
    if (stat.contains("file_mapped")) statistics.set_mem_mapped_file_bytes(stat["file_mapped"]);
    if (stat.contains("unevictable")) statistics.set_mem_unevictable_bytes(stat["unevictable"]);
    statistics.set_processes(static_cast<std::uint32_t>(readPids(memory / "cgroup.procs").size()));
    statistics.set_threads(static_cast<std::uint32_t>(readPids(memory / "cgroup.threads").size()));
    return statistics;
  }
  if (layout_.has("cpuacct")) {
    auto cpu = readKeyValues(cgroup("cpuacct", id) / "cpuacct.stat");
    double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    if (cpu.contains("user")) statistics.set_cpus_user_time_secs(cpu["user"] / hz);
    if (cpu.contains("system")) statistics.set_cpus_system_time_secs(cpu["system"] / hz);
  }
  if (layout_.has("cpu")) {
    auto cpu = readKeyValues(cgroup("cpu", id) / "cpu.stat");
    if (cpu.contains("nr_periods")) {
      statistics.set_cpus_nr_periods(static_cast<std::uint32_t>(cpu["nr_periods"]));
      statistics.set_cpus_nr_throttled(static_cast<std::uint32_t>(cpu["nr_throttled"]));
      statistics.set_cpus_throttled_time_secs(cpu["throttled_time"] / 1e9);
    }
  }
  if (auto total = numberOr(memory / "memory.usage_in_bytes"); total && *total)
    statistics.set_mem_total_bytes(*total);
  if (auto limit = numberOr(memory / "memory.limit_in_bytes"); limit && *limit)
    statistics.set_mem_limit_bytes(*limit);
  if (auto soft = numberOr(memory / "memory.soft_limit_in_bytes"); soft && *soft)
    statistics.set_mem_soft_limit_bytes(*soft);
  auto stat = readKeyValues(memory / "memory.stat");
  if (stat.contains("total_rss")) {
    statistics.set_mem_rss_bytes(stat["total_rss"]);
    statistics.set_mem_anon_bytes(stat["total_rss"]);
  }
  if (stat.contains("total_cache")) {
    statistics.set_mem_cache_bytes(stat["total_cache"]);
    statistics.set_mem_file_bytes(stat["total_cache"]);
  }
  if (stat.contains("total_mapped_file"))
    statistics.set_mem_mapped_file_bytes(stat["total_mapped_file"]);
  if (stat.contains("total_swap")) statistics.set_mem_swap_bytes(stat["total_swap"]);
  if (stat.contains("total_unevictable"))
    statistics.set_mem_unevictable_bytes(stat["total_unevictable"]);
  statistics.set_processes(static_cast<std::uint32_t>(readPids(memory / "cgroup.procs").size()));
  statistics.set_threads(static_cast<std::uint32_t>(readPids(memory / "tasks").size()));
  return statistics;
}

Result<void> CgroupsIsolator::killAll(const ContainerId& id) {
  std::vector<fs::path> folders;  // every cgroup of the container, nested ones too
  for (const fs::path& path : cgroupsOf(id)) {
    auto below = subtreeDeepestFirst(path);
    folders.insert(folders.end(), below.begin(), below.end());
  }
  auto anyProcess = [&] {
    for (const fs::path& folder : folders) {
      if (!readPids(folder / "cgroup.procs").empty()) return true;
    }
    return false;
  };
  auto killListed = [&] {
    for (const fs::path& folder : folders) {
      for (pid_t pid : readPids(folder / "cgroup.procs"))
        ::kill(pid, SIGKILL);
    }
  };
  if (!anyProcess()) return {};

  fs::path top = memoryCgroup(id);
  if (layout_.version == Version::kV2 && pathExists(top / "cgroup.kill")) {
    PLEXUS_TRY(writeFile(top / "cgroup.kill", "1"));  // the whole subtree, atomically
  } else if (layout_.version == Version::kV2 && pathExists(top / "cgroup.freeze")) {
    PLEXUS_TRY(writeFile(top / "cgroup.freeze", "1"));
    killListed();
    PLEXUS_TRY(writeFile(top / "cgroup.freeze", "0"));
  } else if (layout_.has("freezer")) {
    // Frozen processes cannot fork, so the list we kill is the complete one.
    fs::path freezer = cgroup("freezer", id);
    PLEXUS_TRY(writeFile(freezer / "freezer.state", "FROZEN"));
    for (int i = 0; i < 100; ++i) {
      auto state = readFile(freezer / "freezer.state");
      if (state && state->starts_with("FROZEN")) break;
      std::this_thread::sleep_for(10ms);
      if (i % 10 == 9) (void)writeFile(freezer / "freezer.state", "FROZEN");
    }
    killListed();
    PLEXUS_TRY(writeFile(freezer / "freezer.state", "THAWED"));
  }
  // Whatever method, repeat SIGKILL until the cgroups are empty (about 5 s at most).
  for (int i = 0; i < 500; ++i) {
    if (!anyProcess()) return {};
    killListed();
    std::this_thread::sleep_for(10ms);
  }
  return fail("processes of container " + id.value() + " are still in its cgroups after SIGKILL");
}

Result<void> CgroupsIsolator::destroy(const ContainerId& id) {
  auto killed = killAll(id);
  std::string errors = killed ? "" : killed.error().message();
  for (const fs::path& path : cgroupsOf(id)) {
    for (const fs::path& folder : subtreeDeepestFirst(path)) {
      if (auto removed = removeCgroup(folder); !removed)
        errors += (errors.empty() ? "" : "; ") + removed.error().message();
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

Result<void> CgroupsIsolator::cleanup(const ContainerId& id) {
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return {};  // unknown: ignored, as the contract says
    closeOom(it->second);
    containers_.erase(it);
  }
  return destroy(id);
}

Result<void> CgroupsIsolator::recover(const std::vector<v1::ContainerState>& states,
                                      const std::set<ContainerId>& orphans) {
  std::set<std::string> live;
  for (const v1::ContainerState& state : states)
    live.insert(state.container_id().value());
  std::set<std::string> present;
  for (const fs::path& root : layout_.distinctRoots()) {
    for (const std::string& name : childCgroups(root))
      present.insert(name);
  }
  std::string errors;
  for (const std::string& name : present) {
    ContainerId id(name);
    if (live.contains(name)) {
      Container container;
      for (const v1::ContainerState& state : states) {
        if (state.container_id().value() != name || !state.has_executor_info()) continue;
        if (auto resources = Resources::fromWire(state.executor_info().resources()))
          container.cpus = resources->cpus();
      }
      fs::path memory = memoryCgroup(id);
      if (auto limit = numberOr(
              memory / (layout_.version == Version::kV2 ? "memory.max" : "memory.limit_in_bytes"));
          limit && *limit) {
        container.memLimitBytes = *limit;
      }
      std::lock_guard lock(mutex_);
      if (auto watched = watchOom(id, container); !watched) {
        closeOom(container);
        errors += (errors.empty() ? "" : "; ") + watched.error().message();
      }
      containers_[id] = std::move(container);
      PLEXUS_LOG(Info) << "isolator_cgroups: adopted the cgroups of container " << name;
      continue;
    }
    PLEXUS_LOG(Info) << "isolator_cgroups: destroying the cgroups of "
                     << (orphans.contains(id) ? "orphan" : "unknown") << " container " << name;
    if (auto destroyed = destroy(id); !destroyed)
      errors += (errors.empty() ? "" : "; ") + destroyed.error().message();
  }
  for (const std::string& name : live) {
    if (!present.contains(name)) {
      PLEXUS_LOG(Warning) << "isolator_cgroups: live container " << name << " has no cgroup under "
                          << options_.root << "; not isolated";
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

void CgroupsIsolator::deliver(const ContainerId& id) {
  LimitationCallback callback;
  std::uint64_t limit = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    it->second.oomSeen = true;
    if (it->second.limited || !it->second.onLimitation) return;  // later, from watch()
    it->second.limited = true;
    callback = it->second.onLimitation;
    limit = it->second.memLimitBytes.value_or(0);
  }
  fs::path memory = memoryCgroup(id);
  bool v2 = layout_.version == Version::kV2;
  std::optional<std::uint64_t> peak;
  if (auto value = numberOr(memory / (v2 ? "memory.peak" : "memory.max_usage_in_bytes")))
    peak = *value;
  if (!peak || *peak == 0) {
    if (auto value = numberOr(memory / (v2 ? "memory.current" : "memory.usage_in_bytes")))
      peak = *value;
  }
  v1::ContainerLimitation limitation;
  v1::Resource* mem = limitation.add_resources();
  mem->set_name("mem");
  mem->set_type(v1::Value::SCALAR);
  mem->mutable_scalar()->set_value(static_cast<double>(limit) / (1 << 20));
  limitation.set_reason(v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  limitation.set_message(memoryLimitMessage(limit, peak.value_or(0)) +
                         " (the kernel's OOM killer ended a process of the container; cgroup " +
                         memory.string() + ")");
  PLEXUS_LOG(Info) << "isolator_cgroups: container " << id << ": " << limitation.message();
  callback(limitation);
}

void CgroupsIsolator::checkOomOnce() {
  std::vector<ContainerId> oom;
  std::vector<std::pair<ContainerId, std::uint64_t>> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, container] : containers_) {
      if (!container.oomSeen) candidates.emplace_back(id, container.oomKillsBefore);
    }
  }
  for (const auto& [id, before] : candidates) {
    if (oomKills(id) > before) oom.push_back(id);
  }
  for (const ContainerId& id : oom)
    deliver(id);
}

void CgroupsIsolator::wake() {
  if (wakeFd_ < 0) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

void CgroupsIsolator::watchLoop() {
  auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(options_.oomPollInterval);
  while (!stopping_) {
    epoll_event events[16];
    int ready = ::epoll_wait(epoll_, events, 16, static_cast<int>(interval.count()));
    if (stopping_) break;
    std::vector<ContainerId> fired;
    for (int i = 0; i < ready; ++i) {
      int fd = events[i].data.fd;
      std::uint64_t count = 0;
      if (fd == wakeFd_) {
        [[maybe_unused]] auto n = ::read(wakeFd_, &count, sizeof count);
        continue;
      }
      std::lock_guard lock(mutex_);
      auto it = byEventFd_.find(fd);
      if (it == byEventFd_.end()) continue;
      if (::read(fd, &count, sizeof count) == sizeof count && count > 0)
        fired.push_back(it->second);
    }
    for (const ContainerId& id : fired)
      deliver(id);
    checkOomOnce();  // v2, and v1's backstop
  }
}

}  // namespace plexus::cgroups
