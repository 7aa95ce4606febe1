// The master's v1 operator API (/api/v1) against a real plexus-master, with a fake
// agent on the internal protocol and a subscribed scheduler: status codes, the
// queries in JSON and protobuf, weights, quota, and dynamic reservations made by the
// operator and by a framework's ACCEPT (offered only to their role, checkpointed on
// the agent).
#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/master.pb.h>

#include "api_client.hpp"
#include "process.hpp"

namespace plexus::testing {
namespace {

using v1::master::Call;
using v1::master::Response;

Resources R(const std::string& text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(Resources());
}

class OperatorApiTest : public ::testing::TestWithParam<Wire> {
 protected:
  void SetUp() override { startMaster(); }

  void startMaster(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port=0", "--work_dir=" + (dir_.path() / "master").string(),
                                  "--allocation_interval=50ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    master_ = std::make_unique<Process>("plexus-master", args, dir_.path());
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  // Sends `call` in the test's encoding; decodes a 200 answer into `response`.
  http::Response send(const Call& call, Response* response = nullptr) {
    bool json = GetParam() == Wire::kJson;
    std::string type = json ? "application/json" : "application/x-protobuf";
    http::Response answer = post(
        port_, "/api/v1", type, json ? toJson(call) : call.SerializeAsString(), {{"Accept", type}});
    if (response != nullptr && answer.status == 200) {
      if (json) {
        EXPECT_TRUE(fromJson(answer.body, response)) << answer.body;
      } else {
        EXPECT_TRUE(response->ParseFromString(answer.body));
      }
    }
    return answer;
  }

  Response query(Call::Type type) {
    Call call;
    call.set_type(type);
    Response response;
    http::Response answer = send(call, &response);
    EXPECT_EQ(answer.status, 200u) << Call::Type_Name(type) << ": " << answer.body;
    return response;
  }

  std::string get(const std::string& path) {
    auto answer = http::fetch("127.0.0.1", static_cast<std::uint16_t>(port_), {.target = path});
    EXPECT_TRUE(answer && answer->status == 200) << path;
    return answer ? answer->body : "";
  }

  static Call reserveCall(Call::Type type, const std::string& agentId, const Resources& resources) {
    Call call;
    call.set_type(type);
    auto* wire = type == Call::RESERVE_RESOURCES
                     ? call.mutable_reserve_resources()->mutable_resources()
                     : call.mutable_unreserve_resources()->mutable_resources();
    resources.toWire(wire);
    (type == Call::RESERVE_RESOURCES ? call.mutable_reserve_resources()->mutable_agent_id()
                                     : call.mutable_unreserve_resources()->mutable_agent_id())
        ->set_value(agentId);
    return call;
  }

  static v1::FrameworkInfo framework(const std::string& role) {
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name("in-" + role);
    info.add_roles(role);
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
    return info;
  }

  // The next OFFERS event's resources on the agent, unallocated.
  static std::optional<Resources> offered(Scheduler& scheduler) {
    auto offers = scheduler.next(v1::scheduler::Event::OFFERS);
    if (!offers || offers->offers().offers_size() == 0) return std::nullopt;
    Resources out;
    for (const auto& offer : offers->offers().offers()) {
      auto resources = Resources::fromWire(offer.resources());
      if (!resources) continue;
      resources->unallocate();
      out += *resources;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  int port_ = 0;
};

TEST_P(OperatorApiTest, StatusCodesInMesosOrder) {
  EXPECT_EQ(post(port_, "/api/v1", "", "").status, 400u);  // no Content-Type
  EXPECT_EQ(post(port_, "/api/v1", "text/plain", "x").status, 415u);
  EXPECT_EQ(post(port_, "/api/v1", "application/json", R"({"type":"GET_HEALTH"})",
                 {{"Accept", "text/html"}})
                .status,
            406u);
  EXPECT_EQ(post(port_, "/api/v1", "application/json", "{not json").status, 400u);
  auto missing = post(port_, "/api/v1", "application/json", R"({"type":"UPDATE_WEIGHTS"})");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_NE(missing.body.find("update_weights"), std::string::npos) << missing.body;
  auto subscribe = post(port_, "/api/v1", "application/json", R"({"type":"SUBSCRIBE"})");
  EXPECT_EQ(subscribe.status, 501u);
  EXPECT_NE(subscribe.body.find("SUBSCRIBE"), std::string::npos) << subscribe.body;
  auto get = http::fetch("127.0.0.1", static_cast<std::uint16_t>(port_), {.target = "/api/v1"});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405u);
  // pymesos posts to /api/v1/operator: longest-prefix routing reaches /api/v1.
  EXPECT_EQ(post(port_, "/api/v1/operator", "application/json", R"({"type":"GET_HEALTH"})").status,
            200u);
}

TEST_P(OperatorApiTest, QueriesDescribeTheCluster) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:4;mem:2048"));
  EXPECT_TRUE(query(Call::GET_HEALTH).get_health().healthy());
  EXPECT_EQ(query(Call::GET_VERSION).get_version().version_info().version(), "1.11.0");
  bool sawPort = false;
  Response flags = query(Call::GET_FLAGS);
  for (const auto& flag : flags.get_flags().flags())
    sawPort = sawPort || (flag.name() == "port" && flag.value() == "0");
  EXPECT_TRUE(sawPort);
  EXPECT_TRUE(query(Call::GET_MASTER).get_master().master_info().has_id());
  bool elected = false;
  Response metrics = query(Call::GET_METRICS);
  for (const auto& metric : metrics.get_metrics().metrics())
    elected = elected || (metric.name() == "master/elected" && metric.value() == 1);
  EXPECT_TRUE(elected);
  auto agents = query(Call::GET_AGENTS).get_agents();
  ASSERT_EQ(agents.agents_size(), 1);
  EXPECT_EQ(agents.agents(0).agent_info().id().value(), agent.agentId());
  EXPECT_EQ(*Resources::fromWire(agents.agents(0).total_resources()), R("cpus:4;mem:2048"));

  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework("eng")), 200u);
  auto state = query(Call::GET_STATE).get_state();
  ASSERT_EQ(state.get_frameworks().frameworks_size(), 1);
  EXPECT_EQ(state.get_frameworks().frameworks(0).framework_info().id().value(),
            scheduler.frameworkId());
  EXPECT_EQ(state.get_agents().agents_size(), 1);
  auto roles = query(Call::GET_ROLES).get_roles();
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).name(), "eng");
  EXPECT_EQ(roles.roles(0).frameworks(0).value(), scheduler.frameworkId());
  EXPECT_NE(get("/roles").find(R"("name":"eng")"), std::string::npos);

  // TEARDOWN by the operator ends the framework's stream and completes it.
  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  teardown.mutable_teardown()->mutable_framework_id()->set_value(scheduler.frameworkId());
  EXPECT_EQ(send(teardown).status, 200u);
  EXPECT_TRUE(scheduler.waitFor([&] { return scheduler.ended(); }));
  auto frameworks = query(Call::GET_FRAMEWORKS).get_frameworks();
  EXPECT_EQ(frameworks.frameworks_size(), 0);
  EXPECT_EQ(frameworks.completed_frameworks_size(), 1);
  EXPECT_EQ(send(teardown).status, 400u);  // no longer known
}

