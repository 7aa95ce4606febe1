// Authenticator: turns an HTTP request's credentials into a principal, or refuses.
//
// Loaded by the master, and by the agent for its HTTP endpoints
// (`--authenticators=<module>`). The daemon calls authenticate() for every request
// to an endpoint that requires authentication, before the handler runs, and acts
// on the answer: a principal lets the request through (and is what authorisation
// and FrameworkInfo.principal are checked against); `unauthorized` becomes 401
// with the given WWW-Authenticate challenge; `forbidden` becomes 403.
//
// Before the first request, the daemon calls initialize() with the credentials of
// its --credentials flag (Mesos's format, docs/security.md), which an
// authenticator may use instead of its own configuration; an Error there stops
// the daemon at start-up.
//
// Threading: called on the daemon's loop; must not block (an authenticator that
// needs a remote service keeps its own thread and a cache). Errors are values;
// an Error becomes 500 with the module's name in the log, never a crash.
//
// Mesos's process::http::authentication::Authenticator, made synchronous.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/module.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

// What an authenticator may look at: the request line and the headers.
struct PLEXUS_API HttpRequestView {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header with this name, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct AuthenticationResult {
  // Exactly one of the three is set.
  std::optional<std::string> principal;
  // The WWW-Authenticate challenge to send with 401, e.g. `Basic realm="plexus"`.
  std::optional<std::string> unauthorized;
  // Why the request is refused outright (403).
  std::optional<std::string> forbidden;

  static AuthenticationResult allow(std::string principal) {
    return {std::move(principal), std::nullopt, std::nullopt};
  }
  static AuthenticationResult challenge(std::string wwwAuthenticate) {
    return {std::nullopt, std::move(wwwAuthenticate), std::nullopt};
  }
  static AuthenticationResult refuse(std::string reason) {
    return {std::nullopt, std::nullopt, std::move(reason)};
  }
};

class PLEXUS_API Authenticator {
 public:
  virtual ~Authenticator();

  // The scheme this authenticator handles, e.g. "Basic".
  virtual std::string scheme() const = 0;

  // `credentials`: the daemon's --credentials, empty when the flag is not given.
  [[nodiscard]] virtual Result<void> initialize(const std::vector<v1::Credential>& credentials) {
    return {};
  }

  // `realm` names the protected endpoint group, e.g. "plexus-master-scheduler".
  [[nodiscard]] virtual Result<AuthenticationResult> authenticate(const HttpRequestView& request,
                                                                  std::string_view realm) = 0;
};

template <>
struct ModuleKindOf<Authenticator> {
  static constexpr const char* kName = "Authenticator";
};

}  // namespace plexus
