#include "execute/execute.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <plexus/json.hpp>
#include <plexus/task_state.hpp>

#include "http/client.hpp"

namespace plexus::execute {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;
using Clock = std::chrono::steady_clock;

constexpr const char* kExecutorResources = "cpus:0.1;mem:32";
constexpr double kRefuseSeconds = 3600;

// The exit status a failed command's message reports ("exited with status 3").
std::optional<int> exitStatusIn(const std::string& message) {
  static const std::regex pattern(
      R"((?:exit(?:ed)? (?:with )?(?:status|code)|exit status)\s*(\d+))", std::regex::icase);
  std::smatch match;
  if (!std::regex_search(message, match, pattern)) return std::nullopt;
  int code = std::atoi(match[1].str().c_str());
  if (code <= 0 || code > 255) return std::nullopt;
  return code;
}

Result<Resources> allocated(const google::protobuf::RepeatedPtrField<v1::Resource>& wire) {
  auto resources = Resources::fromWire(wire);
  if (!resources) return fail(resources.error());
  resources->unallocate();
  return *resources;
}

// The sandbox of `executorId`, from the agent's /state (Mesos's layout: frameworks
// and completed_frameworks, each with executors and completed_executors that carry
// their "directory").
std::optional<std::string> sandboxOnAgent(const std::string& ip, int port,
                                          const std::string& frameworkId,
                                          const std::string& executorId) {
  if (ip.empty() || port <= 0) return std::nullopt;
  auto response = http::fetch(
      ip, static_cast<std::uint16_t>(port), {.target = "/state"},
      {.connectTimeout = std::chrono::seconds(2), .requestTimeout = std::chrono::seconds(5)});
  if (!response || response->status != 200) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value state = boost::json::parse(response->body, ec);
  if (ec || !state.is_object()) return std::nullopt;
  for (const char* frameworks : {"frameworks", "completed_frameworks"}) {
    const auto* list = state.as_object().if_contains(frameworks);
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& framework : list->as_array()) {
      const auto* id = framework.is_object() ? framework.as_object().if_contains("id") : nullptr;
      if (id == nullptr || !id->is_string() || id->as_string() != frameworkId) continue;
      for (const char* executors : {"executors", "completed_executors"}) {
        const auto* entries = framework.as_object().if_contains(executors);
        if (entries == nullptr || !entries->is_array()) continue;
        // The newest run of the executor is listed last.
        std::optional<std::string> found;
        for (const auto& executor : entries->as_array()) {
          if (!executor.is_object()) continue;
          const auto* eid = executor.as_object().if_contains("id");
          const auto* directory = executor.as_object().if_contains("directory");
          if (eid != nullptr && eid->is_string() && eid->as_string() == executorId &&
              directory != nullptr && directory->is_string()) {
            found = std::string(directory->as_string());
          }
        }
        if (found) return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Execute>> Execute::create(Config config) {
  std::unique_ptr<Execute> execute(new Execute(std::move(config)));
  PLEXUS_TRY(execute->prepare());
  Execute* self = execute.get();
  // Callbacks may start before create() returns; they take the lock first.
  std::lock_guard lock(self->mutex_);
  scheduler::Callbacks callbacks{
      .connected = [self] { self->connected(); },
      .disconnected = [self] { self->disconnected(); },
      .received = [self](std::deque<Event> events) { self->received(std::move(events)); },
      .error = [self](const Call& call, const Error& error) { self->callFailed(call, error); }};
  scheduler::Options options{.credential = self->config_.credential};
  auto mesos = self->config_.detector
                   ? scheduler::Mesos::create(self->config_.detector, self->config_.contentType,
                                              std::move(callbacks), options)
                   : scheduler::Mesos::create(self->config_.master, self->config_.contentType,
                                              std::move(callbacks), options);
  if (!mesos) return fail(mesos.error());
  self->mesos_ = std::move(*mesos);
  return execute;
}

Execute::~Execute() {
  mesos_.reset();
}

Result<void> Execute::prepare() {
  if (config_.master.empty()) return fail("--master is required");
  if (config_.command.empty() == config_.taskGroupFile.empty()) {
    return fail("give exactly one of --command and --task_group");
  }
  if (config_.instances < 1) return fail("--instances must be at least 1");

  framework_.set_user(std::getenv("USER") != nullptr ? std::getenv("USER") : "root");
  framework_.set_name(config_.name);
  framework_.add_roles(config_.role);
  framework_.set_checkpoint(config_.checkpoint);
  if (config_.credential) framework_.set_principal(config_.credential->principal());
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) framework_.set_hostname(host);
  framework_.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  framework_.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  framework_.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);

  if (!config_.command.empty()) {
    auto needs = Resources::parse(config_.resources);
    if (!needs) return fail(needs.error().context("--resources"));
    v1::CommandInfo command;
    command.set_shell(true);
    command.set_value(config_.command);
    if (!config_.env.empty()) {
      boost::system::error_code ec;
      boost::json::value env = boost::json::parse(config_.env, ec);
      if (ec || !env.is_object()) return fail("--env: expected a JSON object of strings");
      for (const auto& [key, value] : env.as_object()) {
        if (!value.is_string())
          return fail("--env: the value of '" + std::string(key) + "' is not a string");
        auto* variable = command.mutable_environment()->add_variables();
        variable->set_name(std::string(key));
        variable->set_value(std::string(value.as_string()));
      }
    }
    for (int i = 0; i < config_.instances; ++i) {
      Instance instance;
      v1::TaskInfo task;
      task.set_name(config_.name);
      task.mutable_task_id()->set_value(
          config_.instances == 1 ? config_.name : config_.name + "-" + std::to_string(i));
      *task.mutable_command() = command;
      instance.tasks.push_back(std::move(task));
      instance.needs = *needs;
      instances_.push_back(std::move(instance));
    }
    return {};
  }

  std::ifstream file(config_.taskGroupFile);
  if (!file) return fail("--task_group: cannot read " + config_.taskGroupFile);
  std::stringstream text;
  text << file.rdbuf();
  v1::TaskGroupInfo group;
  if (auto parsed = fromJson(text.str(), &group); !parsed) {
    return fail(parsed.error().context("--task_group " + config_.taskGroupFile));
  }
  if (group.tasks_size() == 0) return fail("--task_group: the group has no tasks");
  auto executorNeeds = Resources::parse(kExecutorResources);
  for (int i = 0; i < config_.instances; ++i) {
    Instance instance;
    instance.needs = *executorNeeds;
    std::string suffix = config_.instances == 1 ? "" : "-" + std::to_string(i);
    for (v1::TaskInfo task : group.tasks()) {
      if (task.name().empty()) task.set_name(task.task_id().value());
      task.mutable_task_id()->set_value(task.task_id().value() + suffix);
      auto needs = allocated(task.resources());
      if (!needs)
        return fail(needs.error().context("--task_group: task " + task.task_id().value()));
      instance.needs += *needs;
      instance.tasks.push_back(std::move(task));
    }
    v1::ExecutorInfo executor;
    executor.set_type(v1::ExecutorInfo::DEFAULT);
    executor.mutable_executor_id()->set_value("default-executor" + suffix);
    executorNeeds->toWire(executor.mutable_resources());
    instance.executor = executor;
    instances_.push_back(std::move(instance));
  }
  return {};
}

std::optional<int> Execute::waitFor(std::chrono::milliseconds timeout) {
  bool kill = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return exitCode_.has_value(); });
    if (exitCode_) return exitCode_;
    if (tearingDown_ && teardownDeadline_ && Clock::now() >= *teardownDeadline_) {
      exitCode_ = pendingCode_.value_or(1);  // the master did not close the stream: leave anyway
      return exitCode_;
    }
    if (killing_ && !tearingDown_ && killDeadline_ && Clock::now() >= *killDeadline_) {
      std::cout << "The tasks did not end within " << formatDuration(config_.killTimeout)
                << " (--kill_timeout) of the kill (is their agent gone?); tearing the "
                   "framework down"
                << std::endl;
      teardown(failureCode_.value_or(1));
      return std::nullopt;
    }
    kill = config_.killAfter && launchedAt_ && !killing_ &&
           Clock::now() >= *launchedAt_ + *config_.killAfter;
  }
  if (kill) {
    std::cout << "Killing the tasks after --kill_after" << std::endl;
    interrupt();
  }
  return std::nullopt;
}

