#include "master/master_flags.hpp"

#include <charconv>

#include <plexus/resources.hpp>

namespace plexus::master {
namespace po = boost::program_options;

void MasterFlags::add(Flags& flags) {
  flags.add()("allocator", po::value<std::string>(&allocator)->default_value("allocator_drf"),
              "Allocator module that decides offers. Loaded from the modules folder by this "
              "name when --modules does not name it (the shipped allocator_drf is the default).")(
      "hooks", po::value<std::string>(&hooks)->default_value("", "\"\""),
      "Comma-separated Hook modules, called in this order at each hook point.")(
      "authenticators", po::value<std::string>(&authenticators)->default_value("", "\"\""),
      "Comma-separated Authenticator modules that check HTTP requests, asked in this order. "
      "Empty: authenticator_basic (HTTP Basic over --credentials) when an --authenticate_* "
      "flag is on.")(
      "authenticate_frameworks",
      po::value<bool>(&authenticateFrameworks)->default_value(false)->implicit_value(true),
      "Only authenticated schedulers may use /api/v1/scheduler (401 otherwise); "
      "FrameworkInfo.principal must then be the authenticated principal.")(
      "authenticate_agents",
      po::value<bool>(&authenticateAgents)->default_value(false)->implicit_value(true),
      "Only authenticated agents (their --credential) may register.")(
      "authenticate_http_readonly",
      po::value<bool>(&authenticateHttpReadonly)->default_value(false)->implicit_value(true),
      "Read-only endpoints (/state, /flags, /metrics/snapshot, /roles, /weights, /quota) need "
      "authentication.")(
      "authenticate_http_readwrite",
      po::value<bool>(&authenticateHttpReadwrite)->default_value(false)->implicit_value(true),
      "The operator API (/api/v1) needs authentication.")(
      "credentials", po::value<std::string>(&credentials)->default_value("", "\"\""),
      "Credentials the authenticators accept, in Mesos's format: a path (or file:// URL) "
      "to JSON {\"credentials\": [{\"principal\": ..., \"secret\": ...}]} or to "
      "'principal secret' lines, or that JSON inline.")(
      "acls", po::value<std::string>(&acls)->default_value("", "\"\""),
      "Access control lists in Mesos's local-authorizer format (inline JSON, a path or a "
      "file:// URL): register_frameworks, run_tasks, teardown_frameworks, reserve_resources, "
      "unreserve_resources, update_quotas, update_weights, view_flags, get_endpoints, and "
      "'permissive' (default true). A refused call gets 403 naming the rule. Empty: all "
      "allowed.")(
      "master_contender", po::value<std::string>(&masterContender)->default_value("standalone"),
      "MasterContender module for leader election, or 'standalone' (built in: this master "
      "leads alone).")(
      "master_detector", po::value<std::string>(&masterDetector)->default_value("standalone"),
      "MasterDetector module to find the leading master, or 'standalone' (built in).")(
      "registry_store", po::value<std::string>(&registryStore)->default_value("", "\"\""),
      "RegistryStore module that keeps the registry (admitted and unreachable agents, "
      "frameworks, weights, quota), or 'file' (built in: <work_dir>/registry.pb, one master "
      "only). Empty: 'file', or with --zk detector_zk's 'detector_zk_registry' (the znode "
      "'<path>_registry').")(
      "allocation_interval", po::value<std::string>(&allocationInterval)->default_value("1secs"),
      "Time between batch allocations (Mesos duration syntax: 500ms, 1secs, ...).")(
      "offer_timeout", po::value<std::string>(&offerTimeout)->default_value("", "\"\""),
      "Rescind offers left unanswered this long. Empty: never.")(
      "agent_ping_timeout", po::value<std::string>(&agentPingTimeout)->default_value("15secs"),
      "Time between pings to an agent; an unanswered ping is a missed ping.")(
      "max_agent_ping_timeouts", po::value<std::string>(&maxAgentPingTimeouts)->default_value("5"),
      "Missed pings after which an agent is unreachable.")(
      "max_completed_frameworks", po::value<int>(&maxCompletedFrameworks)->default_value(50),
      "Completed frameworks kept for /state.")(
      "max_completed_tasks_per_framework",
      po::value<int>(&maxCompletedTasksPerFramework)->default_value(1000),
      "Completed tasks kept per framework for /state.")(
      "min_allocatable_resources",
      po::value<std::string>(&minAllocatableResources)->default_value("cpus:0.01|mem:32"),
      "Offers smaller than every one of these '|'-separated quantity sets are not made.")(
      "cluster", po::value<std::string>(&cluster)->default_value("", "\"\""),
      "Human-readable name of the cluster, shown in /state.")(
      "weights", po::value<std::string>(&weights)->default_value("", "\"\""),
      "Initial role weights, role=weight pairs separated by commas (e.g. "
      "'eng=2,eng/web=1.5'); roles not named weigh 1. The operator call UPDATE_WEIGHTS "
      "changes them; weights kept in the registry override these.")(
      "zk", po::value<std::string>(&zk)->default_value("", "\"\""),
      "ZooKeeper group for leader election among several masters: "
      "'zk://host1:port1,host2:port2/path', 'zk://user:pass@host1:port1/path' (digest "
      "authentication), or 'file:///path' naming a file that holds such a URL. Loads the "
      "shipped detector_zk library's modules as contender, detector and registry store "
      "(detector_zk_registry: the znode '<path>_registry'; the path must not be '/'). Empty: "
      "this master leads alone and keeps the registry in <work_dir>/registry.pb. "
      "A master that loses leadership exits (status 1) so that its supervisor restarts it with "
      "no stale state; see docs/high-availability.md.")(
      "zk_session_timeout", po::value<std::string>(&zkSessionTimeout)->default_value("10secs"),
      "ZooKeeper session timeout used with --zk; a leader whose session is lost for this long "
      "steps down.")(
      "agent_reregister_timeout",
      po::value<std::string>(&agentReregisterTimeout)->default_value("10mins"),
      "After an election: how long the new leader waits for the agents the registry lists "
      "as admitted (those that do not re-register are marked unreachable), and how long a "
      "recovered framework that has not re-subscribed is kept at least (its own "
      "failover_timeout applies when longer).")(
      "agent_recovery_factor", po::value<std::string>(&agentRecoveryFactor)->default_value("0.8"),
      "After an election the allocator makes no offer until this fraction of the agents the "
      "registry lists as admitted have re-registered (rounded down), or until "
      "--agent_reregister_timeout passes, so that quota and fair shares are not decided on a "
      "partial cluster. Between 0 (offer at once) and 1.")(
      "registry_max_agent_age",
      po::value<std::string>(&registryMaxAgentAge)->default_value("2weeks"),
      "Unreachable agents are dropped from the registry after this long; afterwards the "
      "reconciliation of their tasks answers TASK_UNKNOWN (partition-aware frameworks) or "
      "TASK_LOST, as for an agent never seen.")(
      "registry_max_agent_count",
      po::value<std::string>(&registryMaxAgentCount)->default_value("102400"),
      "At most this many unreachable agents are kept in the registry; the oldest go first.")(
      "registry_gc_interval", po::value<std::string>(&registryGcInterval)->default_value("15mins"),
      "How often the leader prunes the registry's unreachable agents by "
      "--registry_max_agent_age and --registry_max_agent_count (also done whenever an agent "
      "is marked unreachable).");
}

namespace {

// The whole of `text` as a number, or nullopt.
template <typename Number>
std::optional<Number> number(std::string_view text) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Parses `text`, the value of --`flag`, into `out`, a positive duration.
Result<void> positiveDuration(const std::string& text, const std::string& flag, Duration* out) {
  auto duration = parseDuration(text);
  if (!duration) return fail(duration.error().context("--" + flag));
  if (duration->count() <= 0) return fail("--" + flag + " must be positive");
  *out = *duration;
  return {};
}

}  // namespace

Result<void> MasterFlags::parse() {
  PLEXUS_TRY(positiveDuration(allocationInterval, "allocation_interval", &allocationIntervalValue));
  if (!offerTimeout.empty()) {
    auto timeout = parseDuration(offerTimeout);
    if (!timeout) return fail(timeout.error().context("--offer_timeout"));
    offerTimeoutValue = *timeout;
  }
  PLEXUS_TRY(positiveDuration(agentPingTimeout, "agent_ping_timeout", &agentPingTimeoutValue));
  auto pings = number<int>(maxAgentPingTimeouts);
  if (!pings || *pings < 1) {
    return fail("--max_agent_ping_timeouts=" + maxAgentPingTimeouts +
                ": expected a positive integer");
  }
  maxAgentPingTimeoutsValue = *pings;
  PLEXUS_TRY(positiveDuration(zkSessionTimeout, "zk_session_timeout", &zkSessionTimeoutValue));
  PLEXUS_TRY(positiveDuration(agentReregisterTimeout, "agent_reregister_timeout",
                              &agentReregisterTimeoutValue));
  auto factor = number<double>(agentRecoveryFactor);
  if (!factor || !(*factor >= 0 && *factor <= 1)) {
    return fail("--agent_recovery_factor=" + agentRecoveryFactor +
                ": expected a number between 0 and 1");
  }
  agentRecoveryFactorValue = *factor;
  PLEXUS_TRY(
      positiveDuration(registryMaxAgentAge, "registry_max_agent_age", &registryMaxAgentAgeValue));
  auto maxCount = number<size_t>(registryMaxAgentCount);
  if (!maxCount || *maxCount < 1) {
    return fail("--registry_max_agent_count=" + registryMaxAgentCount +
                ": expected a positive integer");
  }
  registryMaxAgentCountValue = *maxCount;
  PLEXUS_TRY(
      positiveDuration(registryGcInterval, "registry_gc_interval", &registryGcIntervalValue));
  weightsValue.clear();
  std::string_view rest = weights;
  while (!rest.empty()) {
    std::string_view item = rest.substr(0, rest.find(','));
    rest = item.size() < rest.size() ? rest.substr(item.size() + 1) : std::string_view();
    std::size_t equals = item.find('=');
    std::string role(item.substr(0, equals));
    double weight = 0;
    if (equals != std::string_view::npos)
      weight = number<double>(item.substr(equals + 1)).value_or(0);
    if (auto valid = Resources::validateRole(role); !valid || role == "*") {
      return fail("--weights: '" + std::string(item) + "': '" + role + "' is not a valid role" +
                  (valid ? "" : " (" + valid.error().message() + ")"));
    }
    if (!(weight > 0)) {
      return fail("--weights: '" + std::string(item) +
                  "': expected role=weight with a positive weight");
    }
    weightsValue[role] = weight;
  }
  return {};
}

}  // namespace plexus::master
