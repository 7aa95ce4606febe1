#include "cluster_sim.hpp"

#include <future>
#include <random>

#include <boost/asio/post.hpp>

#include <plexus/task_state.hpp>

namespace plexus::bench {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;
using namespace std::chrono_literals;

constexpr const char* kAgentPath = "/internal/v1/agent";
constexpr const char* kSchedulerPath = "/api/v1/scheduler";
constexpr const char* kAgentStreamHeader = "Plexus-Agent-Stream-Id";
constexpr const char* kProtobuf = "application/x-protobuf";

std::string uuid() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::string bytes(16, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t value = engine();
    for (std::size_t j = 0; j < 8; ++j)
      bytes[i + j] = static_cast<char>((value >> (8 * j)) & 0xff);
  }
  return bytes;
}

}  // namespace

ClusterSim::ClusterSim(SimConfig config)
    : config_(std::move(config)), work_(boost::asio::make_work_guard(io_)) {
  taskResources_ = *Resources::parse(config_.taskResources);
  executorResources_ = *Resources::parse(config_.executorResources);
  perOffer_ = config_.tasksPerOffer > 0
                  ? config_.tasksPerOffer
                  : std::max(1, (config_.tasks + config_.agents - 1) / std::max(1, config_.agents));
  client_ = std::make_unique<http::Client>(
      io_, http::ClientOptions{.requestTimeout = std::chrono::seconds(120),
                               .maxIdlePerHost = config_.window,
                               .maxIdleAge = std::chrono::hours(1),
                               .plainHttp = true});
  streams_ = std::make_unique<http::Client>(io_, http::ClientOptions{.plainHttp = true});
  agents_.resize(static_cast<std::size_t>(config_.agents));
  frameworks_.resize(static_cast<std::size_t>(config_.frameworks));
  for (std::size_t i = 0; i < frameworks_.size(); ++i) {
    Framework& framework = frameworks_[i];
    framework.target = config_.tasks / config_.frameworks +
                       (static_cast<int>(i) < config_.tasks % config_.frameworks ? 1 : 0);
    framework.info.set_user("nobody");
    framework.info.set_name("sim-framework-" + std::to_string(i));
    framework.info.add_roles("*");
    framework.info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  }
  thread_ = std::thread([this] { io_.run(); });
}

ClusterSim::~ClusterSim() {
  run([this] {
    for (Agent& agent : agents_) {
      if (agent.stream) agent.stream->cancel();
    }
    for (Framework& framework : frameworks_) {
      if (framework.stream) framework.stream->cancel();
    }
    client_.reset();
    streams_.reset();
  });
  work_.reset();
  io_.stop();
  thread_.join();
}

void ClusterSim::run(std::function<void()> work) {
  std::promise<void> done;
  boost::asio::post(io_, [&] {
    work();
    done.set_value();
  });
  done.get_future().wait();
}

