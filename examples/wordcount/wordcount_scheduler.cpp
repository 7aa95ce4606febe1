// plexus-wordcount: counts the words of a set of text files on a Plexus cluster.
//
// Map: the files are split into --parallelism shares of about equal size; each
// share is one task on the framework's own executor (plexus-wordcount-executor,
// one per agent), which counts the share's words and sends the partial counts back
// as a framework message. Reduce: the scheduler merges the partial counts as they
// arrive, then prints the top --top words and the total, tears the framework down
// and exits 0. With --check it also counts the files itself, in this one process,
// and exits 1 unless both counts agree word for word.
//
// The files must be readable at the same paths on every agent (one machine, or a
// shared filesystem).
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <plexus/duration.hpp>
#include <plexus/logging.hpp>
#include <plexus/resources.hpp>
#include <plexus/scheduler/mesos.hpp>
#include <plexus/task_state.hpp>

#include "word_count.hpp"

namespace po = boost::program_options;

namespace {

using plexus::Resources;
using plexus::v1::scheduler::Call;
using plexus::v1::scheduler::Event;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string master;
  std::vector<std::string> files;
  int parallelism = 2;
  std::size_t top = 20;
  bool check = false;
  std::string executor;
  std::string taskResources = "cpus:1;mem:64";
  std::string executorResources = "cpus:0.1;mem:32";
  plexus::Duration timeout = std::chrono::minutes(5);
};

class WordCount {
 public:
  explicit WordCount(Config config) : config_(std::move(config)) {}

