#include "agent/status_update_manager.hpp"

#include <plexus/logging.hpp>

namespace plexus::agent {

StatusUpdateManager::StatusUpdateManager(Runtime& runtime, Options options, Forward forward)
    : runtime_(runtime), options_(options), forward_(std::move(forward)) {}

StatusUpdateManager::~StatusUpdateManager() {
  for (auto& [key, stream] : streams_) {
    if (stream.timer != 0) runtime_.cancel(stream.timer);
  }
}

StatusUpdateManager::Added StatusUpdateManager::add(const FrameworkId& framework,
                                                    const v1::TaskStatus& status) {
  Key key{framework, TaskId::fromWire(status.task_id())};
  Stream& stream = streams_[key];
  if (stream.acknowledged.contains(status.uuid())) return Added::kDuplicateAcknowledged;
  for (const v1::TaskStatus& pending : stream.pending) {
    if (pending.uuid() == status.uuid()) return Added::kDuplicatePending;
  }
  stream.pending.push_back(status);
  if (stream.pending.size() == 1) {
    stream.backoff = options_.initialRetry;
    send(key, stream);
  }
  return Added::kQueued;
}

std::optional<v1::TaskStatus> StatusUpdateManager::acknowledge(const FrameworkId& framework,
                                                               const TaskId& task,
                                                               const std::string& uuid) {
  auto it = streams_.find(Key{framework, task});
  if (it == streams_.end() || it->second.pending.empty()) return std::nullopt;
  Stream& stream = it->second;
  if (stream.pending.front().uuid() != uuid) return std::nullopt;
  if (stream.timer != 0) runtime_.cancel(stream.timer);
  stream.timer = 0;
  v1::TaskStatus acked = std::move(stream.pending.front());
  stream.pending.pop_front();
  stream.acknowledged.insert(uuid);
  stream.sent = false;
  if (!stream.pending.empty()) {
    stream.backoff = options_.initialRetry;
    send(it->first, stream);
  }
  return acked;
}

void StatusUpdateManager::pause() {
  paused_ = true;
  for (auto& [key, stream] : streams_) {
    if (stream.timer != 0) runtime_.cancel(stream.timer);
    stream.timer = 0;
  }
}

void StatusUpdateManager::resume() {
  paused_ = false;
  for (auto& [key, stream] : streams_) {
    if (stream.pending.empty()) continue;
    stream.backoff = options_.initialRetry;
    send(key, stream);
  }
}

void StatusUpdateManager::recover(const FrameworkId& framework, const TaskId& task,
                                  std::deque<v1::TaskStatus> pending,
                                  std::set<std::string> acknowledged) {
  Stream& stream = streams_[Key{framework, task}];
  stream.pending = std::move(pending);
  stream.acknowledged = std::move(acknowledged);
  stream.backoff = options_.initialRetry;
  send(Key{framework, task}, stream);
}

void StatusUpdateManager::forget(const FrameworkId& framework, const TaskId& task) {
  auto it = streams_.find(Key{framework, task});
  if (it == streams_.end() || !it->second.pending.empty()) return;
  if (it->second.timer != 0) runtime_.cancel(it->second.timer);
  streams_.erase(it);
}

void StatusUpdateManager::removeFramework(const FrameworkId& framework) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->first.first == framework) {
      if (it->second.timer != 0) runtime_.cancel(it->second.timer);
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

const v1::TaskStatus* StatusUpdateManager::head(const FrameworkId& framework,
                                                const TaskId& task) const {
  auto it = streams_.find(Key{framework, task});
  if (it == streams_.end() || it->second.pending.empty()) return nullptr;
  return &it->second.pending.front();
}

void StatusUpdateManager::send(const Key& key, Stream& stream) {
  if (paused_ || stream.pending.empty()) return;
  const v1::TaskStatus& status = stream.pending.front();
  if (stream.sent) {
    PLEXUS_LOG(Info) << "Resending status update " << v1::TaskState_Name(status.state())
                     << " for task " << key.second << " of framework " << key.first;
  }
  stream.sent = true;
  forward_(key.first, status);
  scheduleRetry(key, stream);
}

void StatusUpdateManager::scheduleRetry(const Key& key, Stream& stream) {
  if (stream.timer != 0) runtime_.cancel(stream.timer);
  Duration delay = stream.backoff;
  stream.backoff = std::min(stream.backoff * 2, options_.maxRetry);
  stream.timer = runtime_.schedule(delay, [this, key] {
    auto it = streams_.find(key);
    if (it == streams_.end()) return;
    it->second.timer = 0;
    send(key, it->second);
  });
}

}  // namespace plexus::agent
