// The hooks library: one Hook module per need. The logic is in the *_hook.hpp files.
#include <plexus/hook.hpp>
#include <plexus/module.hpp>

#include "executor_environment_hook.hpp"
#include "executor_removal_command_hook.hpp"
#include "status_labels_hook.hpp"
#include "task_labels_hook.hpp"

namespace {

constexpr plexus::ParameterSpec kTaskLabels[] = {
    {"labels", plexus::ParameterType::String, nullptr,
     "Labels to add to every task, 'key=value,key=value' (required)."},
    {"override", plexus::ParameterType::Bool, "false",
     "Replace the value of a label the task already has with the same key (default: "
     "the task's own value wins)."},
};

constexpr plexus::ParameterSpec kExecutorEnvironment[] = {
    {"variables", plexus::ParameterType::String, nullptr,
     "Variables for every executor, 'NAME=value,NAME=value' (required); a value may use "
     "${AGENT_HOSTNAME}, ${AGENT_ID}, ${FRAMEWORK_ID} and ${EXECUTOR_ID}."},
    {"override", plexus::ParameterType::Bool, "false",
     "Replace a variable the executor's command already sets (default: the command's "
     "own value wins)."},
};

constexpr plexus::ParameterSpec kStatusLabels[] = {
    {"hostname_label", plexus::ParameterType::String, "plexus.agent.hostname",
     "Label key for the agent's hostname; empty: not added."},
    {"limit_label_prefix", plexus::ParameterType::String, "plexus.container.limit.",
     "Prefix of the label keys for the container's scalar resources (e.g. "
     "plexus.container.limit.cpus); empty: not added."},
};

constexpr plexus::ParameterSpec kExecutorRemovalCommand[] = {
    {"command", plexus::ParameterType::String, nullptr,
     "Shell command run (/bin/sh -c) when an executor is removed (required); it sees "
     "PLEXUS_FRAMEWORK_ID, PLEXUS_FRAMEWORK_NAME, PLEXUS_EXECUTOR_ID, PLEXUS_EXECUTOR_NAME."},
    {"timeout", plexus::ParameterType::Duration, "30secs",
     "The command's process group is killed when it runs longer than this."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(
    plexus::moduleManifest<plexus::Hook, plexus::hooks::TaskLabelsHook>(
        {.name = "task_labels_hook",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Adds fixed labels to every task (at launch on the master, before "
                        "the run on the agent).",
         .parameters = kTaskLabels}),
    plexus::moduleManifest<plexus::Hook, plexus::hooks::ExecutorEnvironmentHook>(
        {.name = "executor_environment_hook",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Adds environment variables to every executor, with ${AGENT_HOSTNAME}-"
                        "style substitution (agent).",
         .parameters = kExecutorEnvironment}),
    plexus::moduleManifest<plexus::Hook, plexus::hooks::StatusLabelsHook>(
        {.name = "status_labels_hook",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Adds the agent's hostname and the container's resource limits to "
                        "every status update's labels (agent).",
         .parameters = kStatusLabels}),
    plexus::moduleManifest<plexus::Hook, plexus::hooks::ExecutorRemovalCommandHook>(
        {.name = "executor_removal_command_hook",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Runs a site command, bounded by a timeout, when an executor is "
                        "removed; its output goes to the agent's log (agent).",
         .parameters = kExecutorRemovalCommand}))
