// The master's side of its two streaming APIs, as narrow interfaces: what the v1
// scheduler endpoint (scheduler_api.hpp) and the agents' endpoint (agent_api.hpp)
// may ask of the master once a request is parsed and checked. Master implements
// both; the endpoints speak HTTP and nothing else, and in-process tests
// (tests/master/master_inprocess_test.cpp) drive the master through the same calls.
//
// Every method runs on the master's loop. Events go out on the Subscription's
// EventStream (event_stream.hpp), never as the return value.
#pragma once

#include <optional>
#include <string>

#include <plexus/error.hpp>
#include <plexus/ids.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/scheduler.pb.h>

#include "agent_protocol.pb.h"
#include "http/types.hpp"
#include "master/master_state.hpp"

namespace plexus::master {

class SchedulerCalls {
 public:
  virtual ~SchedulerCalls() = default;

  // Counted for /metrics/snapshot: a request to the endpoint, a call of `type`.
  virtual void countRequest() = 0;
  virtual void countCall(v1::scheduler::Call::Type type) = 0;
  // A 403 when --acls refuse to register `info` (principal: info.principal()).
  virtual std::optional<http::Response> authorizeSubscribe(const v1::FrameworkInfo& info) const = 0;
  // Why `info` is invalid (roles, failover timeout), before any byte of a stream.
  virtual Result<void> validateFrameworkInfo(const v1::FrameworkInfo& info) const = 0;
  // Starts a SUBSCRIBE on `subscription`: fails at once for a removed framework or
  // another principal; otherwise SUBSCRIBED goes out once the registry holds it.
  virtual Result<FrameworkId> subscribe(const v1::scheduler::Call::Subscribe& subscribe,
                                        Subscription subscription) = 0;
  // The framework `id` (active or inactive, not removed), or null.
  virtual const FrameworkRecord* framework(const FrameworkId& id) const = 0;
  // Any call but SUBSCRIBE and UNKNOWN, from a framework that is subscribed on the
  // call's stream (the endpoint checked). Fails only for an UPDATE_FRAMEWORK the
  // master refuses, with the reason.
  virtual Result<void> call(const v1::scheduler::Call& call) = 0;
};

class AgentCalls {
 public:
  virtual ~AgentCalls() = default;

  // A new Plexus-Agent-Stream-Id.
  virtual std::string newAgentStreamId() = 0;
  // REGISTER or REREGISTER on `subscription`: REGISTERED goes out once the registry
  // admits the agent. Fails (and nothing is kept) for resources that do not parse.
  virtual Result<AgentId> registerAgent(const internal::AgentCall& call,
                                        Subscription subscription) = 0;
  // The agent `id` (connected or not), or null.
  virtual const AgentRecord* agent(const AgentId& id) const = 0;
  // UPDATE, EXECUTOR_EXITED, MESSAGE or PONG from the agent `call.agent_id()`, known
  // and connected on the call's stream (the endpoint checked), with its message.
  virtual void agentCall(const internal::AgentCall& call) = 0;
};

}  // namespace plexus::master
