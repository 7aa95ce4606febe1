// The allocator_drf module: its manifest and factory. The logic is in drf_allocator.hpp.
#include <plexus/allocator.hpp>
#include <plexus/module.hpp>

#include "drf_allocator.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"agent_order", plexus::ParameterType::String, "random",
     "Order in which a cycle visits agents: 'random' (shuffled each cycle, as Mesos) or "
     "'sorted' (by agent id, reproducible)."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Allocator, plexus::drf::DrfAllocator>(
    {.name = "allocator_drf",
     .version = "0.1.0",
     .author = "Plexus maintainers",
     .description = "Dominant Resource Fairness across frameworks (Mesos's default allocator).",
     .parameters = kParameters}))
