// AgentFlags: the agent's own flags (the common ones, --ip, --port, --hostname,
// --work_dir, --modules..., live in core/daemon).
//
// Names, syntax and defaults follow Mesos's agent (docs/configuration/agent.md):
// durations in stout syntax ("5secs"), lists comma-separated. Every flag may also
// come from the environment as PLEXUS_<FLAG>. addAgentFlags() registers them;
// validateAgentFlags() parses the duration texts once the command line is read.
#pragma once

#include <string>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>

#include "common/flags.hpp"

namespace plexus::agent {

struct AgentFlags {
  // Role / module selection (kept from the skeleton).
  std::string isolation;
  std::string hooks;
  std::string masterDetector;
  std::string containerLogger;  // empty: the built-in sandbox logger

  // "host:port" of the master. Empty: the agent serves its endpoints but does not
  // register (a bare `plexus-agent`, as the daemon tests run it).
  // Or "zk://host:port,.../path" / "file:///path": the leader is found in ZooKeeper.
  std::string master;
  std::string zkSessionTimeoutText = "10secs";
  std::string resources;   // Mesos text or JSON, merged over detection
  std::string attributes;  // "rack:a;zone:1"
  std::string defaultRole = "*";

  std::string executorRegistrationTimeoutText = "1mins";
  std::string executorShutdownGracePeriodText = "5secs";
  std::string statusUpdateRetryIntervalText = "10secs";
  std::string statusUpdateRetryIntervalMaxText = "10mins";
  std::string registrationBackoffFactorText = "1secs";
  std::string recoveryTimeoutText = "15mins";
  std::string executorReregistrationTimeoutText = "2secs";
  int maxCompletedExecutorsPerFramework = 150;  // kept for /state
  // Agent recovery (docs/agent-recovery.md), Mesos's flags and defaults.
  std::string recover = "reconnect";  // reconnect | cleanup
  bool strict = true;
  std::string reconfigurationPolicy = "equal";  // equal | additive
  std::string launcherDir;  // where plexus-executor lives; empty: next to this binary
  bool checkpoint = false;  // Mesos's per-framework checkpoint is honoured as well
  // Run each executor as its command's user or its framework's (when root).
  bool switchUser = true;
  // The agent's own credential for the master (path, file:// URL or inline JSON).
  std::string credential;
  // Executor authentication (docs/security.md): the file holding the key that signs
  // each executor's token (empty: a key the agent keeps in its work dir), the
  // deprecated name of the same flag, and whether /api/v1/executor requires a token.
  std::string jwtSecretKey;
  std::string executorSecretKey;
  bool authenticateHttpExecutors = false;
  // Sandbox garbage collection (gc.hpp), Mesos's names and defaults.
  std::string gcDelayText = "1weeks";
  double gcDiskHeadroom = 0.1;
  std::string diskWatchIntervalText = "1mins";

  // Parsed by validateAgentFlags().
  Duration executorRegistrationTimeout{};
  Duration executorShutdownGracePeriod{};
  Duration statusUpdateRetryInterval{};
  Duration statusUpdateRetryIntervalMax{};
  Duration registrationBackoffFactor{};
  Duration recoveryTimeout{};
  Duration executorReregistrationTimeout{};
  Duration gcDelay{};
  Duration diskWatchInterval{};
  // `Authorization` header value from --credential; empty without one.
  std::string authorization;
  std::string principal;  // the credential's principal, for the log
  Duration zkSessionTimeout{};
};

void addAgentFlags(Flags& flags, AgentFlags* values);

// Parses the duration flags; the error names the flag.
[[nodiscard]] Result<void> validateAgentFlags(AgentFlags* values);

}  // namespace plexus::agent