void Execute::interrupt() {
  std::lock_guard lock(mutex_);
  if (tearingDown_ || exitCode_) return;
  if (!killing_ && !tasks_.empty()) {
    std::cout << "Killing the tasks" << std::endl;
    killing_ = true;
    killDeadline_ = Clock::now() + config_.killTimeout;
    failureCode_ = failureCode_.value_or(1);
    killAll();
    return;
  }
  teardown(failureCode_.value_or(130));
}

Call Execute::call(Call::Type type) const {
  Call call;
  call.set_type(type);
  if (!frameworkId_.empty()) call.mutable_framework_id()->set_value(frameworkId_);
  return call;
}

void Execute::connected() {
  std::lock_guard lock(mutex_);
  if (tearingDown_) return;
  Call subscribe = call(Call::SUBSCRIBE);
  *subscribe.mutable_subscribe()->mutable_framework_info() = framework_;
  if (!frameworkId_.empty())
    subscribe.mutable_subscribe()->mutable_framework_info()->mutable_id()->set_value(frameworkId_);
  mesos_->send(subscribe);
}

void Execute::disconnected() {
  std::lock_guard lock(mutex_);
  if (tearingDown_) return finish(pendingCode_.value_or(1));
  std::cout << "Disconnected from the master; reconnecting" << std::endl;
}

