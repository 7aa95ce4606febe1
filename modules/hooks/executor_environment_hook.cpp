#include "executor_environment_hook.hpp"

#include <algorithm>
#include <iterator>

namespace plexus::hooks {

Result<std::unique_ptr<ExecutorEnvironmentHook>> ExecutorEnvironmentHook::create(
    const Parameters& parameters) {
  auto variables = parseAssignments(parameters.string("variables"), "variables");
  if (!variables) return fail(variables.error());
  if (variables->empty()) return fail("variables: expected at least one NAME=value");
  for (const auto& [name, value] : *variables) {
    auto names = placeholders(value);
    if (!names) return fail(names.error().context("variables: " + name));
    for (const std::string& placeholder : *names) {
      if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), placeholder) ==
          std::end(kPlaceholders)) {
        return fail("variables: " + name + ": unknown placeholder ${" + placeholder +
                    "} (known: ${AGENT_HOSTNAME}, ${AGENT_ID}, ${FRAMEWORK_ID}, ${EXECUTOR_ID})");
      }
    }
  }
  return std::make_unique<ExecutorEnvironmentHook>(std::move(*variables),
                                                   parameters.boolean("override"));
}

Hook::Decorated<v1::Environment> ExecutorEnvironmentHook::agentExecutorEnvironmentDecorator(
    const v1::ExecutorInfo& executor, const v1::AgentInfo& agent) {
  const std::map<std::string, std::string> values{{"AGENT_HOSTNAME", agent.hostname()},
                                                  {"AGENT_ID", agent.id().value()},
                                                  {"FRAMEWORK_ID", executor.framework_id().value()},
                                                  {"EXECUTOR_ID", executor.executor_id().value()}};
  v1::Environment environment = executor.command().environment();
  for (const auto& [name, value] : variables_) {
    v1::Environment::Variable* existing = nullptr;
    for (auto& variable : *environment.mutable_variables()) {
      if (variable.name() == name) existing = &variable;
    }
    if (existing != nullptr && !override_) continue;
    if (existing == nullptr) {
      existing = environment.add_variables();
      existing->set_name(name);
    }
    existing->set_type(v1::Environment::Variable::VALUE);
    existing->set_value(substitute(value, values));
  }
  return environment;
}

}  // namespace plexus::hooks
