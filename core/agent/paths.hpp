// Sandbox paths under --work_dir, laid out as Mesos lays them out:
//   <work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/<container_id>/
// Each run directory holds the executor's `stdout` and `stderr`. Pure functions.
#pragma once

#include <string>

#include <plexus/error.hpp>
#include <plexus/ids.hpp>

namespace plexus::agent::paths {

std::string agentDir(const std::string& workDir, const AgentId& agent);
std::string frameworkDir(const std::string& workDir, const AgentId& agent,
                         const FrameworkId& framework);
std::string executorDir(const std::string& workDir, const AgentId& agent,
                        const FrameworkId& framework, const ExecutorId& executor);
std::string executorRunDir(const std::string& workDir, const AgentId& agent,
                           const FrameworkId& framework, const ExecutorId& executor,
                           const ContainerId& container);

// Where the agent keeps its total after dynamic reservations (Mesos's layout).
std::string resourcesCheckpoint(const std::string& workDir);

// Creates `path` and its parents (mode 0755). Blocking: call from the pool or at start-up.
[[nodiscard]] Result<void> createDirectories(const std::string& path);

}  // namespace plexus::agent::paths
