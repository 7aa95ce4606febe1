// env_hook: a tiny Hook module that adds fixed variables to every executor's
// environment on the agent (and so to the tasks the executor runs), e.g. the
// site's proxy or the rack the agent sits in. Built outside the Plexus tree
// against the installed SDK (see README.md).
//
//   {"libraries": [{"file": "/path/libplexus_env_hook.so",
//                   "modules": [{"name": "env_hook", "parameters":
//                     [{"key": "variables", "value": "SITE=lab,RACK=r12"}]}]}]}
//   plexus-agent --modules=... --hooks=env_hook
#include <memory>
#include <string>
#include <string_view>

#include <plexus/hook.hpp>
#include <plexus/module.hpp>

namespace {

class EnvHook final : public plexus::Hook {
 public:
  static plexus::Result<std::unique_ptr<EnvHook>> create(const plexus::Parameters& parameters) {
    auto hook = std::make_unique<EnvHook>();
    std::string_view list = parameters.string("variables");
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view entry = list.substr(0, comma);
      const auto equals = entry.find('=');
      if (equals == 0 || equals == std::string_view::npos)
        return plexus::fail("variables: '" + std::string(entry) + "' is not NAME=value");
      auto* variable = hook->variables_.add_variables();
      variable->set_name(std::string(entry.substr(0, equals)));
      variable->set_value(std::string(entry.substr(equals + 1)));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return hook;
  }

  // The returned environment replaces the command's: keep it and set ours over it.
  Decorated<plexus::v1::Environment> agentExecutorEnvironmentDecorator(
      const plexus::v1::ExecutorInfo& executor, const plexus::v1::AgentInfo&) override {
    plexus::v1::Environment environment = executor.command().environment();
    for (const auto& ours : variables_.variables()) {
      auto* variable = environment.add_variables();
      *variable = ours;
    }
    return environment;
  }

 private:
  plexus::v1::Environment variables_;
};

constexpr plexus::ParameterSpec kParameters[] = {
    {"variables", plexus::ParameterType::String, nullptr,
     "Comma-separated NAME=value pairs added to every executor's environment."}};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Hook, EnvHook>(
    {.name = "env_hook",
     .version = "1.0.0",
     .author = "Plexus examples",
     .description = "Adds fixed variables to every executor's environment.",
     .parameters = kParameters}));
