// The master's own flags, with Mesos's names and defaults.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <plexus/duration.hpp>

#include "common/flags.hpp"

namespace plexus::master {

struct MasterFlags {
  std::string allocator;
  std::string hooks;
  std::string authenticators;
  std::string masterContender;
  std::string masterDetector;
  std::string registryStore;
  std::string allocationInterval;
  std::string offerTimeout;
  std::string agentPingTimeout;
  std::string maxAgentPingTimeouts;
  int maxCompletedFrameworks = 50;
  int maxCompletedTasksPerFramework = 1000;
  std::string minAllocatableResources;
  std::string cluster;
  std::string weights;  // "role1=2,role2=3.5"
  // Authentication and authorisation (docs/security.md).
  bool authenticateFrameworks = false;
  bool authenticateAgents = false;
  bool authenticateHttpReadonly = false;
  bool authenticateHttpReadwrite = false;
  std::string credentials;  // Mesos's format: inline JSON, a path or a file:// URL
  std::string acls;         // Mesos's local ACLs: inline JSON, a path or a file:// URL
  std::string zk;           // "zk://host:port,.../path" or "file:///path"; empty: standalone
  std::string zkSessionTimeout;
  std::string agentReregisterTimeout;
  std::string agentRecoveryFactor;
  std::string registryMaxAgentAge;
  std::string registryMaxAgentCount;
  std::string registryGcInterval;

  // Parsed forms, filled by parse().
  Duration allocationIntervalValue = std::chrono::seconds(1);
  Duration offerTimeoutValue{0};  // zero: offers are never rescinded for age
  Duration agentPingTimeoutValue = std::chrono::seconds(15);
  int maxAgentPingTimeoutsValue = 5;
  Duration heartbeatInterval = std::chrono::seconds(15);
  std::map<std::string, double> weightsValue;
  Duration zkSessionTimeoutValue = std::chrono::seconds(10);
  Duration agentReregisterTimeoutValue = std::chrono::minutes(10);
  double agentRecoveryFactorValue = 0.8;
  Duration registryMaxAgentAgeValue = std::chrono::hours(24 * 14);
  size_t registryMaxAgentCountValue = 102400;
  Duration registryGcIntervalValue = std::chrono::minutes(15);

  bool authenticates() const {
    return authenticateFrameworks || authenticateAgents || authenticateHttpReadonly ||
           authenticateHttpReadwrite;
  }

  void add(Flags& flags);
  [[nodiscard]] Result<void> parse();
};

}  // namespace plexus::master
