#include "api_client.hpp"

#include <atomic>
#include <random>

#include <plexus/json.hpp>
#include <plexus/resources.hpp>

namespace plexus::testing {

v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id, const std::string& command,
                         const std::string& resources) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  task.mutable_command()->set_value(command);
  Resources::parse(resources)->toWire(task.mutable_resources());
  for (auto& resource : *task.mutable_resources())
    resource.mutable_allocation_info()->set_role("*");
  return task;
}
namespace {

std::string encode(const google::protobuf::Message& message, Wire wire) {
  return wire == Wire::kJson ? toJson(message) : message.SerializeAsString();
}

const char* contentType(Wire wire) {
  return wire == Wire::kJson ? "application/json" : "application/x-protobuf";
}

}  // namespace

http::Response post(int port, const std::string& path, const std::string& contentType,
                    const std::string& body, http::Headers headers) {
  http::ClientRequest request{.method = "POST", .target = path, .headers = headers, .body = body};
  if (!contentType.empty()) request.headers.set("Content-Type", contentType);
  auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port), request);
  if (!response) return http::Response{.status = 0, .body = response.error().message()};
  return *response;
}

bool EventLoop::waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  // `done` may consume what it finds, so it is called once per check, never again
  // just to report the result.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io_.restart();
    io_.run_for(std::chrono::milliseconds(10));
  }
}

unsigned Scheduler::subscribe(const v1::FrameworkInfo& info) {
  v1::scheduler::Call::Subscribe subscribe;
  *subscribe.mutable_framework_info() = info;
  return this->subscribe(std::move(subscribe));
}

unsigned Scheduler::subscribe(v1::scheduler::Call::Subscribe subscribe) {
  const v1::FrameworkInfo& info = subscribe.framework_info();
  v1::scheduler::Call call;
  call.set_type(v1::scheduler::Call::SUBSCRIBE);
  if (info.has_id()) *call.mutable_framework_id() = info.id();
  *call.mutable_subscribe() = std::move(subscribe);
  http::ClientRequest request{
      .method = "POST",
      .target = "/api/v1/scheduler",
      .headers = {{"Content-Type", contentType(wire_)}, {"Accept", contentType(wire_)}},
      .body = encode(call, wire_)};
  if (!authorization_.empty()) request.headers.set("Authorization", authorization_);
  status_.reset();
  ended_ = false;
  stream_ = client_.stream("127.0.0.1", static_cast<uint16_t>(port_), request,
                           {.onHead =
                                [this](const http::Response& head) {
                                  status_ = head.status;
                                  if (auto id = head.header("Mesos-Stream-Id"))
                                    streamId_ = std::string(*id);
                                },
                            .onData =
                                [this](std::string_view bytes) {
                                  auto records = decoder_.decode(bytes);
                                  if (!records) return;
                                  for (const std::string& record : *records) {
                                    v1::scheduler::Event event;
                                    if (wire_ == Wire::kJson)
                                      (void)fromJson(record, &event);
                                    else
                                      event.ParseFromString(record);
                                    if (event.type() == v1::scheduler::Event::SUBSCRIBED) {
                                      frameworkId_ = event.subscribed().framework_id().value();
                                    }
                                    events_.push_back(std::move(event));
                                  }
                                },
                            .onEnd = [this](Result<void>) { ended_ = true; }});
  waitFor([this] { return status_.has_value() || ended_; });
  if (status_ == 200u) next(v1::scheduler::Event::SUBSCRIBED);
  return status_.value_or(0);
}

std::optional<v1::scheduler::Event> Scheduler::next(v1::scheduler::Event::Type type,
                                                    std::chrono::milliseconds timeout) {
  std::optional<v1::scheduler::Event> found;
  waitFor(
      [&] {
        for (auto it = events_.begin(); it != events_.end(); ++it) {
          if (it->type() == type) {
            found = std::move(*it);
            events_.erase(it);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

http::Response Scheduler::call(v1::scheduler::Call call) {
  call.mutable_framework_id()->set_value(frameworkId_);
  http::Headers headers{{"Mesos-Stream-Id", streamId_}};
  if (!authorization_.empty()) headers.set("Authorization", authorization_);
  http::Response response =
      post(port_, "/api/v1/scheduler", contentType(wire_), encode(call, wire_), headers);
  // Let events the call caused arrive.
  io_.restart();
  io_.poll();
  return response;
}

void Scheduler::disconnect() {
  if (stream_) stream_->cancel();
  stream_.reset();
}

std::optional<std::string> FakeAgent::registerWith(const std::string& resources,
                                                   const std::string& hostname) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  auto* info = call.mutable_register_()->mutable_agent_info();
  info->set_hostname(hostname);
  Resources::parse(resources)->toWire(info->mutable_resources());
  // An address of its own: the master replaces a disconnected agent when another
  // registers at its address (a restarted agent that starts afresh).
  static std::atomic<int> nextPort{1};
  call.mutable_register_()->set_endpoint("127.0.0.1:" + std::to_string(nextPort++));
  call.mutable_register_()->set_version("test");
  http::ClientRequest request{.method = "POST",
                              .target = "/internal/v1/agent",
                              .headers = {{"Content-Type", "application/x-protobuf"}},
                              .body = call.SerializeAsString()};
  stream_ = client_.stream("127.0.0.1", static_cast<uint16_t>(port_), request,
                           {.onHead =
                                [this](const http::Response& head) {
                                  if (auto id = head.header("Plexus-Agent-Stream-Id"))
                                    streamId_ = std::string(*id);
                                },
                            .onData =
                                [this](std::string_view bytes) {
                                  auto records = decoder_.decode(bytes);
                                  if (!records) return;
                                  for (const std::string& record : *records) {
                                    internal::AgentEvent event;
                                    event.ParseFromString(record);
                                    if (event.type() == internal::AgentEvent::REGISTERED) {
                                      agentId_ = event.registered().agent_id().value();
                                    }
                                    events_.push_back(std::move(event));
                                  }
                                },
                            .onEnd = [this](Result<void>) { ended_ = true; }});
  if (!next(internal::AgentEvent::REGISTERED)) return std::nullopt;
  return agentId_;
}

std::optional<internal::AgentEvent> FakeAgent::next(internal::AgentEvent::Type type,
                                                    std::chrono::milliseconds timeout) {
  std::optional<internal::AgentEvent> found;
  waitFor(
      [&] {
        for (auto it = events_.begin(); it != events_.end(); ++it) {
          if (it->type() == type) {
            found = std::move(*it);
            events_.erase(it);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

http::Response FakeAgent::call(internal::AgentCall call) {
  call.mutable_agent_id()->set_value(agentId_);
  http::Response response = post(port_, "/internal/v1/agent", "application/x-protobuf",
                                 call.SerializeAsString(), {{"Plexus-Agent-Stream-Id", streamId_}});
  io_.restart();
  io_.poll();
  return response;
}

std::string FakeAgent::update(const std::string& frameworkId, const std::string& taskId,
                              v1::TaskState state) {
  static std::mt19937_64 random{42};
  std::string uuid(16, '\0');
  for (char& c : uuid)
    c = static_cast<char>(random());
  internal::AgentCall call;
  call.set_type(internal::AgentCall::UPDATE);
  call.mutable_update()->mutable_framework_id()->set_value(frameworkId);
  auto* status = call.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value(taskId);
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(uuid);
  status->mutable_agent_id()->set_value(agentId_);
  this->call(call);
  return uuid;
}

void FakeAgent::disconnect() {
  if (stream_) stream_->cancel();
  stream_.reset();
}

}  // namespace plexus::testing
