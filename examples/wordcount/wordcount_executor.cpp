// plexus-wordcount-executor: the map side of examples/wordcount.
//
// Started by an agent (one per agent and framework) through the SDK's executor
// library; stays until the agent sends SHUTDOWN or the connection is lost. Each
// LAUNCHed task's data lists files, one path per line: the executor answers
// TASK_RUNNING, counts their words on a thread of its own, writes the partial
// counts into the task's file `<sandbox>/counts-<task>.txt`, sends them to the
// scheduler as a framework message ("<task id>\n" then "word count" lines) and ends
// the task TASK_FINISHED; a file it cannot read ends the task TASK_FAILED naming
// it. A KILLed task ends TASK_KILLED.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <plexus/executor/mesos.hpp>
#include <plexus/uuid.hpp>

#include "word_count.hpp"

namespace {

using plexus::v1::executor::Call;
using plexus::v1::executor::Event;

class WordCountExecutor {
 public:
  int run() {
    // Callbacks may start before create() returns; they take the lock first.
    std::unique_lock lock(mutex_);
    auto mesos = plexus::executor::Mesos::create(
        plexus::executor::ContentType::kProtobuf,
        {.connected = [this] { subscribe(); },
         .disconnected = [this] { stop("lost the agent"); },
         .received = [this](std::deque<Event> events) { received(std::move(events)); },
         .error =
             [this](const Call& call, const plexus::Error& error) {
               std::cerr << "plexus-wordcount-executor: " << Call::Type_Name(call.type())
                         << " failed: " << error.message() << std::endl;
               if (call.type() == Call::SUBSCRIBE) stop("the agent refused the subscription");
             }});
    if (!mesos) {
      std::cerr << "plexus-wordcount-executor: " << mesos.error().message() << std::endl;
      return 1;
    }
    mesos_ = std::move(*mesos);
    done_.wait(lock, [this] { return stopping_; });
    for (auto& [id, killed] : killed_)
      killed->store(true);
    lock.unlock();
    for (auto& worker : workers_)
      worker.join();
    mesos_.reset();
    std::cout << "plexus-wordcount-executor: " << why_ << std::endl;
    return 0;
  }

 private:
  void subscribe() {
    std::lock_guard lock(mutex_);
    Call call;
    call.set_type(Call::SUBSCRIBE);
    call.mutable_subscribe();
    for (const auto& [uuid, update] : unacknowledged_)
      *call.mutable_subscribe()->add_unacknowledged_updates() = update;
    mesos_->send(call);
  }

  void received(std::deque<Event> events) {
    std::lock_guard lock(mutex_);
    for (const Event& event : events) {
      switch (event.type()) {
        case Event::LAUNCH: {
          const plexus::v1::TaskInfo& task = event.launch().task();
          auto killed = std::make_shared<std::atomic<bool>>(false);
          killed_[task.task_id().value()] = killed;
          update(task.task_id(), plexus::v1::TASK_RUNNING, "");
          workers_.emplace_back([this, task, killed] { map(task, *killed); });
          break;
        }
        case Event::KILL:
          if (auto it = killed_.find(event.kill().task_id().value()); it != killed_.end())
            it->second->store(true);
          break;
        case Event::ACKNOWLEDGED:
          unacknowledged_.erase(event.acknowledged().uuid());
          break;
        case Event::SHUTDOWN:
          stopping_ = true;
          why_ = "shut down by the agent";
          done_.notify_all();
          break;
        default:
          break;
      }
    }
  }

  // The map step, on a worker thread.
  void map(const plexus::v1::TaskInfo& task, const std::atomic<bool>& killed) {
    wordcount::WordCounts counts;
    std::istringstream files(task.data());
    for (std::string file; std::getline(files, file);) {
      if (file.empty()) continue;
      if (killed) return finish(task, plexus::v1::TASK_KILLED, "killed while counting");
      if (auto counted = wordcount::countFile(file, counts); !counted)
        return finish(task, plexus::v1::TASK_FAILED, counted.error().message());
    }
    const std::string partial = wordcount::serialize(counts);
    // The partial counts stay in the sandbox (the executor's working directory).
    const std::string path = "counts-" + task.task_id().value() + ".txt";
    if (std::FILE* out = std::fopen(path.c_str(), "w")) {
      std::fwrite(partial.data(), 1, partial.size(), out);
      std::fclose(out);
    }
    Call message;
    message.set_type(Call::MESSAGE);
    message.mutable_message()->set_data(task.task_id().value() + "\n" + partial);
    {
      std::lock_guard lock(mutex_);
      mesos_->send(message);
    }
    finish(task, plexus::v1::TASK_FINISHED,
           std::to_string(wordcount::total(counts)) + " words, " + std::to_string(counts.size()) +
               " distinct");
  }

  void finish(const plexus::v1::TaskInfo& task, plexus::v1::TaskState state,
              const std::string& message) {
    std::lock_guard lock(mutex_);
    update(task.task_id(), state, message);
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
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> killed_;
  std::map<std::string, Call::Update> unacknowledged_;  // by uuid
  std::vector<std::thread> workers_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {  // it takes no flags: --help prints this, anything else is refused
    if (std::string(argv[1]) != "--help")
      std::cerr << "plexus-wordcount-executor: unrecognised option '" << argv[1] << "'\n";
    std::cout << "Usage: plexus-wordcount-executor\n"
                 "The map side of the wordcount example, started by an agent with Mesos's\n"
                 "executor environment (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID, ...).\n";
    return std::string(argv[1]) == "--help" ? 0 : 2;
  }
  return WordCountExecutor().run();
}
