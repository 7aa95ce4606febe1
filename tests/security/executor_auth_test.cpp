// Executor authentication (--authenticate_http_executors, --jwt_secret_key): the
// agent gives each executor a token; plexus-executor and executors built on the
// SDK's library send it; a call without a valid one is refused with 401, and one
// that speaks for another framework's executor with 403, while the real executor
// and its task carry on.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <plexus/uuid.hpp>
#include <plexus/v1/executor.pb.h>

#include "auth/jwt.hpp"
#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

constexpr const char* kKey = "a key only the agent and this test know";
constexpr const char* kProtobuf = "application/x-protobuf";

class ExecutorAuthTest : public ClusterFixture {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {"--authenticate_http_executors", "--jwt_secret_key=" + dir_.write("jwt.key", kKey)};
  }

  // Subscribes `scheduler` and runs `command` as task `id` on agent 0.
  bool runOnAgent0(Scheduler& scheduler, const std::string& id, const std::string& command) {
    if (scheduler.subscribe(framework()) != 200u) return false;
    auto offers = offersFromEveryAgent(scheduler);
    if (offers.size() != 2u) return false;
    // The framework refuses everything else, so that the next one gets offers from
    // both agents.
    v1::scheduler::Call accept = launch(offers[0], {commandTask(offers[0], id, command)});
    accept.mutable_accept()->mutable_filters()->set_refuse_seconds(3600);
    v1::scheduler::Call decline;
    decline.set_type(v1::scheduler::Call::DECLINE);
    *decline.mutable_decline()->add_offer_ids() = offers[1].id();
    decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
    if (scheduler.call(accept).status != 202u || scheduler.call(decline).status != 202u)
      return false;
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status) return false;
      if (status->state() == v1::TASK_RUNNING) return true;
      if (status->state() != v1::TASK_STARTING) return false;
    }
  }

  // The container of executor `executor` of `framework` on agent 0, from its /state.
  std::string containerOf(const std::string& framework, const std::string& executor) {
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(agents_[0]->waitForPort()),
                                {.method = "GET", .target = "/state"});
    if (!response || response->status != 200) return "";
    auto state = boost::json::parse(response->body);
    for (const auto& f : state.at("frameworks").as_array()) {
      if (f.at("id").as_string() != framework) continue;
      for (const auto& e : f.at("executors").as_array()) {
        if (e.at("id").as_string() == executor) return std::string(e.at("container").as_string());
      }
    }
    return "";
  }

  // Subscribes, launches the task `make` builds on the first offer and returns its
  // first update past TASK_STARTING and TASK_RUNNING.
  std::optional<v1::TaskStatus> runToEnd(
      Scheduler& scheduler, const std::function<v1::TaskInfo(const v1::Offer&)>& make) {
    if (scheduler.subscribe(framework()) != 200u) return std::nullopt;
    auto offers = scheduler.next(Event::OFFERS);
    if (!offers) return std::nullopt;
    const v1::Offer& offer = offers->offers().offers(0);
    if (scheduler.call(launch(offer, {make(offer)})).status != 202u) return std::nullopt;
    std::optional<v1::TaskStatus> status;
    do {
      status = nextUpdate(scheduler);
    } while (status &&
             (status->state() == v1::TASK_STARTING || status->state() == v1::TASK_RUNNING));
    return status;
  }

  http::Response executorCall(const v1::executor::Call& call, const std::string& token) {
    http::Headers headers;
    if (!token.empty()) headers.set("Authorization", "Bearer " + token);
    return post(agents_[0]->waitForPort(), "/api/v1/executor", kProtobuf, call.SerializeAsString(),
                headers);
  }
};