  int run() {
    auto taskNeeds = Resources::parse(config_.taskResources);
    auto executorNeeds = Resources::parse(config_.executorResources);
    if (!taskNeeds || !executorNeeds) {
      std::cerr << "plexus-wordcount: "
                << (taskNeeds ? executorNeeds.error() : taskNeeds.error()).message() << std::endl;
      return 2;
    }
    taskNeeds_ = *taskNeeds;
    executorNeeds_ = *executorNeeds;
    shares_ = wordcount::splitBySize(config_.files, static_cast<std::size_t>(config_.parallelism));
    started_ = Clock::now();

    std::unique_lock lock(mutex_);
    auto mesos = plexus::scheduler::Mesos::create(
        config_.master, plexus::scheduler::ContentType::kProtobuf,
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
               if (tearingDown_) return;
               std::cerr << "plexus-wordcount: " << Call::Type_Name(call.type())
                         << " failed: " << error.message() << std::endl;
               if (call.type() == Call::SUBSCRIBE) finish(1);
             }});
    if (!mesos) {
      std::cerr << "plexus-wordcount: " << mesos.error().message() << std::endl;
      return 2;
    }
    mesos_ = std::move(*mesos);
    if (!done_.wait_for(lock, config_.timeout, [this] { return exitCode_.has_value(); })) {
      std::cerr << "plexus-wordcount: gave up after " << plexus::formatDuration(config_.timeout)
                << " (" << partials_.size() << " of " << shares_.size()
                << " partial counts received)" << std::endl;
      exitCode_ = 1;
    }
    if (!frameworkId_.empty()) {
      tearingDown_ = true;
      mesos_->send(call(Call::TEARDOWN));
      done_.wait_for(lock, std::chrono::seconds(5), [this] { return tornDown_; });
    }
    lock.unlock();
    mesos_.reset();
    if (*exitCode_ == 0) return report();
    return *exitCode_;
  }

 private:
  Call call(Call::Type type) const {
    Call call;
    call.set_type(type);
    if (!frameworkId_.empty()) call.mutable_framework_id()->set_value(frameworkId_);
    return call;
  }

  void disconnected() {
    std::lock_guard lock(mutex_);
    if (tearingDown_) {
      tornDown_ = true;
      done_.notify_all();
    }
  }

  void subscribe() {
    std::lock_guard lock(mutex_);
    if (tearingDown_) return;
    Call subscribe = call(Call::SUBSCRIBE);
    plexus::v1::FrameworkInfo* info = subscribe.mutable_subscribe()->mutable_framework_info();
    const char* user = std::getenv("USER");
    info->set_user(user != nullptr ? user : "root");
    info->set_name("wordcount");
    info->add_roles("*");
    info->add_capabilities()->set_type(plexus::v1::FrameworkInfo::Capability::MULTI_ROLE);
    if (!frameworkId_.empty()) info->mutable_id()->set_value(frameworkId_);
    mesos_->send(subscribe);
  }

  void received(std::deque<Event> events) {
    std::lock_guard lock(mutex_);
    for (const Event& event : events) {
      if (event.type() == Event::SUBSCRIBED) {
        frameworkId_ = event.subscribed().framework_id().value();
      } else if (event.type() == Event::OFFERS) {
        for (const auto& offer : event.offers().offers())
          offered(offer);
      } else if (event.type() == Event::UPDATE) {
        update(event.update().status());
      } else if (event.type() == Event::MESSAGE) {
        message(event.message().data());
      }
    }
  }

  // Launches as many of the remaining map tasks as the offer holds.
  void offered(const plexus::v1::Offer& offer) {
    Call decline = call(Call::DECLINE);
    *decline.mutable_decline()->add_offer_ids() = offer.id();
    auto available = Resources::fromWire(offer.resources());
    if (next_ == shares_.size() || exitCode_ || !available) {
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
      mesos_->send(decline);
      return;
    }
    std::string role = "*";
    for (const auto& resource : offer.resources())
      if (resource.allocation_info().has_role()) role = resource.allocation_info().role();
    Resources taskNeeds = taskNeeds_, executorNeeds = executorNeeds_;
    taskNeeds.allocate(role);
    executorNeeds.allocate(role);

    plexus::v1::ExecutorInfo executor;
    executor.mutable_executor_id()->set_value("wordcount-" + offer.agent_id().value());
    executor.mutable_framework_id()->set_value(frameworkId_);
    executor.set_name("wordcount executor");
    executor.mutable_command()->set_shell(false);
    executor.mutable_command()->set_value(config_.executor);
    executor.mutable_command()->add_arguments(config_.executor);
    executorNeeds.toWire(executor.mutable_resources());
    bool running = executorsStarted_.contains(offer.agent_id().value());
    for (const auto& id : offer.executor_ids())
      running |= id.value() == executor.executor_id().value();
    if (!running) {
      if (!available->contains(executorNeeds)) return (void)mesos_->send(decline);
      *available -= executorNeeds;
    }

    Call accept = call(Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* launch = accept.mutable_accept()->add_operations();
    launch->set_type(plexus::v1::Offer::Operation::LAUNCH);
    while (next_ < shares_.size() && available->contains(taskNeeds)) {
      *available -= taskNeeds;
      plexus::v1::TaskInfo* task = launch->mutable_launch()->add_task_infos();
      task->set_name("wordcount map " + std::to_string(next_));
      task->mutable_task_id()->set_value("map-" + std::to_string(next_));
      *task->mutable_agent_id() = offer.agent_id();
      *task->mutable_executor() = executor;
      taskNeeds.toWire(task->mutable_resources());
      std::string data;
      for (const auto& file : shares_[next_])
        data += file + "\n";
      task->set_data(data);
      ++next_;
    }
    if (launch->launch().task_infos_size() == 0) return (void)mesos_->send(decline);
    executorsStarted_.insert(offer.agent_id().value());
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
    if (status.state() == plexus::v1::TASK_FINISHED) {
      finished_.insert(status.task_id().value());
      complete();
    } else if (plexus::isTerminalState(status.state()) && !exitCode_) {
      std::cerr << "plexus-wordcount: task " << status.task_id().value() << " ended "
                << plexus::v1::TaskState_Name(status.state())
                << (status.message().empty() ? "" : ": " + status.message()) << std::endl;
      finish(1);
    }
  }

  // The reduce step: merges one map task's partial counts.
  void message(const std::string& data) {
    const std::size_t newline = data.find('\n');
    const std::string task = data.substr(0, newline);
    auto partial = wordcount::parse(newline == std::string::npos ? "" : data.substr(newline + 1));
    if (!task.starts_with("map-") || !partial || partials_.contains(task)) {
      std::cerr << "plexus-wordcount: ignoring a malformed or repeated message from an executor ("
                << (partial ? task : partial.error().message()) << ")" << std::endl;
      return;
    }
    partials_.insert(task);
    wordcount::merge(counts_, *partial);
    complete();
  }

  void complete() {
    if (partials_.size() == shares_.size() && finished_.size() == shares_.size()) finish(0);
  }

  void finish(int code) {
    if (exitCode_) return;
    exitCode_ = code;
    elapsed_ = Clock::now() - started_;
    done_.notify_all();
  }

  int report() {
    const double seconds = std::chrono::duration<double>(elapsed_).count();
    std::cout << "Top " << config_.top << " words:\n";
    int rank = 0;
    for (const auto& [word, count] : wordcount::top(counts_, config_.top))
      std::cout << std::setw(4) << ++rank << "  " << std::left << std::setw(20) << word
                << std::right << std::setw(12) << count << "\n";
    std::cout << "Total: " << wordcount::total(counts_) << " words, " << counts_.size()
              << " distinct, in " << config_.files.size() << " files\n"
              << std::fixed << std::setprecision(3) << "Counted with " << shares_.size()
              << " map tasks in " << seconds << " s" << std::endl;
    if (!config_.check) return 0;
    const auto local = Clock::now();
    wordcount::WordCounts single;
    for (const auto& file : config_.files) {
      if (auto counted = wordcount::countFile(file, single); !counted) {
        std::cerr << "plexus-wordcount: check: " << counted.error().message() << std::endl;
        return 1;
      }
    }
    const double localSeconds = std::chrono::duration<double>(Clock::now() - local).count();
    if (single != counts_) {
      std::cerr << "plexus-wordcount: check FAILED: one process counts " << wordcount::total(single)
                << " words (" << single.size() << " distinct), the cluster "
                << wordcount::total(counts_) << " (" << counts_.size() << " distinct)" << std::endl;
      return 1;
    }
    std::cout << "Check: a single-process count agrees (" << localSeconds << " s)" << std::endl;
    return 0;
  }

  Config config_;
  Resources taskNeeds_, executorNeeds_;
  std::vector<std::vector<std::string>> shares_;
  std::unique_ptr<plexus::scheduler::Mesos> mesos_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::optional<int> exitCode_;
  bool tearingDown_ = false;
  bool tornDown_ = false;
  std::string frameworkId_;
  std::size_t next_ = 0;
  std::set<std::string> executorsStarted_;
  std::set<std::string> finished_;
  std::set<std::string> partials_;
  wordcount::WordCounts counts_;
  Clock::time_point started_;
  Clock::duration elapsed_{};
};

