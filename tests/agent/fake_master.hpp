// FakeMaster: a core/http Server on 127.0.0.1:0 speaking the master's side of
// /internal/v1/agent, for tests of the real plexus-agent. It answers REGISTER and
// REREGISTER with a stream (REGISTERED first), records every AgentCall, and can
// acknowledge status updates by itself (autoAck) or leave that to the test.
// The server runs on its own thread; the methods are safe from the test thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <plexus/recordio.hpp>

#include "agent_protocol.pb.h"
#include "http/server.hpp"

namespace plexus::testing {

class FakeMaster {
 public:
  struct Recorded {
    internal::AgentCall call;
    std::string streamId;  // the Plexus-Agent-Stream-Id header it carried
  };

  FakeMaster() : work_(io_.get_executor()), server_(io_) {
    auto routed = server_.route("/internal/v1/agent",
                                [this](http::Request request, http::Responder responder) {
                                  handle(std::move(request), std::move(responder));
                                });
    (void)routed;
    auto listening = server_.listen("127.0.0.1", 0);
    (void)listening;
    thread_ = std::thread([this] { io_.run(); });
  }

  ~FakeMaster() {
    boost::asio::post(io_, [this] {
      {
        std::lock_guard lock(mutex_);
        if (stream_) stream_->close();
        stream_.reset();
      }
      server_.stop();
      work_.reset();
    });
    thread_.join();
  }

  std::uint16_t port() const { return server_.port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

  std::atomic<bool> autoAck{true};
  // What REGISTERED tells the agent (set before it registers).
  std::atomic<double> pingIntervalSeconds{60};
  std::atomic<int> maxPingTimeouts{0};  // 0: unset

  // Sends `event` on the agent's current stream.
  bool send(const internal::AgentEvent& event) {
    std::lock_guard lock(mutex_);
    if (!stream_) return false;
    return stream_->write(encodeRecord(event.SerializeAsString()));
  }

  void acknowledge(const internal::AgentCall::Update& update) {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::ACKNOWLEDGE);
    *event.mutable_acknowledge()->mutable_framework_id() = update.framework_id();
    *event.mutable_acknowledge()->mutable_task_id() = update.status().task_id();
    event.mutable_acknowledge()->set_uuid(update.status().uuid());
    send(event);
  }

  // Ends the agent's stream (as a master failover would).
  void closeStream() {
    std::lock_guard lock(mutex_);
    if (stream_) stream_->close();
    stream_.reset();
  }

  // Waits for the first call at or after *cursor matching `predicate`; moves the
  // cursor past it.
  std::optional<internal::AgentCall> next(
      std::size_t* cursor, const std::function<bool(const internal::AgentCall&)>& predicate,
      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    std::optional<internal::AgentCall> found;
    cv_.wait_for(lock, timeout, [&] {
      for (std::size_t i = *cursor; i < calls_.size(); ++i) {
        if (predicate(calls_[i].call)) {
          found = calls_[i].call;
          *cursor = i + 1;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  std::optional<internal::AgentCall> waitFor(
      const std::function<bool(const internal::AgentCall&)>& predicate,
      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::size_t cursor = 0;
    return next(&cursor, predicate, timeout);
  }

  std::vector<Recorded> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  std::string endpoint() const {
    std::lock_guard lock(mutex_);
    return endpoint_;
  }

  static constexpr const char* kStreamId = "fake-stream-1";
  static constexpr const char* kAgentId = "fake-agent-S0";

 private:
  void handle(http::Request request, http::Responder responder) {
    internal::AgentCall call;
    if (!call.ParseFromString(request.body)) {
      responder.respond(http::text(400, "bad AgentCall"));
      return;
    }
    std::string streamId(request.header("Plexus-Agent-Stream-Id").value_or(""));
    bool registering = call.type() == internal::AgentCall::REGISTER ||
                       call.type() == internal::AgentCall::REREGISTER;
    if (registering) {
      auto stream = responder.stream(
          200, {{"Content-Type", "application/x-protobuf"}, {"Plexus-Agent-Stream-Id", kStreamId}});
      internal::AgentEvent event;
      event.set_type(internal::AgentEvent::REGISTERED);
      event.mutable_registered()->mutable_agent_id()->set_value(kAgentId);
      event.mutable_registered()->mutable_master_info()->set_id("fake-master");
      event.mutable_registered()->mutable_master_info()->set_ip(0);
      event.mutable_registered()->mutable_master_info()->set_port(port());
      event.mutable_registered()->set_ping_interval_seconds(pingIntervalSeconds);
      if (maxPingTimeouts > 0) event.mutable_registered()->set_max_ping_timeouts(maxPingTimeouts);
      stream->write(encodeRecord(event.SerializeAsString()));
      std::lock_guard lock(mutex_);
      if (stream_) stream_->close();
      stream_ = stream;
      endpoint_ = call.type() == internal::AgentCall::REGISTER ? call.register_().endpoint()
                                                               : call.reregister().endpoint();
    } else {
      responder.respond(http::text(202, ""));
    }
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({call, streamId});
    }
    cv_.notify_all();
    if (call.type() == internal::AgentCall::UPDATE && autoAck) acknowledge(call.update());
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  http::Server server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Recorded> calls_;
  std::shared_ptr<http::ResponseStream> stream_;
  std::string endpoint_;
};

}  // namespace plexus::testing
