// Isolator: one dimension of a container's isolation (memory, cpu, pids, ...).
//
// Loaded by the agent (`--isolation=a,b`). For each container the agent calls, in
// order: prepare() before the executor is forked; isolate() with the child's pid
// while the child waits, before it execs; watch() once, to learn of limitations
// (an OOM kill); update() when the container's resources change; usage() and
// status() when asked; cleanup() once, after the container's processes are gone
// (also for containers prepare() failed on, and for ones the isolator does not
// know, which it must ignore). After an agent restart, recover() comes first with
// the containers that are still alive and the orphans the agent does not want.
//
// Threading: the agent calls these methods from its blocking-work pool, never on
// its event loop, and never two at once for the same container; different
// containers may be handled concurrently, so an isolator guards its own state.
// Methods may block briefly (writing cgroup files). The watch callback may be
// invoked from any thread, at most once per container; the agent posts it back.
// Every method has a no-op default, so adding a method never breaks an isolator.
// Errors are values; an isolator never throws across this interface.
//
// Mesos's include/mesos/slave/isolator.hpp, fitted to std::expected and callbacks.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/ids.hpp>
#include <plexus/module.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/containerizer.pb.h>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

class PLEXUS_API Isolator {
 public:
  using LimitationCallback = std::function<void(const v1::ContainerLimitation& limitation)>;

  virtual ~Isolator();

  // Whether the isolator can isolate nested containers (task groups' children).
  virtual bool supportsNesting() const { return false; }

  // After an agent restart: adopt `states` (live containers), destroy `orphans`.
  [[nodiscard]] virtual Result<void> recover(const std::vector<v1::ContainerState>& states,
                                             const std::set<ContainerId>& orphans) {
    return {};
  }

  // Before the container's first process exists. May return launch info that the
  // agent merges into the launch: today its `environment` (plain variables) and
  // `command`; any other field set, or a SECRET variable, fails the launch naming it.
  [[nodiscard]] virtual Result<std::optional<v1::ContainerLaunchInfo>> prepare(
      const ContainerId& container, const v1::ContainerConfig& config) {
    return std::optional<v1::ContainerLaunchInfo>();
  }

  // Puts `pid` (the container's first process, stopped before exec) in isolation.
  [[nodiscard]] virtual Result<void> isolate(const ContainerId& container, pid_t pid) { return {}; }

  // Registers the callback for a limitation of this container (e.g. memory
  // exceeded). By default no limitation is ever reported.
  virtual void watch(const ContainerId& container, LimitationCallback onLimitation) {}

  // The container's resources (and hard limits, by resource name) changed.
  [[nodiscard]] virtual Result<void> update(const ContainerId& container,
                                            const Resources& resources,
                                            const std::map<std::string, double>& limits) {
    return {};
  }

  // Current usage; fields the isolator does not measure stay unset.
  [[nodiscard]] virtual Result<v1::ResourceStatistics> usage(const ContainerId& container) {
    return v1::ResourceStatistics();
  }

  // Status to merge into the container's status (e.g. cgroup info).
  [[nodiscard]] virtual Result<v1::ContainerStatus> status(const ContainerId& container) {
    return v1::ContainerStatus();
  }

  // Releases everything made for the container. Unknown containers are ignored.
  [[nodiscard]] virtual Result<void> cleanup(const ContainerId& container) { return {}; }
};

template <>
struct ModuleKindOf<Isolator> {
  static constexpr const char* kName = "Isolator";
};

}  // namespace plexus
