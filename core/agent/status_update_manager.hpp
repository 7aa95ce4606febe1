// StatusUpdateManager: reliable, ordered delivery of task status updates to the master.
//
// Every update the agent accepts (from an executor, or made by the agent itself)
// goes through here. Updates are kept per task in a stream, in arrival order; only
// the head of a stream is outstanding at the master. The head is forwarded at once
// (while the master is connected) and resent with backoff, `initial` doubling up to
// `max` (Mesos: 10secs to 10mins), until the master relays the scheduler's
// ACKNOWLEDGE for its uuid; then the next update of the task goes out. A stream
// whose terminal update is acknowledged keeps the acknowledged uuids until the
// agent forget()s it (its executor is gone), so that duplicates (same uuid, e.g. an
// executor resending after it re-subscribed) are recognised and not queued twice.
//
// While the master is disconnected (pause()) nothing is sent; resume() resends
// every head at once. The streams are plain values (see streams()): the agent
// checkpoints them and recover()s them after a restart.
//
// Threading: the agent's loop only (timers come from the Runtime).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <plexus/duration.hpp>
#include <plexus/ids.hpp>
#include <plexus/runtime.hpp>
#include <plexus/task_state.hpp>
#include <plexus/uuid.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::agent {

class StatusUpdateManager {
 public:
  using Forward = std::function<void(const FrameworkId& framework, const v1::TaskStatus& status)>;
  using Key = std::pair<FrameworkId, TaskId>;

  struct Options {
    Duration initialRetry = std::chrono::seconds(10);
    Duration maxRetry = std::chrono::minutes(10);
  };

  // The updates of one task not yet acknowledged, head first.
  struct Stream {
    std::deque<v1::TaskStatus> pending;
    std::set<std::string> acknowledged;  // uuids, to recognise duplicates
    Duration backoff{};
    Runtime::TimerId timer = 0;
    bool sent = false;  // the head went out at least once
  };

  enum class Added { kQueued, kDuplicatePending, kDuplicateAcknowledged };

  StatusUpdateManager(Runtime& runtime, Options options, Forward forward);
  ~StatusUpdateManager();
  StatusUpdateManager(const StatusUpdateManager&) = delete;
  StatusUpdateManager& operator=(const StatusUpdateManager&) = delete;

  // Queues `status` (uuid set, 16 bytes) for its task; forwards it if it heads the stream.
  Added add(const FrameworkId& framework, const v1::TaskStatus& status);

  // The scheduler acknowledged `uuid` of the task. Returns the acknowledged update
  // when it was the stream's head (the next one is then forwarded), nullopt for an
  // unknown or out-of-order acknowledgement (ignored, as Mesos does).
  std::optional<v1::TaskStatus> acknowledge(const FrameworkId& framework, const TaskId& task,
                                            const std::string& uuid);

  void pause();
  void resume();
  bool paused() const { return paused_; }

  // After an agent restart: the task's stream as it was checkpointed; its head goes
  // out once resume()d.
  void recover(const FrameworkId& framework, const TaskId& task, std::deque<v1::TaskStatus> pending,
               std::set<std::string> acknowledged);

  // Forgets the task's stream (its executor is gone) unless updates are pending.
  void forget(const FrameworkId& framework, const TaskId& task);

  // Forgets every stream of the framework (it was shut down).
  void removeFramework(const FrameworkId& framework);

  // The head (the update outstanding at the master) of the task's stream, if any.
  const v1::TaskStatus* head(const FrameworkId& framework, const TaskId& task) const;

  const std::map<Key, Stream>& streams() const { return streams_; }

 private:
  void send(const Key& key, Stream& stream);
  void scheduleRetry(const Key& key, Stream& stream);

  Runtime& runtime_;
  Options options_;
  Forward forward_;
  bool paused_ = true;
  std::map<Key, Stream> streams_;
};

}  // namespace plexus::agent