bool ClusterSim::waitFor(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

void ClusterSim::recordError(const std::string& error) {
  std::lock_guard lock(errorMutex_);
  if (firstError_.empty()) firstError_ = error;
}

std::string ClusterSim::firstError() const {
  std::lock_guard lock(errorMutex_);
  return firstError_;
}

// ---------------------------------------------------------------------------
// Calls: one window of requests in flight.

void ClusterSim::send(Pending call) {
  queue_.push_back(std::move(call));
  pump();
}

void ClusterSim::pump() {
  while (inFlight_ < config_.window && !queue_.empty() && client_) {
    Pending call = std::move(queue_.front());
    queue_.pop_front();
    ++inFlight_;
    call.headers.set("Content-Type", kProtobuf);
    client_->request(config_.host, config_.port,
                     {.method = "POST",
                      .target = call.target,
                      .headers = std::move(call.headers),
                      .body = std::move(call.body)},
                     [this, done = std::move(call.done)](Result<http::Response> response) {
                       --inFlight_;
                       const bool ok = response && response->status / 100 == 2;
                       if (!ok) {
                         ++failedCalls_;
                         recordError(response ? "a call got " + std::to_string(response->status) +
                                                    ": " + response->body
                                              : "a call failed: " + response.error().message());
                       }
                       if (done) done(ok);
                       pump();
                     });
  }
}

// ---------------------------------------------------------------------------
// Agents.

bool ClusterSim::connectAgents(bool reregister, std::chrono::seconds timeout) {
  run([&] {
    registered_ = 0;
    for (std::size_t i = 0; i < agents_.size(); ++i)
      connectAgent(i, reregister);
  });
  return waitFor([&] { return registered_.load() == agents_.size(); }, timeout);
}

void ClusterSim::connectAgent(std::size_t index, bool reregister) {
  Agent& agent = agents_[index];
  if (agent.stream) agent.stream->cancel();
  agent.registered = false;
  agent.decoder = RecordIODecoder();
  v1::AgentInfo info;
  info.set_hostname("sim-agent-" + std::to_string(index));
  info.set_port(static_cast<int>(40000 + index % 20000));
  Resources::parse(config_.agentResources)->toWire(info.mutable_resources());
  const std::string endpoint = "127.0.0.1:" + std::to_string(40000 + index % 20000);
  internal::AgentCall call;
  if (!reregister || agent.id.empty()) {
    call.set_type(internal::AgentCall::REGISTER);
    *call.mutable_register_()->mutable_agent_info() = info;
    call.mutable_register_()->set_endpoint(endpoint);
    call.mutable_register_()->set_version("plexus-bench-master-scale");
  } else {
    call.set_type(internal::AgentCall::REREGISTER);
    call.mutable_agent_id()->set_value(agent.id);
    info.mutable_id()->set_value(agent.id);
    auto* reregistration = call.mutable_reregister();
    *reregistration->mutable_agent_info() = info;
    reregistration->set_endpoint(endpoint);
    reregistration->set_version("plexus-bench-master-scale");
    for (const auto& [id, framework] : agent.frameworks)
      *reregistration->add_frameworks() = framework;
    for (const auto& [id, task] : agent.tasks) {
      v1::Task* entry = reregistration->add_tasks();
      entry->set_name(task.info.name());
      *entry->mutable_task_id() = task.info.task_id();
      entry->mutable_framework_id()->set_value(task.framework);
      entry->mutable_agent_id()->set_value(agent.id);
      *entry->mutable_resources() = task.info.resources();
      entry->set_state(v1::TASK_RUNNING);
    }
  }
  agent.stream = streams_->stream(
      config_.host, config_.port,
      {.method = "POST",
       .target = kAgentPath,
       .headers = {{"Content-Type", kProtobuf}, {"Accept", kProtobuf}},
       .body = call.SerializeAsString()},
      {.onHead =
           [this, index](const http::Response& head) {
             if (auto id = head.header(kAgentStreamHeader)) agents_[index].streamId = *id;
           },
       .onData = [this, index](std::string_view bytes) { onAgentData(index, bytes); },
       .onEnd =
           [this, index](Result<void>) {
             if (agents_[index].registered) recordError("an agent's stream ended");
           },
       .onRefused =
           [this](const http::Response& answer) {
             recordError("registration refused: " + http::describeRefusal(answer));
           }});
}

void ClusterSim::onAgentData(std::size_t index, std::string_view bytes) {
  std::vector<std::string> records;
  if (!agents_[index].decoder.decode(bytes, &records)) {
    recordError("an agent's stream does not decode");
    return;
  }
  for (const std::string& record : records) {
    internal::AgentEvent event;
    if (event.ParseFromString(record)) agentEvent(index, event);
  }
}

void ClusterSim::agentEvent(std::size_t index, const internal::AgentEvent& event) {
  Agent& agent = agents_[index];
  switch (event.type()) {
    case internal::AgentEvent::REGISTERED:
      agent.id = event.registered().agent_id().value();
      agentIndex_[agent.id] = index;
      if (!agent.registered) ++registered_;
      agent.registered = true;
      return;
    case internal::AgentEvent::RUN_TASK: {
      const auto& run = event.run_task();
      const std::string framework = run.framework_info().id().value();
      agent.frameworks[framework] = run.framework_info();
      agent.tasks[run.task().task_id().value()] = SimTask{framework, run.task()};
      sendUpdate(agent, framework, run.task().task_id(), v1::TASK_RUNNING);
      return;
    }
    case internal::AgentEvent::KILL_TASK: {
      const auto& kill = event.kill_task();
      agent.tasks.erase(kill.task_id().value());
      sendUpdate(agent, kill.framework_id().value(), kill.task_id(), v1::TASK_KILLED);
      return;
    }
    case internal::AgentEvent::PING: {
      internal::AgentCall pong;
      pong.set_type(internal::AgentCall::PONG);
      pong.mutable_agent_id()->set_value(agent.id);
      send({kAgentPath, {{kAgentStreamHeader, agent.streamId}}, pong.SerializeAsString(), {}});
      return;
    }
    default:
      return;  // ACKNOWLEDGE and the rest: nothing to keep
  }
}

void ClusterSim::sendUpdate(Agent& agent, const std::string& framework, const v1::TaskID& task,
                            v1::TaskState state) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::UPDATE);
  call.mutable_agent_id()->set_value(agent.id);
  auto* update = call.mutable_update();
  update->mutable_framework_id()->set_value(framework);
  v1::TaskStatus* status = update->mutable_status();
  *status->mutable_task_id() = task;
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(uuid());
  status->mutable_agent_id()->set_value(agent.id);
  status->set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  send({kAgentPath, {{kAgentStreamHeader, agent.streamId}}, call.SerializeAsString(), {}});
}

