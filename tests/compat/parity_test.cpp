// Mesos 1.11 parity of the calls and endpoints Plexus has, through a real master and
// agents: GET_AGENTS carries each agent's allocated and offered resources and
// capabilities; GET_ROLES and /roles each role's breakdown and quota; /state and
// GET_TASKS keep a task's discovery (its limits are refused until the agent enforces
// them: docs/compatibility.md); JSON numbers print as Mesos prints
// them (2.0, 2.5; never 2E0); `?jsonp=` wraps the JSON endpoints.
#include <regex>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/master.pb.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::master::Call;
using v1::master::Response;
using v1::scheduler::Event;

class ParityTest : public ClusterFixture {
 protected:
  http::Response operatorCall(const Call& call) {
    return post(port_, "/api/v1", "application/json", toJson(call),
                {{"Accept", "application/json"}});
  }
  Response query(Call::Type type) {
    Call call;
    call.set_type(type);
    http::Response response = operatorCall(call);
    EXPECT_EQ(response.status, 200u) << response.body;
    auto parsed = fromJson<Response>(response.body);
    EXPECT_TRUE(parsed) << response.body;
    return parsed ? *parsed : Response();
  }
  http::Response get(const std::string& target) {
    auto response =
        http::fetch("127.0.0.1", static_cast<uint16_t>(port_), {.method = "GET", .target = target});
    return response ? *response : http::Response{.status = 0};
  }
};

