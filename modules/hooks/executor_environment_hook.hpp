// executor_environment_hook: adds environment variables to every executor the agent
// launches (e.g. a site proxy), with ${AGENT_HOSTNAME}, ${AGENT_ID}, ${FRAMEWORK_ID}
// and ${EXECUTOR_ID} replaced by the launch's values.
#pragma once

#include <memory>

#include <plexus/hook.hpp>
#include <plexus/parameters.hpp>

#include "assignments.hpp"

namespace plexus::hooks {

class ExecutorEnvironmentHook : public Hook {
 public:
  // The placeholders a value may use.
  static constexpr const char* kPlaceholders[] = {"AGENT_HOSTNAME", "AGENT_ID", "FRAMEWORK_ID",
                                                  "EXECUTOR_ID"};

  ExecutorEnvironmentHook(Assignments variables, bool override)
      : variables_(std::move(variables)), override_(override) {}

  static Result<std::unique_ptr<ExecutorEnvironmentHook>> create(const Parameters& parameters);

  Decorated<v1::Environment> agentExecutorEnvironmentDecorator(const v1::ExecutorInfo& executor,
                                                               const v1::AgentInfo& agent) override;

 private:
  Assignments variables_;
  bool override_;
};

}  // namespace plexus::hooks