void Execute::callFailed(const Call& failed, const Error& error) {
  std::lock_guard lock(mutex_);
  if (tearingDown_ && failed.type() != Call::TEARDOWN) return;  // the framework is going away
  std::cerr << "plexus-execute: " << Call::Type_Name(failed.type()) << ": " << error.message()
            << std::endl;
  if (failed.type() == Call::SUBSCRIBE) finish(1);
  if (failed.type() == Call::TEARDOWN) finish(pendingCode_.value_or(1));
}

void Execute::received(std::deque<Event> events) {
  std::lock_guard lock(mutex_);
  for (const Event& event : events) {
    switch (event.type()) {
      case Event::SUBSCRIBED:
        frameworkId_ = event.subscribed().framework_id().value();
        framework_.mutable_id()->set_value(frameworkId_);
        std::cout << "Subscribed with ID " << frameworkId_ << std::endl;
        break;
      case Event::OFFERS:
        offers(event.offers());
        break;
      case Event::UPDATE:
        update(event.update().status());
        break;
      case Event::ERROR:
        std::cout << "Received an ERROR event: " << event.error().message() << std::endl;
        finish(1);
        break;
      case Event::FAILURE:
        if (event.failure().has_executor_id()) {
          std::cout << "Executor '" << event.failure().executor_id().value()
                    << "' ended with status " << event.failure().status() << std::endl;
        }
        break;
      default:
        break;
    }
  }
}