std::string besideThisProgram(const std::string& name) {
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? name : (self.parent_path() / name).string();
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string timeout;
  plexus::setMinLogLevel(plexus::LogLevel::Warning);
  po::options_description options(
      "Usage: plexus-wordcount --master=host:port [options] FILE...\n"
      "Counts the words of FILEs on the cluster: --parallelism map tasks on the\n"
      "plexus-wordcount-executor each count a share of the files and send their\n"
      "partial counts back; the scheduler merges them and prints the top words and\n"
      "the total. The files must be readable at the same paths on the agents.\n\nOptions");
  options.add_options()("help", "Print this help.")("master", po::value(&config.master),
                                                    "The master, host:port (required).")(
      "parallelism", po::value(&config.parallelism)->default_value(2),
      "Number of map tasks (at most one per file).")(
      "top", po::value(&config.top)->default_value(20),
      "How many of the most frequent words to print.")(
      "check", po::bool_switch(&config.check),
      "Also count the files in this process and fail unless the counts agree.")(
      "executor",
      po::value(&config.executor)->default_value(besideThisProgram("plexus-wordcount-executor")),
      "The executor binary, as the agents see it.")(
      "task_resources", po::value(&config.taskResources)->default_value(config.taskResources),
      "Resources of each map task.")(
      "executor_resources",
      po::value(&config.executorResources)->default_value(config.executorResources),
      "Resources of each executor.")("timeout", po::value(&timeout)->default_value("5mins"),
                                     "Give up after this long.");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&config.files));
  po::positional_options_description positional;
  positional.add("file", -1);
  po::options_description all;
  all.add(options).add(hidden);
  po::variables_map values;
  try {
    // Whole flag names only: no guessing of a flag from its prefix.
    po::store(
        po::command_line_parser(argc, argv)
            .options(all)
            .positional(positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        values);
    po::notify(values);
  } catch (const std::exception& e) {
    std::cerr << "plexus-wordcount: " << e.what() << "\n" << options << std::endl;
    return 2;
  }
  if (values.count("help")) {
    std::cout << options << std::endl;
    return 0;
  }
  auto parsed = plexus::parseDuration(timeout);
  if (config.master.empty() || config.files.empty() || config.parallelism < 1 || !parsed) {
    std::cerr << "plexus-wordcount: "
              << (!parsed ? "--timeout: " + parsed.error().message()
                          : "give --master, --parallelism >= 1 and at least one FILE")
              << "\n"
              << options << std::endl;
    return 2;
  }
  config.timeout = *parsed;
  for (auto& file : config.files) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(file, error);
    if (error || !std::filesystem::is_regular_file(absolute)) {
      std::cerr << "plexus-wordcount: '" << file << "' is not a readable file" << std::endl;
      return 2;
    }
    file = absolute.string();
  }
  return WordCount(std::move(config)).run();
}
