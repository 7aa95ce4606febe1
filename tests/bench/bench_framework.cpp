#include "bench_framework.hpp"

#include <algorithm>
#include <cmath>

namespace plexus::bench {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

constexpr const char* kExecutorId = "plexus-bench-executor";

double millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

BenchFramework::BenchFramework(RoundConfig config) : config_(std::move(config)) {
  framework_.set_user("nobody");
  framework_.set_name("plexus-bench-tasks");
  framework_.add_roles("*");
  framework_.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
}

BenchFramework::~BenchFramework() {
  mesos_.reset();  // no callback runs after this
}

Result<RoundResult> BenchFramework::run() {
  auto task = Resources::parse(config_.taskResources);
  if (!task) return fail(task.error().context("task resources"));
  auto executor = Resources::parse(config_.executorResources);
  if (!executor) return fail(executor.error().context("executor resources"));
  taskNeeds_ = *task;
  executorNeeds_ = *executor;

  auto mesos = scheduler::Mesos::create(
      config_.master, scheduler::ContentType::kProtobuf,
      {.connected =
           [this] {
             std::lock_guard lock(mutex_);
             connected();
           },
       .disconnected = [] {},
       .received =
           [this](std::deque<Event> events) {
             std::lock_guard lock(mutex_);
             received(std::move(events));
           },
       .error =
           [this](const Call& call, const Error& error) {
             std::lock_guard lock(mutex_);
             finish(Call::Type_Name(call.type()) + " failed: " + error.message());
           }});
  if (!mesos) return fail(mesos.error());
  mesos_ = std::move(*mesos);

  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, config_.timeout, [this] { return done_; })) {
    error_ = "timed out after " + std::to_string(config_.timeout.count()) + "s with " +
             std::to_string(finished_ + failed_) + " of " + std::to_string(config_.tasks) +
             " tasks terminal (" + std::to_string(launched_) + " launched)";
  }
  if (!frameworkId_.empty()) {
    Call teardown;
    teardown.set_type(Call::TEARDOWN);
    teardown.mutable_framework_id()->set_value(frameworkId_);
    mesos_->send(teardown);
  }
  if (error_) return fail(*error_);

  RoundResult result;
  result.tasks = config_.tasks;
  result.finished = finished_;
  result.failed = failed_;
  result.accepts = accepts_;
  result.firstFailure = firstFailure_;
  result.wallSeconds = std::chrono::duration<double>(lastTerminal_ - firstAccept_).count();
  result.tasksPerSecond = result.wallSeconds > 0 ? config_.tasks / result.wallSeconds : 0;
  std::vector<double> latencies;
  for (const auto& [id, times] : tasks_) {
    if (times.running) latencies.push_back(millis(*times.running - times.accepted));
  }
  std::sort(latencies.begin(), latencies.end());
  result.launchP50Ms = percentile(latencies, 50);
  result.launchP99Ms = percentile(latencies, 99);
  result.launchMaxMs = latencies.empty() ? 0 : latencies.back();
  return result;
}

void BenchFramework::connected() {
  Call subscribe;
  subscribe.set_type(Call::SUBSCRIBE);
  *subscribe.mutable_subscribe()->mutable_framework_info() = framework_;
  mesos_->send(subscribe);
}

void BenchFramework::received(std::deque<Event> events) {
  for (Event& event : events) {
    switch (event.type()) {
      case Event::SUBSCRIBED:
        frameworkId_ = event.subscribed().framework_id().value();
        framework_.mutable_id()->set_value(frameworkId_);
        break;
      case Event::OFFERS:
        for (auto& offer : *event.mutable_offers()->mutable_offers())
          offers_.push_back(std::move(offer));
        launchWhatFits();
        break;
      case Event::RESCIND:
        std::erase_if(offers_, [&](const v1::Offer& offer) {
          return offer.id().value() == event.rescind().offer_id().value();
        });
        break;
      case Event::UPDATE:
        update(event.update().status());
        break;
      case Event::ERROR:
        finish("ERROR event: " + event.error().message());
        break;
      default:
        break;
    }
  }
}

