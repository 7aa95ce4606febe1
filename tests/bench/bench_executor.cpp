// plexus-bench-executor: the long-lived custom executor of plexus-bench-tasks'
// `executor` mode, written against the SDK executor library the way a framework such
// as Spark writes its own: one executor per framework and agent, every task
// LAUNCHed to it. For each task it spawns the program named in the task's `data`
// (posix_spawn, which uses vfork), sends TASK_RUNNING at once and TASK_FINISHED (or
// TASK_FAILED) when the process exits. A task whose `data` is "hold" runs no process:
// it is TASK_RUNNING until killed (TASK_KILLED), a simulated task for
// plexus-bench-agent-scale. It exits on SHUTDOWN or when the agent goes.
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

#include <plexus/executor/mesos.hpp>
#include <plexus/uuid.hpp>

extern char** environ;

namespace {

using plexus::v1::executor::Call;
using plexus::v1::executor::Event;

class BenchExecutor {
 public:
  BenchExecutor() : reaper_([this] { reap(); }) {}

  ~BenchExecutor() {
    mesos_.reset();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    reaper_.join();
  }

  bool start() {
    auto mesos = plexus::executor::Mesos::create(
        plexus::executor::ContentType::kProtobuf,
        {.connected = [this] { subscribe(); },
         .disconnected = [this] { finish(); },
         .received = [this](std::deque<Event> events) { received(events); }});
    if (!mesos) {
      std::cerr << "plexus-bench-executor: " << mesos.error().message() << std::endl;
      return false;
    }
    mesos_ = std::move(*mesos);
    return true;
  }

  void waitUntilDone() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return done_; });
  }

 private:
  void subscribe() {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    call.mutable_subscribe();
    mesos_->send(std::move(call));
  }

  void received(const std::deque<Event>& events) {
    for (const Event& event : events) {
      switch (event.type()) {
        case Event::LAUNCH:
          launch(event.launch().task());
          break;
        case Event::LAUNCH_GROUP:
          for (const auto& task : event.launch_group().task_group().tasks())
            launch(task);
          break;
        case Event::KILL:
          kill(event.kill().task_id().value());
          break;
        case Event::SHUTDOWN:
          finish();
          break;
        default:
          break;
      }
    }
  }

  void launch(const plexus::v1::TaskInfo& task) {
    if (task.data() == "hold") {
      {
        std::lock_guard lock(mutex_);
        held_.insert(task.task_id().value());
      }
      update(task.task_id(), plexus::v1::TASK_RUNNING, "");
      return;
    }
    std::string program = task.data().empty() ? "/bin/true" : task.data();
    char* argv[] = {program.data(), nullptr};
    pid_t pid = 0;
    int error = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ);
    if (error != 0) {
      update(task.task_id(), plexus::v1::TASK_FAILED,
             std::string("posix_spawn: ") + std::strerror(error));
      return;
    }
    update(task.task_id(), plexus::v1::TASK_RUNNING, "");
    std::optional<int> status;
    {
      std::lock_guard lock(mutex_);
      // The reaper may have collected it already (waiting for another task).
      if (auto exited = exited_.find(pid); exited != exited_.end()) {
        status = exited->second;
        exited_.erase(exited);
      } else {
        running_[pid] = task.task_id();
      }
    }
    if (status) return ended(task.task_id(), *status);
    changed_.notify_all();
  }

  void ended(const plexus::v1::TaskID& task, int status) {
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    update(task, ok ? plexus::v1::TASK_FINISHED : plexus::v1::TASK_FAILED,
           ok ? "" : "the task's process failed (wait status " + std::to_string(status) + ")");
  }

  void kill(const std::string& taskId) {
    std::unique_lock lock(mutex_);
    if (held_.erase(taskId) > 0) {
      lock.unlock();
      plexus::v1::TaskID id;
      id.set_value(taskId);
      update(id, plexus::v1::TASK_KILLED, "");
      return;
    }
    for (const auto& [pid, id] : running_) {
      if (id.value() == taskId) ::kill(pid, SIGKILL);
    }
  }

  // On its own thread: waits for the tasks' processes and reports how they ended.
  void reap() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [this] { return stopping_ || !running_.empty(); });
      if (stopping_) return;
      lock.unlock();
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, 0);
      lock.lock();
      if (pid <= 0) continue;
      auto it = running_.find(pid);
      if (it == running_.end()) {
        exited_[pid] = status;  // launch() has not recorded it yet
        continue;
      }
      plexus::v1::TaskID id = it->second;
      running_.erase(it);
      lock.unlock();
      ended(id, status);
      lock.lock();
    }
  }

  void update(const plexus::v1::TaskID& task, plexus::v1::TaskState state,
              const std::string& message) {
    Call call;
    call.set_type(Call::UPDATE);
    plexus::v1::TaskStatus* status = call.mutable_update()->mutable_status();
    *status->mutable_task_id() = task;
    status->set_state(state);
    status->set_source(plexus::v1::TaskStatus::SOURCE_EXECUTOR);
    status->set_uuid(plexus::randomUuidBytes());
    if (!message.empty()) status->set_message(message);
    mesos_->send(std::move(call));
  }

  void finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
  }

  std::unique_ptr<plexus::executor::Mesos> mesos_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<pid_t, plexus::v1::TaskID> running_;
  std::map<pid_t, int> exited_;  // reaped before launch() recorded them
  std::set<std::string> held_;   // "hold" tasks: no process
  bool stopping_ = false;
  bool done_ = false;
  std::thread reaper_;
};

}  // namespace

int main() {
  BenchExecutor executor;
  if (!executor.start()) return 1;
  executor.waitUntilDone();
  return 0;
}
