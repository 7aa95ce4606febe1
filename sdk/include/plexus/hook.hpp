// Hook: decorators and notifications at fixed points of a task's life.
//
// Loaded by the master and the agent (`--hooks=a,b,c`); at each hook point the
// daemon calls every hook in the order the flag lists them, feeding each the
// result of the one before. A decorator returns:
//   - std::nullopt: leave the value as it is (the default for every method);
//   - a value: it replaces the existing labels / environment / status fields;
//   - an Error: logged with the hook's name; the value is left as it is. The
//     hook point's own contract says when an error also fails the task.
// Notifications (agent lost, executor removed) return an Error only to have it
// logged. The daemon logs every Error with the hook's module name and the hook
// point. Only the post-fetch hook's Error fails what it guards (the container's
// launch); at every other point an Error leaves the value as the previous hook
// left it.
//
// Threading: called on the daemon's loop, except the methods
// marked "(blocking pool)", which may block briefly. Hooks must not block the loop:
// a hook with slow work (e.g. running a command) keeps its own thread.
// Every method has a no-op default, so adding a hook point breaks no hook.
//
// Mesos's include/mesos/hook.hpp (Result<T> None/Some/Error maps to
// std::nullopt / value / Error), with Mesos's agent-side names. Two decorators get
// more than Mesos gives them: the executor environment decorator also sees the
// agent (for its hostname and ID), and the task status decorator sees the agent
// and the resources of the task's container (TaskStatusContext).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/ids.hpp>
#include <plexus/module.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

// What the agent knows about the task a status update is for.
struct TaskStatusContext {
  const v1::AgentInfo& agent;
  // The executor the task was given to, or nullptr when the update is the agent's
  // own about a task that never reached an executor.
  const v1::ExecutorInfo* executor = nullptr;
  // The resources of the task's container: the executor's plus those of the tasks
  // it runs (what the isolators limit it to); empty without an executor.
  const Resources& containerResources;
};

class PLEXUS_API Hook {
 public:
  template <typename T>
  using Decorated = Result<std::optional<T>>;

  virtual ~Hook();

  // Master, at launch: labels for the task (replacing task.labels()).
  virtual Decorated<v1::Labels> masterLaunchTaskLabelDecorator(const v1::TaskInfo& task,
                                                               const v1::FrameworkInfo& framework,
                                                               const v1::AgentInfo& agent) {
    return std::nullopt;
  }

  // Master, at launch: resources for the task, given the agent's resources.
  virtual Decorated<Resources> masterLaunchTaskResourceDecorator(const v1::TaskInfo& task,
                                                                 const Resources& agentResources) {
    return std::nullopt;
  }

  // Master: an agent was lost (removed after it stopped answering).
  virtual Result<void> masterAgentLostHook(const v1::AgentInfo& agent) { return {}; }

  // Agent, before running a task: labels for the task.
  virtual Decorated<v1::Labels> agentRunTaskLabelDecorator(const v1::TaskInfo& task,
                                                           const v1::ExecutorInfo& executor,
                                                           const v1::FrameworkInfo& framework,
                                                           const v1::AgentInfo& agent) {
    return std::nullopt;
  }

  // Agent, before launching an executor: its environment (replacing the command's).
  // `executor.command().environment()` holds the command's environment as the
  // hooks before this one left it; Mesos's MESOS_* variables are added after.
  virtual Decorated<v1::Environment> agentExecutorEnvironmentDecorator(
      const v1::ExecutorInfo& executor, const v1::AgentInfo& agent) {
    return std::nullopt;
  }

  // Agent, after the fetcher ran, before the executor starts (blocking pool).
  // An Error here fails the container's launch.
  virtual Result<void> agentPostFetchHook(const ContainerId& container,
                                          const std::string& sandboxDirectory) {
    return {};
  }

  // Agent: an executor was removed (it exited and its container was cleaned up).
  virtual Result<void> agentRemoveExecutorHook(const v1::FrameworkInfo& framework,
                                               const v1::ExecutorInfo& executor) {
    return {};
  }

  // Agent, on every status update: only the returned labels and container_status
  // are used.
  virtual Decorated<v1::TaskStatus> agentTaskStatusDecorator(const FrameworkId& framework,
                                                             const v1::TaskStatus& status,
                                                             const TaskStatusContext& context) {
    return std::nullopt;
  }

  // Agent, at start-up: its resources and attributes.
  virtual Decorated<Resources> agentResourcesDecorator(const v1::AgentInfo& agent) {
    return std::nullopt;
  }
  virtual Decorated<std::vector<v1::Attribute>> agentAttributesDecorator(
      const v1::AgentInfo& agent) {
    return std::nullopt;
  }
};

template <>
struct ModuleKindOf<Hook> {
  static constexpr const char* kName = "Hook";
};

}  // namespace plexus
