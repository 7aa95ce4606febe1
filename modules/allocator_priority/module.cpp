// The allocator_priority module: its manifest and factory. The logic is in
// priority_allocator.hpp (on top of allocator_drf's logic library).
#include <plexus/allocator.hpp>
#include <plexus/module.hpp>

#include "priority_allocator.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"priorities", plexus::ParameterType::String, "",
     "Priority levels of roles, 'role=level,...' (integers; higher is offered first; "
     "unlisted roles inherit their parent's level, top-level roles default to 0)."},
    {"minimums", plexus::ParameterType::String, "",
     "Guaranteed minimums of roles, 'role=cpus:4;mem:4096,...': met first, never revoked."},
    {"grace_period", plexus::ParameterType::Duration, "30secs",
     "How long a role waits before resources of lower levels above their minimums are "
     "reclaimed for it."},
    {"revocation_quantum", plexus::ParameterType::String, "cpus:1;mem:1024",
     "What one revocation reclaims for a waiting role whose minimum is already met."},
    {"agent_order", plexus::ParameterType::String, "random",
     "Order in which a cycle visits agents: 'random' or 'sorted' (by agent id)."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(
    plexus::moduleManifest<plexus::Allocator, plexus::priority::PriorityAllocator>(
        {.name = "allocator_priority",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Strict priorities between roles, DRF inside a level, guaranteed "
                        "minimums, revocation after a grace period.",
         .parameters = kParameters}))
