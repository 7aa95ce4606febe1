// The v1 executor HTTP API, wire-identical to Mesos's (src/slave/http.cpp,
// Http::executor; validation as src/common/validation.cpp): served at
// /api/v1/executor and /slave(1)/api/v1/executor.
#include <algorithm>
#include <cctype>

#include <plexus/json.hpp>
#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>

#include "agent/agent.hpp"
#include "api/v1_encoding.hpp"

namespace plexus::agent {

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kProtobuf = "application/x-protobuf";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  std::size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// "application/json; charset=utf-8" -> "application/json".
std::string mediaType(std::string_view header) {
  return lower(trim(header.substr(0, header.find(';'))));
}

// Mesos's request.acceptsMediaType(): JSON when acceptable (no Accept header
// accepts anything), else protobuf; nullopt when neither is (406).
std::optional<bool> acceptsJson(std::optional<std::string_view> accept) {
  if (!accept || trim(*accept).empty()) return true;
  bool json = false;
  bool protobuf = false;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string type = mediaType(item);
    std::string params =
        lower(item.find(';') == std::string_view::npos ? std::string_view()
                                                       : item.substr(item.find(';')));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (params.find("q=0") != std::string::npos && params.find("q=0.") == std::string::npos)
      continue;
    if (type == kJson || type == "application/*" || type == "*/*") json = true;
    if (type == kProtobuf || type == "application/*" || type == "*/*") protobuf = true;
  }
  if (json) return true;
  if (protobuf) return false;
  return std::nullopt;
}