TEST_F(ParityTest, OperatorCallsAndEndpointsAsMesos) {
  // Quota and a weight on "eng", one CPU of agent 0 reserved to "eng".
  Call quota;
  quota.set_type(Call::UPDATE_QUOTA);
  auto* config = quota.mutable_update_quota()->add_quota_configs();
  config->set_role("eng");
  (*config->mutable_limits())["cpus"].set_value(10);
  ASSERT_EQ(operatorCall(quota).status, 200u);
  Call weights;
  weights.set_type(Call::UPDATE_WEIGHTS);
  auto* weight = weights.mutable_update_weights()->add_weight_infos();
  weight->set_role("eng");
  weight->set_weight(2.5);
  ASSERT_EQ(operatorCall(weights).status, 200u);
  Call reserve;
  reserve.set_type(Call::RESERVE_RESOURCES);
  reserve.mutable_reserve_resources()->mutable_agent_id()->set_value(agentIds_[0]);
  Resources::parse("cpus:1")->toWire(reserve.mutable_reserve_resources()->mutable_resources());
  auto* reservation = reserve.mutable_reserve_resources()->mutable_resources(0)->add_reservations();
  reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role("eng");
  ASSERT_EQ(operatorCall(reserve).status, 202u);

  // A framework in "eng/front" runs a task with discovery on one agent
  // and holds the other agent's offer.
  v1::FrameworkInfo info = framework();
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  info.add_roles("eng/front");
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(info), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  v1::TaskInfo task = commandTask(offers[1], "t", "sleep 600");
  for (auto& resource : *task.mutable_resources())
    resource.mutable_allocation_info()->set_role("eng/front");
  task.mutable_discovery()->set_visibility(v1::DiscoveryInfo::FRAMEWORK);
  task.mutable_discovery()->set_name("discovered");
  v1::scheduler::Call call = launch(offers[1], {task});
  // What the task leaves on agent 1 is not offered again: the figures stay put.
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(3600);
  ASSERT_EQ(scheduler.call(call).status, 202u);
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
  } while (status->state() != v1::TASK_RUNNING && status->state() != v1::TASK_FAILED &&
           status->state() != v1::TASK_ERROR);
  ASSERT_EQ(status->state(), v1::TASK_RUNNING) << status->message();

  // GET_AGENTS: capabilities, allocated (agent 1) and offered (agent 0) resources.
  auto agents = query(Call::GET_AGENTS).get_agents();
  ASSERT_EQ(agents.agents_size(), 2);
  for (const auto& agent : agents.agents()) {
    std::vector<std::string> capabilities;
    for (const auto& capability : agent.capabilities())
      capabilities.push_back(v1::AgentInfo::Capability::Type_Name(capability.type()));
    EXPECT_EQ(capabilities, (std::vector<std::string>{"MULTI_ROLE", "HIERARCHICAL_ROLE",
                                                      "RESERVATION_REFINEMENT"}));
    auto allocated = Resources::fromWire(agent.allocated_resources());
    auto offered = Resources::fromWire(agent.offered_resources());
    ASSERT_TRUE(allocated && offered);
    if (agent.agent_info().id().value() == agentIds_[1]) {
      EXPECT_EQ(allocated->quantities().get("cpus"), 0.5);
    } else {
      EXPECT_TRUE(allocated->empty());
      EXPECT_EQ(offered->quantities().get("cpus"), 2);  // the held offer, reservation included
    }
  }

  // GET_ROLES as Mesos 1.11: "eng" (an ancestor) and "eng/front"; `resources` is
  // what is allocated and offered in the role's subtree (cpus, mem, disk, gpus).
  auto roles = query(Call::GET_ROLES).get_roles();
  std::map<std::string, v1::Role> byName;
  for (const auto& role : roles.roles())
    byName[role.name()] = role;
  ASSERT_TRUE(byName.contains("eng") && byName.contains("eng/front")) << toJson(roles);
  EXPECT_EQ(byName["eng"].weight(), 2.5);
  EXPECT_EQ(byName["eng/front"].frameworks(0).value(), scheduler.frameworkId());
  auto engResources = Resources::fromWire(byName["eng"].resources());
  ASSERT_TRUE(engResources);
  EXPECT_EQ(engResources->quantities().get("cpus"), 2.5);  // 0.5 allocated + 2 offered

  // /roles: the breakdown and the quota, numbers as Mesos prints them.
  http::Response rolesBody = get("/roles");
  ASSERT_EQ(rolesBody.status, 200u);
  boost::json::value parsed = boost::json::parse(rolesBody.body);
  const boost::json::object* eng = nullptr;
  for (const auto& role : parsed.at("roles").as_array()) {
    if (role.at("name").as_string() == "eng") eng = &role.as_object();
  }
  ASSERT_NE(eng, nullptr) << rolesBody.body;
  EXPECT_EQ(eng->at("quota").at("limit").at("cpus").to_number<double>(), 10);
  EXPECT_EQ(eng->at("allocated").at("cpus").to_number<double>(), 0.5);
  EXPECT_EQ(eng->at("offered").at("cpus").to_number<double>(), 2);
  EXPECT_EQ(eng->at("reserved").at("cpus").to_number<double>(), 1);
  // Allocated, plus the reservation that is not allocated (Mesos's consumed quota).
  EXPECT_EQ(eng->at("quota").at("consumed").at("cpus").to_number<double>(), 1.5);
  EXPECT_NE(rolesBody.body.find(R"("weight":2.5,)"), std::string::npos) << rolesBody.body;
  EXPECT_NE(rolesBody.body.find(R"("limit":{"cpus":10.0})"), std::string::npos) << rolesBody.body;

  // /state and GET_TASKS keep discovery; numbers are plain decimals.
  http::Response stateBody = get("/state");
  ASSERT_EQ(stateBody.status, 200u);
  EXPECT_NE(stateBody.body.find(R"("cpus":2.0,)"), std::string::npos);
  // A number (after ':', ',' or '[', never inside a string) in exponent form.
  const std::regex exponent("[:,\\[]-?[0-9]+(\\.[0-9]+)?[eE][-+]?[0-9]");
  for (const char* path : {"/state", "/roles", "/weights", "/quota", "/metrics/snapshot"}) {
    http::Response body = get(path);
    EXPECT_FALSE(std::regex_search(body.body, exponent)) << path << ": " << body.body;
  }
  EXPECT_EQ(get("/weights").body, R"([{"role":"eng","weight":2.5}])");
  boost::json::value state = boost::json::parse(stateBody.body);
  const auto& stateTask = state.at("frameworks").at(0).at("tasks").at(0).as_object();
  EXPECT_EQ(stateTask.at("discovery").at("name").as_string(), "discovered");
  EXPECT_EQ(stateTask.at("role").as_string(), "eng/front");
  auto tasks = query(Call::GET_TASKS).get_tasks();
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).discovery().name(), "discovered");
}

TEST_F(ParityTest, JsonpWrapsTheJsonEndpoints) {
  for (const char* path : {"/state", "/master/state", "/flags", "/metrics/snapshot", "/roles",
                           "/weights", "/quota", "/version"}) {
    http::Response plain = get(path);
    ASSERT_EQ(plain.status, 200u) << path;
    EXPECT_EQ(plain.header("Content-Type").value_or(""), "application/json") << path;
    http::Response wrapped = get(std::string(path) + "?jsonp=cb_1");
    ASSERT_EQ(wrapped.status, 200u) << path;
    EXPECT_EQ(wrapped.header("Content-Type").value_or(""), "text/javascript") << path;
    ASSERT_GT(wrapped.body.size(), 5u) << path;
    EXPECT_EQ(wrapped.body.substr(0, 5), "cb_1(") << path;
    EXPECT_EQ(wrapped.body.back(), ')') << path;
    boost::system::error_code error;
    boost::json::parse(wrapped.body.substr(5, wrapped.body.size() - 6), error);
    EXPECT_FALSE(error) << path << ": " << wrapped.body;
  }
}

}  // namespace
}  // namespace plexus::testing
