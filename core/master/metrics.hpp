// Counters the master keeps for /metrics/snapshot (Mesos's names are made in state_json.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace plexus::master {

struct Metrics {
  std::uint64_t agentRegistrations = 0;
  std::uint64_t agentReregistrations = 0;
  std::uint64_t agentRemovals = 0;
  std::uint64_t validStatusUpdates = 0;
  std::uint64_t invalidStatusUpdates = 0;
  std::uint64_t droppedMessages = 0;
  std::uint64_t httpRequests = 0;
  // Times the detector reported a different leader after the first one (failovers seen).
  std::uint64_t leaderChanges = 0;
  // Requests a master that does not lead answered with 307 or 503.
  std::uint64_t redirects = 0;
  // Terminal task counts by state name ("task_finished", ...), as Mesos counts them.
  std::map<std::string, std::uint64_t> terminalTasks;
  // Calls received by scheduler Call.Type name, lower case.
  std::map<std::string, std::uint64_t> schedulerCalls;
};

}  // namespace plexus::master