TEST_P(OperatorApiTest, WeightsAreValidatedStoredAndShown) {
  Call update;
  update.set_type(Call::UPDATE_WEIGHTS);
  auto* info = update.mutable_update_weights()->add_weight_infos();
  info->set_role("eng");
  info->set_weight(2.5);
  EXPECT_EQ(send(update).status, 200u);
  auto weights = query(Call::GET_WEIGHTS).get_weights();
  ASSERT_EQ(weights.weight_infos_size(), 1);
  EXPECT_EQ(weights.weight_infos(0).role(), "eng");
  EXPECT_EQ(weights.weight_infos(0).weight(), 2.5);
  EXPECT_EQ(get("/weights"), R"([{"role":"eng","weight":2.5}])");

  info->set_weight(0);
  auto zero = send(update);
  EXPECT_EQ(zero.status, 400u);
  EXPECT_NE(zero.body.find("positive"), std::string::npos) << zero.body;
  info->set_weight(1);
  info->set_role("/bad");
  EXPECT_EQ(send(update).status, 400u);
  EXPECT_EQ(query(Call::GET_WEIGHTS).get_weights().weight_infos(0).weight(), 2.5);
}

TEST_P(OperatorApiTest, WeightsFlagSetsTheInitialWeights) {
  startMaster({"--weights=eng=2,eng/web=0.5"});
  auto weights = query(Call::GET_WEIGHTS).get_weights();
  ASSERT_EQ(weights.weight_infos_size(), 2);
  EXPECT_EQ(weights.weight_infos(0).role(), "eng");
  EXPECT_EQ(weights.weight_infos(1).weight(), 0.5);
}

