#include "auth/http_authentication.hpp"

#include <plexus/logging.hpp>

namespace plexus::auth {

HttpAuthentication::HttpAuthentication(const std::vector<std::string>& names,
                                       const std::vector<Authenticator*>& authenticators) {
  for (std::size_t i = 0; i < authenticators.size() && i < names.size(); ++i)
    authenticators_.push_back({names[i], authenticators[i]});
}

Result<void> HttpAuthentication::initialize(const std::vector<v1::Credential>& credentials) {
  for (const NamedAuthenticator& named : authenticators_) {
    if (auto ready = named.authenticator->initialize(credentials); !ready)
      return fail("--authenticators: module '" + named.name + "': " + ready.error().message());
  }
  return {};
}

void HttpAuthentication::require(std::string path, std::string realm) {
  realms_[std::move(path)] = std::move(realm);
}

const std::string* HttpAuthentication::realmOf(std::string_view path) const {
  // The longest protected prefix that ends on a segment boundary.
  for (std::string_view prefix = path;;) {
    if (auto found = realms_.find(prefix); found != realms_.end())
      return found->second.empty() ? nullptr : &found->second;
    std::size_t slash = prefix.rfind('/');
    if (slash == std::string_view::npos || prefix.empty()) return nullptr;
    prefix = prefix.substr(0, slash);
    if (prefix.empty()) return nullptr;
  }
}

Result<void> HttpAuthentication::install(http::Server& server) {
  bool required = false;
  for (const auto& [path, realm] : realms_)
    required = required || !realm.empty();
  if (!required && !endpointCheck_) return {};
  if (required && authenticators_.empty()) {
    return fail(
        "authentication is required (an --authenticate_* flag is on) but no authenticator "
        "is loaded: name one with --authenticators");
  }
  server.setGate(
      [this](http::Request request, http::Responder responder, const http::Handler& handler) {
        // A principal comes only from an authenticator below, never from the connection.
        http::Request fresh = std::move(request);
        fresh.principal = std::nullopt;
        const std::string* realm = realmOf(fresh.path);
        if (realm == nullptr) return pass(std::move(fresh), responder, handler);
        check(std::move(fresh), responder, handler, *realm);
      });
  return {};
}

void HttpAuthentication::pass(http::Request request, const http::Responder& responder,
                              const http::Handler& handler) const {
  if (endpointCheck_) {
    if (auto refused = endpointCheck_(request)) return responder.respond(std::move(*refused));
  }
  handler(std::move(request), responder);
}

void HttpAuthentication::check(http::Request request, const http::Responder& responder,
                               const http::Handler& handler, const std::string& realm) const {
  HttpRequestView view{request.method, request.path, {}};
  for (const auto& field : request.headers)
    view.headers.push_back(field);
  http::Headers challenges;
  for (const NamedAuthenticator& named : authenticators_) {
    auto result = named.authenticator->authenticate(view, realm);
    if (!result) {
      PLEXUS_LOG(Error) << "Authenticator '" << named.name << "' failed on " << request.method
                        << " " << request.path << ": " << result.error().message();
      return responder.respond(
          http::text(500, "Authentication failed: authenticator '" + named.name + "' erred\n"));
    }
    if (result->principal) {
      request.principal = std::move(*result->principal);
      return pass(std::move(request), responder, handler);
    }
    if (result->forbidden) return responder.respond(http::text(403, *result->forbidden + "\n"));
    if (result->unauthorized) challenges.add("WWW-Authenticate", *result->unauthorized);
  }
  PLEXUS_LOG(Info) << "Refused an unauthenticated " << request.method << " " << request.path
                   << " from " << request.remote << " (realm " << realm << ")";
  http::Response refused = http::text(
      401, "Unauthorized: " + request.path + " needs credentials of realm '" + realm + "'\n");
  for (const auto& [name, value] : challenges)
    refused.headers.add(name, value);
  responder.respond(std::move(refused));
}

}  // namespace plexus::auth
