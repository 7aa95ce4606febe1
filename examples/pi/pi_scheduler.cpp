// plexus-pi: the Monte Carlo estimate of pi as a Plexus (Mesos v1) framework.
//
// It subscribes through the SDK's scheduler library, launches --tasks tasks on its
// own executor (plexus-pi-executor, one per agent; a task's data is the number of
// samples it draws), collects each task's count of points inside the quarter circle
// from the executors' framework messages, prints the estimate, tears the framework
// down and exits 0. A task that fails, a lost executor or --timeout ends it with 1.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <numbers>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <plexus/duration.hpp>
#include <plexus/logging.hpp>
#include <plexus/resources.hpp>
#include <plexus/scheduler/mesos.hpp>
#include <plexus/task_state.hpp>

namespace po = boost::program_options;

namespace {

using plexus::Resources;
using plexus::v1::scheduler::Call;
using plexus::v1::scheduler::Event;

struct Config {
  std::string master;
  int tasks = 20;
  unsigned long long samples = 1'000'000;
  std::string executor;
  std::string taskResources = "cpus:0.1;mem:16";
  std::string executorResources = "cpus:0.1;mem:32";
  plexus::scheduler::ContentType contentType = plexus::scheduler::ContentType::kProtobuf;
  plexus::Duration timeout = std::chrono::seconds(120);
};

class PiScheduler {
 public:
  explicit PiScheduler(Config config) : config_(std::move(config)) {}

  int run() {
    auto taskNeeds = Resources::parse(config_.taskResources);
    auto executorNeeds = Resources::parse(config_.executorResources);
    if (!taskNeeds || !executorNeeds) {
      std::cerr << "plexus-pi: "
                << (taskNeeds ? executorNeeds.error() : taskNeeds.error()).message() << std::endl;
      return 2;
    }
    taskNeeds_ = *taskNeeds;
    executorNeeds_ = *executorNeeds;
    // Callbacks may start before create() returns; they take the lock first.
    std::unique_lock lock(mutex_);
    auto mesos = plexus::scheduler::Mesos::create(
        config_.master, config_.contentType,
        {.connected = [this] { subscribe(); },
         .disconnected = [this] { disconnected(); },
         .received = [this](std::deque<Event> events) { received(std::move(events)); },
         .error =
             [this](const Call& call, const plexus::Error& error) {
               std::lock_guard lock(mutex_);
               if (call.type() == Call::TEARDOWN) {
                 tornDown_ = true;
                 done_.notify_all();
               }
               if (tearingDown_) return;  // calls still queued when the framework went away
               std::cerr << "plexus-pi: " << Call::Type_Name(call.type())
                         << " failed: " << error.message() << std::endl;
               if (call.type() == Call::SUBSCRIBE) finish(1);
             }});
    if (!mesos) {
      std::cerr << "plexus-pi: " << mesos.error().message() << std::endl;
      return 2;
    }
    mesos_ = std::move(*mesos);
    if (!done_.wait_for(lock, config_.timeout, [this] { return exitCode_.has_value(); })) {
      std::cerr << "plexus-pi: gave up after " << plexus::formatDuration(config_.timeout) << " ("
                << finished_.size() << " of " << config_.tasks << " tasks finished)" << std::endl;
      exitCode_ = 1;
    }
    // TEARDOWN ends the executors and tasks on every agent; the master answers it
    // before the library's thread stops.
    if (!frameworkId_.empty()) {
      tearingDown_ = true;
      mesos_->send(call(Call::TEARDOWN));
      done_.wait_for(lock, std::chrono::seconds(5), [this] { return tornDown_; });
    }
    lock.unlock();
    mesos_.reset();
    return *exitCode_;
  }

 private:
  Call call(Call::Type type) const {
    Call call;
    call.set_type(type);
    if (!frameworkId_.empty()) call.mutable_framework_id()->set_value(frameworkId_);
    return call;
  }

  // After TEARDOWN the master ends the event stream: the framework is gone.
  void disconnected() {
    std::lock_guard lock(mutex_);
    if (tearingDown_) {
      tornDown_ = true;
      done_.notify_all();
      return;
    }
    std::cout << "Disconnected from the master; reconnecting" << std::endl;
  }

  void subscribe() {
    std::lock_guard lock(mutex_);
    if (tearingDown_) return;
    Call subscribe = call(Call::SUBSCRIBE);
    plexus::v1::FrameworkInfo* info = subscribe.mutable_subscribe()->mutable_framework_info();
    const char* user = std::getenv("USER");
    info->set_user(user != nullptr ? user : "root");
    info->set_name("pi");
    info->add_roles("*");
    info->add_capabilities()->set_type(plexus::v1::FrameworkInfo::Capability::MULTI_ROLE);
    if (!frameworkId_.empty()) info->mutable_id()->set_value(frameworkId_);
    mesos_->send(subscribe);
  }

