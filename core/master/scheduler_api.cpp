#include "master/scheduler_api.hpp"

#include <plexus/logging.hpp>
#include <plexus/uuid.hpp>

#include "api/v1_encoding.hpp"
#include "master/validation.hpp"

namespace plexus::master {
namespace {

using v1::scheduler::Call;

}  // namespace

std::optional<std::string> SchedulerApi::validate(const Call& call) {
  if (!call.IsInitialized()) {
    return "Not initialized: " + call.InitializationErrorString();
  }
  if (!call.has_type()) return "Expecting 'type' to be present";
  auto needs = [&call](bool present, const char* field) -> std::optional<std::string> {
    if (!call.has_framework_id()) return "Expecting 'framework_id' to be present";
    if (!present) return std::string("Expecting '") + field + "' to be present";
    return std::nullopt;
  };
  switch (call.type()) {
    case Call::SUBSCRIBE: {
      if (!call.has_subscribe()) return "Expecting 'subscribe' to be present";
      const auto& info = call.subscribe().framework_info();
      bool callHasId = call.has_framework_id();
      bool infoHasId = info.has_id();
      if (callHasId != infoHasId ||
          (callHasId && call.framework_id().value() != info.id().value())) {
        return "'framework_id' differs from 'subscribe.framework_info.id'";
      }
      return std::nullopt;
    }
    case Call::TEARDOWN:
    case Call::REVIVE:
    case Call::SUPPRESS:
      if (!call.has_framework_id()) return "Expecting 'framework_id' to be present";
      return std::nullopt;
    case Call::ACCEPT:
      return needs(call.has_accept(), "accept");
    case Call::DECLINE:
      return needs(call.has_decline(), "decline");
    case Call::ACCEPT_INVERSE_OFFERS:
      return needs(call.has_accept_inverse_offers(), "accept_inverse_offers");
    case Call::DECLINE_INVERSE_OFFERS:
      return needs(call.has_decline_inverse_offers(), "decline_inverse_offers");
    case Call::KILL:
      return needs(call.has_kill(), "kill");
    case Call::SHUTDOWN:
      return needs(call.has_shutdown(), "shutdown");
    case Call::ACKNOWLEDGE: {
      if (auto error = needs(call.has_acknowledge(), "acknowledge")) return error;
      if (call.acknowledge().uuid().size() != 16) {
        return "'acknowledge.uuid' is not a valid UUID (expected 16 bytes)";
      }
      return std::nullopt;
    }
    case Call::ACKNOWLEDGE_OPERATION_STATUS:
      return needs(call.has_acknowledge_operation_status(), "acknowledge_operation_status");
    case Call::RECONCILE:
      return needs(call.has_reconcile(), "reconcile");
    case Call::RECONCILE_OPERATIONS:
      return needs(call.has_reconcile_operations(), "reconcile_operations");
    case Call::MESSAGE:
      return needs(call.has_message(), "message");
    case Call::REQUEST:
      return needs(call.has_request(), "request");
    case Call::UPDATE_FRAMEWORK: {
      if (auto error = needs(call.has_update_framework(), "update_framework")) return error;
      const auto& info = call.update_framework().framework_info();
      if (!info.has_id() || info.id().value() != call.framework_id().value()) {
        return "'framework_id' differs from 'update_framework.framework_info.id'";
      }
      return std::nullopt;
    }
    case Call::UNKNOWN:
      return std::nullopt;
  }
  return std::nullopt;
}

void SchedulerApi::handle(const http::Request& request, const http::Responder& responder) {
  master_.countRequest();
  if (request.method != "POST") {
    responder.respond(http::methodNotAllowed({"POST"}));
    return;
  }
  auto encoding = api::requestEncoding(request);
  if (!encoding) return responder.respond(encoding.error().response());
  Call call;
  if (auto parsed = api::parseBody(request.body, *encoding, &call); !parsed) {
    return responder.respond(parsed.error().response());
  }
  if (auto invalid = validate(call)) {
    return responder.respond(http::text(400, "Failed to validate scheduler::Call: " + *invalid));
  }
  // Nothing silently ignored: a field Plexus does not honour refuses the call.
  if (auto supported = validation::callSupported(call); !supported) {
    return responder.respond(
        http::text(400, "Failed to validate scheduler::Call: " + supported.error().message()));
  }
  master_.countCall(call.type());
  if (call.type() == Call::SUBSCRIBE) {
    // As Mesos: an authenticated framework's FrameworkInfo.principal, when set, must
    // be the authenticated principal; when unset, it becomes it.
    auto* info = call.mutable_subscribe()->mutable_framework_info();
    if (request.principal && info->has_principal() && info->principal() != *request.principal) {
      return responder.respond(
          http::text(400, "Failed to validate scheduler::Call: Authenticated principal '" +
                              *request.principal + "' does not match principal '" +
                              info->principal() + "' set in `FrameworkInfo`"));
    }
    if (request.principal && !info->has_principal()) info->set_principal(*request.principal);
    if (auto refused = master_.authorizeSubscribe(*info)) return responder.respond(*refused);
    return subscribe(request, responder, call);
  }
  if (call.type() == Call::UNKNOWN) {
    return responder.respond(http::text(501, "Received an unknown call"));
  }

  FrameworkId id = FrameworkId::fromWire(call.framework_id());
  const FrameworkRecord* framework = master_.framework(id);
  if (framework == nullptr) return responder.respond(http::text(400, "Framework cannot be found"));
  if (request.principal && framework->info.principal() != *request.principal) {
    return responder.respond(http::text(
        400, "Authenticated principal '" + *request.principal + "' does not match principal '" +
                 framework->info.principal() + "' used by framework " + id.value()));
  }
  if (!framework->subscription.open()) {
    return responder.respond(http::text(403, "Framework is not subscribed"));
  }
  auto streamId = request.header("Mesos-Stream-Id");
  if (!streamId) {
    return responder.respond(http::text(400,
                                        "All non-subscribe calls should include the "
                                        "'Mesos-Stream-Id' header"));
  }
  if (*streamId != framework->subscription.streamId) {
    return responder.respond(http::text(
        400, "The stream ID '" + std::string(*streamId) +
                 "' included in this request didn't match the stream ID currently associated "
                 "with framework ID " +
                 id.value()));
  }
  auto done = master_.call(call);
  if (!done) return responder.respond(http::text(400, done.error().message()));
  responder.respond(
      http::response(call.type() == Call::UPDATE_FRAMEWORK ? 200 : 202, "", "text/plain"));
}

void SchedulerApi::subscribe(const http::Request& request, const http::Responder& responder,
                             const Call& call) {
  auto encoding = api::responseEncoding(request);
  if (!encoding) return responder.respond(encoding.error().response());
  if (request.header("Mesos-Stream-Id")) {
    return responder.respond(
        http::text(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"));
  }
  // Validate the framework before any byte of the stream goes out.
  if (auto valid = master_.validateFrameworkInfo(call.subscribe().framework_info()); !valid) {
    return responder.respond(
        http::text(400, "Failed to validate scheduler::Call: " + valid.error().message()));
  }
  if (auto constraints = validation::offerConstraints(call.subscribe().offer_constraints(),
                                                      call.subscribe().framework_info());
      !constraints) {
    return responder.respond(
        http::text(400, "Failed to validate scheduler::Call: " + constraints.error().message()));
  }
  Subscription subscription;
  subscription.streamId = randomUuidString();
  subscription.encoding = *encoding == api::Encoding::kJson ? Encoding::kJson : Encoding::kProtobuf;
  http::Headers headers{{"Content-Type", std::string(api::contentType(*encoding))},
                        {"Mesos-Stream-Id", subscription.streamId}};
  subscription.stream = httpEventStream(responder.stream(200, headers));
  if (subscription.stream == nullptr) return;
  auto subscribed = master_.subscribe(call.subscribe(), subscription);
  if (!subscribed) {
    v1::scheduler::Event event;
    event.set_type(v1::scheduler::Event::ERROR);
    event.mutable_error()->set_message(subscribed.error().message());
    subscription.stream->write(api::encodeRecord(event, *encoding));
    subscription.stream->close();
  }
}

}  // namespace plexus::master
