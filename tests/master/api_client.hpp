// Test clients that speak the master's HTTP APIs over real sockets: a scheduler
// (v1 scheduler API, JSON or protobuf) and a fake agent (the internal protocol).
// Each runs a private io_context in the test's thread; waitFor() drives it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include <plexus/recordio.hpp>
#include <plexus/v1/scheduler.pb.h>

#include "agent_protocol.pb.h"
#include "http/client.hpp"

namespace plexus::testing {

enum class Wire { kJson, kProtobuf };

// A command task named and identified `id` on `offer`'s agent, using `resources`
// (e.g. "cpus:0.5;mem:64") allocated to the role "*".
v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id, const std::string& command,
                         const std::string& resources);

// Sends one call and returns the answer (status, headers, body).
http::Response post(int port, const std::string& path, const std::string& contentType,
                    const std::string& body, http::Headers headers = {});

class EventLoop {
 public:
  // Runs the loop until `done()` or the timeout; returns done().
  bool waitFor(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

 protected:
  boost::asio::io_context io_;
  http::Client client_{io_};
};

class Scheduler : public EventLoop {
 public:
  Scheduler(int port, Wire wire) : port_(port), wire_(wire) {}

  // Sends `authorization` as the Authorization header of every later request.
  void authorize(std::string authorization) { authorization_ = std::move(authorization); }
  // Subscribes; returns the HTTP status of the answer (200 on success).
  unsigned subscribe(const v1::FrameworkInfo& info);
  // The same with the whole Subscribe message (suppressed roles, offer constraints).
  unsigned subscribe(v1::scheduler::Call::Subscribe subscribe);
  // Waits for the next event of `type` (earlier events of other types are kept).
  std::optional<v1::scheduler::Event> next(
      v1::scheduler::Event::Type type,
      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a call with this subscription's framework id and stream id.
  http::Response call(v1::scheduler::Call call);
  void disconnect();

  const std::string& frameworkId() const { return frameworkId_; }
  const std::string& streamId() const { return streamId_; }
  bool ended() const { return ended_; }
  std::deque<v1::scheduler::Event>& events() { return events_; }

 private:
  int port_;
  Wire wire_;
  std::shared_ptr<http::ClientCall> stream_;
  RecordIODecoder decoder_;
  std::deque<v1::scheduler::Event> events_;
  std::optional<unsigned> status_;
  std::string streamId_;
  std::string frameworkId_;
  std::string authorization_;
  bool ended_ = false;
};

class FakeAgent : public EventLoop {
 public:
  explicit FakeAgent(int port) : port_(port) {}

  // Registers with `resources` (Mesos text syntax); returns the agent id.
  std::optional<std::string> registerWith(const std::string& resources,
                                          const std::string& hostname = "fake-agent");
  std::optional<internal::AgentEvent> next(
      internal::AgentEvent::Type type,
      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  http::Response call(internal::AgentCall call);
  // Sends a status update for `task` in `state` with a fresh uuid; returns the uuid.
  std::string update(const std::string& frameworkId, const std::string& taskId,
                     v1::TaskState state);
  void disconnect();

  const std::string& agentId() const { return agentId_; }

 private:
  int port_;
  std::shared_ptr<http::ClientCall> stream_;
  RecordIODecoder decoder_;
  std::deque<internal::AgentEvent> events_;
  std::string streamId_;
  std::string agentId_;
  bool ended_ = false;
};

}  // namespace plexus::testing