TEST_P(OperatorApiTest, QuotaIsValidatedAgainstTheClusterUnlessForced) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:4;mem:2048"));
  Call update;
  update.set_type(Call::UPDATE_QUOTA);
  auto* config = update.mutable_update_quota()->add_quota_configs();
  config->set_role("eng");
  (*config->mutable_guarantees())["cpus"].set_value(2);
  (*config->mutable_limits())["cpus"].set_value(3);
  EXPECT_EQ(send(update).status, 200u);
  auto quota = query(Call::GET_QUOTA).get_quota().status();
  ASSERT_EQ(quota.configs_size(), 1);
  EXPECT_EQ(quota.configs(0).guarantees().at("cpus").value(), 2);
  EXPECT_EQ(quota.configs(0).limits().at("cpus").value(), 3);
  EXPECT_NE(get("/quota").find(R"("role":"eng")"), std::string::npos);

  (*config->mutable_guarantees())["cpus"].set_value(4);
  auto aboveLimit = send(update);
  EXPECT_EQ(aboveLimit.status, 400u);
  EXPECT_NE(aboveLimit.body.find("exceeds its limit"), std::string::npos) << aboveLimit.body;

  config->set_role("ops");
  (*config->mutable_guarantees())["cpus"].set_value(3);
  (*config->mutable_limits())["cpus"].set_value(10);
  auto tooBig = send(update);  // 2 + 3 > 4 cpus
  EXPECT_EQ(tooBig.status, 400u);
  EXPECT_NE(tooBig.body.find("capacity"), std::string::npos) << tooBig.body;
  update.mutable_update_quota()->set_force(true);
  EXPECT_EQ(send(update).status, 200u);
  EXPECT_EQ(query(Call::GET_QUOTA).get_quota().status().configs_size(), 2);

  // An empty config removes the role's quota.
  config->clear_guarantees();
  config->clear_limits();
  EXPECT_EQ(send(update).status, 200u);
  EXPECT_EQ(query(Call::GET_QUOTA).get_quota().status().configs_size(), 1);
}

TEST_P(OperatorApiTest, OperatorReservationsGoToTheirRoleOnlyAndAreCheckpointed) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:4;mem:2048"));
  Resources reserved = *R("cpus:2;mem:512").pushReservation(Reservation::makeDynamic("eng", "ops"));
  EXPECT_EQ(send(reserveCall(Call::RESERVE_RESOURCES, agent.agentId(), reserved)).status, 202u);
  auto checkpoint = agent.next(internal::AgentEvent::CHECKPOINT_RESOURCES);
  ASSERT_TRUE(checkpoint);
  auto total = Resources::fromWire(checkpoint->checkpoint_resources().total());
  ASSERT_TRUE(total);
  EXPECT_EQ(total->reserved("eng"), reserved);
  EXPECT_EQ(total->unreserved(), R("cpus:2;mem:1536"));

  // Not enough free: 409, nothing changes.
  Resources tooMuch = *R("cpus:3").pushReservation(Reservation::makeDynamic("eng"));
  auto conflict = send(reserveCall(Call::RESERVE_RESOURCES, agent.agentId(), tooMuch));
  EXPECT_EQ(conflict.status, 409u) << conflict.body;
  // Not a dynamic reservation: 400.
  EXPECT_EQ(send(reserveCall(Call::RESERVE_RESOURCES, agent.agentId(), R("cpus:1"))).status, 400u);
  EXPECT_EQ(send(reserveCall(Call::RESERVE_RESOURCES, "no-such-agent", reserved)).status, 400u);

  // A framework in another role never sees the reservation; one in "eng" does.
  Scheduler other(port_, GetParam());
  ASSERT_EQ(other.subscribe(framework("other")), 200u);
  auto otherOffer = offered(other);
  ASSERT_TRUE(otherOffer);
  EXPECT_TRUE(otherOffer->reserved().empty()) << *otherOffer;
  other.disconnect();

  Scheduler eng(port_, GetParam());
  ASSERT_EQ(eng.subscribe(framework("eng")), 200u);
  std::optional<Resources> engOffer;
  ASSERT_TRUE(eng.waitFor([&] {
    auto got = offered(eng);
    if (got && !got->reserved("eng").empty()) engOffer = got;
    return engOffer.has_value();
  }));
  EXPECT_EQ(engOffer->reserved("eng"), reserved);

  // UNRESERVE gives them back to everyone.
  eng.disconnect();
  EXPECT_EQ(send(reserveCall(Call::UNRESERVE_RESOURCES, agent.agentId(), reserved)).status, 202u);
  auto back = agent.next(internal::AgentEvent::CHECKPOINT_RESOURCES);
  ASSERT_TRUE(back);
  EXPECT_EQ(*Resources::fromWire(back->checkpoint_resources().total()), R("cpus:4;mem:2048"));
}

