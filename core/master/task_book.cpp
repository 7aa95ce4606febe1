#include "master/task_book.hpp"

#include <plexus/task_state.hpp>

namespace plexus::master {

bool TaskRecord::terminal() const {
  return isTerminalState(task.state());
}

void TaskBook::launch(const TaskId& id, TaskRecord record) {
  active_.emplace(id, std::move(record));
}

TaskRecord* TaskBook::find(const TaskId& id) {
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : &it->second;
}

const TaskRecord* TaskBook::lookup(const TaskId& id) const {
  for (const Tasks* tasks : {&active_, &unreachable_, &completed_}) {
    if (auto it = tasks->find(id); it != tasks->end()) return &it->second;
  }
  return nullptr;
}

bool TaskBook::complete(const TaskId& id, std::size_t maxCompleted) {
  auto it = active_.find(id);
  if (it == active_.end()) return false;
  completed_.emplace(id, std::move(it->second));
  active_.erase(it);
  while (completed_.size() > maxCompleted)
    completed_.erase(completed_.begin());
  return true;
}

std::vector<TaskRecord*> TaskBook::activeRecords() {
  std::vector<TaskRecord*> records;
  for (auto& [id, task] : active_)
    records.push_back(&task);
  return records;
}

void TaskBook::killAll() {
  for (auto& [id, task] : active_) {
    task.task.set_state(v1::TASK_KILLED);
    completed_.emplace(id, std::move(task));
  }
  active_.clear();
}

void TaskBook::markUnreachable(const TaskId& id, v1::TaskState state) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  TaskRecord task = std::move(it->second);
  active_.erase(it);
  task.task.set_state(state);
  unreachable_.emplace(id, std::move(task));
}

TaskRecord& TaskBook::adopt(const TaskId& id) {
  unreachable_.erase(id);
  return active_[id];
}

}  // namespace plexus::master