void Execute::offers(const Event::Offers& offers) {
  for (const v1::Offer& offer : offers.offers()) {
    Call decline = call(Call::DECLINE);
    *decline.mutable_decline()->add_offer_ids() = offer.id();
    if (tearingDown_) continue;  // TEARDOWN gives every offer back
    if (launched_ == instances_.size() || killing_) {
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(kRefuseSeconds);
      mesos_->send(decline);
      continue;
    }
    auto available = Resources::fromWire(offer.resources());
    if (!available) {
      mesos_->send(decline);
      continue;
    }
    std::string role = config_.role;
    for (const auto& resource : offer.resources()) {
      if (resource.has_allocation_info() && resource.allocation_info().has_role()) {
        role = resource.allocation_info().role();
        break;
      }
    }
    Call accept = call(Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    while (launched_ < instances_.size()) {
      Instance& instance = instances_[launched_];
      Resources needs = instance.needs;
      needs.allocate(role);
      if (!available->contains(needs)) break;
      *available -= needs;
      auto* operation = accept.mutable_accept()->add_operations();
      std::string executorId;
      std::vector<v1::TaskInfo> tasks = instance.tasks;
      for (v1::TaskInfo& task : tasks) {
        *task.mutable_agent_id() = offer.agent_id();
        auto resources = Resources::fromWire(task.resources());
        if (instance.executor) {
          if (resources) {
            resources->allocate(role);
            task.clear_resources();
            resources->toWire(task.mutable_resources());
          }
        } else {
          task.clear_resources();
          needs.toWire(task.mutable_resources());
        }
      }
      if (instance.executor) {
        operation->set_type(v1::Offer::Operation::LAUNCH_GROUP);
        v1::ExecutorInfo executor = *instance.executor;
        executor.mutable_framework_id()->set_value(frameworkId_);
        auto resources = Resources::fromWire(executor.resources());
        if (resources) {
          resources->allocate(role);
          executor.clear_resources();
          resources->toWire(executor.mutable_resources());
        }
        executorId = executor.executor_id().value();
        *operation->mutable_launch_group()->mutable_executor() = executor;
        for (auto& task : tasks)
          *operation->mutable_launch_group()->mutable_task_group()->add_tasks() = task;
      } else {
        operation->set_type(v1::Offer::Operation::LAUNCH);
        for (auto& task : tasks)
          *operation->mutable_launch()->add_task_infos() = task;
      }
      for (const auto& task : tasks) {
        TaskRecord& record = tasks_[task.task_id().value()];
        record.agentId = offer.agent_id().value();
        record.executorId = executorId.empty() ? task.task_id().value() : executorId;
        if (offer.has_url()) {
          record.agentIp = offer.url().address().has_ip() ? offer.url().address().ip()
                                                          : offer.url().address().hostname();
          record.agentPort = offer.url().address().port();
        }
        std::cout << "Launching task '" << task.task_id().value() << "' on agent "
                  << offer.agent_id().value()
                  << (offer.hostname().empty() ? "" : " (" + offer.hostname() + ")") << std::endl;
      }
      ++launched_;
      // Spreading: one instance per offer; the rest of the offer comes straight
      // back (no filter) so the allocator can offer it, or another agent, next.
      if (config_.placement == Placement::kSpread) {
        accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
        break;
      }
    }
    if (accept.accept().operations_size() == 0) {
      mesos_->send(decline);
      continue;
    }
    mesos_->send(accept);
    if (!launchedAt_) launchedAt_ = Clock::now();
  }
}

void Execute::update(const v1::TaskStatus& status) {
  const std::string& taskId = status.task_id().value();
  std::cout << "Received status update " << v1::TaskState_Name(status.state()) << " for task '"
            << taskId << "'" << std::endl;
  if (status.has_message() && !status.message().empty())
    std::cout << "  message: '" << status.message() << "'" << std::endl;
  if (status.has_reason())
    std::cout << "  reason: " << v1::TaskStatus::Reason_Name(status.reason()) << std::endl;
  if (status.has_source())
    std::cout << "  source: " << v1::TaskStatus::Source_Name(status.source()) << std::endl;

  if (status.has_uuid()) {
    Call ack = call(Call::ACKNOWLEDGE);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    mesos_->send(ack);
  }

  auto it = tasks_.find(taskId);
  if (it == tasks_.end() || it->second.terminal) return;
  TaskRecord& record = it->second;
  record.state = status.state();
  if (!isTerminalState(status.state())) return;
  record.terminal = true;
  std::string agentId = status.has_agent_id() ? status.agent_id().value() : record.agentId;
  std::string executorId =
      status.has_executor_id() ? status.executor_id().value() : record.executorId;
  if (auto sandbox = sandboxOnAgent(record.agentIp, record.agentPort, frameworkId_, executorId)) {
    std::cout << "  sandbox: " << *sandbox << std::endl;
  } else {
    std::cout << "  sandbox: on agent " << agentId << ", <agent work_dir>/slaves/" << agentId
              << "/frameworks/" << frameworkId_ << "/executors/" << executorId << "/runs/latest"
              << std::endl;
  }
  if (status.state() != v1::TASK_FINISHED && !failureCode_) {
    failureCode_ = exitStatusIn(status.message()).value_or(1);
  }
  for (const auto& [id, task] : tasks_) {
    if (!task.terminal) return;
  }
  if (launched_ < instances_.size() && !killing_) return;
  teardown(failureCode_.value_or(0));
}

void Execute::killAll() {
  for (const auto& [id, task] : tasks_) {
    if (task.terminal) continue;
    Call kill = call(Call::KILL);
    kill.mutable_kill()->mutable_task_id()->set_value(id);
    kill.mutable_kill()->mutable_agent_id()->set_value(task.agentId);
    mesos_->send(kill);
  }
}

void Execute::teardown(int code) {
  if (tearingDown_) return;
  tearingDown_ = true;
  pendingCode_ = code;
  if (frameworkId_.empty()) return finish(code);
  mesos_->send(call(Call::TEARDOWN));
  // The master ends the event stream on TEARDOWN (disconnected() then finishes);
  // do not wait for it forever.
  teardownDeadline_ = Clock::now() + std::chrono::seconds(5);
}

void Execute::finish(int code) {
  if (exitCode_) return;
  exitCode_ = code;
  changed_.notify_all();
}

}  // namespace plexus::execute
