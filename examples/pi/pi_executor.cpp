// plexus-pi-executor: the custom executor of the pi example (see README.md).
//
// The agent starts it with Mesos's executor environment; it subscribes through the
// SDK's executor library and stays until the agent sends SHUTDOWN. Each LAUNCHed
// task carries in its `data` the number of samples to draw: the executor answers
// TASK_RUNNING, draws the points on a thread of its own, sends the count that fell
// inside the quarter circle to the scheduler as a framework message, then
// TASK_FINISHED. A KILLed task stops drawing and ends TASK_KILLED.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include <plexus/executor/mesos.hpp>
#include <plexus/uuid.hpp>

namespace {

using plexus::v1::executor::Call;
using plexus::v1::executor::Event;

class PiExecutor {
 public:
  int run() {
    auto mesos = plexus::executor::Mesos::create(
        plexus::executor::ContentType::kProtobuf,
        {.connected = [this] { subscribe(); },
         .disconnected = [this] { stop("lost the agent"); },
         .received = [this](std::deque<Event> events) { received(std::move(events)); },
         .error =
             [this](const Call& call, const plexus::Error& error) {
               std::cerr << "plexus-pi-executor: " << Call::Type_Name(call.type())
                         << " failed: " << error.message() << std::endl;
               if (call.type() == Call::SUBSCRIBE) stop("the agent refused the subscription");
             }});
    if (!mesos) {
      std::cerr << "plexus-pi-executor: " << mesos.error().message() << std::endl;
      return 1;
    }
    mesos_ = std::move(*mesos);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return stopping_; });
    for (auto& [id, task] : tasks_)
      task.cancelled = true;
    lock.unlock();
    for (auto& worker : workers_)
      worker.join();
    mesos_.reset();
    std::cout << "plexus-pi-executor: " << why_ << std::endl;
    return 0;
  }

 private:
  struct Task {
    plexus::v1::TaskInfo info;
    std::atomic<bool> cancelled = false;
  };

  void subscribe() {
    std::lock_guard lock(mutex_);
    Call call;
    call.set_type(Call::SUBSCRIBE);
    call.mutable_subscribe();
    // After a reconnection the agent learns what is still unacknowledged.
    for (const auto& [uuid, update] : unacknowledged_)
      *call.mutable_subscribe()->add_unacknowledged_updates() = update;
    for (const auto& [id, task] : tasks_) {
      for (const auto& [uuid, update] : unacknowledged_) {
        if (update.status().task_id().value() == id) {
          *call.mutable_subscribe()->add_unacknowledged_tasks() = task.info;
          break;
        }
      }
    }
    mesos_->send(call);
  }

  void received(std::deque<Event> events) {
    for (const Event& event : events) {
      switch (event.type()) {
        case Event::SUBSCRIBED:
          std::cout << "Subscribed on agent " << event.subscribed().agent_info().id().value()
                    << std::endl;
          break;
        case Event::LAUNCH:
          launch(event.launch().task());
          break;
        case Event::KILL: {
          std::lock_guard lock(mutex_);
          if (auto it = tasks_.find(event.kill().task_id().value()); it != tasks_.end())
            it->second.cancelled = true;
          break;
        }
        case Event::ACKNOWLEDGED: {
          std::lock_guard lock(mutex_);
          unacknowledged_.erase(event.acknowledged().uuid());
          break;
        }
        case Event::SHUTDOWN:
          stop("shut down by the agent");
          break;
        case Event::ERROR:
          stop("error from the agent: " + event.error().message());
          break;
        default:  // LAUNCH_GROUP is not ours; MESSAGE and HEARTBEAT need nothing
          break;
      }
    }
  }

  void launch(const plexus::v1::TaskInfo& info) {
    std::lock_guard lock(mutex_);
    const std::string& id = info.task_id().value();
    char* end = nullptr;
    unsigned long long samples = std::strtoull(info.data().c_str(), &end, 10);
    if (info.data().empty() || *end != '\0' || samples == 0) {
      update(info.task_id(), plexus::v1::TASK_FAILED,
             "expected the number of samples in the task's data, got '" + info.data() + "'");
      return;
    }
    auto [it, added] = tasks_.try_emplace(id);
    if (!added) return;  // a duplicate LAUNCH
    it->second.info = info;
    update(info.task_id(), plexus::v1::TASK_RUNNING, "");
    Task* task = &it->second;
    workers_.emplace_back([this, task, samples] { draw(*task, samples); });
  }

  // Runs on a worker thread.
  void draw(Task& task, unsigned long long samples) {
    // A seed per task: the tasks' samples are independent of each other.
    std::seed_seq seed(task.info.task_id().value().begin(), task.info.task_id().value().end());
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    unsigned long long inside = 0;
    for (unsigned long long i = 0; i < samples; ++i) {
      if ((i & 0xffff) == 0 && task.cancelled) break;
      double x = unit(random), y = unit(random);
      if (x * x + y * y <= 1.0) ++inside;
    }
    std::lock_guard lock(mutex_);
    if (task.cancelled) {
      update(task.info.task_id(), plexus::v1::TASK_KILLED, "killed while drawing");
      return;
    }
    // "<task id> <inside> <samples>": the scheduler adds up every task's counts.
    Call message;
    message.set_type(Call::MESSAGE);
    message.mutable_message()->set_data(task.info.task_id().value() + " " + std::to_string(inside) +
                                        " " + std::to_string(samples));
    mesos_->send(message);
    update(task.info.task_id(), plexus::v1::TASK_FINISHED,
           std::to_string(inside) + " of " + std::to_string(samples) + " points inside");
  }

  // Sends a status update and keeps it until the agent acknowledges it. Needs mutex_.
  void update(const plexus::v1::TaskID& taskId, plexus::v1::TaskState state,
              const std::string& message) {
    Call call;
    call.set_type(Call::UPDATE);
    plexus::v1::TaskStatus* status = call.mutable_update()->mutable_status();
    *status->mutable_task_id() = taskId;
    status->set_state(state);
    status->set_source(plexus::v1::TaskStatus::SOURCE_EXECUTOR);
    if (!message.empty()) status->set_message(message);
    status->set_uuid(plexus::randomUuidBytes());
    status->set_timestamp(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    unacknowledged_[status->uuid()] = call.update();
    mesos_->send(call);
  }

  void stop(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    why_ = why;
    done_.notify_all();
  }

  std::unique_ptr<plexus::executor::Mesos> mesos_;
  std::mutex mutex_;
  std::condition_variable done_;
  bool stopping_ = false;
  std::string why_;
  std::map<std::string, Task> tasks_;
  std::map<std::string, Call::Update> unacknowledged_;  // by uuid
  std::vector<std::thread> workers_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {  // it takes no flags: --help prints this, anything else is refused
    const std::string arg = argv[1];
    if (arg != "--help" && arg != "-h")
      std::cerr << "plexus-pi-executor: unrecognised option '" << arg << "'\n";
    std::cout << "Usage: plexus-pi-executor\n"
                 "The executor of the pi example, started by an agent with Mesos's executor\n"
                 "environment (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID).\n";
    return arg == "--help" || arg == "-h" ? 0 : 2;
  }
  return PiExecutor().run();
}