TEST_F(ExecutorAuthTest, ForgedUpdatesAndSubscriptionsAreRefusedAndTheRealExecutorCarriesOn) {
  Scheduler victim(port_, Wire::kJson);
  Scheduler intruder(port_, Wire::kJson);
  // plexus-executor subscribes and sends its updates with its token.
  ASSERT_TRUE(runOnAgent0(victim, "victim", "sleep 60")) << logs();
  ASSERT_TRUE(runOnAgent0(intruder, "intruder", "sleep 60")) << logs();
  const std::string victimContainer = containerOf(victim.frameworkId(), "victim");
  const std::string intruderContainer = containerOf(intruder.frameworkId(), "intruder");
  ASSERT_FALSE(victimContainer.empty());
  ASSERT_FALSE(intruderContainer.empty());

  // What an attacker reads from the agent's /state is enough to address the victim.
  v1::executor::Call update;
  update.set_type(v1::executor::Call::UPDATE);
  update.mutable_framework_id()->set_value(victim.frameworkId());
  update.mutable_executor_id()->set_value("victim");
  v1::TaskStatus* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("victim");
  status->set_state(v1::TASK_FINISHED);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(randomUuidBytes());
  v1::executor::Call subscribe;
  subscribe.set_type(v1::executor::Call::SUBSCRIBE);
  *subscribe.mutable_framework_id() = update.framework_id();
  *subscribe.mutable_executor_id() = update.executor_id();
  subscribe.mutable_subscribe();

  const std::string intruderToken = auth::createJwt(
      {{"fid", intruder.frameworkId()}, {"eid", "intruder"}, {"cid", intruderContainer}}, kKey);
  const std::string staleToken = auth::createJwt(
      {{"fid", victim.frameworkId()}, {"eid", "victim"}, {"cid", "another-container"}}, kKey);
  const std::string wrongKey = auth::createJwt(
      {{"fid", victim.frameworkId()}, {"eid", "victim"}, {"cid", victimContainer}}, "guessed");
  for (const v1::executor::Call* call : {&update, &subscribe}) {
    SCOPED_TRACE(v1::executor::Call::Type_Name(call->type()));
    auto refused = executorCall(*call, "");
    EXPECT_EQ(refused.status, 401u) << refused.body;
    EXPECT_EQ(refused.header("WWW-Authenticate").value_or(""),
              "Bearer realm=\"mesos-agent-executor\"");
    refused = executorCall(*call, "not.a.token");
    EXPECT_EQ(refused.status, 401u) << refused.body;
    refused = executorCall(*call, wrongKey);
    EXPECT_EQ(refused.status, 401u) << refused.body;
    EXPECT_NE(refused.body.find("signature does not match"), std::string::npos) << refused.body;
    refused = executorCall(*call, intruderToken);
    EXPECT_EQ(refused.status, 403u) << refused.body;
    EXPECT_NE(refused.body.find("does not contain an 'fid' claim with the framework ID " +
                                victim.frameworkId()),
              std::string::npos)
        << refused.body;
    refused = executorCall(*call, staleToken);
    EXPECT_EQ(refused.status, 403u) << refused.body;
    EXPECT_NE(refused.body.find("'cid' claim"), std::string::npos) << refused.body;
  }

  // The victim's task is still running in the master, and its executor still
  // answers: a KILL reaches it and it reports TASK_KILLED.
  auto state = masterJson("/state");
  ASSERT_FALSE(state.is_null());
  for (const auto& framework : state.at("frameworks").as_array()) {
    if (framework.at("id").as_string() != victim.frameworkId()) continue;
    ASSERT_EQ(framework.at("tasks").as_array().size(), 1u) << boost::json::serialize(framework);
    EXPECT_EQ(framework.at("tasks").at(0).at("state").as_string(), "TASK_RUNNING");
  }
  v1::scheduler::Call kill;
  kill.set_type(v1::scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("victim");
  kill.mutable_kill()->mutable_agent_id()->set_value(agentIds_[0]);
  ASSERT_EQ(victim.call(kill).status, 202u);
  std::optional<v1::TaskStatus> last;
  do {
    last = nextUpdate(victim);
  } while (last && last->state() == v1::TASK_KILLING);
  ASSERT_TRUE(last) << logs();
  EXPECT_EQ(last->state(), v1::TASK_KILLED) << last->message();
  EXPECT_EQ(last->source(), v1::TaskStatus::SOURCE_EXECUTOR);
}

TEST_F(ExecutorAuthTest, TasksDoNotInheritTheExecutorsToken) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto status = runToEnd(scheduler, [](const v1::Offer& offer) {
    return commandTask(offer, "no-token", "test -z \"$MESOS_EXECUTOR_AUTHENTICATION_TOKEN\"");
  });
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();
}

TEST_F(ExecutorAuthTest, AnExecutorBuiltOnTheSdkLibrarySendsItsToken) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto status = runToEnd(scheduler, [](const v1::Offer& offer) {
    v1::TaskInfo task = commandTask(offer, "custom", "");
    task.clear_command();
    task.set_data("finish");
    v1::ExecutorInfo* executor = task.mutable_executor();
    executor->mutable_executor_id()->set_value("sdk-executor");
    executor->mutable_command()->set_value(CLUSTER_TEST_EXECUTOR);
    executor->mutable_command()->add_arguments("cluster-test-executor");
    executor->mutable_command()->add_arguments("protobuf");
    executorResources(executor);
    return task;
  });
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message() << logs();
}

TEST(Jwt, OnlyTheKeysOwnUntamperedTokensVerify) {
  std::string token = auth::createJwt({{"fid", "f"}, {"eid", "e"}, {"cid", "c"}}, kKey);
  auto claims = auth::verifyJwt(token, kKey);
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(*claims, (auth::JwtClaims{{"cid", "c"}, {"eid", "e"}, {"fid", "f"}}));

  EXPECT_NE(auth::verifyJwt(token, "another key").error().message().find("signature"),
            std::string::npos);
  // The payload of another token with this one's signature.
  std::string other = auth::createJwt({{"fid", "g"}, {"eid", "e"}, {"cid", "c"}}, "another key");
  std::string spliced = token.substr(0, token.find('.')) + other.substr(other.find('.'));
  spliced = spliced.substr(0, spliced.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_FALSE(auth::verifyJwt(spliced, kKey));
  // Unsigned ("alg": "none") and malformed tokens.
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + token.substr(token.find('.'));
  EXPECT_NE(auth::verifyJwt(none, kKey).error().message().find("HS256"), std::string::npos);
  EXPECT_FALSE(auth::verifyJwt("", kKey));
  EXPECT_FALSE(auth::verifyJwt("a.b", kKey));
  EXPECT_FALSE(auth::verifyJwt(token + ".x", kKey));
}

}  // namespace
}  // namespace plexus::testing
