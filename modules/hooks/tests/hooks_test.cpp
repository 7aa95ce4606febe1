// The hooks' logic without loading the module: parameters, decorations, the command runner.
#include <chrono>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "assignments.hpp"
#include "command_runner.hpp"
#include "executor_environment_hook.hpp"
#include "status_labels_hook.hpp"
#include "task_labels_hook.hpp"

namespace plexus::hooks {
namespace {

Parameters parameters(std::span<const ParameterSpec> specs,
                      std::vector<std::pair<std::string, std::string>> given) {
  auto checked = Parameters::validate(specs, given);
  EXPECT_TRUE(checked) << checked.error().message();
  return *checked;
}

constexpr ParameterSpec kLabelSpecs[] = {{"labels", ParameterType::String, nullptr, ""},
                                         {"override", ParameterType::Bool, "false", ""}};
constexpr ParameterSpec kEnvSpecs[] = {{"variables", ParameterType::String, nullptr, ""},
                                       {"override", ParameterType::Bool, "false", ""}};
constexpr ParameterSpec kStatusSpecs[] = {
    {"hostname_label", ParameterType::String, "plexus.agent.hostname", ""},
    {"limit_label_prefix", ParameterType::String, "plexus.container.limit.", ""}};

std::string label(const v1::Labels& labels, const std::string& key) {
  for (const auto& entry : labels.labels()) {
    if (entry.key() == key) return entry.value();
  }
  return "<none>";
}

TEST(Assignments, ParsesListsAndRefusesBadItemsByName) {
  auto parsed = parseAssignments(" a=1, b = x=y ,,c=", "labels");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, (Assignments{{"a", "1"}, {"b", " x=y "}, {"c", ""}}));
  EXPECT_EQ(parseAssignments("a=1,oops", "labels").error().message(),
            "labels: 'oops' is not key=value");
  EXPECT_EQ(parseAssignments("=1", "labels").error().message(), "labels: '=1' has an empty key");
  EXPECT_EQ(parseAssignments("a=1,a=2", "labels").error().message(), "labels: 'a' is given twice");
}

TEST(Assignments, SubstitutesPlaceholders) {
  EXPECT_EQ(substitute("http://${HOST}:${PORT}/${NONE}", {{"HOST", "h1"}, {"PORT", "80"}}),
            "http://h1:80/");
  EXPECT_EQ(*placeholders("${A}x${B}"), (std::vector<std::string>{"A", "B"}));
  EXPECT_FALSE(placeholders("x${A"));
}

TEST(TaskLabelsHook, AddsLabelsAndKeepsTheTasksOwnUnlessOverriding) {
  auto hook = TaskLabelsHook::create(parameters(kLabelSpecs, {{"labels", "site=eu,team=ops"}}));
  ASSERT_TRUE(hook);
  v1::TaskInfo task;
  auto* own = task.mutable_labels()->add_labels();
  own->set_key("team");
  own->set_value("web");
  auto labels = (*hook)->masterLaunchTaskLabelDecorator(task, {}, {});
  ASSERT_TRUE(labels && *labels);
  EXPECT_EQ(label(**labels, "site"), "eu");
  EXPECT_EQ(label(**labels, "team"), "web");
  EXPECT_EQ((**labels).labels_size(), 2);
  // Decorating again (master then agent) changes nothing.
  *task.mutable_labels() = **labels;
  auto again = (*hook)->agentRunTaskLabelDecorator(task, {}, {}, {});
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  auto overriding = TaskLabelsHook::create(
      parameters(kLabelSpecs, {{"labels", "team=ops"}, {"override", "true"}}));
  ASSERT_TRUE(overriding);
  auto replaced = (*overriding)->masterLaunchTaskLabelDecorator(task, {}, {});
  ASSERT_TRUE(replaced && *replaced);
  EXPECT_EQ(label(**replaced, "team"), "ops");
  EXPECT_FALSE(TaskLabelsHook::create(parameters(kLabelSpecs, {{"labels", " , "}})));
}

TEST(ExecutorEnvironmentHook, SubstitutesTheLaunchsValues) {
  auto hook = ExecutorEnvironmentHook::create(
      parameters(kEnvSpecs, {{"variables",
                              "PROXY=http://${AGENT_HOSTNAME}:3128,WHO=${FRAMEWORK_ID}/"
                              "${EXECUTOR_ID}@${AGENT_ID},KEEP=site"}}));
  ASSERT_TRUE(hook) << hook.error().message();
  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("e1");
  executor.mutable_framework_id()->set_value("f1");
  auto* own = executor.mutable_command()->mutable_environment()->add_variables();
  own->set_name("KEEP");
  own->set_value("mine");
  v1::AgentInfo agent;
  agent.set_hostname("node7");
  agent.mutable_id()->set_value("a1");
  auto environment = (*hook)->agentExecutorEnvironmentDecorator(executor, agent);
  ASSERT_TRUE(environment && *environment);
  std::map<std::string, std::string> variables;
  for (const auto& variable : (**environment).variables())
    variables[variable.name()] = variable.value();
  EXPECT_EQ(variables, (std::map<std::string, std::string>{
                           {"KEEP", "mine"}, {"PROXY", "http://node7:3128"}, {"WHO", "f1/e1@a1"}}));
}

TEST(ExecutorEnvironmentHook, RefusesUnknownPlaceholders) {
  auto hook =
      ExecutorEnvironmentHook::create(parameters(kEnvSpecs, {{"variables", "X=${HOSTNAME}"}}));
  ASSERT_FALSE(hook);
  EXPECT_NE(hook.error().message().find("unknown placeholder ${HOSTNAME}"), std::string::npos)
      << hook.error().message();
}

TEST(StatusLabelsHook, AddsHostnameAndContainerScalars) {
  auto hook = StatusLabelsHook::create(parameters(kStatusSpecs, {}));
  ASSERT_TRUE(hook);
  v1::AgentInfo agent;
  agent.set_hostname("node7");
  auto resources = Resources::parse("cpus:1.5;mem:256;ports:[31000-31001]");
  ASSERT_TRUE(resources);
  v1::TaskStatus status;
  auto* own = status.mutable_labels()->add_labels();
  own->set_key("mine");
  own->set_value("kept");
  auto decorated = (*hook)->agentTaskStatusDecorator(
      FrameworkId("f1"), status,
      TaskStatusContext{.agent = agent, .executor = nullptr, .containerResources = *resources});
  ASSERT_TRUE(decorated && *decorated);
  const v1::Labels& labels = (**decorated).labels();
  EXPECT_EQ(label(labels, "mine"), "kept");
  EXPECT_EQ(label(labels, "plexus.agent.hostname"), "node7");
  EXPECT_EQ(label(labels, "plexus.container.limit.cpus"), "1.5");
  EXPECT_EQ(label(labels, "plexus.container.limit.mem"), "256");
  EXPECT_EQ(label(labels, "plexus.container.limit.ports"), "<none>");
}

TEST(CommandRunner, HandsOverEveryLineAndTheExitCode) {
  std::vector<std::string> lines;
  auto outcome = runCommand("echo one; echo two >&2; printf three; exit 4", {{"X", "y"}},
                            std::chrono::seconds(20),
                            [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(outcome->exitCode, 4);
  EXPECT_FALSE(outcome->timedOut);

  lines.clear();
  ASSERT_TRUE(runCommand("echo $X", {{"X", "from the hook"}}, std::chrono::seconds(20),
                         [&](std::string_view line) { lines.emplace_back(line); }));
  EXPECT_EQ(lines, (std::vector<std::string>{"from the hook"}));
}

TEST(CommandRunner, KillsTheWholeGroupAtTheTimeout) {
  std::vector<std::string> lines;
  auto outcome =
      runCommand("echo started; sleep 60 & echo $! ; wait", {}, std::chrono::milliseconds(300),
                 [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->timedOut);
  EXPECT_EQ(outcome->signal, SIGKILL);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "started");
  // The background sleep was in the group: it is gone too.
  pid_t sleeper = std::stoi(lines[1]);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = ::kill(sleeper, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "pid " << sleeper;
}

}  // namespace
}  // namespace plexus::hooks
