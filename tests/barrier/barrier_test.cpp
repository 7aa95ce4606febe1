// Modules that throw from every method, loaded by real daemons through --modules:
// the daemon lives on (it answers /health, frameworks and tasks go on where the
// module's kind allows) and its log names the module, the kind and the method.
// And the isolator contract that calls for one container never overlap, with
// concurrent /monitor/statistics requests against a running task.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "cluster.hpp"
#include "http/client.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

std::string throwingModules(const std::string& module, const std::string& spare) {
  return std::string(R"({"libraries": [{"file": ")") + THROWING_MODULES +
         R"(", "modules": [{"name": ")" + module +
         R"(", "parameters": [{"key": "spare", "value": ")" + spare + R"("}]}]}]})";
}

unsigned health(int port) {
  auto response = http::fetch("127.0.0.1", static_cast<std::uint16_t>(port),
                              {.method = "GET", .target = "/health"});
  return response ? response->status : 0;
}

std::string thrown(const std::string& module, const std::string& kind, const std::string& method,
                   const std::string& what) {
  return "module '" + module + "' (" + kind + ") threw from " + method + ": " + what;
}

// Subscribes `scheduler`, and launches `command` as task t1 on the first offer;
// returns that offer (nullopt, with a failure recorded, when any step fails).
std::optional<v1::Offer> launchOnFirstOffer(Scheduler& scheduler, const std::string& command) {
  EXPECT_EQ(scheduler.subscribe(ClusterFixture::framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  EXPECT_TRUE(offers);
  if (!offers) return std::nullopt;
  v1::Offer offer = offers->offers().offers(0);
  auto launched = scheduler.call(
      ClusterFixture::launch(offer, {ClusterFixture::commandTask(offer, "t1", command)}));
  EXPECT_EQ(launched.status, 202u) << launched.body;
  if (launched.status != 202u) return std::nullopt;
  return offer;
}

class ThrowingAllocatorTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--modules=" + throwingModules("throwing_allocator", "initialize"),
            "--allocator=throwing_allocator"};
  }
};

TEST_F(ThrowingAllocatorTest, TheMasterNamesTheModuleAndMethodAndLivesOn) {
  // Both agents registered (SetUp) although addAgent() threw; a framework subscribes
  // although addFramework() threw, and the master still answers.
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u) << master_->err();
  for (const char* method : {"recover()", "addAgent()", "addFramework()"}) {
    EXPECT_TRUE(master_->waitForLog(thrown(
        "throwing_allocator", "Allocator", method,
        std::string("fixture: ") + std::string(method).substr(0, std::string(method).size() - 2) +
            " always throws")))
        << method << "\n"
        << master_->err();
  }
  // Work it handed the loop through its Runtime.
  EXPECT_TRUE(master_->waitForLog(thrown("throwing_allocator", "Allocator", "a timer callback",
                                         "fixture: the allocation timer always throws")))
      << master_->err();
  EXPECT_TRUE(master_->waitForLog(thrown("throwing_allocator", "Allocator",
                                         "a function it posted to the loop",
                                         "fixture: the posted function always throws")))
      << master_->err();
  EXPECT_EQ(health(port_), 200u);
  EXPECT_TRUE(masterJson("/state").is_object());
}

class ThrowingIsolatorTest : public ClusterFixture {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {"--modules=" + throwingModules("throwing_isolator", ""),
            "--isolation=throwing_isolator"};
  }
};

TEST_F(ThrowingIsolatorTest, PrepareThrowingFailsTheLaunchNamingModuleAndMethod) {
  Scheduler scheduler(port_, Wire::kJson);
  auto offer = launchOnFirstOffer(scheduler, "echo never");
  ASSERT_TRUE(offer) << logs();
  auto status = nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FAILED) << status->DebugString();
  EXPECT_NE(status->message().find(thrown("throwing_isolator", "Isolator", "prepare()",
                                          "fixture: prepare always throws")),
            std::string::npos)
      << status->message();

  // The agent cleaned up after the failed launch (cleanup() threw an int) and lives on.
  size_t agent = offer->agent_id().value() == agentIds_[0] ? 0 : 1;
  EXPECT_TRUE(agents_[agent]->waitForLog(
      thrown("throwing_isolator", "Isolator", "cleanup()", "a non-standard exception")))
      << agents_[agent]->err();
  EXPECT_EQ(health(agents_[agent]->waitForPort()), 200u);
  EXPECT_EQ(health(port_), 200u);
}

class ThrowingHookTest : public ClusterFixture {
 protected:
  // The post-fetch hook is spared: its error fails the launch by contract.
  std::vector<std::string> masterFlags() const override {
    return {"--modules=" + throwingModules("throwing_hook", ""), "--hooks=throwing_hook"};
  }
  std::vector<std::string> agentFlags() const override {
    return {"--modules=" + throwingModules("throwing_hook", "agentPostFetchHook"),
            "--hooks=throwing_hook"};
  }
};

