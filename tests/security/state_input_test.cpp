// What a client may put in a call can never break /state: empty labels (legal, and
// printed as []) and text that is not UTF-8 (refused with 400 at the call, naming
// the field, on every API of the master and the agent), before and after a master
// restart that restores the frameworks from the registry.
#include <csignal>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <plexus/utf8.hpp>
#include <plexus/v1/executor.pb.h>
#include <plexus/v1/master.pb.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

constexpr const char* kProtobuf = "application/x-protobuf";

// A call answered within seconds (a subscription that is wrongly accepted would
// hold its stream open).
http::Response postCall(int port, const std::string& path, const std::string& contentType,
                        const std::string& body, http::Headers headers = {}) {
  http::ClientRequest request{.method = "POST", .target = path, .headers = headers, .body = body};
  request.headers.set("Content-Type", contentType);
  auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port), request,
                              {.requestTimeout = std::chrono::seconds(5)});
  if (!response) return http::Response{.status = 0, .body = response.error().message()};
  return *response;
}

class StateInputTest : public ClusterFixture {
 protected:
  // GET `path` from `port`: the body when it is 200, strictly valid UTF-8 and JSON
  // (Boost's parser checks UTF-8), else null with why in `why`.
  static boost::json::value strictJson(int port, const std::string& path, std::string* why) {
    auto response =
        http::fetch("127.0.0.1", static_cast<uint16_t>(port), {.method = "GET", .target = path});
    if (!response) {
      *why = response.error().message();
      return nullptr;
    }
    if (response->status != 200) {
      *why = std::to_string(response->status) + " " + response->body;
      return nullptr;
    }
    if (!isValidUtf8(response->body)) {
      *why = "not UTF-8: " + response->body;
      return nullptr;
    }
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(response->body, error);
    if (error) *why = error.message() + ": " + response->body;
    return error ? boost::json::value(nullptr) : value;
  }

  // Stops the master and starts it again on the same port and work dir: it restores
  // the frameworks from its registry.
  void restartMaster() {
    master_->signal(SIGTERM);
    ASSERT_EQ(master_->wait(), 0) << master_->err();
    master_ = std::make_unique<Process>(
        "plexus-master",
        std::vector<std::string>{"--port=" + std::to_string(port_),
                                 "--work_dir=" + (dir_.path() / "master").string(),
                                 "--allocation_interval=50ms"},
        dir_.path());
    ASSERT_EQ(master_->waitForPort(), port_) << master_->err();
  }

  static v1::FrameworkInfo durableFramework() {
    v1::FrameworkInfo info = framework();
    info.set_failover_timeout(3600);  // so that the registry keeps it
    return info;
  }
};

TEST_F(StateInputTest, EmptyLabelsArePrintedAsEmptyListsBeforeAndAfterARestart) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  v1::FrameworkInfo info = durableFramework();
  info.mutable_labels();  // set, with no label: {} in JSON
  ASSERT_EQ(scheduler.subscribe(info), 200u) << master_->err();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  v1::TaskInfo task = commandTask(offer, "labelled", "sleep 30");
  task.mutable_labels();
  ASSERT_EQ(scheduler.call(launch(offer, {task})).status, 202u);
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
  } while (status && status->state() != v1::TASK_RUNNING && status->state() != v1::TASK_FAILED);
  ASSERT_TRUE(status && status->state() == v1::TASK_RUNNING) << logs();

  std::string why;
  auto state = strictJson(port_, "/state", &why);
  ASSERT_FALSE(state.is_null()) << why;
  const auto& frameworkState = state.at("frameworks").at(0).as_object();
  EXPECT_EQ(frameworkState.at("labels"), boost::json::array())
      << boost::json::serialize(frameworkState);
  EXPECT_EQ(frameworkState.at("tasks").at(0).at("labels"), boost::json::array())
      << boost::json::serialize(frameworkState);

  size_t agent = offer.agent_id().value() == agentIds_[0] ? 0 : 1;
  int agentPort = agents_[agent]->waitForPort();
  auto agentState = strictJson(agentPort, "/state", &why);
  ASSERT_FALSE(agentState.is_null()) << why;
  const auto& executor = agentState.at("frameworks").at(0).at("executors").at(0);
  EXPECT_EQ(executor.at("labels"), boost::json::array()) << boost::json::serialize(executor);
  EXPECT_EQ(executor.at("tasks").at(0).at("labels"), boost::json::array())
      << boost::json::serialize(executor);

  scheduler.disconnect();
  restartMaster();
  state = strictJson(port_, "/state", &why);
  ASSERT_FALSE(state.is_null()) << why;
  ASSERT_EQ(state.at("frameworks").as_array().size(), 1u) << boost::json::serialize(state);
  EXPECT_EQ(state.at("frameworks").at(0).at("labels"), boost::json::array())
      << boost::json::serialize(state);
}

