// AgentApi: the master's end of the internal agent protocol, POST /internal/v1/agent
// (core/protocol/agent_protocol.proto). REGISTER and REREGISTER answer with a
// stream of AgentEvents; other calls carry the stream's Plexus-Agent-Stream-Id and
// get 202, or 400/403 with a message. Protobuf only. Runs on the master's loop.
#pragma once

#include "http/responder.hpp"
#include "http/types.hpp"
#include "master/master_calls.hpp"

namespace plexus::master {

inline constexpr const char* kAgentStreamIdHeader = "Plexus-Agent-Stream-Id";

class AgentApi {
 public:
  explicit AgentApi(AgentCalls& master) : master_(master) {}
  void handle(const http::Request& request, const http::Responder& responder);

 private:
  AgentCalls& master_;
};

}  // namespace plexus::master
