// The isolator_cgroups module: its manifest and factory. The logic is in cgroups_isolator.hpp.
#include <plexus/isolator.hpp>
#include <plexus/module.hpp>

#include "cgroups_isolator.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"root", plexus::ParameterType::String, "plexus",
     "Parent cgroup of every container, under each hierarchy (made if missing); nothing "
     "outside it is created or changed."},
    {"version", plexus::ParameterType::String, "auto",
     "cgroup version: 'auto' (v2 when the cgroup2 mount offers the memory controller, else "
     "v1), 'v1' or 'v2'."},
    {"mount", plexus::ParameterType::String, "",
     "Where the hierarchies are: the cgroup2 mount (v2) or the folder holding one mount per "
     "v1 controller (v1). Empty: read from /proc/self/mountinfo."},
    {"cfs_quota", plexus::ParameterType::Bool, "false",
     "Also cap each container's cpu time at its cpus (CFS quota), not only weight it."},
    {"pids_max", plexus::ParameterType::Int, "4096",
     "Most processes and threads a container may hold (pids controller), so a fork bomb "
     "stays inside its container; 0: no limit."},
    {"oom_poll_interval", plexus::ParameterType::Duration, "250ms",
     "How often OOM-kill counters are read (v2's memory.events; v1's backstop to its eventfd)."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Isolator, plexus::cgroups::CgroupsIsolator>(
    {.name = "isolator_cgroups",
     .version = "0.1.0",
     .author = "Plexus maintainers",
     .description = "Linux control groups (v1 or v2): cpu weight and quota, memory limit with "
                    "OOM reporting, pids limit, usage, reliable kill.",
     .parameters = kParameters}))