TEST_F(StateInputTest, TextThatIsNotUtf8IsRefusedAtEveryApiNamingTheField) {
  const std::string bad = "caf\xc3(";  // a truncated two-byte sequence
  auto refusedWith = [](const http::Response& response, const std::string& field) {
    return response.status == 400u &&
           response.body.find("'" + field + "' is not valid UTF-8") != std::string::npos;
  };

  // Scheduler API, protobuf: SUBSCRIBE with a bad name.
  v1::scheduler::Call subscribe;
  subscribe.set_type(v1::scheduler::Call::SUBSCRIBE);
  *subscribe.mutable_subscribe()->mutable_framework_info() = durableFramework();
  subscribe.mutable_subscribe()->mutable_framework_info()->set_name(bad);
  auto refused = postCall(port_, "/api/v1/scheduler", kProtobuf, subscribe.SerializeAsString());
  EXPECT_TRUE(refusedWith(refused, "subscribe.framework_info.name"))
      << refused.status << " " << refused.body;

  // The same in a label's value, and as JSON with an escaped lone surrogate.
  subscribe.mutable_subscribe()->mutable_framework_info()->set_name("ok");
  auto* label =
      subscribe.mutable_subscribe()->mutable_framework_info()->mutable_labels()->add_labels();
  label->set_key("k");
  label->set_value(bad);
  refused = postCall(port_, "/api/v1/scheduler", kProtobuf, subscribe.SerializeAsString());
  EXPECT_TRUE(refusedWith(refused, "subscribe.framework_info.labels.labels[0].value"))
      << refused.status << " " << refused.body;
  refused = postCall(port_, "/api/v1/scheduler", "application/json",
                     R"({"type": "SUBSCRIBE", "subscribe": {"framework_info":
                     {"user": "nobody", "name": "x\ud800y"}}})");
  EXPECT_EQ(refused.status, 400u) << refused.body;

  // Operator API.
  v1::master::Call weights;
  weights.set_type(v1::master::Call::UPDATE_WEIGHTS);
  auto* weight = weights.mutable_update_weights()->add_weight_infos();
  weight->set_role(bad);
  weight->set_weight(2);
  refused = postCall(port_, "/api/v1", kProtobuf, weights.SerializeAsString());
  EXPECT_TRUE(refusedWith(refused, "update_weights.weight_infos[0].role"))
      << refused.status << " " << refused.body;

  // A good subscription, then a launch whose task name is bad.
  Scheduler scheduler(port_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(durableFramework()), 200u) << master_->err();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  v1::TaskInfo task = commandTask(offer, "t", "sleep 30");
  task.set_name(bad);
  v1::scheduler::Call accept = launch(offer, {task});
  *accept.mutable_framework_id() = offer.framework_id();
  http::Headers headers;
  headers.set("Mesos-Stream-Id", scheduler.streamId());
  refused = postCall(port_, "/api/v1/scheduler", kProtobuf, accept.SerializeAsString(), headers);
  EXPECT_TRUE(refusedWith(refused, "accept.operations[0].launch.task_infos[0].name"))
      << refused.status << " " << refused.body;

  // Executor API on an agent.
  v1::executor::Call executorCall;
  executorCall.set_type(v1::executor::Call::SUBSCRIBE);
  executorCall.mutable_framework_id()->set_value(scheduler.frameworkId());
  executorCall.mutable_executor_id()->set_value(bad);
  executorCall.mutable_subscribe();
  refused = postCall(agents_[0]->waitForPort(), "/api/v1/executor", kProtobuf,
                     executorCall.SerializeAsString());
  EXPECT_TRUE(refusedWith(refused, "executor_id.value")) << refused.status << " " << refused.body;

  std::string why;
  for (bool restarted : {false, true}) {
    auto state = strictJson(port_, "/state", &why);
    ASSERT_FALSE(state.is_null()) << (restarted ? "after the restart: " : "") << why;
    EXPECT_EQ(state.at("frameworks").as_array().size(), 1u) << boost::json::serialize(state);
    EXPECT_FALSE(strictJson(port_, "/weights", &why).is_null()) << why;
    if (!restarted) {
      scheduler.disconnect();
      restartMaster();
    }
  }
}

}  // namespace
}  // namespace plexus::testing