  void received(std::deque<Event> events) {
    std::lock_guard lock(mutex_);
    for (const Event& event : events) {
      switch (event.type()) {
        case Event::SUBSCRIBED:
          frameworkId_ = event.subscribed().framework_id().value();
          std::cout << "Subscribed with framework ID " << frameworkId_ << std::endl;
          break;
        case Event::OFFERS:
          for (const auto& offer : event.offers().offers())
            offered(offer);
          break;
        case Event::UPDATE:
          update(event.update().status());
          break;
        case Event::MESSAGE:
          message(event.message().data());
          break;
        case Event::FAILURE:
          if (event.failure().has_executor_id() && !exitCode_) {
            std::cerr << "plexus-pi: executor " << event.failure().executor_id().value()
                      << " on agent " << event.failure().agent_id().value() << " ended with status "
                      << event.failure().status() << std::endl;
            finish(1);
          }
          break;
        case Event::ERROR:
          std::cerr << "plexus-pi: the master says: " << event.error().message() << std::endl;
          finish(1);
          break;
        default:
          break;
      }
    }
  }

  void offered(const plexus::v1::Offer& offer) {
    Call decline = call(Call::DECLINE);
    *decline.mutable_decline()->add_offer_ids() = offer.id();
    auto available = Resources::fromWire(offer.resources());
    if (next_ == config_.tasks || exitCode_ || !available) {
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
      mesos_->send(decline);
      return;
    }
    // Resources are used in the role they were offered to (MULTI_ROLE).
    std::string role = "*";
    for (const auto& resource : offer.resources()) {
      if (resource.has_allocation_info() && resource.allocation_info().has_role())
        role = resource.allocation_info().role();
    }
    Resources taskNeeds = taskNeeds_, executorNeeds = executorNeeds_;
    taskNeeds.allocate(role);
    executorNeeds.allocate(role);

    // One executor per agent; it needs resources of its own only when it is new.
    plexus::v1::ExecutorInfo executor;
    executor.mutable_executor_id()->set_value("pi-executor-" + offer.agent_id().value());
    executor.mutable_framework_id()->set_value(frameworkId_);
    executor.set_name("pi executor");
    executor.mutable_command()->set_shell(false);
    executor.mutable_command()->set_value(config_.executor);
    executor.mutable_command()->add_arguments(config_.executor);
    executorNeeds.toWire(executor.mutable_resources());
    bool running = false;
    for (const auto& id : offer.executor_ids())
      running = running || id.value() == executor.executor_id().value();
    if (!running && !executorStarted_.contains(offer.agent_id().value())) {
      if (!available->contains(executorNeeds)) {
        mesos_->send(decline);
        return;
      }
      *available -= executorNeeds;
    }

    Call accept = call(Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* launch = accept.mutable_accept()->add_operations();
    launch->set_type(plexus::v1::Offer::Operation::LAUNCH);
    while (next_ < config_.tasks && available->contains(taskNeeds)) {
      *available -= taskNeeds;
      plexus::v1::TaskInfo* task = launch->mutable_launch()->add_task_infos();
      task->set_name("pi " + std::to_string(next_));
      task->mutable_task_id()->set_value("pi-" + std::to_string(next_));
      *task->mutable_agent_id() = offer.agent_id();
      *task->mutable_executor() = executor;
      taskNeeds.toWire(task->mutable_resources());
      task->set_data(std::to_string(config_.samples));
      ++next_;
    }
    if (launch->launch().task_infos_size() == 0) {
      mesos_->send(decline);
      return;
    }
    executorStarted_.insert(offer.agent_id().value());
    std::cout << "Launching " << launch->launch().task_infos_size() << " tasks on agent "
              << offer.agent_id().value() << " (" << offer.hostname() << ")" << std::endl;
    mesos_->send(accept);
  }

  void update(const plexus::v1::TaskStatus& status) {
    if (status.has_uuid()) {
      Call ack = call(Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      mesos_->send(ack);
    }
    const std::string& id = status.task_id().value();
    if (status.state() == plexus::v1::TASK_FINISHED) {
      finished_.insert(id);
      complete();
    } else if (plexus::isTerminalState(status.state()) && !exitCode_) {
      std::cerr << "plexus-pi: task " << id << " ended "
                << plexus::v1::TaskState_Name(status.state())
                << (status.message().empty() ? "" : ": " + status.message()) << std::endl;
      finish(1);
    }
  }

  void message(const std::string& data) {
    std::istringstream in(data);
    std::string task;
    unsigned long long inside = 0, samples = 0;
    if (!(in >> task >> inside >> samples) || inside > samples) {
      std::cerr << "plexus-pi: ignoring a malformed message from an executor: '" << data << "'"
                << std::endl;
      return;
    }
    counts_[task] = {inside, samples};
    std::cout << "Task " << task << ": " << inside << " of " << samples << " points inside"
              << std::endl;
    complete();
  }

  // Done once every task finished and reported its counts.
  void complete() {
    if (exitCode_ || static_cast<int>(finished_.size()) < config_.tasks ||
        static_cast<int>(counts_.size()) < config_.tasks) {
      return;
    }
    unsigned long long inside = 0, samples = 0;
    for (const auto& [task, count] : counts_) {
      inside += count.first;
      samples += count.second;
    }
    double estimate = 4.0 * static_cast<double>(inside) / static_cast<double>(samples);
    std::cout << std::setprecision(6) << std::fixed << "Pi is roughly " << estimate << " ("
              << samples << " samples in " << config_.tasks << " tasks; error "
              << std::abs(estimate - std::numbers::pi) << ")" << std::endl;
    finish(0);
  }

  void finish(int code) {
    if (exitCode_) return;
    exitCode_ = code;
    done_.notify_all();
  }

  Config config_;
  Resources taskNeeds_, executorNeeds_;
  std::unique_ptr<plexus::scheduler::Mesos> mesos_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::optional<int> exitCode_;
  bool tearingDown_ = false;
  bool tornDown_ = false;
  std::string frameworkId_;
  int next_ = 0;
  std::set<std::string> executorStarted_;
  std::set<std::string> finished_;
  std::map<std::string, std::pair<unsigned long long, unsigned long long>> counts_;
};

std::string besideThisProgram(const std::string& name) {
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? name : (self.parent_path() / name).string();
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string timeout, contentType;
  plexus::setMinLogLevel(plexus::LogLevel::Warning);  // the library's reconnection notes
  po::options_description options(
      "Usage: plexus-pi --master=host:port [options]\n"
      "Estimates pi with Monte Carlo sampling on the cluster: --tasks tasks on the\n"
      "plexus-pi-executor, each drawing --samples points; prints the estimate.\n\nOptions");
  options.add_options()("help", "Print this help.")("master", po::value(&config.master),
                                                    "The master, host:port (required).")(
      "tasks", po::value(&config.tasks)->default_value(20), "Number of tasks.")(
      "samples", po::value(&config.samples)->default_value(1'000'000), "Points each task draws.")(
      "executor",
      po::value(&config.executor)->default_value(besideThisProgram("plexus-pi-executor")),
      "Path of the executor binary on the agents.")(
      "task_resources", po::value(&config.taskResources)->default_value(config.taskResources),
      "Resources of each task.")(
      "executor_resources",
      po::value(&config.executorResources)->default_value(config.executorResources),
      "Resources of each executor.")(
      "content_type", po::value(&contentType)->default_value("protobuf"), "json or protobuf.")(
      "timeout", po::value(&timeout)->default_value("2mins"),
      "Give up (exit 1) after this long (Mesos duration syntax).");
  po::variables_map values;
  try {
    // Whole flag names only: no guessing of a flag from its prefix.
    po::store(
        po::command_line_parser(argc, argv)
            .options(options)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        values);
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << "plexus-pi: " << error.what() << "\n";
    return 2;
  }
  if (values.count("help")) {
    std::cout << options;
    return 0;
  }
  if (config.master.empty()) {
    std::cerr << "plexus-pi: --master is required (host:port)\n";
    return 2;
  }
  if (config.tasks < 1 || config.samples < 1) {
    std::cerr << "plexus-pi: --tasks and --samples must be at least 1\n";
    return 2;
  }
  if (contentType == "json") {
    config.contentType = plexus::scheduler::ContentType::kJson;
  } else if (contentType != "protobuf") {
    std::cerr << "plexus-pi: --content_type=" << contentType << ": expected json or protobuf\n";
    return 2;
  }
  auto parsed = plexus::parseDuration(timeout);
  if (!parsed) {
    std::cerr << "plexus-pi: --timeout: " << parsed.error().message() << "\n";
    return 2;
  }
  config.timeout = *parsed;
  return PiScheduler(std::move(config)).run();
}
