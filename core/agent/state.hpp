// The agent's state, in plain structs: the frameworks it runs tasks for, their
// executors, and the executors' tasks. Everything but the live handles (the
// executor's event stream, timers) is made of wire messages and ids, so that it is
// checkpointed under --work_dir (checkpoint.hpp) for the frameworks that checkpoint:
// a restarted agent reads back each Framework's info, each Executor's info, container
// id, directory, pid and tasks, plus the status update streams, and reconnects to
// the live executors instead of killing them (recovery.cpp).
//
// Touched only on the agent's loop.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <plexus/ids.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/mesos.pb.h>

#include "http/stream.hpp"

namespace plexus::agent {

// Tasks waiting for their executor to subscribe: one LAUNCH or one LAUNCH_GROUP.
struct QueuedLaunch {
  bool group = false;
  // A task with a plain CommandInfo: its executor is the one the agent makes for it.
  bool commandTask = false;
  v1::TaskGroupInfo tasks;  // one task when !group
};

struct Executor {
  enum class State { kRegistering, kRunning, kTerminating, kTerminated };

  FrameworkId framework;
  v1::ExecutorInfo info;
  ContainerId container;
  std::string directory;
  bool commandExecutor = false;  // the built-in plexus-executor
  // Made by the agent for one command task (Mesos's isGeneratedForCommandTask): the
  // master does not know it, so its exit is not reported (no FAILURE event).
  bool generatedForCommandTask = false;
  State state = State::kRegistering;
  pid_t pid = 0;

  std::vector<QueuedLaunch> queued;  // until SUBSCRIBE
  // Every task given to this executor whose terminal update is not yet
  // acknowledged; queued ones are TASK_STAGING.
  std::map<TaskId, v1::Task> tasks;
  std::map<TaskId, bool> killRequested;
  // Why the master killed a task (e.g. preemption), for its TASK_KILLED.
  std::map<TaskId, std::pair<v1::TaskStatus::Reason, std::string>> killReasons;
  // Tasks whose terminal update was acknowledged, newest last (for /state).
  std::deque<v1::Task> completedTasks;

  // Why the agent is ending it (e.g. registration timeout), for its tasks' updates,
  // and the state they end in when not TASK_FAILED (TASK_LOST/GONE as Mesos for an
  // executor that did not re-register after an agent restart).
  std::optional<v1::TaskStatus::Reason> terminationReason;
  std::string terminationMessage;
  std::optional<v1::TaskState> terminationState;

  // Recovered after an agent restart and not re-subscribed yet (recovery.cpp).
  bool recovering = false;
  std::uint64_t pidStartTicks = 0;  // against pid reuse, as checkpointed

  // Live handles, not checkpointed.
  std::shared_ptr<http::ResponseStream> stream;
  bool streamJson = true;
  Runtime::TimerId registrationTimer = 0;
  Runtime::TimerId shutdownTimer = 0;

  bool subscribed() const { return stream != nullptr && stream->isOpen(); }
};

// An executor that has ended, as /state lists it under completed_executors.
struct CompletedExecutor {
  v1::ExecutorInfo info;
  ContainerId container;
  std::string directory;
  std::vector<v1::Task> tasks;          // not terminal when it ended
  std::deque<v1::Task> completedTasks;  // terminal
};

// What this agent can do, as it tells the master (GET_AGENTS, /state) and lists in
// its own /state: Mesos's AgentInfo.Capability names for what Plexus honours.
inline constexpr std::array kAgentCapabilities = {
    v1::AgentInfo::Capability::MULTI_ROLE, v1::AgentInfo::Capability::HIERARCHICAL_ROLE,
    v1::AgentInfo::Capability::RESERVATION_REFINEMENT};

// How much of the past /state keeps, as Mesos's agent does.
inline constexpr std::size_t kMaxCompletedTasksPerExecutor = 200;
inline constexpr std::size_t kMaxCompletedFrameworks = 50;

struct Framework {
  v1::FrameworkInfo info;
  std::map<ExecutorId, Executor> executors;
  std::deque<CompletedExecutor> completedExecutors;  // newest last
  bool terminating = false;                          // SHUTDOWN_FRAMEWORK received
};

}  // namespace plexus::agent