TEST_F(ThrowingHookTest, EveryHookPointIsSkippedAndNamedAndTheTaskRuns) {
  Scheduler scheduler(port_, Wire::kJson);
  auto offer = launchOnFirstOffer(scheduler, "true");
  ASSERT_TRUE(offer) << logs();
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
  } while (status->state() == v1::TASK_STARTING || status->state() == v1::TASK_RUNNING);
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message() << logs();

  for (const char* method :
       {"masterLaunchTaskLabelDecorator()", "masterLaunchTaskResourceDecorator()"}) {
    EXPECT_TRUE(master_->waitForLog(thrown("throwing_hook", "Hook", method, "fixture: ")))
        << method << "\n"
        << master_->err();
  }
  size_t agent = offer->agent_id().value() == agentIds_[0] ? 0 : 1;
  for (const char* method : {"agentAttributesDecorator()", "agentRunTaskLabelDecorator()",
                             "agentExecutorEnvironmentDecorator()", "agentTaskStatusDecorator()",
                             "agentRemoveExecutorHook()"}) {
    EXPECT_TRUE(agents_[agent]->waitForLog(thrown("throwing_hook", "Hook", method, "fixture: ")))
        << method << "\n"
        << agents_[agent]->err();
  }
  EXPECT_TRUE(agents_[agent]->waitForLog(
      thrown("throwing_hook", "Hook", "agentResourcesDecorator()", "a non-standard exception")))
      << agents_[agent]->err();
}

class ThrowingAuthenticatorTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--modules=" + throwingModules("throwing_authenticator", "initialize"),
            "--authenticators=throwing_authenticator", "--authenticate_http_readonly"};
  }
};

TEST_F(ThrowingAuthenticatorTest, AuthenticatedRequestsAre500AndTheRestGoesOn) {
  auto state = http::fetch("127.0.0.1", static_cast<std::uint16_t>(port_),
                           {.method = "GET", .target = "/state"});
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 500u) << state->body;
  EXPECT_NE(state->body.find("authenticator 'throwing_authenticator'"), std::string::npos)
      << state->body;
  EXPECT_EQ(state->body.find("fixture"), std::string::npos) << state->body;
  EXPECT_TRUE(master_->waitForLog(thrown("throwing_authenticator", "Authenticator",
                                         "authenticate()", "fixture: authenticate always throws")))
      << master_->err();

  // Endpoints without authentication, and frameworks, go on.
  EXPECT_EQ(health(port_), 200u);
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_TRUE(launchOnFirstOffer(scheduler, "true")) << logs();
  auto status = nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_NE(status->state(), v1::TASK_FAILED) << status->message();
}

class IsolatorOverlapTest : public ClusterFixture {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {
        std::string(R"(--modules={"libraries": [{"file": ")") + OVERLAP_ISOLATOR +
            R"(", "modules": [{"name": "overlap_isolator", "parameters": [{"key": "record", "value": ")" +
            record() + R"("}]}]}]})",
        "--isolation=overlap_isolator"};
  }
  std::string record() const { return (dir_.path() / "isolator-calls").string(); }
};

TEST_F(IsolatorOverlapTest, CallsForOneContainerNeverOverlap) {
  Scheduler scheduler(port_, Wire::kJson);
  auto offer = launchOnFirstOffer(scheduler, "sleep 30");
  ASSERT_TRUE(offer) << logs();
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
    ASSERT_NE(status->state(), v1::TASK_FAILED) << status->message();
  } while (status->state() != v1::TASK_RUNNING);

  // Four statistics requests at once: each asks the isolator for the container's
  // usage on the agent's thread pool (two threads).
  size_t agent = offer->agent_id().value() == agentIds_[0] ? 0 : 1;
  auto agentPort = static_cast<std::uint16_t>(agents_[agent]->waitForPort());
  std::vector<std::thread> requests;
  std::vector<unsigned> answers(4, 0);
  for (size_t i = 0; i < answers.size(); ++i) {
    requests.emplace_back([&answers, i, agentPort] {
      auto response =
          http::fetch("127.0.0.1", agentPort, {.method = "GET", .target = "/monitor/statistics"});
      answers[i] = response ? response->status : 0;
    });
  }
  for (auto& request : requests)
    request.join();
  EXPECT_EQ(answers, std::vector<unsigned>(4, 200u));

  std::string calls = readFile(record());
  size_t usages = 0;
  for (size_t at = calls.find("call usage "); at != std::string::npos;
       at = calls.find("call usage ", at + 1))
    ++usages;
  EXPECT_GE(usages, 4u) << calls;
  EXPECT_EQ(calls.find("overlap "), std::string::npos) << calls;
}

}  // namespace
}  // namespace plexus::testing
