// Agent recovery, as Mesos's agent does it (docs/agent-recovery.md): what the agent
// checkpoints for frameworks that checkpoint (checkpoint.hpp has the layout), and
// how a restarted agent reads it back, adopts the live executors, waits for them to
// re-subscribe, and re-registers with the master under the same agent ID.
#include <algorithm>
#include <csignal>
#include <deque>
#include <filesystem>
#include <set>

#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"

namespace plexus::agent {

namespace {

namespace fs = std::filesystem;

void logIfFailed(const Result<void>& written) {
  if (!written) {
    PLEXUS_LOG(Error) << "Checkpointing failed: " << written.error().message()
                      << "; this state cannot be recovered if the agent restarts";
  }
}

std::vector<std::string> subfolders(const std::string& path) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_directory() && !entry.is_symlink()) names.push_back(entry.path().filename());
  }
  return names;
}

std::string attributesText(const v1::AgentInfo& info) {
  std::set<std::string> texts;
  for (const auto& attribute : info.attributes())
    texts.insert(attribute.ShortDebugString());
  std::string out;
  for (const auto& text : texts)
    out += (out.empty() ? "" : "; ") + text;
  return out;
}

// Every difference between the checkpointed agent and this one that `policy`
// does not accept; empty when compatible.
std::vector<std::string> incompatibilities(const v1::AgentInfo& before, const v1::AgentInfo& now,
                                           const std::string& policy) {
  std::vector<std::string> differences;
  if (before.hostname() != now.hostname()) {
    differences.push_back("hostname was '" + before.hostname() + "', now '" + now.hostname() + "'");
  }
  auto old = Resources::fromWire(before.resources()).value_or(Resources());
  auto current = Resources::fromWire(now.resources()).value_or(Resources());
  bool additive = policy == "additive";
  if (additive ? !current.contains(old) : !(old == current)) {
    std::string text = "resources were '" + old.toString() + "', now '" + current.toString() + "'";
    Resources removed = old - current;
    Resources added = current - old;
    if (!removed.empty()) text += " (removed: " + removed.toString() + ")";
    if (!added.empty() && !additive) text += " (added: " + added.toString() + ")";
    differences.push_back(text);
  }
  std::set<std::string> oldAttributes;
  std::set<std::string> newAttributes;
  for (const auto& attribute : before.attributes())
    oldAttributes.insert(attribute.ShortDebugString());
  for (const auto& attribute : now.attributes())
    newAttributes.insert(attribute.ShortDebugString());
  bool attributesOk = additive ? std::includes(newAttributes.begin(), newAttributes.end(),
                                               oldAttributes.begin(), oldAttributes.end())
                               : oldAttributes == newAttributes;
  if (!attributesOk) {
    differences.push_back("attributes were '" + attributesText(before) + "', now '" +
                          attributesText(now) + "'");
  }
  return differences;
}

}  // namespace

bool Agent::checkpointing(const v1::FrameworkInfo& framework) const {
  return framework.checkpoint() || flags_.checkpoint;
}

void Agent::checkpointAgent() {
  if (!agentId_) return;
  const std::string& workDir = context_.flags.workDir;
  internal::AgentCheckpoint agent;
  *agent.mutable_agent_info() = info_;
  // The total before dynamic reservations: what --resources and detection give.
  *agent.mutable_agent_info()->mutable_resources() = detectedResources_;
  logIfFailed(checkpoint::write(checkpoint::agentInfoPath(workDir, *agentId_), agent));
  internal::AgentCheckpoint boot;
  boot.set_boot_id(bootId_);
  logIfFailed(checkpoint::write(checkpoint::bootIdPath(workDir), boot));
  logIfFailed(checkpoint::pointLink(checkpoint::latestAgentLink(workDir), agentId_->value()));
  agentCheckpointed_ = true;
}

void Agent::checkpointFramework(const Framework& framework) {
  if (!checkpointing(framework.info) || !agentId_) return;
  internal::AgentCheckpoint file;
  *file.mutable_framework_info() = framework.info;
  logIfFailed(
      checkpoint::write(checkpoint::frameworkInfoPath(context_.flags.workDir, *agentId_,
                                                      FrameworkId::fromWire(framework.info.id())),
                        file));
}

