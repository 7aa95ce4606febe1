// The isolator_posix module: its manifest and factory. The logic is in posix_isolator.hpp.
#include <plexus/isolator.hpp>
#include <plexus/module.hpp>

#include "posix_isolator.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"rlimits", plexus::ParameterType::String, "",
     "Resource limits for every container, 'NOFILE=1024:4096;CORE=0' (NAME=SOFT[:HARD], "
     "'unlimited' allowed); ContainerInfo.rlimit_info overrides them per limit."},
    {"enforce_memory", plexus::ParameterType::Bool, "false",
     "Poll each container's resident set and report a memory limitation when it exceeds "
     "the container's mem."},
    {"memory_poll_interval", plexus::ParameterType::Duration, "500ms",
     "How often the resident set is polled when enforce_memory is on."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Isolator, plexus::posix::PosixIsolator>(
    {.name = "isolator_posix",
     .version = "0.1.0",
     .author = "Plexus maintainers",
     .description = "POSIX isolation: rlimits, usage from /proc over the process tree, "
                    "optional RSS enforcement, kill of the whole tree (the agent's default).",
     .parameters = kParameters}))