// ---------------------------------------------------------------------------
// Frameworks.

bool ClusterSim::runFrameworks(std::chrono::seconds timeout) {
  run([&] {
    for (std::size_t i = 0; i < frameworks_.size(); ++i)
      subscribe(i);
  });
  return waitFor([&] { return running_.load() >= static_cast<std::size_t>(config_.tasks); },
                 timeout);
}

void ClusterSim::subscribe(std::size_t index) {
  Framework& framework = frameworks_[index];
  Call call;
  call.set_type(Call::SUBSCRIBE);
  *call.mutable_subscribe()->mutable_framework_info() = framework.info;
  framework.stream = streams_->stream(
      config_.host, config_.port,
      {.method = "POST",
       .target = kSchedulerPath,
       .headers = {{"Content-Type", kProtobuf}, {"Accept", kProtobuf}},
       .body = call.SerializeAsString()},
      {.onHead =
           [this, index](const http::Response& head) {
             if (auto id = head.header("Mesos-Stream-Id")) frameworks_[index].streamId = *id;
           },
       .onData = [this, index](std::string_view bytes) { onFrameworkData(index, bytes); },
       .onEnd = [this](Result<void>) { recordError("a framework's stream ended"); },
       .onRefused =
           [this](const http::Response& answer) {
             recordError("SUBSCRIBE refused: " + http::describeRefusal(answer));
           }});
}

void ClusterSim::onFrameworkData(std::size_t index, std::string_view bytes) {
  std::vector<std::string> records;
  if (!frameworks_[index].decoder.decode(bytes, &records)) {
    recordError("a framework's stream does not decode");
    return;
  }
  for (const std::string& record : records) {
    Event event;
    if (event.ParseFromString(record)) frameworkEvent(index, event);
  }
}

void ClusterSim::frameworkEvent(std::size_t index, Event& event) {
  Framework& framework = frameworks_[index];
  switch (event.type()) {
    case Event::SUBSCRIBED:
      framework.id = event.subscribed().framework_id().value();
      framework.info.mutable_id()->set_value(framework.id);
      ++subscribed_;
      return;
    case Event::OFFERS:
      return offers(framework, event.offers());
    case Event::UPDATE:
      return update(framework, event.update().status());
    case Event::ERROR:
      recordError("ERROR event: " + event.error().message());
      return;
    default:
      return;
  }
}