std::optional<std::string> validate(const v1::executor::Call& call) {
  using Call = v1::executor::Call;
  if (!call.has_type()) return "Expecting 'type' to be present";
  switch (call.type()) {
    case Call::SUBSCRIBE:
      if (!call.has_subscribe()) return "Expecting 'subscribe' to be present";
      return std::nullopt;
    case Call::UPDATE: {
      if (!call.has_update()) return "Expecting 'update' to be present";
      const v1::TaskStatus& status = call.update().status();
      if (!status.has_uuid()) return "Expecting 'uuid' to be present";
      if (status.uuid().size() != 16) return "Invalid UUID: expected 16 bytes";
      if (status.has_executor_id() && status.executor_id().value() != call.executor_id().value()) {
        return "ExecutorID in Call: " + call.executor_id().value() +
               " does not match ExecutorID in TaskStatus: " + status.executor_id().value();
      }
      if (status.source() != v1::TaskStatus::SOURCE_EXECUTOR) {
        return "Received Call from executor " + call.executor_id().value() + " of framework " +
               call.framework_id().value() + " with invalid source, expecting 'SOURCE_EXECUTOR'";
      }
      if (status.state() == v1::TASK_STAGING) {
        return "Received TASK_STAGING from executor " + call.executor_id().value() +
               " of framework " + call.framework_id().value() + " which is not allowed";
      }
      return std::nullopt;
    }
    case Call::MESSAGE:
      if (!call.has_message()) return "Expecting 'message' to be present";
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

void Agent::executorApi(http::Request request, http::Responder responder) {
  using Call = v1::executor::Call;
  // Before anything else, as Mesos's authenticator runs before the handler.
  auto claims = authenticateExecutor(request);
  if (!claims) {
    responder.respond(std::move(claims.error()));
    return;
  }
  if (request.method != "POST") {
    responder.respond(http::methodNotAllowed({"POST"}));
    return;
  }
  auto contentType = request.header("Content-Type");
  if (!contentType) {
    responder.respond(http::text(400, "Expecting 'Content-Type' to be present"));
    return;
  }
  std::string type = mediaType(*contentType);
  if (type != kJson && type != kProtobuf) {
    responder.respond(http::text(415,
                                 "Expecting 'Content-Type' of application/json or "
                                 "application/x-protobuf"));
    return;
  }
  bool json = type == kJson;
  Call call;
  if (json) {
    if (auto parsed = fromJson(request.body, &call); !parsed) {
      responder.respond(http::text(
          400, "Failed to convert JSON into Call protobuf: " + parsed.error().message()));
      return;
    }
  } else if (!call.ParseFromString(request.body)) {
    responder.respond(http::text(400, "Failed to parse body into Call protobuf"));
    return;
  }
  if (auto refused = api::validateText(call)) {
    responder.respond(http::text(400, "Failed to validate executor::Call: " + *refused));
    return;
  }
  if (call.type() == Call::HEARTBEAT) {
    responder.respond(http::text(202, ""));
    return;
  }
  if (auto error = validate(call)) {
    responder.respond(http::text(400, "Failed to validate executor::Call: " + *error));
    return;
  }
  if (call.type() == Call::UNKNOWN) {
    responder.respond(http::text(501, "Received 'UNKNOWN' call"));
    return;
  }
  FrameworkId frameworkId = FrameworkId::fromWire(call.framework_id());
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) {
    responder.respond(http::text(400, "Framework cannot be found"));
    return;
  }
  Executor* executor = findExecutor(frameworkId, ExecutorId::fromWire(call.executor_id()));
  if (executor == nullptr) {
    responder.respond(http::text(400, "Executor cannot be found"));
    return;
  }
  if (*claims) {
    if (auto refused = verifyExecutorClaims(**claims, call, *executor)) {
      responder.respond(std::move(*refused));
      return;
    }
  }

  if (call.type() == Call::SUBSCRIBE) {
    auto acceptJson = acceptsJson(request.header("Accept"));
    if (!acceptJson) {
      responder.respond(http::text(406,
                                   "Expecting 'Accept' to allow application/json or "
                                   "application/x-protobuf"));
      return;
    }
    subscribeExecutor(*executor, call, *acceptJson, responder);
    return;
  }
  if (executor->state == Executor::State::kRegistering || !executor->subscribed()) {
    responder.respond(http::text(403, "Executor is not subscribed"));
    return;
  }
  switch (call.type()) {
    case Call::UPDATE:
      responder.respond(executorUpdate(*executor, call));
      return;
    case Call::MESSAGE: {
      internal::AgentCall message;
      message.set_type(internal::AgentCall::MESSAGE);
      *message.mutable_message()->mutable_framework_id() = call.framework_id();
      *message.mutable_message()->mutable_executor_id() = call.executor_id();
      message.mutable_message()->set_data(call.message().data());
      if (!sendToMaster(std::move(message))) {
        PLEXUS_LOG(Warning) << "Dropping a framework message from executor "
                            << call.executor_id().value() << ": the master is not connected";
      }
      responder.respond(http::text(202, ""));
      return;
    }
    default:
      responder.respond(http::text(501, "Unsupported call"));
  }
}

void Agent::subscribeExecutor(Executor& executor, const v1::executor::Call& call, bool json,
                              http::Responder& responder) {
  PLEXUS_LOG(Info) << "Executor " << call.executor_id().value() << " of framework "
                   << call.framework_id().value() << " subscribed";
  if (executor.stream) executor.stream->close();
  executor.stream = responder.stream(200, {{"Content-Type", json ? kJson : kProtobuf}});
  executor.streamJson = json;
  if (!executor.stream) return;
  FrameworkId frameworkId = executor.framework;
  ExecutorId executorId = ExecutorId::fromWire(call.executor_id());
  std::weak_ptr<http::ResponseStream> weak = executor.stream;
  auto alive = alive_;
  executor.stream->onDisconnect([this, alive, frameworkId, executorId, weak] {
    if (!*alive) return;
    Executor* found = findExecutor(frameworkId, executorId);
    if (found == nullptr || found->stream != weak.lock()) return;
    PLEXUS_LOG(Info) << "Executor " << executorId << " of framework " << frameworkId
                     << " closed its event stream";
    found->stream.reset();
  });

  if (executor.state == Executor::State::kTerminating ||
      executor.state == Executor::State::kTerminated) {
    v1::executor::Event shutdown;
    shutdown.set_type(v1::executor::Event::SHUTDOWN);
    sendToExecutor(executor, shutdown);
    executor.stream->close();
    executor.stream.reset();
    return;
  }
  if (executor.registrationTimer != 0) context_.runtime.cancel(executor.registrationTimer);
  executor.registrationTimer = 0;
  executor.state = Executor::State::kRunning;
  const bool recovered = executor.recovering;
  executor.recovering = false;

  v1::executor::Event subscribed;
  subscribed.set_type(v1::executor::Event::SUBSCRIBED);
  auto* body = subscribed.mutable_subscribed();
  *body->mutable_executor_info() = executor.info;
  *body->mutable_framework_info() = frameworks_.at(frameworkId).info;
  *body->mutable_agent_info() = info_;
  body->mutable_container_id()->set_value(executor.container.value());
  sendToExecutor(executor, subscribed);

  // An executor re-subscribing resends what it never saw acknowledged.
  for (const auto& update : call.subscribe().unacknowledged_updates()) {
    v1::TaskStatus status = update.status();
    *status.mutable_executor_id() = call.executor_id();
    statusUpdate(frameworkId, std::move(status), &executor);
  }
  sendLaunches(executor);
  if (recovered) {
    PLEXUS_LOG(Info) << "Recovered executor " << executorId << " of framework " << frameworkId
                     << " re-subscribed";
    maybeFinishRecovery();
  }
}

http::Response Agent::executorUpdate(Executor& executor, const v1::executor::Call& call) {
  v1::TaskStatus status = call.update().status();
  *status.mutable_executor_id() = call.executor_id();
  if (auto limitation = containerizer_->limitation(executor.container);
      limitation && isTerminalState(status.state())) {
    // The executor saw its task die of the limitation (e.g. the kernel's OOM kill)
    // before the agent reported it: say why, as the agent would have.
    status.set_state(v1::TASK_FAILED);
    status.set_reason(limitation->has_reason() ? limitation->reason()
                                               : v1::TaskStatus::REASON_CONTAINER_LIMITATION);
    status.set_message(limitation->message());
    *status.mutable_limitation()->mutable_resources() = limitation->resources();
  }
  if (!executor.tasks.contains(TaskId::fromWire(status.task_id()))) {
    PLEXUS_LOG(Warning) << "Status update for unknown task " << status.task_id().value()
                        << " from executor " << call.executor_id().value();
  }
  const bool ended = isTerminalState(status.state());
  statusUpdate(executor.framework, std::move(status), &executor);
  if (ended) resizeContainer(executor);  // the executor lives on without the task
  return http::text(202, "");
}

void Agent::sendLaunches(Executor& executor) {
  std::vector<QueuedLaunch> queued = std::move(executor.queued);
  executor.queued.clear();
  for (QueuedLaunch& launch : queued) {
    v1::executor::Event event;
    if (launch.group) {
      event.set_type(v1::executor::Event::LAUNCH_GROUP);
      *event.mutable_launch_group()->mutable_task_group() = std::move(launch.tasks);
    } else {
      event.set_type(v1::executor::Event::LAUNCH);
      *event.mutable_launch()->mutable_task() = launch.tasks.tasks(0);
    }
    sendToExecutor(executor, event);
  }
}

void Agent::sendToExecutor(Executor& executor, const v1::executor::Event& event) {
  if (!executor.stream || !executor.stream->isOpen()) return;
  std::string body = executor.streamJson ? toJson(event) : event.SerializeAsString();
  executor.stream->write(encodeRecord(body));
}

}  // namespace plexus::agent

namespace plexus::agent {

void Agent::heartbeatExecutors() {
  constexpr auto kInterval = std::chrono::minutes(30);
  v1::executor::Event heartbeat;
  heartbeat.set_type(v1::executor::Event::HEARTBEAT);
  for (auto& [frameworkId, framework] : frameworks_) {
    for (auto& [executorId, executor] : framework.executors) {
      if (executor.subscribed()) sendToExecutor(executor, heartbeat);
    }
  }
  auto alive = alive_;
  context_.runtime.schedule(kInterval, [this, alive] {
    if (*alive) heartbeatExecutors();
  });
}

}  // namespace plexus::agent
