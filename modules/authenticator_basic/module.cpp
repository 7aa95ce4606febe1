// The authenticator_basic module: its manifest and factory. The logic is in
// basic_authenticator.hpp.
#include <plexus/authenticator.hpp>
#include <plexus/module.hpp>

#include "basic_authenticator.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"credentials", plexus::ParameterType::String, "",
     "Credentials in Mesos's format: inline JSON {\"credentials\": [{\"principal\": ..., "
     "\"secret\": ...}]}, a path or a file:// URL. Used when the daemon has no "
     "--credentials."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(
    plexus::moduleManifest<plexus::Authenticator, plexus::auth::BasicAuthenticator>(
        {.name = "authenticator_basic",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "HTTP Basic authentication over a Mesos-format credentials list, secrets "
                        "compared in constant time.",
         .parameters = kParameters}))
