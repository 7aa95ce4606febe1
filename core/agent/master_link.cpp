// The agent's side of the master <-> agent protocol (core/protocol/agent_protocol.proto).
#include <random>

#include <plexus/logging.hpp>
#include <plexus/version.hpp>

#include "agent/agent.hpp"
#include "agent/paths.hpp"

namespace plexus::agent {

namespace {

constexpr const char* kAgentPath = "/internal/v1/agent";
constexpr const char* kStreamIdHeader = "Plexus-Agent-Stream-Id";
constexpr const char* kProtobuf = "application/x-protobuf";
constexpr Duration kMaxBackoff = std::chrono::minutes(1);

}  // namespace

internal::AgentCall Agent::makeRegisterCall() const {
  internal::AgentCall call;
  if (!agentId_) {
    call.set_type(internal::AgentCall::REGISTER);
    auto* reg = call.mutable_register_();
    *reg->mutable_agent_info() = info_;
    reg->set_endpoint(endpoint_);
    reg->set_version(kPlexusVersion);
    for (auto capability : kAgentCapabilities)
      reg->add_capabilities()->set_type(capability);
    return call;
  }
  call.set_type(internal::AgentCall::REREGISTER);
  agentId_->toWire(call.mutable_agent_id());
  auto* rereg = call.mutable_reregister();
  *rereg->mutable_agent_info() = info_;
  agentId_->toWire(rereg->mutable_agent_info()->mutable_id());
  rereg->set_endpoint(endpoint_);
  rereg->set_version(kPlexusVersion);
  for (auto capability : kAgentCapabilities)
    rereg->add_capabilities()->set_type(capability);
  for (const auto& [frameworkId, framework] : frameworks_) {
    *rereg->add_frameworks() = framework.info;
    for (const auto& [executorId, executor] : framework.executors) {
      // The framework's executors, the DEFAULT one of task groups included; not the
      // one the agent made for a command task, which the master never knew.
      if (!executor.generatedForCommandTask) {
        v1::ExecutorInfo* info = rereg->add_executors();
        *info = executor.info;
        frameworkId.toWire(info->mutable_framework_id());
      }
      for (const auto& [taskId, task] : executor.tasks) {
        v1::Task* copy = rereg->add_tasks();
        *copy = task;
        if (const v1::TaskStatus* head = updates_->head(frameworkId, taskId)) {
          copy->set_status_update_state(head->state());
          copy->set_status_update_uuid(head->uuid());
        }
      }
    }
    // Tasks of ended executors whose terminal updates are not acknowledged yet:
    // the master still has them, and must not take them for lost.
    for (const auto& completed : framework.completedExecutors) {
      for (const v1::Task& task : completed.tasks) {
        const v1::TaskStatus* head = updates_->head(frameworkId, TaskId::fromWire(task.task_id()));
        if (head == nullptr) continue;
        v1::Task* copy = rereg->add_tasks();
        *copy = task;
        copy->set_status_update_state(head->state());
        copy->set_status_update_uuid(head->uuid());
      }
    }
  }
  return call;
}

void Agent::detectMaster(const std::optional<v1::MasterInfo>& previous) {
  auto alive = alive_;
  detector_->detect(previous, [this, alive](Result<std::optional<v1::MasterInfo>> leader) {
    if (*alive) masterDetected(std::move(leader));
  });
}

// A new leader: drop the old connection and (re-)register with it at once, with
// every executor and task (makeRegisterCall); the status update manager resends
// what the old leader never acknowledged once REGISTERED arrives.
void Agent::masterDetected(Result<std::optional<v1::MasterInfo>> leader) {
  if (!leader) {
    PLEXUS_LOG(Error) << "The master detector failed and cannot recover: "
                      << leader.error().message() << "; this agent no longer follows the leader";
    return;
  }
  ++generation_;  // what the old connection still delivers is ignored
  if (masterCall_) masterCall_->cancel();
  masterCall_.reset();
  if (reconnectTimer_ != 0) context_.runtime.cancel(reconnectTimer_);
  reconnectTimer_ = 0;
  if (silenceTimer_ != 0) context_.runtime.cancel(silenceTimer_);
  silenceTimer_ = 0;
  connected_ = false;
  updates_->pause();
  backoff_ = Duration::zero();
  if (!*leader) {
    PLEXUS_LOG(Warning) << "No master is leading; waiting for one to be elected";
    masterHost_.clear();
  } else {
    const v1::MasterInfo& master = **leader;
    masterHost_ = !master.address().ip().empty() ? master.address().ip()
                  : !master.hostname().empty()   ? master.hostname()
                                                 : master.address().hostname();
    masterPort_ = static_cast<std::uint16_t>(master.port());
    PLEXUS_LOG(Info) << "New leading master " << master.id() << " at " << masterHost_ << ":"
                     << masterPort_;
    connect();
  }
  detectMaster(*leader);
}

void Agent::connect() {
  reconnectTimer_ = 0;
  if (masterHost_.empty()) return;  // no leader known; masterDetected() connects
  if (masterCall_) masterCall_->cancel();
  std::uint64_t generation = ++generation_;
  decoder_ = RecordIODecoder();
  streamId_.clear();
  connected_ = false;

  internal::AgentCall call = makeRegisterCall();
  PLEXUS_LOG(Info) << (agentId_ ? "Re-registering" : "Registering") << " with master "
                   << masterHost_ << ":" << masterPort_;
  http::ClientRequest request{.method = "POST",
                              .target = kAgentPath,
                              .headers = {{"Content-Type", kProtobuf}, {"Accept", kProtobuf}},
                              .body = call.SerializeAsString()};
  if (!flags_.authorization.empty()) request.headers.set("Authorization", flags_.authorization);
  auto alive = alive_;
  masterCall_ =
      client_->stream(masterHost_, masterPort_, std::move(request),
                      {.onHead =
                           [this, alive, generation](const http::Response& head) {
                             if (*alive) onMasterHead(generation, head);
                           },
                       .onData =
                           [this, alive, generation](std::string_view bytes) {
                             if (*alive) onMasterData(generation, bytes);
                           },
                       .onEnd =
                           [this, alive, generation](Result<void> end) {
                             if (*alive)
                               onMasterEnd(generation, end ? "the master closed the stream"
                                                           : end.error().message());
                           },
                       .onRefused =
                           [this, alive, generation](const http::Response& answer) {
                             if (*alive) onMasterRefused(generation, answer);
                           }});
}

void Agent::onMasterHead(std::uint64_t generation, const http::Response& head) {
  if (generation != generation_) return;
  if (auto id = head.header(kStreamIdHeader)) streamId_ = std::string(*id);
}

void Agent::onMasterRefused(std::uint64_t generation, const http::Response& answer) {
  if (generation != generation_) return;
  std::string why = "Master refused the registration with " + http::describeRefusal(answer);
  if (answer.status == 401) {
    why += flags_.authorization.empty() ? " (it authenticates agents; give this agent --credential)"
                                        : " (it does not accept the credential of principal '" +
                                              flags_.principal + "'; check --credential)";
  }
  onMasterEnd(generation, why);
}

void Agent::onMasterData(std::uint64_t generation, std::string_view bytes) {
  if (generation != generation_) return;
  lastEvent_ = context_.runtime.now();
  auto records = decoder_.decode(bytes);
  if (!records) {
    onMasterEnd(generation, records.error().message());
    return;
  }
  for (const std::string& record : *records) {
    internal::AgentEvent event;
    if (!event.ParseFromString(record)) {
      PLEXUS_LOG(Warning) << "Ignoring an AgentEvent that does not parse";
      continue;
    }
    handleEvent(event);
    if (generation != generation_) return;  // the handler reconnected
  }
}

void Agent::onMasterEnd(std::uint64_t generation, const std::string& why) {
  if (generation != generation_) return;
  ++generation_;
  if (masterCall_) masterCall_->cancel();
  masterCall_.reset();
  PLEXUS_LOG(Warning) << (connected_ ? "Lost the master: "
                                     : "Registration with the master failed: ")
                      << why;
  connected_ = false;
  updates_->pause();
  scheduleReconnect();
}

void Agent::scheduleReconnect() {
  if (reconnectTimer_ != 0) return;
  if (silenceTimer_ != 0) context_.runtime.cancel(silenceTimer_);
  silenceTimer_ = 0;
  // Mesos: a random delay in [0, factor * 2^n], n the failed attempts, capped.
  backoff_ = backoff_ == Duration::zero() ? flags_.registrationBackoffFactor
                                          : std::min(backoff_ * 2, kMaxBackoff);
  thread_local std::mt19937_64 engine{std::random_device{}()};
  auto bound = static_cast<std::uint64_t>(std::max<std::int64_t>(backoff_.count(), 1));
  Duration delay(static_cast<std::int64_t>(engine() % bound));
  reconnectTimer_ = context_.runtime.schedule(delay, [this] { connect(); });
}

void Agent::checkMasterSilence() {
  silenceTimer_ = 0;
  if (!connected_) return;
  Duration silence = context_.runtime.now() - lastEvent_;
  if (silence > pingInterval_ * maxSilentPings_) {
    onMasterEnd(generation_, "no event from the master for " + formatDuration(silence));
    return;
  }
  silenceTimer_ = context_.runtime.schedule(pingInterval_, [this] { checkMasterSilence(); });
}

void Agent::handleEvent(const internal::AgentEvent& event) {
  if (!connected_ && event.type() != internal::AgentEvent::REGISTERED) {
    PLEXUS_LOG(Warning) << "Ignoring " << internal::AgentEvent::Type_Name(event.type())
                        << " before REGISTERED";
    return;
  }
  switch (event.type()) {
    case internal::AgentEvent::REGISTERED:
      return onRegistered(event.registered());
    case internal::AgentEvent::RUN_TASK:
      return runTask(event.run_task());
    case internal::AgentEvent::RUN_TASK_GROUP:
      return runTaskGroup(event.run_task_group());
    case internal::AgentEvent::KILL_TASK:
      return killTask(event.kill_task());
    case internal::AgentEvent::ACKNOWLEDGE:
      return acknowledge(event.acknowledge());
    case internal::AgentEvent::MESSAGE:
      return frameworkMessage(event.message());
    case internal::AgentEvent::SHUTDOWN_EXECUTOR: {
      const auto& shutdown = event.shutdown_executor();
      Executor* executor = findExecutor(FrameworkId::fromWire(shutdown.framework_id()),
                                        ExecutorId::fromWire(shutdown.executor_id()));
      if (executor == nullptr) {
        PLEXUS_LOG(Warning) << "Cannot shut down unknown executor "
                            << shutdown.executor_id().value();
        return;
      }
      PLEXUS_LOG(Info) << "Master asked to shut down executor "
                       << executor->info.executor_id().value();
      return shutdownExecutor(*executor);
    }
    case internal::AgentEvent::SHUTDOWN_FRAMEWORK:
      return shutdownFramework(FrameworkId::fromWire(event.shutdown_framework().framework_id()));
    case internal::AgentEvent::PING: {
      internal::AgentCall pong;
      pong.set_type(internal::AgentCall::PONG);
      sendToMaster(std::move(pong));
      return;
    }
    case internal::AgentEvent::CHECKPOINT_RESOURCES:
      return checkpointResources(event.checkpoint_resources().total());
    case internal::AgentEvent::UPDATE_FRAMEWORK: {
      const auto& info = event.update_framework().framework_info();
      auto it = frameworks_.find(FrameworkId::fromWire(info.id()));
      if (it != frameworks_.end()) it->second.info = info;
      return;
    }
    default:
      PLEXUS_LOG(Warning) << "Ignoring unknown AgentEvent type " << event.type();
  }
}

void Agent::onRegistered(const internal::AgentEvent::Registered& registered) {
  AgentId id = AgentId::fromWire(registered.agent_id());
  bool first = !agentId_;
  if (agentId_ && *agentId_ != id) {
    PLEXUS_LOG(Warning) << "The master gave agent id " << id << " instead of " << *agentId_;
  }
  bool changed = !agentId_ || *agentId_ != id;
  agentId_ = id;
  agentId_->toWire(info_.mutable_id());
  if (changed || !agentCheckpointed_) checkpointAgent();
  connected_ = true;
  backoff_ = Duration::zero();
  if (registered.ping_interval_seconds() > 0) {
    pingInterval_ = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(registered.ping_interval_seconds()));
  }
  maxSilentPings_ = registered.max_ping_timeouts() > 0 ? registered.max_ping_timeouts() : 5;
  lastEvent_ = context_.runtime.now();
  if (silenceTimer_ != 0) context_.runtime.cancel(silenceTimer_);
  silenceTimer_ = context_.runtime.schedule(pingInterval_, [this] { checkMasterSilence(); });
  PLEXUS_LOG(Info) << (first ? "Registered" : "Re-registered") << " with master "
                   << registered.master_info().id() << " as agent " << id;
  updates_->resume();  // resends every outstanding update
  if (!gc_->recovered()) {
    // Once, after any recovery: whatever the work dir holds beyond the live
    // executors' sandboxes is left from before and is garbage collected.
    std::set<std::string> live;
    for (const auto& [frameworkId, framework] : frameworks_) {
      for (const auto& [executorId, executor] : framework.executors)
        live.insert(executor.directory);
    }
    gc_->recover(std::move(live), paths::agentDir(context_.flags.workDir, id));
  }
}