std::string Agent::runCheckpointDir(const Executor& executor) const {
  return checkpoint::runDir(context_.flags.workDir, agentId_.value_or(AgentId("")),
                            executor.framework, ExecutorId::fromWire(executor.info.executor_id()),
                            executor.container);
}

internal::ExecutorRun Agent::executorRun(const Executor& executor) const {
  internal::ExecutorRun run;
  run.set_container_id(executor.container.value());
  run.set_directory(executor.directory);
  run.set_pid(executor.pid);
  run.set_pid_start_ticks(executor.pidStartTicks);
  run.set_command_executor(executor.commandExecutor);
  run.set_generated_for_command_task(executor.generatedForCommandTask);
  run.set_completed(executor.state == Executor::State::kTerminated);
  return run;
}

void Agent::checkpointExecutor(const Framework& framework, const Executor& executor) {
  if (!checkpointing(framework.info) || !agentId_) return;
  const std::string& workDir = context_.flags.workDir;
  ExecutorId executorId = ExecutorId::fromWire(executor.info.executor_id());
  internal::AgentCheckpoint info;
  *info.mutable_executor_info() = executor.info;
  logIfFailed(checkpoint::write(
      checkpoint::executorInfoPath(workDir, *agentId_, executor.framework, executorId), info));
  internal::AgentCheckpoint run;
  *run.mutable_executor_run() = executorRun(executor);
  logIfFailed(checkpoint::write(runCheckpointDir(executor) + "/run.info", run));
  logIfFailed(checkpoint::pointLink(
      checkpoint::executorDir(workDir, *agentId_, executor.framework, executorId) + "/runs/latest",
      executor.container.value()));
}

void Agent::checkpointTask(const Executor& executor, const v1::Task& task) {
  auto framework = frameworks_.find(executor.framework);
  if (framework == frameworks_.end() || !checkpointing(framework->second.info) || !agentId_) return;
  TaskId taskId = TaskId::fromWire(task.task_id());
  std::string dir = checkpoint::taskDir(runCheckpointDir(executor), taskId);
  internal::AgentCheckpoint file;
  *file.mutable_task() = task;
  logIfFailed(checkpoint::write(dir + "/task.info", file));
  taskCheckpoints_[{executor.framework, taskId}] = {.dir = dir, .latest = std::nullopt};
}

void Agent::checkpointUpdates(const FrameworkId& framework, const TaskId& task,
                              const v1::TaskStatus* accepted) {
  auto found = taskCheckpoints_.find({framework, task});
  if (found == taskCheckpoints_.end()) return;
  if (accepted != nullptr) found->second.latest = *accepted;
  internal::AgentCheckpoint file;
  auto* updates = file.mutable_task_updates();
  if (found->second.latest) *updates->mutable_latest() = *found->second.latest;
  const auto& streams = updates_->streams();
  if (auto stream = streams.find({framework, task}); stream != streams.end()) {
    for (const auto& status : stream->second.pending)
      *updates->add_pending() = status;
    for (const auto& uuid : stream->second.acknowledged)
      updates->add_acknowledged(uuid);
  }
  logIfFailed(checkpoint::write(found->second.dir + "/task.updates", file));
}

void Agent::forgetTasks(const Executor& executor) {
  auto forget = [&](const v1::Task& task) {
    TaskId id = TaskId::fromWire(task.task_id());
    updates_->forget(executor.framework, id);
    if (updates_->head(executor.framework, id) == nullptr)
      taskCheckpoints_.erase({executor.framework, id});
  };
  for (const auto& [id, task] : executor.tasks)
    forget(task);
  for (const v1::Task& task : executor.completedTasks)
    forget(task);
}