void ClusterSim::offers(Framework& framework, const Event::Offers& offers) {
  Call accept;
  accept.set_type(Call::ACCEPT);
  accept.mutable_framework_id()->set_value(framework.id);
  Call decline;
  decline.set_type(Call::DECLINE);
  decline.mutable_framework_id()->set_value(framework.id);
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
  for (const v1::Offer& offer : offers.offers()) {
    if (counting_ && !offeredAgents_[offer.agent_id().value()]) {
      offeredAgents_[offer.agent_id().value()] = true;
      ++offered_;
    }
    const int wanted = framework.relaunch && !counting_ ? framework.target - framework.live : 0;
    Resources available = *Resources::fromWire(offer.resources());
    const std::string role = offer.has_allocation_info() ? offer.allocation_info().role() : "*";
    Resources needs = taskResources_;
    needs.allocate(role);
    Resources executorNeeds = executorResources_;
    executorNeeds.allocate(role);
    v1::Offer::Operation launch;
    launch.set_type(v1::Offer::Operation::LAUNCH);
    int here = 0;
    while (here < wanted && here < perOffer_ && available.contains(needs)) {
      const int index = framework.nextTask;
      v1::TaskInfo task;
      task.set_name("sim");
      task.mutable_task_id()->set_value(framework.info.name() + "-task-" + std::to_string(index));
      *task.mutable_agent_id() = offer.agent_id();
      needs.toWire(task.mutable_resources());
      if (config_.executorCommand.empty()) {
        task.mutable_command()->set_value("sleep 3600");
      } else {
        const std::string executor = "sim-executor-" + std::to_string(index % config_.executors);
        v1::ExecutorInfo* info = task.mutable_executor();
        info->set_type(v1::ExecutorInfo::CUSTOM);
        info->mutable_executor_id()->set_value(executor);
        info->mutable_framework_id()->set_value(framework.id);
        info->mutable_command()->set_value(config_.executorCommand);
        info->mutable_command()->set_shell(false);
        info->mutable_command()->add_arguments(config_.executorCommand);
        executorNeeds.toWire(info->mutable_resources());
        task.set_data(config_.taskData);
        // The executor's resources come out of the offer the first time only.
        const std::string key = offer.agent_id().value() + "/" + executor;
        if (!framework.executorsLaunched.contains(key)) {
          if (!available.contains(needs + executorNeeds)) break;
          available -= executorNeeds;
          framework.executorsLaunched.insert(key);
        }
      }
      available -= needs;
      framework.taskAgents[task.task_id().value()] = offer.agent_id().value();
      *launch.mutable_launch()->add_task_infos() = std::move(task);
      ++framework.nextTask;
      ++here;
    }
    if (here == 0) {
      *decline.mutable_decline()->add_offer_ids() = offer.id();
      continue;
    }
    framework.live += here;
    Call one = accept;
    *one.mutable_accept()->add_offer_ids() = offer.id();
    *one.mutable_accept()->add_operations() = std::move(launch);
    // Simulated agents: the rest of this agent goes to the others (tasks spread over
    // every agent). A real agent: the rest comes straight back.
    one.mutable_accept()->mutable_filters()->set_refuse_seconds(config_.agents > 0 ? 3600 : 0);
    sendScheduler(framework, std::move(one));
  }
  if (decline.decline().offer_ids_size() > 0) sendScheduler(framework, std::move(decline));
  if (!framework.suppressed && framework.live >= framework.target) {
    Call suppress;
    suppress.set_type(Call::SUPPRESS);
    suppress.mutable_framework_id()->set_value(framework.id);
    framework.suppressed = true;
    sendScheduler(framework, std::move(suppress));
  }
}

void ClusterSim::update(Framework& framework, const v1::TaskStatus& status) {
  if (status.has_uuid()) {
    Call ack;
    ack.set_type(Call::ACKNOWLEDGE);
    ack.mutable_framework_id()->set_value(framework.id);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    sendScheduler(framework, std::move(ack));
  }
  if (status.reason() == v1::TaskStatus::REASON_RECONCILIATION) return;
  ++updatesSeen_;
  lastUpdate_ = Clock::now();
  if (status.state() == v1::TASK_RUNNING) {
    framework.runningTasks.push_back(status.task_id().value());
    ++running_;
  } else if (isTerminalState(status.state())) {
    --framework.live;
    if (running_ > 0) --running_;
  }
}