TEST_P(OperatorApiTest, FrameworksReserveThroughAccept) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:4;mem:2048"));
  Scheduler eng(port_, GetParam());
  ASSERT_EQ(eng.subscribe(framework("eng")), 200u);
  auto offers = eng.next(v1::scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);

  v1::scheduler::Call accept;
  accept.set_type(v1::scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  auto* operation = accept.mutable_accept()->add_operations();
  operation->set_type(v1::Offer::Operation::RESERVE);
  Resources reserved = *R("cpus:1;mem:256").pushReservation(Reservation::makeDynamic("eng"));
  Resources allocated = reserved;
  allocated.allocate("eng");
  allocated.toWire(operation->mutable_reserve()->mutable_resources());
  EXPECT_EQ(eng.call(accept).status, 202u);

  auto checkpoint = agent.next(internal::AgentEvent::CHECKPOINT_RESOURCES);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(Resources::fromWire(checkpoint->checkpoint_resources().total())->reserved("eng"),
            reserved);
  // The reserved resources come back in the framework's next offer.
  std::optional<Resources> next;
  ASSERT_TRUE(eng.waitFor([&] {
    auto got = offered(eng);
    if (got && !got->reserved("eng").empty()) next = got;
    return next.has_value();
  }));
  EXPECT_EQ(next->reserved("eng"), reserved);
  auto agents = query(Call::GET_AGENTS).get_agents();
  EXPECT_EQ(Resources::fromWire(agents.agents(0).total_resources())->reserved("eng"), reserved);
}

// A real agent keeps its reservations in --work_dir: after a restart it registers
// with them; restarted with other resources it refuses to start and says why.
TEST_P(OperatorApiTest, AgentCheckpointsReservationsAcrossRestarts) {
  auto startAgent = [&](const std::string& resources) {
    return std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                 "--work_dir=" + (dir_.path() / "agent").string(),
                                 "--resources=" + resources},
        dir_.path());
  };
  auto agent = startAgent("cpus:4;mem:2048");
  ASSERT_TRUE(agent->waitForLog("Registered with master")) << agent->err();
  std::string agentId = query(Call::GET_AGENTS).get_agents().agents(0).agent_info().id().value();
  Resources reserved = *R("cpus:1;mem:128").pushReservation(Reservation::makeDynamic("eng", "ops"));
  EXPECT_EQ(send(reserveCall(Call::RESERVE_RESOURCES, agentId, reserved)).status, 202u);
  ASSERT_TRUE(agent->waitForLog("Agent resources are now")) << agent->err();
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "agent/meta/resources/resources.info"));

  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait(), 0) << agent->err();
  agent = startAgent("cpus:4;mem:2048");
  ASSERT_TRUE(agent->waitForLog("Recovered the agent's dynamically reserved resources"))
      << agent->err();
  // The restarted agent recovers its ID (docs/agent-recovery.md): one agent, the same.
  ASSERT_TRUE(agent->waitForLog("Re-registered with master")) << agent->err();
  int active = 0;
  auto agents = query(Call::GET_AGENTS).get_agents();
  EXPECT_EQ(agents.agents_size(), 1);
  for (const auto& entry : agents.agents()) {
    EXPECT_EQ(entry.agent_info().id().value(), agentId);
    if (!entry.active()) continue;
    ++active;
    EXPECT_EQ(Resources::fromWire(entry.total_resources())->reserved("eng"), reserved);
  }
  EXPECT_EQ(active, 1);

  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait(), 0) << agent->err();
  auto changed = startAgent("cpus:8;mem:2048");
  EXPECT_EQ(changed->wait(), 1);
  EXPECT_NE(changed->err().find("differ from those its dynamic reservations"), std::string::npos)
      << changed->err();
}

INSTANTIATE_TEST_SUITE_P(Encodings, OperatorApiTest,
                         ::testing::Values(Wire::kJson, Wire::kProtobuf), [](const auto& info) {
                           return info.param == Wire::kJson ? "json" : "protobuf";
                         });

}  // namespace
}  // namespace plexus::testing
