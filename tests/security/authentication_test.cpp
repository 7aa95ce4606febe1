// Authentication end to end: a master with every --authenticate_* flag on, agents
// with their --credential, and callers with and without valid credentials.
#include <csignal>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <plexus/internal/base64.hpp>
#include <plexus/json.hpp>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

std::string basic(const std::string& principal, const std::string& secret) {
  return "Basic " + encodeBase64(principal + ":" + secret);
}

std::string subscribeBody(const std::string& principal) {
  Call call;
  call.set_type(Call::SUBSCRIBE);
  auto* info = call.mutable_subscribe()->mutable_framework_info();
  info->set_user("nobody");
  info->set_name("auth-test");
  if (!principal.empty()) info->set_principal(principal);
  return toJson(call);
}

class AuthenticationTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    std::string credentials =
        dir_.write("credentials.json",
                   R"({"credentials": [{"principal": "web", "secret": "web-secret"},
                            {"principal": "agent", "secret": "agent-secret"},
                            {"principal": "ops", "secret": "ops-secret"}]})");
    return {"--authenticate_frameworks", "--authenticate_agents", "--authenticate_http_readonly",
            "--authenticate_http_readwrite", "--credentials=" + credentials};
  }
  std::vector<std::string> agentFlags() const override {
    return {"--credential=" + dir_.write("agent-credential", "agent agent-secret\n")};
  }

  http::Response get(const std::string& path, const std::string& authorization = "") const {
    http::ClientRequest request{.method = "GET", .target = path};
    if (!authorization.empty()) request.headers.set("Authorization", authorization);
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port_), request);
    return response ? *response : http::Response{.status = 0};
  }
};

TEST_F(AuthenticationTest, SchedulerCallsWithoutValidCredentialsGet401) {
  for (const std::string& authorization :
       {std::string(), basic("web", "wrong"), basic("mallory", "web-secret"),
        std::string("Bearer token")}) {
    http::Headers headers;
    if (!authorization.empty()) headers.set("Authorization", authorization);
    auto response =
        post(port_, "/api/v1/scheduler", "application/json", subscribeBody("web"), headers);
    EXPECT_EQ(response.status, 401u) << authorization << ": " << response.body;
    EXPECT_EQ(response.header("WWW-Authenticate").value_or(""),
              "Basic realm=\"plexus-master-scheduler\"")
        << authorization;
  }
  // The /master alias is protected too.
  auto aliased = post(port_, "/master/api/v1/scheduler", "application/json", subscribeBody("web"));
  EXPECT_EQ(aliased.status, 401u);
  auto state = masterJson("/state", basic("ops", "ops-secret"));
  EXPECT_TRUE(state.at("frameworks").as_array().empty()) << boost::json::serialize(state);
}

TEST_F(AuthenticationTest, APrincipalOtherThanTheAuthenticatedOneIsRefused) {
  auto response = post(port_, "/api/v1/scheduler", "application/json", subscribeBody("ops"),
                       {{"Authorization", basic("web", "web-secret")}});
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.body,
            "Failed to validate scheduler::Call: Authenticated principal 'web' does not match "
            "principal 'ops' set in `FrameworkInfo`");
}

TEST_F(AuthenticationTest, AnAuthenticatedFrameworkRunsATaskOnAuthenticatedAgents) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  scheduler.authorize(basic("web", "web-secret"));
  v1::FrameworkInfo info = framework();  // no principal: it becomes "web"
  ASSERT_EQ(scheduler.subscribe(info), 200u) << master_->err();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  ASSERT_EQ(scheduler.call(launch(offer, {commandTask(offer, "t1", "echo hi")})).status, 202u);
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
  } while (status->state() != v1::TASK_FINISHED && status->state() != v1::TASK_FAILED);
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();

  auto state = masterJson("/state", basic("ops", "ops-secret"));
  ASSERT_EQ(state.at("frameworks").as_array().size(), 1u);
  EXPECT_EQ(state.at("frameworks").as_array()[0].at("principal").as_string(), "web");

  // Calls with another principal's credentials are refused.
  Call revive;
  revive.set_type(Call::REVIVE);
  revive.mutable_framework_id()->set_value(scheduler.frameworkId());
  auto refused = post(
      port_, "/api/v1/scheduler", "application/x-protobuf", revive.SerializeAsString(),
      {{"Authorization", basic("ops", "ops-secret")}, {"Mesos-Stream-Id", scheduler.streamId()}});
  EXPECT_EQ(refused.status, 400u);
  EXPECT_NE(refused.body.find("Authenticated principal 'ops' does not match principal 'web'"),
            std::string::npos)
      << refused.body;
}

TEST_F(AuthenticationTest, OperatorEndpointsNeedCredentialsAndHealthDoesNot) {
  for (const char* path :
       {"/state", "/master/state", "/flags", "/metrics/snapshot", "/roles", "/weights", "/quota"}) {
    auto response = get(path);
    EXPECT_EQ(response.status, 401u) << path;
    EXPECT_EQ(response.header("WWW-Authenticate").value_or(""),
              "Basic realm=\"plexus-master-readonly\"")
        << path;
    EXPECT_EQ(get(path, basic("ops", "ops-secret")).status, 200u) << path;
  }
  EXPECT_EQ(get("/health").status, 200u);
  EXPECT_EQ(get("/version").status, 200u);

  const std::string health = R"({"type": "GET_HEALTH"})";
  auto refused = post(port_, "/api/v1", "application/json", health);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.header("WWW-Authenticate").value_or(""),
            "Basic realm=\"plexus-master-readwrite\"");
  auto allowed = post(port_, "/api/v1", "application/json", health,
                      {{"Authorization", basic("ops", "ops-secret")}});
  EXPECT_EQ(allowed.status, 200u) << allowed.body;
}

TEST_F(AuthenticationTest, AnAgentWithoutACredentialIsNotAdmitted) {
  for (const std::vector<std::string>& credential :
       {std::vector<std::string>{},
        std::vector<std::string>{
            R"(--credential={"principal": "agent", "secret": "s3cret-never-logged"})"}}) {
    Process agent(
        "plexus-agent",
        [&] {
          std::vector<std::string> args{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                        "--work_dir=" + (dir_.path() / "intruder").string(),
                                        "--resources=cpus:1;mem:128",
                                        "--registration_backoff_factor=100ms"};
          args.insert(args.end(), credential.begin(), credential.end());
          return args;
        }(),
        dir_.path());
    // The master's own message, not the 401's body fed to the event decoder.
    EXPECT_TRUE(
        agent.waitForLog("Master refused the registration with 401 Unauthorized: "
                         "Unauthorized: /internal/v1/agent needs credentials"))
        << agent.err();
    EXPECT_EQ(agent.err().find("malformed RecordIO"), std::string::npos) << agent.err();
    EXPECT_NE(
        agent.err().find(credential.empty() ? "give this agent --credential" : "principal 'agent'"),
        std::string::npos)
        << agent.err();
    EXPECT_EQ(agent.err().find(" as agent "), std::string::npos) << agent.err();
    EXPECT_EQ(agent.err().find("s3cret-never-logged"), std::string::npos) << agent.err();
    auto state = masterJson("/state", basic("ops", "ops-secret"));
    EXPECT_EQ(state.at("slaves").as_array().size(), 2u);
    agent.signal(SIGTERM);
    EXPECT_EQ(agent.wait(), 0) << agent.err();
  }
}

}  // namespace
}  // namespace plexus::testing
