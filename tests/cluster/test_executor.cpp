// cluster-test-executor: a custom executor for the end-to-end tests, built on the
// SDK's executor library (<plexus/executor/mesos.hpp>) as a framework author would.
//
//   cluster-test-executor json|protobuf     (the executor API encoding)
//
// Tasks: each LAUNCH gets TASK_RUNNING whose data is "pid=<our pid> launches=<n>";
// a task whose data is "finish" then gets TASK_FINISHED; the others run until a
// KILL (TASK_KILLED). SHUTDOWN, or losing the agent, ends the process with 0.
// A task whose data is "stubborn" starts a `sleep 1000` child in the executor's
// process group (TASK_RUNNING data adds "child=<pid>") and makes the executor
// ignore SHUTDOWN and the loss of the agent, as a hung executor would: only the
// library's end of the shutdown grace period (or a SIGKILL) stops it then.
// Framework messages: "env" is answered with the MESOS_* environment, one
// NAME=value a line; "exit:<n>" ends the process at once with _exit(n) (a crash);
// anything else is sent back unchanged.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <spawn.h>
#include <string>
#include <unistd.h>

#include <plexus/executor/mesos.hpp>
#include <plexus/uuid.hpp>

extern char** environ;

namespace {

using plexus::executor::ContentType;
using plexus::executor::Mesos;
using plexus::v1::executor::Call;
using plexus::v1::executor::Event;

class TestExecutor {
 public:
  explicit TestExecutor(Mesos* mesos) : mesos_(mesos) {}

  void connected() {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    call.mutable_subscribe();
    mesos_->send(call);
  }

  void received(const Event& event) {
    switch (event.type()) {
      case Event::LAUNCH:
        return launch(event.launch().task());
      case Event::KILL:
        if (running_.erase(event.kill().task_id().value()) > 0)
          update(event.kill().task_id(), plexus::v1::TASK_KILLED, "");
        return;
      case Event::MESSAGE:
        return message(event.message().data());
      case Event::SHUTDOWN:
        if (stubborn_) return;
        return finish(0);
      default:
        return;
    }
  }

  void finish(int status) {
    std::lock_guard lock(mutex_);
    status_ = status;
    done_.notify_all();
  }

  int wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return status_.has_value(); });
    return *status_;
  }

  bool stubborn() const { return stubborn_; }

 private:
  void launch(const plexus::v1::TaskInfo& task) {
    ++launches_;
    std::string data =
        "pid=" + std::to_string(::getpid()) + " launches=" + std::to_string(launches_);
    if (task.data() == "stubborn") {
      stubborn_ = true;
      pid_t child = 0;
      char sleep[] = "sleep";
      char duration[] = "1000";
      char* argv[] = {sleep, duration, nullptr};
      if (::posix_spawnp(&child, "sleep", nullptr, nullptr, argv, environ) == 0)
        data += " child=" + std::to_string(child);
    }
    update(task.task_id(), plexus::v1::TASK_RUNNING, data);
    if (task.data() == "finish") {
      update(task.task_id(), plexus::v1::TASK_FINISHED, "");
    } else {
      running_.insert(task.task_id().value());
    }
  }

  void message(const std::string& data) {
    if (data.starts_with("exit:")) ::_exit(std::atoi(data.c_str() + 5));
    Call call;
    call.set_type(Call::MESSAGE);
    if (data == "env") {
      std::string text = "env\n";
      for (char** e = environ; *e != nullptr; ++e) {
        if (std::string(*e).starts_with("MESOS_")) text += std::string(*e) + "\n";
      }
      call.mutable_message()->set_data(text);
    } else {
      call.mutable_message()->set_data(data);
    }
    mesos_->send(call);
  }

  void update(const plexus::v1::TaskID& task, plexus::v1::TaskState state,
              const std::string& data) {
    Call call;
    call.set_type(Call::UPDATE);
    plexus::v1::TaskStatus* status = call.mutable_update()->mutable_status();
    *status->mutable_task_id() = task;
    status->set_state(state);
    status->set_source(plexus::v1::TaskStatus::SOURCE_EXECUTOR);
    status->set_uuid(plexus::randomUuidBytes());
    if (!data.empty()) status->set_data(data);
    mesos_->send(call);
  }

  Mesos* mesos_;
  int launches_ = 0;
  std::atomic<bool> stubborn_{false};
  std::set<std::string> running_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::optional<int> status_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string encoding = argc > 1 ? argv[1] : "json";
  // The library calls back on its own thread, possibly before create() returns.
  std::promise<void> ready;
  std::shared_future<void> isReady = ready.get_future().share();
  TestExecutor* executor = nullptr;
  bool checkpoint = false;
  auto mesos = Mesos::create(encoding == "protobuf" ? ContentType::kProtobuf : ContentType::kJson,
                             {.connected =
                                  [&] {
                                    isReady.wait();
                                    executor->connected();
                                  },
                              .disconnected =
                                  [&] {
                                    isReady.wait();
                                    if (!checkpoint && !executor->stubborn()) executor->finish(0);
                                  },
                              .received =
                                  [&](std::deque<Event> events) {
                                    isReady.wait();
                                    for (const Event& event : events)
                                      executor->received(event);
                                  }});
  if (!mesos) {
    std::cerr << "cluster-test-executor: " << mesos.error().message() << "\n";
    return 2;
  }
  checkpoint = (*mesos)->environment().checkpoint;
  TestExecutor instance(mesos->get());
  executor = &instance;
  ready.set_value();
  int status = instance.wait();
  mesos->reset();
  return status;
}
