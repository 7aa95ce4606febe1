// The master's authentication set-up: which routes each --authenticate_* flag
// protects, in which realm, checked by the --authenticators modules with the
// --credentials list (docs/security.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <plexus/authenticator.hpp>

#include "auth/acls.hpp"
#include "auth/http_authentication.hpp"
#include "http/server.hpp"
#include "master/master_flags.hpp"

namespace plexus::master {

// Realms, as Mesos names them with "plexus" for "mesos".
inline constexpr const char* kSchedulerRealm = "plexus-master-scheduler";
inline constexpr const char* kAgentRealm = "plexus-master-agent";
inline constexpr const char* kReadonlyRealm = "plexus-master-readonly";
inline constexpr const char* kReadwriteRealm = "plexus-master-readwrite";

// The --acls, or nullptr without the flag (everything allowed).
[[nodiscard]] Result<std::shared_ptr<const auth::Acls>> loadAcls(const MasterFlags& flags);

// Initializes the authenticators with --credentials and installs the check on
// `server`, with the endpoint ACLs (get_endpoints for /state, view_flags for
// /flags) after it. The result must outlive the server's use (keep it with the
// modules).
[[nodiscard]] Result<std::shared_ptr<auth::HttpAuthentication>> setUpAuthentication(
    http::Server& server, const MasterFlags& flags, const std::vector<std::string>& names,
    const std::vector<Authenticator*>& authenticators, std::shared_ptr<const auth::Acls> acls);

}  // namespace plexus::master
