#include "master/agent_api.hpp"

#include <plexus/logging.hpp>

#include "api/v1_encoding.hpp"

namespace plexus::master {

void AgentApi::handle(const http::Request& request, const http::Responder& responder) {
  if (request.method != "POST") return responder.respond(http::methodNotAllowed({"POST"}));
  auto encoding = api::requestEncoding(request);
  if (!encoding) return responder.respond(encoding.error().response());
  if (*encoding != api::Encoding::kProtobuf) {
    return responder.respond(http::text(415, "The agent protocol speaks application/x-protobuf"));
  }
  internal::AgentCall call;
  if (auto parsed = api::parseBody(request.body, *encoding, &call); !parsed) {
    return responder.respond(parsed.error().response());
  }
  using Call = internal::AgentCall;
  if (call.type() == Call::REGISTER || call.type() == Call::REREGISTER) {
    bool ok = call.type() == Call::REGISTER ? call.has_register_() : call.has_reregister();
    if (!ok) return responder.respond(http::text(400, "Expecting the call's registration message"));
    Subscription subscription;
    subscription.streamId = master_.newAgentStreamId();
    subscription.encoding = Encoding::kProtobuf;
    subscription.stream =
        httpEventStream(responder.stream(200, {{"Content-Type", std::string(api::kProtobufType)},
                                               {kAgentStreamIdHeader, subscription.streamId}}));
    if (subscription.stream == nullptr) return;
    auto registered = master_.registerAgent(call, subscription);
    if (!registered) {
      PLEXUS_LOG(Warning) << "Refused agent registration: " << registered.error().message();
      subscription.stream->close();
    }
    return;
  }

  if (!call.has_agent_id()) return responder.respond(http::text(400, "Expecting 'agent_id'"));
  const AgentRecord* agent = master_.agent(AgentId::fromWire(call.agent_id()));
  if (agent == nullptr) return responder.respond(http::text(400, "Agent is not registered"));
  auto streamId = request.header(kAgentStreamIdHeader);
  if (!streamId || *streamId != agent->subscription.streamId || !agent->subscription.open()) {
    return responder.respond(http::text(403, "Agent is not connected on this stream; re-register"));
  }
  switch (call.type()) {
    case Call::UPDATE:
      if (!call.has_update()) return responder.respond(http::text(400, "Expecting 'update'"));
      break;
    case Call::EXECUTOR_EXITED:
      if (!call.has_executor_exited()) {
        return responder.respond(http::text(400, "Expecting 'executor_exited'"));
      }
      break;
    case Call::MESSAGE:
      if (!call.has_message()) return responder.respond(http::text(400, "Expecting 'message'"));
      break;
    case Call::PONG:
      break;
    default:
      return responder.respond(http::text(400, "Unknown agent call type"));
  }
  master_.agentCall(call);
  responder.respond(http::response(202, "", "text/plain"));
}

}  // namespace plexus::master
