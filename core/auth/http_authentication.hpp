// HttpAuthentication: which routes need an authenticated caller, and the check.
//
// A daemon makes one from its --authenticators modules, names the routes each
// realm protects (require()), and installs it as its HTTP server's gate. For a
// request to a protected route, every authenticator is asked in the order the flag
// names them: the first principal lets the request through with
// Request::principal set; a refusal (`forbidden`) answers 403; when every one
// challenges, the answer is 401 with each one's WWW-Authenticate challenge. An
// authenticator's Error answers 500 and is logged with the module's name. Routes
// no realm protects (e.g. /health, /version) pass untouched, as does everything
// when no realm is required.
//
// Threading: the daemon's loop, like the server.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <plexus/authenticator.hpp>
#include <plexus/internal/credentials.hpp>

#include "http/server.hpp"

namespace plexus::auth {

struct NamedAuthenticator {
  std::string name;  // the module's name, for the log
  Authenticator* authenticator = nullptr;
};

class HttpAuthentication {
 public:
  HttpAuthentication() = default;
  // authenticators[i] is the module called names[i].
  HttpAuthentication(const std::vector<std::string>& names,
                     const std::vector<Authenticator*>& authenticators);

  // Initializes every authenticator with `credentials` (the daemon's --credentials).
  [[nodiscard]] Result<void> initialize(const std::vector<v1::Credential>& credentials);

  // `path` (and every path under it, on a segment boundary) needs a principal of
  // `realm`; an empty realm makes it public, even under a protected prefix.
  void require(std::string path, std::string realm);

  // Runs after authentication for every request (protected or not), with the
  // principal set when there is one: a Response refuses the request (e.g. 403 from
  // the ACLs), nullopt lets it through.
  using EndpointCheck = std::function<std::optional<http::Response>(const http::Request& request)>;
  void setEndpointCheck(EndpointCheck check) { endpointCheck_ = std::move(check); }

  // Installs the check on `server`. Refuses when a realm is required but there is
  // no authenticator to check it.
  [[nodiscard]] Result<void> install(http::Server& server);

  // The realm protecting `path`, or nullptr.
  const std::string* realmOf(std::string_view path) const;

 private:
  void check(http::Request request, const http::Responder& responder, const http::Handler& handler,
             const std::string& realm) const;

  void pass(http::Request request, const http::Responder& responder,
            const http::Handler& handler) const;

  std::vector<NamedAuthenticator> authenticators_;
  EndpointCheck endpointCheck_;
  std::map<std::string, std::string, std::less<>> realms_;  // path -> realm
};

}  // namespace plexus::auth