Result<void> Agent::recoverState() {
  const std::string& workDir = context_.flags.workDir;
  auto boot = checkpoint::currentBootId();
  if (!boot) return fail(boot.error());
  bootId_ = *boot;

  std::error_code error;
  std::string latest = checkpoint::latestAgentLink(workDir);
  fs::path target = fs::read_symlink(latest, error);
  if (error) return {};  // nothing checkpointed: a new agent
  AgentId agentId(target.filename().string());

  // A soft error: under --strict it stops the agent, else it is logged and skipped.
  auto soft = [&](const Error& failure) -> Result<void> {
    if (flags_.strict) {
      return fail(failure.message() +
                  " (--strict: start with --strict=false to recover what can be, or remove " +
                  latest + " to start afresh as a new agent)");
    }
    PLEXUS_LOG(Warning) << "Recovery: " << failure.message() << "; skipped (--strict=false)";
    return {};
  };

  if (auto checkpointed = checkpoint::read(checkpoint::bootIdPath(workDir));
      checkpointed && checkpointed->boot_id() != bootId_) {
    PLEXUS_LOG(Warning) << "The host rebooted since agent " << agentId << " last ran (boot id "
                        << checkpointed->boot_id() << ", now " << bootId_
                        << "): its executors are gone; starting afresh as a new agent";
    fs::remove(latest, error);
    return {};
  }

  std::string infoPath = checkpoint::agentInfoPath(workDir, agentId);
  auto agent = checkpoint::read(infoPath);
  if (!agent) {
    PLEXUS_TRY(soft(agent.error()));
    PLEXUS_LOG(Warning) << "Starting afresh as a new agent";
    return {};
  }
  v1::AgentInfo now = info_;
  *now.mutable_resources() = detectedResources_;
  auto differences = incompatibilities(agent->agent_info(), now, flags_.reconfigurationPolicy);
  if (!differences.empty()) {
    std::string text;
    for (const auto& difference : differences)
      text += (text.empty() ? "" : "; ") + difference;
    return fail("This agent's configuration is incompatible with agent " + agentId.value() +
                " checkpointed in " + infoPath + " under --reconfiguration_policy=" +
                flags_.reconfigurationPolicy + ": " + text + ". Restore the configuration" +
                (flags_.reconfigurationPolicy == "equal"
                     ? ", or restart with --reconfiguration_policy=additive if it only adds,"
                     : "") +
                " or remove " + latest + " to start afresh as a new agent");
  }
  agentId_ = agentId;
  agentId.toWire(info_.mutable_id());
  PLEXUS_LOG(Info) << "Recovering agent " << agentId << " from "
                   << checkpoint::agentDir(workDir, agentId);

  std::size_t executors = 0;
  std::size_t tasks = 0;
  std::string frameworksDir = checkpoint::agentDir(workDir, agentId) + "/frameworks";
  for (const std::string& frameworkName : subfolders(frameworksDir)) {
    FrameworkId frameworkId(frameworkName);
    auto frameworkInfo =
        checkpoint::read(checkpoint::frameworkInfoPath(workDir, agentId, frameworkId));
    if (!frameworkInfo) {
      PLEXUS_TRY(soft(frameworkInfo.error()));
      continue;
    }
    Framework framework;
    framework.info = frameworkInfo->framework_info();
    std::string executorsDir =
        checkpoint::frameworkDir(workDir, agentId, frameworkId) + "/executors";
    for (const std::string& executorName : subfolders(executorsDir)) {
      ExecutorId executorId(executorName);
      std::string executorDir = checkpoint::executorDir(workDir, agentId, frameworkId, executorId);
      auto executorInfo =
          checkpoint::read(checkpoint::executorInfoPath(workDir, agentId, frameworkId, executorId));
      if (!executorInfo) {
        PLEXUS_TRY(soft(executorInfo.error()));
        continue;
      }
      fs::path container = fs::read_symlink(executorDir + "/runs/latest", error);
      if (error) continue;  // no run started
      std::string runDir = executorDir + "/runs/" + container.filename().string();
      auto run = checkpoint::read(runDir + "/run.info");
      if (!run) {
        PLEXUS_TRY(soft(run.error()));
        continue;
      }
      const internal::ExecutorRun& recorded = run->executor_run();
      Executor executor;
      executor.framework = frameworkId;
      executor.info = executorInfo->executor_info();
      executor.container = ContainerId(recorded.container_id());
      executor.directory = recorded.directory();
      executor.commandExecutor = recorded.command_executor();
      executor.generatedForCommandTask = recorded.generated_for_command_task();
      executor.pid = static_cast<pid_t>(recorded.pid());
      executor.pidStartTicks = recorded.pid_start_ticks();
      executor.recovering = true;
      for (const std::string& taskName : subfolders(runDir + "/tasks")) {
        TaskId taskId(taskName);
        std::string taskDir = checkpoint::taskDir(runDir, taskId);
        auto task = checkpoint::read(taskDir + "/task.info");
        if (!task) {
          PLEXUS_TRY(soft(task.error()));
          continue;
        }
        std::deque<v1::TaskStatus> pending;
        std::set<std::string> acknowledged;
        std::optional<internal::AgentCheckpoint> updates;
        if (fs::exists(taskDir + "/task.updates")) {
          auto read = checkpoint::read(taskDir + "/task.updates");
          if (!read) {
            PLEXUS_TRY(soft(read.error()));
            continue;
          }
          updates = std::move(*read);
          pending.assign(updates->task_updates().pending().begin(),
                         updates->task_updates().pending().end());
          acknowledged.insert(updates->task_updates().acknowledged().begin(),
                              updates->task_updates().acknowledged().end());
        }
        v1::Task recoveredTask = task->task();
        // The task's state is the latest update the agent accepted.
        std::optional<v1::TaskStatus> latest;
        if (updates.has_value() && updates->task_updates().has_latest())
          latest = updates->task_updates().latest();
        if (latest) {
          recoveredTask.set_state(latest->state());
          recoveredTask.clear_statuses();
          *recoveredTask.add_statuses() = *latest;
        }
        const bool ended = isTerminalState(recoveredTask.state()) && pending.empty();
        // Its acknowledged uuids too: an executor that missed an acknowledgement
        // resends the update, which must not reach the framework twice.
        if (!pending.empty() || !acknowledged.empty()) {
          updates_->recover(frameworkId, taskId, std::move(pending), std::move(acknowledged));
        }
        taskCheckpoints_[{frameworkId, taskId}] = {.dir = taskDir, .latest = latest};
        if (ended) continue;  // ended and acknowledged: only its uuids matter
        executor.tasks[taskId] = std::move(recoveredTask);
        ++tasks;
      }
      if (recorded.completed()) {
        // Ended before the restart: only its tasks' unacknowledged updates matter.
        CompletedExecutor completed{.info = executor.info,
                                    .container = executor.container,
                                    .directory = executor.directory,
                                    .tasks = {},
                                    .completedTasks = {}};
        for (auto& [id, task] : executor.tasks)
          completed.tasks.push_back(std::move(task));
        if (!completed.tasks.empty()) framework.completedExecutors.push_back(std::move(completed));
        continue;
      }
      framework.executors.emplace(executorId, std::move(executor));
      ++executors;
    }
    frameworks_.emplace(frameworkId, std::move(framework));
  }
  recovering_ = true;
  PLEXUS_LOG(Info) << "Recovered " << frameworks_.size() << " frameworks, " << executors
                   << " executors and " << tasks << " tasks of agent " << agentId;
  return {};
}

