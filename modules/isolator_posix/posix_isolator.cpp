#include "posix_isolator.hpp"

#include <chrono>
#include <cmath>
#include <unistd.h>

#include <plexus/logging.hpp>

#include "proc_tree.hpp"

namespace plexus::posix {

namespace {

constexpr std::uint64_t kMegabyte = 1024 * 1024;

double nowSecs() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

v1::ContainerLimitation memoryLimitation(std::uint64_t limitBytes, std::uint64_t usedBytes) {
  v1::ContainerLimitation limitation;
  v1::Resource* mem = limitation.add_resources();
  mem->set_name("mem");
  mem->set_type(v1::Value::SCALAR);
  mem->mutable_scalar()->set_value(static_cast<double>(limitBytes) / kMegabyte);
  limitation.set_reason(v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  limitation.set_message(memoryLimitMessage(limitBytes, usedBytes) +
                         " (resident set of the container's processes, polled by isolator_posix)");
  return limitation;
}

}  // namespace

std::string memoryLimitMessage(std::uint64_t limitBytes, std::uint64_t usedBytes) {
  auto mb = [](std::uint64_t bytes) {
    return std::to_string((bytes + kMegabyte - 1) / kMegabyte) + "MB";
  };
  return "Memory limit exceeded: Requested: " + mb(limitBytes) + " Maximum Used: " + mb(usedBytes);
}

std::optional<std::uint64_t> memLimitOf(const Resources& resources,
                                        const std::map<std::string, double>& limits) {
  double mb = 0;
  if (auto it = limits.find("mem"); it != limits.end()) {
    if (std::isinf(it->second)) return std::nullopt;  // an explicitly unlimited limit
    mb = it->second;
  } else if (auto mem = resources.mem()) {
    mb = *mem;
  }
  if (!(mb > 0)) return std::nullopt;
  return static_cast<std::uint64_t>(mb * kMegabyte);
}

Result<std::unique_ptr<PosixIsolator>> PosixIsolator::create(const Parameters& parameters) {
  PosixOptions options;
  auto rlimits = parseRLimits(parameters.string("rlimits"));
  if (!rlimits) return fail(rlimits.error().context("parameter 'rlimits'"));
  options.rlimits = std::move(*rlimits);
  options.enforceMemory = parameters.boolean("enforce_memory");
  options.pollInterval = parameters.duration("memory_poll_interval");
  if (options.pollInterval <= Duration::zero()) {
    return fail("parameter 'memory_poll_interval' must be positive");
  }
  return std::make_unique<PosixIsolator>(std::move(options));
}

PosixIsolator::PosixIsolator(PosixOptions options) : options_(std::move(options)) {
  if (options_.enforceMemory) poller_ = std::thread([this] { pollLoop(); });
}

PosixIsolator::~PosixIsolator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopped_.notify_all();
  if (poller_.joinable()) poller_.join();
}

Result<void> PosixIsolator::recover(const std::vector<v1::ContainerState>& states,
                                    const std::set<ContainerId>& orphans) {
  std::lock_guard lock(mutex_);
  for (const v1::ContainerState& state : states) {
    Container container;
    container.pid = static_cast<pid_t>(state.pid());
    if (auto entry = readProcess(container.pid)) container.startTicks = entry->startTicks;
    if (state.has_executor_info()) {
      if (auto resources = Resources::fromWire(state.executor_info().resources())) {
        container.memLimitBytes = memLimitOf(*resources, {});
        container.cpus = resources->cpus();
      }
    }
    containers_[ContainerId::fromWire(state.container_id())] = std::move(container);
  }
  // Orphans: we keep no state of our own, so there is nothing to release; the
  // agent kills their processes.
  return {};
}

Result<std::optional<v1::ContainerLaunchInfo>> PosixIsolator::prepare(
    const ContainerId& id, const v1::ContainerConfig& config) {
  auto resources = Resources::fromWire(config.resources());
  if (!resources) return fail(resources.error());
  std::map<std::string, double> limits;
  for (const auto& [name, scalar] : config.limits())
    limits[name] = scalar.value();

  Container container;
  container.rlimits = options_.rlimits;
  if (config.has_container_info() && config.container_info().has_rlimit_info()) {
    auto own = fromRLimitInfo(config.container_info().rlimit_info());
    if (!own) return fail(own.error());
    for (const auto& [type, value] : *own)
      container.rlimits[type] = value;  // the task's own limits win over the agent's
  }
  container.memLimitBytes = memLimitOf(*resources, limits);
  container.cpus = resources->cpus();

  std::lock_guard lock(mutex_);
  if (containers_.contains(id)) return fail("container " + id.value() + " is already prepared");
  containers_[id] = std::move(container);
  return std::optional<v1::ContainerLaunchInfo>();
}

Result<void> PosixIsolator::isolate(const ContainerId& id, pid_t pid) {
  RLimits rlimits;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail("container " + id.value() + " is not prepared");
    it->second.pid = pid;
    if (auto entry = readProcess(pid)) it->second.startTicks = entry->startTicks;
    rlimits = it->second.rlimits;
  }
  return applyRLimits(pid, rlimits);
}