void BenchFramework::update(const v1::TaskStatus& status) {
  auto now = Clock::now();
  if (status.has_uuid()) {
    Call ack;
    ack.set_type(Call::ACKNOWLEDGE);
    ack.mutable_framework_id()->set_value(frameworkId_);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    mesos_->send(ack);
  }
  auto it = tasks_.find(status.task_id().value());
  if (it == tasks_.end() || it->second.terminal) return;
  TaskTimes& task = it->second;
  if (status.state() == v1::TASK_RUNNING && !task.running) task.running = now;
  bool terminal = status.state() == v1::TASK_FINISHED || status.state() == v1::TASK_FAILED ||
                  status.state() == v1::TASK_KILLED || status.state() == v1::TASK_LOST ||
                  status.state() == v1::TASK_ERROR || status.state() == v1::TASK_DROPPED ||
                  status.state() == v1::TASK_GONE || status.state() == v1::TASK_UNKNOWN;
  if (!terminal) return;
  task.terminal = true;
  --live_;
  lastTerminal_ = now;
  if (status.state() == v1::TASK_FINISHED) {
    ++finished_;
  } else {
    ++failed_;
    if (firstFailure_.empty()) {
      firstFailure_ = status.task_id().value() + " " + v1::TaskState_Name(status.state()) + ": " +
                      status.message();
    }
  }
  if (finished_ + failed_ == config_.tasks) return finish(std::nullopt);
  launchWhatFits();
}

void BenchFramework::launchWhatFits() {
  if (done_ || offers_.empty() || launched_ == config_.tasks || live_ >= config_.window) return;
  if (offers_.front().has_allocation_info()) role_ = offers_.front().allocation_info().role();
  Resources available;
  for (const v1::Offer& offer : offers_) {
    auto resources = Resources::fromWire(offer.resources());
    if (resources) available += *resources;
  }
  Resources needs = taskNeeds_;
  needs.allocate(role_);
  Resources executorNeeds = executorNeeds_;
  executorNeeds.allocate(role_);

  Call accept;
  accept.set_type(Call::ACCEPT);
  accept.mutable_framework_id()->set_value(frameworkId_);
  auto* operation = accept.mutable_accept()->add_operations();
  operation->set_type(v1::Offer::Operation::LAUNCH);
  std::vector<std::string> ids;
  while (launched_ < config_.tasks && live_ < config_.window) {
    bool chargeExecutor = config_.mode == Mode::kExecutor && !executorLaunched_;
    if (!available.contains(chargeExecutor ? needs + executorNeeds : needs)) break;
    available -= needs;
    if (chargeExecutor) {
      available -= executorNeeds;
      executorLaunched_ = true;
    }
    v1::TaskInfo task = makeTask(launched_, offers_.front().agent_id(), needs);
    ids.push_back(task.task_id().value());
    *operation->mutable_launch()->add_task_infos() = std::move(task);
    ++launched_;
    ++live_;
  }
  if (ids.empty()) {
    if (live_ == 0) finish("the offers cannot hold a single task: " + available.toString());
    return;  // hold the offers until tasks end
  }
  for (const v1::Offer& offer : offers_)
    *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  offers_.clear();
  auto now = Clock::now();
  if (accepts_++ == 0) firstAccept_ = now;
  for (const std::string& id : ids)
    tasks_[id].accepted = now;
  mesos_->send(accept);
}

v1::TaskInfo BenchFramework::makeTask(int index, const v1::AgentID& agent,
                                      const Resources& resources) const {
  v1::TaskInfo task;
  task.set_name("bench-" + std::to_string(index));
  task.mutable_task_id()->set_value("bench-" + std::to_string(index));
  *task.mutable_agent_id() = agent;
  resources.toWire(task.mutable_resources());
  if (config_.mode == Mode::kCommand) {
    v1::CommandInfo* command = task.mutable_command();
    command->set_shell(false);
    command->set_value(config_.program);
    command->add_arguments(config_.program);
    return task;
  }
  v1::ExecutorInfo* executor = task.mutable_executor();
  executor->set_type(v1::ExecutorInfo::CUSTOM);
  executor->mutable_executor_id()->set_value(kExecutorId);
  executor->mutable_framework_id()->set_value(frameworkId_);
  executor->set_name("plexus-bench-tasks executor");
  executor->mutable_command()->set_shell(false);
  executor->mutable_command()->set_value(config_.executorPath);
  executor->mutable_command()->add_arguments("plexus-bench-executor");
  Resources executorResources = executorNeeds_;
  executorResources.allocate(role_);
  executorResources.toWire(executor->mutable_resources());
  task.set_data(config_.program);
  return task;
}

void BenchFramework::finish(std::optional<std::string> error) {
  if (done_) return;
  done_ = true;
  error_ = std::move(error);
  changed_.notify_all();
}

}  // namespace plexus::bench
