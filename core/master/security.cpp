#include "master/security.hpp"

#include <plexus/internal/credentials.hpp>
#include <plexus/logging.hpp>

namespace plexus::master {
namespace {

// Every path a route is registered at: as given and under /master (as Mesos's
// delegate process serves them).
std::vector<std::string> bothForms(const std::vector<std::string>& paths) {
  std::vector<std::string> all;
  for (const std::string& path : paths) {
    all.push_back(path);
    all.push_back("/master" + path);
  }
  return all;
}

// The ACL answer for the read-only endpoints that have one, or nullopt.
std::optional<http::Response> endpointRefusal(const auth::Acls& acls,
                                              const http::Request& request) {
  std::string_view path = request.path;
  if (path.starts_with("/master/")) path.remove_prefix(7);
  std::optional<std::string> object;
  std::string action;
  if (path == "/state" || path == "/flags") {
    action = path == "/state" ? "get_endpoints" : "view_flags";
    if (path == "/state") object = "/state";
  } else {
    return std::nullopt;
  }
  auth::AclDecision decision = acls.authorize(action, request.principal, object);
  if (decision.allowed) return std::nullopt;
  std::string message = "Not authorized: " +
                        (request.principal ? "principal '" + *request.principal + "'"
                                           : std::string("an unauthenticated caller")) +
                        " may not read " + std::string(path) + " (refused by " + decision.by +
                        " of --acls)";
  PLEXUS_LOG(Warning) << message;
  return http::text(403, message + "\n");
}

}  // namespace

Result<std::shared_ptr<const auth::Acls>> loadAcls(const MasterFlags& flags) {
  if (flags.acls.empty()) return std::shared_ptr<const auth::Acls>();
  auto acls = auth::Acls::load(flags.acls);
  if (!acls) return fail(acls.error().context("--acls"));
  return std::make_shared<const auth::Acls>(std::move(*acls));
}

Result<std::shared_ptr<auth::HttpAuthentication>> setUpAuthentication(
    http::Server& server, const MasterFlags& flags, const std::vector<std::string>& names,
    const std::vector<Authenticator*>& authenticators, std::shared_ptr<const auth::Acls> acls) {
  auto authentication = std::make_shared<auth::HttpAuthentication>(names, authenticators);
  std::vector<v1::Credential> credentials;
  if (!flags.credentials.empty()) {
    auto loaded = loadCredentials(flags.credentials);
    if (!loaded) return fail(loaded.error().context("--credentials"));
    credentials = std::move(*loaded);
  }
  PLEXUS_TRY(authentication->initialize(credentials));

  // An empty realm marks a path as public even under a protected prefix
  // (the scheduler API lives under the operator API's /api/v1).
  auto protect = [&](const std::vector<std::string>& paths, bool on, const char* realm) {
    for (const std::string& path : bothForms(paths))
      authentication->require(path, on ? realm : "");
  };
  protect({"/api/v1/scheduler"}, flags.authenticateFrameworks, kSchedulerRealm);
  protect({"/api/v1"}, flags.authenticateHttpReadwrite, kReadwriteRealm);
  protect({"/state", "/flags", "/metrics/snapshot", "/roles", "/weights", "/quota"},
          flags.authenticateHttpReadonly, kReadonlyRealm);
  authentication->require("/internal/v1/agent", flags.authenticateAgents ? kAgentRealm : "");
  if (acls) {
    authentication->setEndpointCheck(
        [acls](const http::Request& request) { return endpointRefusal(*acls, request); });
  }
  PLEXUS_TRY(authentication->install(server));
  if (flags.authenticates()) {
    PLEXUS_LOG(Info) << "Authentication: frameworks "
                     << (flags.authenticateFrameworks ? "on" : "off") << ", agents "
                     << (flags.authenticateAgents ? "on" : "off") << ", read-only endpoints "
                     << (flags.authenticateHttpReadonly ? "on" : "off") << ", operator API "
                     << (flags.authenticateHttpReadwrite ? "on" : "off");
  }
  return authentication;
}

}  // namespace plexus::master
