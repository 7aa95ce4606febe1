#include "plexus/testing/hook_conformance.hpp"

#include <exception>

#include <plexus/resources.hpp>

namespace plexus::testing {

bool linkHookConformance() {
  return true;
}

void HookConformance::SetUp() {
  auto made = GetParam().make();
  ASSERT_TRUE(made.has_value()) << made.error().message();
  hook_ = std::move(*made);
  ASSERT_NE(hook_, nullptr);
}

namespace {

struct Inputs {
  v1::TaskInfo task;
  v1::ExecutorInfo executor;
  v1::FrameworkInfo framework;
  v1::AgentInfo agent;
  v1::TaskStatus status;
};

Inputs realistic() {
  Inputs in;
  in.framework.set_user("conformance");
  in.framework.set_name("conformance framework");
  in.framework.mutable_id()->set_value("f1");
  in.framework.add_roles("web");
  in.agent.set_hostname("agent1.example.com");
  in.agent.mutable_id()->set_value("a1");
  (*Resources::parse("cpus:4;mem:4096;ports:[31000-32000]")).toWire(in.agent.mutable_resources());
  in.executor.mutable_executor_id()->set_value("e1");
  in.executor.mutable_framework_id()->set_value("f1");
  in.executor.mutable_command()->set_value("./run.sh");
  auto* variable = in.executor.mutable_command()->mutable_environment()->add_variables();
  variable->set_name("EXISTING");
  variable->set_value("1");
  in.task.set_name("t1");
  in.task.mutable_task_id()->set_value("t1");
  in.task.mutable_agent_id()->set_value("a1");
  *in.task.mutable_executor() = in.executor;
  auto* label = in.task.mutable_labels()->add_labels();
  label->set_key("team");
  label->set_value("web");
  (*Resources::parse("cpus(web):1;mem(web):128")).toWire(in.task.mutable_resources());
  in.status.mutable_task_id()->set_value("t1");
  in.status.set_state(v1::TASK_RUNNING);
  in.status.mutable_agent_id()->set_value("a1");
  return in;
}

template <typename T>
void expectWellFormed(const Hook::Decorated<T>& decorated, const char* point) {
  // An Error is an allowed answer; it must carry a message for the daemon's log.
  if (!decorated) {
    EXPECT_FALSE(decorated.error().message().empty()) << point;
  }
}

// Calls every hook point once with `in`; fails the test if anything throws.
void callEveryHookPoint(Hook& hook, const Inputs& in) {
  try {
    auto labels = hook.masterLaunchTaskLabelDecorator(in.task, in.framework, in.agent);
    expectWellFormed(labels, "masterLaunchTaskLabelDecorator");
    if (labels && *labels) {
      for (const auto& label : (*labels)->labels())
        EXPECT_FALSE(label.key().empty())
            << "masterLaunchTaskLabelDecorator: a label without a key";
    }
    const Resources agentResources = *Resources::parse("cpus:4;mem:4096;ports:[31000-32000]");
    expectWellFormed(hook.masterLaunchTaskResourceDecorator(in.task, agentResources),
                     "masterLaunchTaskResourceDecorator");
    auto lost = hook.masterAgentLostHook(in.agent);
    if (!lost) {
      EXPECT_FALSE(lost.error().message().empty());
    }
    auto agentLabels =
        hook.agentRunTaskLabelDecorator(in.task, in.executor, in.framework, in.agent);
    expectWellFormed(agentLabels, "agentRunTaskLabelDecorator");
    if (agentLabels && *agentLabels) {
      for (const auto& label : (*agentLabels)->labels())
        EXPECT_FALSE(label.key().empty()) << "agentRunTaskLabelDecorator: a label without a key";
    }
    auto environment = hook.agentExecutorEnvironmentDecorator(in.executor, in.agent);
    expectWellFormed(environment, "agentExecutorEnvironmentDecorator");
    if (environment && *environment) {
      for (const auto& variable : (*environment)->variables()) {
        EXPECT_FALSE(variable.name().empty()) << "an environment variable without a name";
        EXPECT_EQ(variable.name().find('='), std::string::npos)
            << "environment variable name '" << variable.name() << "' contains '='";
        EXPECT_NE(variable.type(), v1::Environment::Variable::SECRET)
            << "variable '" << variable.name() << "': the agent does not resolve secrets";
      }
    }
    auto fetched = hook.agentPostFetchHook(ContainerId("c1"), "/tmp/plexus-conformance-sandbox");
    if (!fetched) {
      EXPECT_FALSE(fetched.error().message().empty());
    }
    auto removed = hook.agentRemoveExecutorHook(in.framework, in.executor);
    if (!removed) {
      EXPECT_FALSE(removed.error().message().empty());
    }
    const Resources containerResources;
    const TaskStatusContext context{
        .agent = in.agent, .executor = &in.executor, .containerResources = containerResources};
    expectWellFormed(hook.agentTaskStatusDecorator(FrameworkId("f1"), in.status, context),
                     "agentTaskStatusDecorator");
    expectWellFormed(hook.agentResourcesDecorator(in.agent), "agentResourcesDecorator");
    auto attributes = hook.agentAttributesDecorator(in.agent);
    expectWellFormed(attributes, "agentAttributesDecorator");
    if (attributes && *attributes) {
      for (const auto& attribute : **attributes)
        EXPECT_FALSE(attribute.name().empty()) << "agentAttributesDecorator: an unnamed attribute";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a hook point threw: " << e.what()
                  << " (nothing may throw across the module boundary)";
  } catch (...) {
    ADD_FAILURE() << "a hook point threw a non-standard exception";
  }
}

}  // namespace

TEST_P(HookConformance, EveryHookPointAnswersRealisticInputs) {
  callEveryHookPoint(*hook_, realistic());
}

TEST_P(HookConformance, EveryHookPointAnswersEmptyInputs) {
  callEveryHookPoint(*hook_, Inputs{});
}

TEST_P(HookConformance, InstancesComeAndGo) {
  for (int i = 0; i < 20; ++i) {
    auto made = GetParam().make();
    ASSERT_TRUE(made.has_value()) << made.error().message();
    callEveryHookPoint(**made, realistic());
  }
}

}  // namespace plexus::testing
