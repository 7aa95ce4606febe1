// BasicAuthenticator: HTTP Basic authentication (RFC 7617) against a list of
// credentials in Mesos's format.
//
// The credentials come from the master's --credentials when it is given, otherwise
// from the module's `credentials` parameter (inline JSON, a path or a file:// URL);
// with neither, initialize() refuses and the daemon does not start. A request
// without an `Authorization: Basic` header, or with one that does not decode to
// "principal:secret" of a known principal, gets a challenge (401) naming the realm.
// Secrets are compared in constant time, and an unknown principal costs the same
// comparison as a known one.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <plexus/authenticator.hpp>
#include <plexus/parameters.hpp>

namespace plexus::auth {

class BasicAuthenticator : public Authenticator {
 public:
  explicit BasicAuthenticator(std::vector<v1::Credential> configured)
      : configured_(std::move(configured)) {}

  static Result<std::unique_ptr<BasicAuthenticator>> create(const Parameters& parameters);

  std::string scheme() const override { return "Basic"; }
  Result<void> initialize(const std::vector<v1::Credential>& credentials) override;
  Result<AuthenticationResult> authenticate(const HttpRequestView& request,
                                            std::string_view realm) override;

 private:
  std::vector<v1::Credential> configured_;      // from the module's parameter
  std::map<std::string, std::string> secrets_;  // by principal, after initialize()
};

}  // namespace plexus::auth