void PosixIsolator::watch(const ContainerId& id, LimitationCallback onLimitation) {
  std::lock_guard lock(mutex_);
  auto it = containers_.find(id);
  if (it != containers_.end()) it->second.onLimitation = std::move(onLimitation);
}

Result<void> PosixIsolator::update(const ContainerId& id, const Resources& resources,
                                   const std::map<std::string, double>& limits) {
  std::lock_guard lock(mutex_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return fail("unknown container " + id.value());
  it->second.memLimitBytes = memLimitOf(resources, limits);
  it->second.cpus = resources.cpus();
  return {};
}

Result<v1::ResourceStatistics> PosixIsolator::usage(const ContainerId& id) {
  pid_t pid = 0;
  std::uint64_t start = 0;
  v1::ResourceStatistics statistics;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail("unknown container " + id.value());
    pid = it->second.pid;
    start = it->second.startTicks;
    if (it->second.memLimitBytes) statistics.set_mem_limit_bytes(*it->second.memLimitBytes);
    if (it->second.cpus) statistics.set_cpus_limit(*it->second.cpus);
  }
  statistics.set_timestamp(nowSecs());
  if (pid <= 0) return statistics;  // not isolated yet
  TreeUsage usage = sumUsage(containerProcesses(readProcessTable(), pid, start),
                             ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE));
  statistics.set_cpus_user_time_secs(usage.userSecs);
  statistics.set_cpus_system_time_secs(usage.systemSecs);
  statistics.set_mem_rss_bytes(usage.rssBytes);
  statistics.set_processes(usage.processes);
  statistics.set_threads(usage.threads);
  return statistics;
}

Result<void> PosixIsolator::cleanup(const ContainerId& id) {
  Container container;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return {};  // unknown: ignored, as the contract says
    container = std::move(it->second);
    containers_.erase(it);
  }
  if (container.pid <= 0) return {};
  std::size_t left = killContainerProcesses(container.pid, container.startTicks);
  if (left != 0) {
    return fail(std::to_string(left) + " process(es) of container " + id.value() +
                " survived SIGKILL");
  }
  return {};
}

void PosixIsolator::checkMemoryOnce() {
  struct Candidate {
    ContainerId id;
    pid_t pid;
    std::uint64_t start;
    std::uint64_t limit;
  };
  std::vector<Candidate> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, container] : containers_) {
      if (container.pid > 0 && container.memLimitBytes && container.onLimitation &&
          !container.limited) {
        candidates.push_back({id, container.pid, container.startTicks, *container.memLimitBytes});
      }
    }
  }
  if (candidates.empty()) return;
  auto table = readProcessTable();
  long pageSize = ::sysconf(_SC_PAGESIZE);
  for (const Candidate& candidate : candidates) {
    TreeUsage usage =
        sumUsage(containerProcesses(table, candidate.pid, candidate.start), 1, pageSize);
    if (usage.rssBytes <= candidate.limit) continue;
    LimitationCallback callback;
    {
      std::lock_guard lock(mutex_);
      auto it = containers_.find(candidate.id);
      if (it == containers_.end() || it->second.limited) continue;
      it->second.limited = true;
      callback = it->second.onLimitation;
    }
    PLEXUS_LOG(Info) << "Container " << candidate.id << " exceeded its memory: "
                     << memoryLimitMessage(candidate.limit, usage.rssBytes);
    if (callback) callback(memoryLimitation(candidate.limit, usage.rssBytes));
  }
}

void PosixIsolator::pollLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    stopped_.wait_for(lock, options_.pollInterval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    checkMemoryOnce();
    lock.lock();
  }
}

}  // namespace plexus::posix
