// Hook points end to end: a real master and agents loading modules/hooks, each hook
// seen in a real task's labels, environment or status, and a hook that fails at
// every point logged by name and harmless.
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

std::string modulesJson(bool failPostFetch) {
  return std::string(R"({"libraries": [{"file": ")") + HOOKS_MODULE + R"(", "modules": [
    {"name": "task_labels_hook", "parameters": [{"key": "labels", "value": "site=eu-1,team=infra"}]},
    {"name": "executor_environment_hook", "parameters": [
      {"key": "variables", "value": "SITE_PROXY=http://${AGENT_HOSTNAME}:3128,HOOKED_EXECUTOR=${EXECUTOR_ID}"}]},
    {"name": "status_labels_hook"},
    {"name": "executor_removal_command_hook", "parameters": [
      {"key": "command", "value": "echo removed-$PLEXUS_EXECUTOR_ID; echo done >&2"},
      {"key": "timeout", "value": "10secs"}]}]},
  {"file": ")" +
         FAILING_HOOK_MODULE + R"(", "modules": [
    {"name": "failing_hook", "parameters": [{"key": "fail_post_fetch", "value": ")" +
         (failPostFetch ? "true" : "false") + R"("}]}]}]})";
}

std::string label(const v1::Labels& labels, const std::string& key) {
  for (const auto& entry : labels.labels()) {
    if (entry.key() == key) return entry.value();
  }
  return "<none>";
}

class HooksTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--modules=" + modulesJson(false), "--hooks=failing_hook,task_labels_hook"};
  }
  std::vector<std::string> agentFlags() const override {
    return {"--modules=" + modulesJson(false),
            "--hooks=failing_hook,task_labels_hook,executor_environment_hook,status_labels_hook,"
            "executor_removal_command_hook"};
  }
};

TEST_F(HooksTest, EveryHookIsVisibleInARealTaskAndAFailingHookIsHarmless) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  ASSERT_EQ(
      scheduler
          .call(launch(offer, {commandTask(offer, "t1",
                                           "echo proxy=$SITE_PROXY executor=$HOOKED_EXECUTOR")}))
          .status,
      202u);
  std::optional<v1::TaskStatus> finished;
  while (!finished) {
    auto status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
    ASSERT_FALSE(status->state() == v1::TASK_FAILED || status->state() == v1::TASK_ERROR)
        << status->message() << logs();
    if (status->state() == v1::TASK_FINISHED) finished = status;
  }

  // status_labels_hook: the agent's hostname and the container's resources.
  auto state = masterJson("/state");
  std::string agentHostname;
  for (const auto& agent : state.at("slaves").as_array()) {
    if (agent.at("id").as_string() == offer.agent_id().value())
      agentHostname = agent.at("hostname").as_string().c_str();
  }
  ASSERT_FALSE(agentHostname.empty()) << boost::json::serialize(state);
  EXPECT_EQ(label(finished->labels(), "plexus.agent.hostname"), agentHostname);
  EXPECT_EQ(label(finished->labels(), "plexus.container.limit.cpus"), "0.5");
  EXPECT_EQ(label(finished->labels(), "plexus.container.limit.mem"), "64");

  // task_labels_hook on the master: the task's labels in /state.
  std::string text = boost::json::serialize(state);
  EXPECT_NE(text.find(R"({"key":"site","value":"eu-1"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"key":"team","value":"infra"})"), std::string::npos) << text;

  // executor_environment_hook: the executor's (and so the command's) environment.
  std::string stdoutText;
  for (size_t i = 0; i < agents_.size(); ++i) {
    for (const auto& path : findInAgent(i, "stdout"))
      stdoutText += readFile(path);
  }
  EXPECT_NE(stdoutText.find("proxy=http://" + agentHostname + ":3128 executor=t1"),
            std::string::npos)
      << stdoutText;

  // executor_removal_command_hook: the command's output in the agent's log.
  size_t agent = offer.agent_id().value() == agentIds_[0] ? 0 : 1;
  EXPECT_TRUE(agents_[agent]->waitForLog("removed-t1")) << agents_[agent]->err();
  EXPECT_TRUE(agents_[agent]->waitForLog("): done")) << agents_[agent]->err();
  EXPECT_TRUE(
      agents_[agent]->waitForLog("'echo removed-$PLEXUS_EXECUTOR_ID; echo done >&2' exited 0"))
      << agents_[agent]->err();

  // failing_hook: logged with its name at every point, and nothing failed.
  for (const char* point :
       {"the master's task label decorator", "the master's task resource decorator"}) {
    EXPECT_NE(master_->err().find(std::string("Hook 'failing_hook' failed in ") + point),
              std::string::npos)
        << point << "\n"
        << master_->err();
  }
  for (const char* point :
       {"the agent resources decorator", "the agent attributes decorator",
        "the agent's task label decorator", "the executor environment decorator",
        "the task status decorator", "the executor removal hook"}) {
    EXPECT_NE(agents_[agent]->err().find(std::string("Hook 'failing_hook' failed in ") + point),
              std::string::npos)
        << point << "\n"
        << agents_[agent]->err();
  }
}

class PostFetchHookTest : public ClusterFixture {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {"--modules=" + modulesJson(true), "--hooks=failing_hook"};
  }
};

TEST_F(PostFetchHookTest, AFailingPostFetchHookFailsTheLaunchByContract) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  ASSERT_EQ(scheduler.call(launch(offer, {commandTask(offer, "t1", "echo never")})).status, 202u);
  auto status = nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FAILED) << status->DebugString();
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(status->message().find("hook 'failing_hook' failed in the post-fetch hook: fixture: "
                                   "the sandbox is not fit to run in"),
            std::string::npos)
      << status->message();
  for (size_t i = 0; i < agents_.size(); ++i) {
    for (const auto& path : findInAgent(i, "stdout"))
      EXPECT_EQ(readFile(path).find("never"), std::string::npos) << "the command ran: " << path;
  }
}

}  // namespace
}  // namespace plexus::testing