void ClusterSim::sendScheduler(Framework& framework, Call call, std::function<void(bool)> done) {
  send({kSchedulerPath,
        {{"Mesos-Stream-Id", framework.streamId}},
        call.SerializeAsString(),
        std::move(done)});
}

// ---------------------------------------------------------------------------
// Measurements.

Result<double> ClusterSim::reviveUntilOffered(std::chrono::seconds timeout) {
  Clock::time_point start;
  run([&] {
    counting_ = true;
    offered_ = 0;
    offeredAgents_.clear();
    start = Clock::now();
    for (Framework& framework : frameworks_) {
      Call revive;
      revive.set_type(Call::REVIVE);
      revive.mutable_framework_id()->set_value(framework.id);
      framework.suppressed = false;
      sendScheduler(framework, std::move(revive));
    }
  });
  const bool all = waitFor([&] { return offered_.load() >= agents_.size(); }, timeout);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  run([&] {
    counting_ = false;
    for (Framework& framework : frameworks_) {
      Call suppress;
      suppress.set_type(Call::SUPPRESS);
      suppress.mutable_framework_id()->set_value(framework.id);
      framework.suppressed = true;
      sendScheduler(framework, std::move(suppress));
    }
  });
  if (!all) {
    return fail("offers reached " + std::to_string(offered_.load()) + " of " +
                std::to_string(agents_.size()) + " agents in " + std::to_string(timeout.count()) +
                "s");
  }
  return ms;
}

Result<ClusterSim::Burst> ClusterSim::finishAllTasks(std::chrono::seconds timeout) {
  Clock::time_point start;
  std::size_t expected = 0;
  run([&] {
    for (Framework& framework : frameworks_)
      framework.relaunch = false;
    updatesSeen_ = 0;
    start = Clock::now();
    for (Agent& agent : agents_) {
      for (const auto& [id, task] : agent.tasks) {
        sendUpdate(agent, task.framework, task.info.task_id(), v1::TASK_FINISHED);
        ++expected;
      }
      agent.tasks.clear();
    }
  });
  const bool all = waitFor([&] { return updatesSeen_.load() >= expected; }, timeout);
  Burst burst;
  run([&] {
    burst.updates = updatesSeen_.load();
    burst.seconds = std::chrono::duration<double>(lastUpdate_ - start).count();
  });
  if (!all) {
    return fail("frameworks saw " + std::to_string(burst.updates) + " of " +
                std::to_string(expected) + " updates in " + std::to_string(timeout.count()) + "s");
  }
  return burst;
}

std::vector<double> ClusterSim::sampleCallLatency(int count, std::chrono::milliseconds every) {
  auto latencies = std::make_shared<std::vector<double>>();
  auto answered = std::make_shared<std::atomic<int>>(0);
  for (int i = 0; i < count; ++i) {
    run([&, latencies, answered] {
      Framework& framework = frameworks_.front();
      Call reconcile;
      reconcile.set_type(Call::RECONCILE);
      reconcile.mutable_framework_id()->set_value(framework.id);
      if (!framework.runningTasks.empty()) {
        const std::string& task =
            framework.runningTasks[static_cast<std::size_t>(i) % framework.runningTasks.size()];
        auto* entry = reconcile.mutable_reconcile()->add_tasks();
        entry->mutable_task_id()->set_value(task);
        entry->mutable_agent_id()->set_value(framework.taskAgents[task]);
      }
      const auto sent = Clock::now();
      // Straight to the client, not through the window: nothing queues ahead of it.
      client_->request(
          config_.host, config_.port,
          {.method = "POST",
           .target = kSchedulerPath,
           .headers = {{"Content-Type", kProtobuf}, {"Mesos-Stream-Id", framework.streamId}},
           .body = reconcile.SerializeAsString()},
          [sent, latencies, answered](Result<http::Response>) {
            latencies->push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
            ++*answered;
          });
    });
    std::this_thread::sleep_for(every);
  }
  waitFor([&] { return answered->load() == count; }, std::chrono::seconds(120));
  std::vector<double> result;
  run([&] { result = *latencies; });
  return result;
}

}  // namespace plexus::bench
