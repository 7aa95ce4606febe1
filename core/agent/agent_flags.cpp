#include "agent/agent_flags.hpp"

#include <plexus/internal/credentials.hpp>

namespace plexus::agent {

namespace po = boost::program_options;

namespace {

po::typed_value<std::string>* text(std::string* target, const std::string& fallback) {
  return po::value<std::string>(target)->default_value(fallback);
}

po::typed_value<std::string>* maybeEmpty(std::string* target) {
  return po::value<std::string>(target)->default_value("", "\"\"");
}

}  // namespace

void addAgentFlags(Flags& flags, AgentFlags* v) {
  flags.add()("isolation", text(&v->isolation, "isolator_posix"),
              "Comma-separated Isolator modules that isolate each container, in this order "
              "(shipped: isolator_posix, isolator_cgroups; a module not named in --modules is "
              "loaded from the library of its name). Empty: no isolation (processes still run "
              "in their own session).")(
      "hooks", maybeEmpty(&v->hooks),
      "Comma-separated Hook modules, called in this order at each hook point.")(
      "container_logger", maybeEmpty(&v->containerLogger),
      "ContainerLogger module that says where each container's stdout and stderr go (shipped: "
      "container_logger_rotate, which rotates them by size; a module not named in --modules is "
      "loaded from the library of its name). Empty: the sandbox's `stdout` and `stderr` files, "
      "unbounded.")(
      "master_detector", text(&v->masterDetector, "standalone"),
      "MasterDetector module to find the leading master, or 'standalone' (built in).")(
      "master", maybeEmpty(&v->master),
      "The master to register with: host:port, or 'zk://host1:port1,host2:port2/path' "
      "(also 'zk://user:pass@hosts/path' and 'file:///path') to follow the leading master "
      "found in ZooKeeper (loads the shipped detector_zk module). Empty: do not register.")(
      "zk_session_timeout", text(&v->zkSessionTimeoutText, "10secs"),
      "ZooKeeper session timeout used with --master=zk://.")(
      "resources", maybeEmpty(&v->resources),
      "Total resources, Mesos text ('cpus:4;mem:8192;ports:[31000-32000]') or JSON; names "
      "given here override the detected ones (cpus, mem, disk, ports).")(
      "attributes", maybeEmpty(&v->attributes),
      "Attributes of the machine, 'rack:a;zone:1' (text, scalar, ranges or set values).")(
      "default_role", text(&v->defaultRole, "*"),
      "Role given to --resources entries without one ('*': unreserved).")(
      "executor_registration_timeout", text(&v->executorRegistrationTimeoutText, "1mins"),
      "How long an executor may take to SUBSCRIBE before it is killed and its tasks fail.")(
      "executor_shutdown_grace_period", text(&v->executorShutdownGracePeriodText, "5secs"),
      "Time an executor is given to shut down before it is killed.")(
      "status_update_retry_interval", text(&v->statusUpdateRetryIntervalText, "10secs"),
      "First interval between resends of an unacknowledged status update (doubles).")(
      "status_update_retry_interval_max", text(&v->statusUpdateRetryIntervalMaxText, "10mins"),
      "Largest interval between resends of an unacknowledged status update.")(
      "registration_backoff_factor", text(&v->registrationBackoffFactorText, "1secs"),
      "Backoff of (re-)registration attempts: a random delay in [0, factor * 2^n], at most "
      "1mins.")("recovery_timeout", text(&v->recoveryTimeoutText, "15mins"),
                "How long a checkpointing executor waits for a restarted agent before it "
                "ends itself (given to it as MESOS_RECOVERY_TIMEOUT).")(
      "executor_reregistration_timeout", text(&v->executorReregistrationTimeoutText, "2secs"),
      "How long a restarted agent waits for its recovered executors to re-subscribe before "
      "it kills them (their tasks: TASK_LOST, or TASK_GONE to PARTITION_AWARE frameworks); "
      "also their MESOS_SUBSCRIPTION_BACKOFF_MAX.")(
      "recover", text(&v->recover, "reconnect"),
      "After a restart: 'reconnect' to the live executors of checkpointing frameworks "
      "(docs/agent-recovery.md), or 'cleanup' to kill them, forget the checkpointed agent "
      "and exit (before an incompatible upgrade).")(
      "strict", po::value<bool>(&v->strict)->default_value(true)->implicit_value(true),
      "Whether a recovery error (a corrupt or truncated checkpoint, an isolator that cannot "
      "recover) stops the agent (true) or is logged while as much as possible is recovered.")(
      "reconfiguration_policy", text(&v->reconfigurationPolicy, "equal"),
      "Which changes of hostname, --resources and --attributes a restarted agent accepts "
      "and keeps its ID: 'equal' (none) or 'additive' (only added resources or "
      "attributes). Otherwise it refuses to start, naming each difference.")(
      "max_completed_executors_per_framework",
      po::value<int>(&v->maxCompletedExecutorsPerFramework)->default_value(150),
      "Ended executors of each framework that /state keeps listing.")(
      "launcher_dir", maybeEmpty(&v->launcherDir),
      "Directory holding plexus-executor. Empty: the directory of this binary.")(
      "switch_user", po::value<bool>(&v->switchUser)->default_value(true)->implicit_value(true),
      "Run each executor (and so its tasks) as CommandInfo.user, else FrameworkInfo.user "
      "(setgid/setuid before exec; a user unknown here fails the task). Only when the agent "
      "runs as root; otherwise everything runs as the agent's user.")(
      "credential", maybeEmpty(&v->credential),
      "This agent's credential for a master that authenticates agents "
      "(--authenticate_agents): a file (or file:// URL) holding {\"principal\": ..., "
      "\"secret\": ...} or 'principal secret', or that JSON inline. Sent as HTTP Basic.")(
      "jwt_secret_key", maybeEmpty(&v->jwtSecretKey),
      "Path to a file holding the key that signs (HMAC-SHA256) the JWT each executor gets in "
      "MESOS_EXECUTOR_AUTHENTICATION_TOKEN. Empty: a random key the agent creates once in "
      "<work_dir>/jwt_secret_key (mode 0600), so tokens survive agent restarts.")(
      "executor_secret_key", maybeEmpty(&v->executorSecretKey),
      "Deprecated name of --jwt_secret_key (as in Mesos).")(
      "authenticate_http_executors",
      po::value<bool>(&v->authenticateHttpExecutors)->default_value(false)->implicit_value(true),
      "Only executors with their token may call /api/v1/executor (Authorization: Bearer "
      "<token>; 401 without a valid one), and each only for its own framework, executor and "
      "container (403 otherwise). Off (as in Mesos): anyone who can reach the agent may call it.")(
      "gc_delay", text(&v->gcDelayText, "1weeks"),
      "How long the sandbox of a completed executor (and the directory of a completed "
      "framework) is kept under --work_dir before it is removed; shorter as the disk fills "
      "(see --gc_disk_headroom).")(
      "gc_disk_headroom", po::value<double>(&v->gcDiskHeadroom)->default_value(0.1, "0.1"),
      "Disk headroom for sandbox garbage collection: every --disk_watch_interval, sandboxes "
      "older than gc_delay * max(0.0, 1.0 - gc_disk_headroom - disk usage) are removed at "
      "once (disk usage of the work dir's file system, 0.0 to 1.0). Between 0.0 and 1.0.")(
      "disk_watch_interval", text(&v->diskWatchIntervalText, "1mins"),
      "How often the disk usage of the work dir's file system is checked for --gc_disk_headroom.");
}

Result<void> validateAgentFlags(AgentFlags* v) {
  struct Item {
    const char* name;
    const std::string* text;
    Duration* out;
  };
  const Item items[] = {
      {"executor_registration_timeout", &v->executorRegistrationTimeoutText,
       &v->executorRegistrationTimeout},
      {"executor_shutdown_grace_period", &v->executorShutdownGracePeriodText,
       &v->executorShutdownGracePeriod},
      {"status_update_retry_interval", &v->statusUpdateRetryIntervalText,
       &v->statusUpdateRetryInterval},
      {"status_update_retry_interval_max", &v->statusUpdateRetryIntervalMaxText,
       &v->statusUpdateRetryIntervalMax},
      {"registration_backoff_factor", &v->registrationBackoffFactorText,
       &v->registrationBackoffFactor},
      {"recovery_timeout", &v->recoveryTimeoutText, &v->recoveryTimeout},
      {"executor_reregistration_timeout", &v->executorReregistrationTimeoutText,
       &v->executorReregistrationTimeout},
      {"zk_session_timeout", &v->zkSessionTimeoutText, &v->zkSessionTimeout},
      {"gc_delay", &v->gcDelayText, &v->gcDelay},
      {"disk_watch_interval", &v->diskWatchIntervalText, &v->diskWatchInterval},
  };
  for (const Item& item : items) {
    auto parsed = parseDuration(*item.text);
    if (!parsed) return fail(parsed.error().context(std::string("--") + item.name));
    *item.out = *parsed;
  }
  if (v->statusUpdateRetryInterval <= Duration::zero()) {
    return fail("--status_update_retry_interval must be positive");
  }
  if (v->statusUpdateRetryIntervalMax < v->statusUpdateRetryInterval) {
    v->statusUpdateRetryIntervalMax = v->statusUpdateRetryInterval;
  }
  if (v->zkSessionTimeout <= Duration::zero()) return fail("--zk_session_timeout must be positive");
  if (!(v->gcDiskHeadroom >= 0.0 && v->gcDiskHeadroom <= 1.0)) {
    return fail("Invalid value '" + std::to_string(v->gcDiskHeadroom) +
                "' for --gc_disk_headroom. Must be between 0.0 and 1.0");
  }
  if (v->diskWatchInterval <= Duration::zero())
    return fail("--disk_watch_interval must be positive");
  if (v->recover != "reconnect" && v->recover != "cleanup")
    return fail("--recover must be 'reconnect' or 'cleanup', not '" + v->recover + "'");
  if (v->reconfigurationPolicy != "equal" && v->reconfigurationPolicy != "additive") {
    return fail("--reconfiguration_policy must be 'equal' or 'additive', not '" +
                v->reconfigurationPolicy + "'");
  }
  if (v->maxCompletedExecutorsPerFramework < 0) {
    return fail("--max_completed_executors_per_framework must not be negative");
  }
  if (!v->executorSecretKey.empty()) {
    if (!v->jwtSecretKey.empty() && v->jwtSecretKey != v->executorSecretKey)
      return fail("--executor_secret_key is the deprecated name of --jwt_secret_key: give one");
    v->jwtSecretKey = v->executorSecretKey;
  }
  if (!v->credential.empty()) {
    auto credential = loadCredential(v->credential);
    if (!credential) return fail(credential.error().context("--credential"));
    v->authorization = basicAuthorization(*credential);
    v->principal = credential->principal();
  }
  return {};
}

}  // namespace plexus::agent