bool Agent::sendToMaster(internal::AgentCall call) {
  if (!connected_ || !agentId_) return false;
  agentId_->toWire(call.mutable_agent_id());
  http::ClientRequest request{
      .method = "POST",
      .target = kAgentPath,
      .headers = {{"Content-Type", kProtobuf}, {kStreamIdHeader, streamId_}},
      .body = call.SerializeAsString()};
  if (!flags_.authorization.empty()) request.headers.set("Authorization", flags_.authorization);
  auto type = call.type();
  client_->request(
      masterHost_, masterPort_, std::move(request), [type](Result<http::Response> response) {
        if (!response) {
          PLEXUS_LOG(Warning) << "Sending " << internal::AgentCall::Type_Name(type)
                              << " to the master failed: " << response.error().message();
        } else if (response->status != 202 && response->status != 200) {
          PLEXUS_LOG(Warning) << "The master answered " << internal::AgentCall::Type_Name(type)
                              << " with " << response->status << ": " << response->body;
        }
      });
  return true;
}

void Agent::forwardStatusUpdate(const FrameworkId& framework, const v1::TaskStatus& status) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::UPDATE);
  framework.toWire(call.mutable_update()->mutable_framework_id());
  *call.mutable_update()->mutable_status() = status;
  PLEXUS_LOG(Info) << "Forwarding status update " << v1::TaskState_Name(status.state())
                   << " of task " << status.task_id().value() << " of framework " << framework
                   << " to the master";
  sendToMaster(std::move(call));
}

}  // namespace plexus::agent