void Agent::recoverExecutors() {
  const bool cleanup = flags_.recover == "cleanup";
  std::vector<v1::ContainerState> live;
  std::vector<std::pair<ContainerId, pid_t>> orphans;
  std::vector<Containerizer::Adopted> adopted;
  for (auto& [frameworkId, framework] : frameworks_) {
    for (auto& [executorId, executor] : framework.executors) {
      pid_t pid = executor.pid;
      // A pid of a process that is not the one the executor was (it ended and the
      // pid was reused) is no executor of ours.
      if (pid > 0 && executor.pidStartTicks != 0 &&
          checkpoint::processStartTicks(pid) != executor.pidStartTicks) {
        pid = 0;
      }
      if (cleanup) {
        if (pid > 0) orphans.emplace_back(executor.container, pid);
        continue;
      }
      v1::ContainerState state;
      *state.mutable_executor_info() = executor.info;
      // The container's size: the executor's resources and its live tasks'.
      for (const auto& [taskId, task] : executor.tasks) {
        if (isTerminalState(task.state())) continue;
        for (const auto& resource : task.resources())
          *state.mutable_executor_info()->add_resources() = resource;
      }
      state.mutable_container_id()->set_value(executor.container.value());
      state.set_pid(static_cast<std::uint64_t>(std::max(pid, 0)));
      state.set_directory(executor.directory);
      if (pid > 0) live.push_back(std::move(state));
      auto alive = alive_;
      adopted.push_back(
          {.id = executor.container,
           .pid = pid,
           .terminated = [this, alive, frameworkId, executorId](const Termination& termination) {
             if (*alive) onExecutorTerminated(frameworkId, executorId, termination);
           }});
      PLEXUS_LOG(Info) << "Recovering executor " << executorId << " of framework " << frameworkId
                       << " (container " << executor.container << ", pid " << pid << ")";
    }
  }
  auto alive = alive_;
  containerizer_->recover(
      std::move(live), std::move(orphans), std::move(adopted),
      [this, alive, cleanup](Result<void> recovered) {
        if (!*alive) return;
        if (!recovered) {
          PLEXUS_LOG(Error) << "Recovery: " << recovered.error().message();
          if (flags_.strict) {
            PLEXUS_LOG(Error) << "Stopping (--strict); start with --strict=false to go on "
                                 "without what could not be recovered";
            return context_.stop(1);
          }
        }
        if (cleanup) {
          std::error_code error;
          std::filesystem::remove(checkpoint::latestAgentLink(context_.flags.workDir), error);
          PLEXUS_LOG(Info) << "Killed the executors of agent " << agentId_.value_or(AgentId(""))
                           << " and forgot it (--recover=cleanup); exiting";
          return context_.stop(0);
        }
        reregistrationTimer_ =
            context_.runtime.schedule(flags_.executorReregistrationTimeout, [this, alive] {
              if (*alive) onReregistrationTimeout();
            });
        maybeFinishRecovery();
      });
}

