// Agent checkpoints: what a restarted agent needs to recover its executors and
// tasks (docs/agent-recovery.md), under --work_dir in Mesos's layout:
//
//   meta/boot_id                                   the host's boot id at the last run
//   meta/slaves/latest -> <agent id>               symlink to the agent being recovered
//   meta/slaves/<agent id>/slave.info              AgentInfo (id, resources, attributes)
//     frameworks/<framework id>/framework.info     FrameworkInfo
//       executors/<executor id>/executor.info      ExecutorInfo
//         runs/latest -> <container id>            the executor's current run
//         runs/<container id>/run.info             ExecutorRun: sandbox, pid, ...
//           tasks/<task id>/task.info              Task (as the agent knows it)
//           tasks/<task id>/task.updates           TaskUpdates: pending updates, acks
//
// Every file holds one internal::AgentCheckpoint (protobuf, `version`), framed as
// "PXCK", the payload's length and its CRC-32 (4 bytes each, big-endian), then the
// payload; it is written to a temporary file beside it, fsync'ed and renamed over
// it, so a crash leaves the old file or the new one. A missing, truncated or corrupt
// file, or one written by a newer agent, is an error naming the file.
//
// Pure functions on files; blocking (call at start-up or where the agent accepts
// the cost of a small synchronous write, as Mesos's agent does).
#pragma once

#include <cstdint>
#include <string>

#include <plexus/error.hpp>
#include <plexus/ids.hpp>

#include "agent_protocol.pb.h"

namespace plexus::agent::checkpoint {

inline constexpr std::uint32_t kVersion = 1;

std::string bootIdPath(const std::string& workDir);
std::string latestAgentLink(const std::string& workDir);
std::string agentDir(const std::string& workDir, const AgentId& agent);
std::string agentInfoPath(const std::string& workDir, const AgentId& agent);
std::string frameworkDir(const std::string& workDir, const AgentId& agent,
                         const FrameworkId& framework);
std::string frameworkInfoPath(const std::string& workDir, const AgentId& agent,
                              const FrameworkId& framework);
std::string executorDir(const std::string& workDir, const AgentId& agent,
                        const FrameworkId& framework, const ExecutorId& executor);
std::string executorInfoPath(const std::string& workDir, const AgentId& agent,
                             const FrameworkId& framework, const ExecutorId& executor);
std::string runDir(const std::string& workDir, const AgentId& agent, const FrameworkId& framework,
                   const ExecutorId& executor, const ContainerId& container);
std::string taskDir(const std::string& runDir, const TaskId& task);

// Writes `checkpoint` (its version set here) to `path` atomically, making the
// folders on the way.
[[nodiscard]] Result<void> write(const std::string& path, internal::AgentCheckpoint checkpoint);
// Reads a file write() made.
[[nodiscard]] Result<internal::AgentCheckpoint> read(const std::string& path);

// Points `link` (a symlink) at `target` atomically.
[[nodiscard]] Result<void> pointLink(const std::string& link, const std::string& target);

// The host's boot id: PLEXUS_BOOT_ID when set (for tests that simulate a reboot),
// else /proc/sys/kernel/random/boot_id.
[[nodiscard]] Result<std::string> currentBootId();

// Field 22 of /proc/<pid>/stat (when the process started, in clock ticks since
// boot): with the pid, it tells a live process from a later one reusing its pid.
// 0 when the process is gone.
std::uint64_t processStartTicks(pid_t pid);

}  // namespace plexus::agent::checkpoint
