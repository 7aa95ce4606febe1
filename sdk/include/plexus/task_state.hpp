// Facts about task states that every part of Plexus must agree on.
//
// Terminal states are Mesos's: FINISHED, FAILED, KILLED, LOST, ERROR, DROPPED,
// GONE and GONE_BY_OPERATOR. UNREACHABLE and UNKNOWN are not terminal: the task
// may still be running where nobody can see it. Pure functions; any thread.
#pragma once

#include <string>

#include <plexus/export.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

PLEXUS_API bool isTerminalState(v1::TaskState state) noexcept;

// "finished" for TASK_FINISHED: the lower-case name without the prefix, as Mesos's
// metric names spell it (master/tasks_finished).
PLEXUS_API std::string taskStateMetricName(v1::TaskState state);

}  // namespace plexus
