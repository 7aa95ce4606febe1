// TaskBook: one framework's tasks, by ID, in the three lists the master reports:
// active (launched, not terminal), unreachable (on an agent marked unreachable)
// and completed (terminal; the most recent --max_completed_tasks_per_framework,
// lowest IDs dropped first).
//
// A task is in at most one list. A terminal update completes an active task; an
// unreachable agent's tasks move to the unreachable list and come back to the
// active one when the agent re-registers with them; a removed framework's active
// tasks are completed as TASK_KILLED. Owned by its FrameworkRecord; touched on the
// master's loop only.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include <plexus/ids.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::master {

struct TaskRecord {
  v1::Task task;  // state, statuses and resources as the master knows them
  Resources resources;
  std::optional<ExecutorId> executor;  // the executor it runs under, when custom
  bool preempted = false;              // killed to reclaim its resources
  bool terminal() const;
};

class TaskBook {
 public:
  using Tasks = std::map<TaskId, TaskRecord>;

  // Adds a launched task (not yet listed).
  void launch(const TaskId& id, TaskRecord record);
  // The active task `id`, or null.
  TaskRecord* find(const TaskId& id);
  // The task `id` in any list (active first, then unreachable, then completed), or null.
  const TaskRecord* lookup(const TaskId& id) const;
  // Moves the active task `id` to the completed ones (unless one with its ID is
  // there already), then keeps at most `maxCompleted`. False if it was not active.
  bool complete(const TaskId& id, std::size_t maxCompleted);
  // Completes every active task as TASK_KILLED (the framework is removed).
  void killAll();
  // Moves the active task `id` to the unreachable ones, in `state`.
  void markUnreachable(const TaskId& id, v1::TaskState state);
  // The task `id` as an agent re-registering reports it: active again (out of the
  // unreachable list), its record to fill.
  TaskRecord& adopt(const TaskId& id);

  const Tasks& active() const { return active_; }
  const Tasks& unreachable() const { return unreachable_; }
  const Tasks& completed() const { return completed_; }
  // Each active task, to change (preemption marks them); the list stays as it is.
  std::vector<TaskRecord*> activeRecords();

 private:
  Tasks active_;
  Tasks unreachable_;
  Tasks completed_;
};

}  // namespace plexus::master