void Agent::onReregistrationTimeout() {
  reregistrationTimer_ = 0;
  for (auto& [frameworkId, framework] : frameworks_) {
    const bool partitionAware = [&] {
      for (const auto& capability : framework.info.capabilities()) {
        if (capability.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE) return true;
      }
      return false;
    }();
    for (auto& [executorId, executor] : framework.executors) {
      if (!executor.recovering || executor.state != Executor::State::kRegistering) continue;
      PLEXUS_LOG(Info) << "Killing executor " << executorId << " of framework " << frameworkId
                       << ": it did not re-subscribe within "
                       << formatDuration(flags_.executorReregistrationTimeout);
      executor.recovering = false;
      executor.state = Executor::State::kTerminating;
      // As Mesos: the task was started and is now gone (TASK_LOST for frameworks
      // that are not partition-aware).
      executor.terminationState = partitionAware ? v1::TASK_GONE : v1::TASK_LOST;
      executor.terminationReason = v1::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT;
      executor.terminationMessage = "Executor did not reregister within " +
                                    formatDuration(flags_.executorReregistrationTimeout);
      containerizer_->destroy(executor.container, Duration::zero());
    }
  }
  maybeFinishRecovery(true);
}

void Agent::maybeFinishRecovery(bool timedOut) {
  // Until the isolators have recovered, the timer is not running yet.
  if (!recovering_ || (reregistrationTimer_ == 0 && !timedOut)) return;
  if (!timedOut) {
    for (const auto& [frameworkId, framework] : frameworks_) {
      for (const auto& [executorId, executor] : framework.executors) {
        if (executor.recovering && executor.state == Executor::State::kRegistering) return;
      }
    }
    context_.runtime.cancel(reregistrationTimer_);
    reregistrationTimer_ = 0;
  }
  recovering_ = false;
  PLEXUS_LOG(Info) << "Finished recovery of agent " << agentId_.value_or(AgentId(""));
  connectToMaster();
}

}  // namespace plexus::agent
