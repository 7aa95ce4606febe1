#include <cstdlib>

#include "http/url.hpp"
#include "plexus/executor/mesos.hpp"

namespace plexus::executor {
namespace {

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

Result<std::string> required(const Lookup& lookup, const std::string& name) {
  auto value = lookup(name);
  if (!value || value->empty()) {
    return fail("environment variable " + name +
                " is not set (is this process started by an agent?)");
  }
  return *value;
}

Result<void> duration(const Lookup& lookup, const std::string& name, bool need, Duration* out) {
  auto value = lookup(name);
  if (!value || value->empty()) {
    if (need)
      return fail("environment variable " + name + " is not set (needed when MESOS_CHECKPOINT=1)");
    return {};
  }
  auto parsed = parseDuration(*value);
  if (!parsed) return fail(parsed.error().context(name + "=" + *value));
  *out = *parsed;
  return {};
}

}  // namespace

Result<ExecutorEnvironment> ExecutorEnvironment::parse(const Lookup& lookup) {
  ExecutorEnvironment env;
  auto endpoint = required(lookup, "MESOS_AGENT_ENDPOINT");
  if (!endpoint) return fail(endpoint.error());
  auto url = http::parseUrl(*endpoint);
  if (!url || url->target != "/") {
    return fail("MESOS_AGENT_ENDPOINT=" + *endpoint + ": expected ip:port" +
                (url ? std::string() : " (" + url.error().message() + ")"));
  }
  env.agentHost = url->host;
  env.agentPort = url->port;
  auto framework = required(lookup, "MESOS_FRAMEWORK_ID");
  if (!framework) return fail(framework.error());
  env.frameworkId = *framework;
  auto executor = required(lookup, "MESOS_EXECUTOR_ID");
  if (!executor) return fail(executor.error());
  env.executorId = *executor;
  if (auto checkpoint = lookup("MESOS_CHECKPOINT"); checkpoint && !checkpoint->empty()) {
    if (*checkpoint == "1" || *checkpoint == "true")
      env.checkpoint = true;
    else if (*checkpoint == "0" || *checkpoint == "false")
      env.checkpoint = false;
    else
      return fail("MESOS_CHECKPOINT=" + *checkpoint + ": expected 1 or 0");
  }
  PLEXUS_TRY(duration(lookup, "MESOS_RECOVERY_TIMEOUT", env.checkpoint, &env.recoveryTimeout));
  PLEXUS_TRY(duration(lookup, "MESOS_SUBSCRIPTION_BACKOFF_MAX", env.checkpoint,
                      &env.subscriptionBackoffMax));
  PLEXUS_TRY(
      duration(lookup, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", false, &env.shutdownGracePeriod));
  env.directory = lookup("MESOS_DIRECTORY").value_or("");
  env.sandbox = lookup("MESOS_SANDBOX").value_or(env.directory);
  env.authenticationToken = lookup("MESOS_EXECUTOR_AUTHENTICATION_TOKEN").value_or("");
  return env;
}

Result<ExecutorEnvironment> ExecutorEnvironment::fromProcess() {
  auto env = parse([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
  // As Mesos's library: the token is not left for processes the executor starts.
  if (env) ::unsetenv("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
  return env;
}

}  // namespace plexus::executor
