// The master's v1 scheduler API against a real plexus-master process, with a fake
// agent speaking the internal protocol: status codes in Mesos's order, the offer
// cycle in JSON and in protobuf, filters, kill, reconcile, messages, teardown.
#include <random>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/resources.hpp>

#include "api_client.hpp"
#include "process.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

class MasterTest : public ::testing::Test {
 protected:
  void startMaster(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port=0", "--work_dir=" + (dir_.path() / "master").string(),
                                  "--allocation_interval=50ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    master_ = std::make_unique<Process>("plexus-master", args, dir_.path());
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }
  void SetUp() override { startMaster(); }

  static v1::FrameworkInfo framework(const std::string& name = "test", double failover = 0) {
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name(name);
    info.set_failover_timeout(failover);
    return info;
  }

  static Call launchCall(const v1::Offer& offer, const std::string& taskId,
                         const std::string& resources) {
    Call call;
    call.set_type(Call::ACCEPT);
    *call.mutable_accept()->add_offer_ids() = offer.id();
    auto* operation = call.mutable_accept()->add_operations();
    operation->set_type(v1::Offer::Operation::LAUNCH);
    auto* task = operation->mutable_launch()->add_task_infos();
    task->set_name(taskId);
    task->mutable_task_id()->set_value(taskId);
    *task->mutable_agent_id() = offer.agent_id();
    task->mutable_command()->set_value("true");
    Resources::parse(resources)->toWire(task->mutable_resources());
    for (auto& resource : *task->mutable_resources())
      resource.mutable_allocation_info()->set_role("*");
    call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
    return call;
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  int port_ = 0;
};

TEST_F(MasterTest, StatusCodesInMesosOrder) {
  const std::string path = "/api/v1/scheduler";
  auto get = http::fetch("127.0.0.1", port_, {.method = "GET", .target = path});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405u);
  EXPECT_EQ(post(port_, path, "", "{}").status, 400u);
  EXPECT_EQ(post(port_, path, "text/plain", "{}").status, 415u);
  EXPECT_EQ(post(port_, path, "application/json", "{not json").status, 400u);
  EXPECT_EQ(post(port_, path, "application/x-protobuf", "\xff\xff\xff").status, 400u);
  auto invalid = post(port_, path, "application/json", R"({"type":"ACCEPT"})");
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_NE(invalid.body.find("Failed to validate scheduler::Call"), std::string::npos)
      << invalid.body;
  std::string subscribe =
      R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}})";
  EXPECT_EQ(post(port_, path, "application/json", subscribe, {{"Accept", "text/html"}}).status,
            406u);
  EXPECT_EQ(post(port_, path, "application/json", subscribe, {{"Mesos-Stream-Id", "x"}}).status,
            400u);
  auto unknown =
      post(port_, path, "application/json", R"({"type":"REVIVE","framework_id":{"value":"nope"}})");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(unknown.body, "Framework cannot be found");
  EXPECT_EQ(post(port_, path, "application/json", R"({"type":"UNKNOWN"})").status, 501u);

  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  std::string revive =
      R"({"type":"REVIVE","framework_id":{"value":")" + scheduler.frameworkId() + R"("}})";
  EXPECT_EQ(post(port_, path, "application/json", revive).status, 400u);  // no stream id
  EXPECT_EQ(post(port_, path, "application/json", revive, {{"Mesos-Stream-Id", "wrong"}}).status,
            400u);
  EXPECT_EQ(
      post(port_, path, "application/json", revive, {{"Mesos-Stream-Id", scheduler.streamId()}})
          .status,
      202u);
  // A master that answered all of that still serves.
  EXPECT_EQ(http::fetch("127.0.0.1", port_, {.target = "/health"})->status, 200u);
}

TEST_F(MasterTest, NotSubscribedIs403) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework("f", 3600)), 200u);
  scheduler.disconnect();
  ASSERT_TRUE(master_->waitForLog("disconnected; failover timeout"));
  Call call;
  call.set_type(Call::REVIVE);
  call.mutable_framework_id()->set_value(scheduler.frameworkId());
  auto response = post(port_, "/api/v1/scheduler", "application/json", toJson(call),
                       {{"Mesos-Stream-Id", scheduler.streamId()}});
  EXPECT_EQ(response.status, 403u) << response.body;
}

TEST_F(MasterTest, SubscribeSendsSubscribedAndHeartbeatAndMasterInfo) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  EXPECT_FALSE(scheduler.streamId().empty());
  auto heartbeat = scheduler.next(Event::HEARTBEAT);
  ASSERT_TRUE(heartbeat);
}

// The whole offer cycle, in both encodings.
class OfferCycleTest : public MasterTest, public ::testing::WithParamInterface<Wire> {};

TEST_P(OfferCycleTest, SubscribeOfferLaunchUpdateAcknowledge) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024;ports:[31000-31010]"));
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);

  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << master_->err();
  ASSERT_EQ(offers->offers().offers_size(), 1);
  const v1::Offer& offer = offers->offers().offers(0);
  EXPECT_EQ(offer.agent_id().value(), agent.agentId());
  EXPECT_EQ(offer.hostname(), "fake-agent");
  // Not MULTI_ROLE capable: as Mesos, no allocation_info, and unreserved resources
  // in the pre-refinement format (role "*").
  EXPECT_FALSE(offer.has_allocation_info());
  for (const auto& resource : offer.resources()) {
    EXPECT_FALSE(resource.has_allocation_info());
    EXPECT_EQ(resource.role(), "*");
  }
  auto offered = Resources::fromWire(offer.resources());
  ASSERT_TRUE(offered);
  EXPECT_EQ(offered->cpus(), 2.0);

  EXPECT_EQ(scheduler.call(launchCall(offer, "t1", "cpus:1;mem:128")).status, 202u);
  auto run = agent.next(internal::AgentEvent::RUN_TASK);
  ASSERT_TRUE(run) << master_->err();
  EXPECT_EQ(run->run_task().task().task_id().value(), "t1");
  EXPECT_EQ(run->run_task().framework_info().id().value(), scheduler.frameworkId());

  for (v1::TaskState state : {v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}) {
    std::string uuid = agent.update(scheduler.frameworkId(), "t1", state);
    auto update = scheduler.next(Event::UPDATE);
    ASSERT_TRUE(update);
    EXPECT_EQ(update->update().status().state(), state);
    EXPECT_EQ(update->update().status().uuid(), uuid);
    EXPECT_EQ(update->update().status().agent_id().value(), agent.agentId());
    Call ack;
    ack.set_type(Call::ACKNOWLEDGE);
    ack.mutable_acknowledge()->mutable_agent_id()->set_value(agent.agentId());
    ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
    ack.mutable_acknowledge()->set_uuid(uuid);
    EXPECT_EQ(scheduler.call(ack).status, 202u);
    auto acknowledged = agent.next(internal::AgentEvent::ACKNOWLEDGE);
    ASSERT_TRUE(acknowledged);
    EXPECT_EQ(acknowledged->acknowledge().uuid(), uuid);
  }

  auto state = http::fetch("127.0.0.1", port_, {.target = "/state"});
  ASSERT_TRUE(state);
  EXPECT_NE(state->body.find(R"("state":"TASK_FINISHED")"), std::string::npos) << state->body;
  auto metrics = http::fetch("127.0.0.1", port_, {.target = "/metrics/snapshot"});
  EXPECT_NE(metrics->body.find(R"("master/tasks_finished":1)"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find(R"("master/slaves_active":1)"), std::string::npos) << metrics->body;
}

INSTANTIATE_TEST_SUITE_P(Encodings, OfferCycleTest, ::testing::Values(Wire::kJson, Wire::kProtobuf),
                         [](const auto& info) {
                           return info.param == Wire::kJson ? "Json" : "Protobuf";
                         });

TEST_F(MasterTest, InvalidTasksGetTaskError) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:1;mem:256"));
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  // More than offered.
  scheduler.call(launchCall(offers->offers().offers(0), "big", "cpus:8;mem:128"));
  auto update = scheduler.next(Event::UPDATE);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->update().status().state(), v1::TASK_ERROR);
  EXPECT_EQ(update->update().status().reason(), v1::TaskStatus::REASON_TASK_INVALID);
  EXPECT_FALSE(update->update().status().has_uuid());
  EXPECT_NE(update->update().status().message().find("more resources"), std::string::npos);
  // An offer that no longer exists.
  scheduler.call(launchCall(offers->offers().offers(0), "again", "cpus:0.1;mem:32"));
  update = scheduler.next(Event::UPDATE);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->update().status().state(), v1::TASK_LOST);
  EXPECT_EQ(update->update().status().reason(), v1::TaskStatus::REASON_INVALID_OFFERS);
}

TEST_F(MasterTest, DeclineWithRefuseSecondsFiltersTheAgent) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:1;mem:256"));
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  Call decline;
  decline.set_type(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offers->offers().offers(0).id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(2);
  auto declinedAt = std::chrono::steady_clock::now();
  EXPECT_EQ(scheduler.call(decline).status, 202u);
  EXPECT_FALSE(scheduler.next(Event::OFFERS, std::chrono::milliseconds(1200)));
  auto again = scheduler.next(Event::OFFERS, std::chrono::seconds(10));
  ASSERT_TRUE(again);
  EXPECT_GE(std::chrono::steady_clock::now() - declinedAt, std::chrono::milliseconds(1900));
}

TEST_F(MasterTest, KillReconcileMessageAndTeardown) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:512"));
  Scheduler scheduler(port_, Wire::kJson);
  v1::FrameworkInfo info = framework();
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  ASSERT_EQ(scheduler.subscribe(info), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  scheduler.call(launchCall(offers->offers().offers(0), "t1", "cpus:1;mem:64"));
  ASSERT_TRUE(agent.next(internal::AgentEvent::RUN_TASK));
  agent.update(scheduler.frameworkId(), "t1", v1::TASK_RUNNING);
  ASSERT_TRUE(scheduler.next(Event::UPDATE));

  // KILL without agent_id: the master finds the task.
  Call kill;
  kill.set_type(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  EXPECT_EQ(scheduler.call(kill).status, 202u);
  auto killTask = agent.next(internal::AgentEvent::KILL_TASK);
  ASSERT_TRUE(killTask);
  EXPECT_EQ(killTask->kill_task().task_id().value(), "t1");

  // Explicit reconciliation of a known and an unknown task; implicit of all.
  Call reconcile;
  reconcile.set_type(Call::RECONCILE);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("t1");
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("ghost");
  scheduler.call(reconcile);
  auto first = scheduler.next(Event::UPDATE);
  auto second = scheduler.next(Event::UPDATE);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->update().status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(first->update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(second->update().status().task_id().value(), "ghost");
  EXPECT_EQ(second->update().status().state(), v1::TASK_UNKNOWN);
  Call implicit;
  implicit.set_type(Call::RECONCILE);
  implicit.mutable_reconcile();
  scheduler.call(implicit);
  auto all = scheduler.next(Event::UPDATE);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->update().status().task_id().value(), "t1");

  // Messages both ways.
  Call message;
  message.set_type(Call::MESSAGE);
  message.mutable_message()->mutable_agent_id()->set_value(agent.agentId());
  message.mutable_message()->mutable_executor_id()->set_value("t1");
  message.mutable_message()->set_data("to executor");
  EXPECT_EQ(scheduler.call(message).status, 202u);
  auto toExecutor = agent.next(internal::AgentEvent::MESSAGE);
  ASSERT_TRUE(toExecutor);
  EXPECT_EQ(toExecutor->message().data(), "to executor");
  internal::AgentCall fromExecutor;
  fromExecutor.set_type(internal::AgentCall::MESSAGE);
  fromExecutor.mutable_message()->mutable_framework_id()->set_value(scheduler.frameworkId());
  fromExecutor.mutable_message()->mutable_executor_id()->set_value("t1");
  fromExecutor.mutable_message()->set_data("to scheduler");
  EXPECT_EQ(agent.call(fromExecutor).status, 202u);
  auto received = scheduler.next(Event::MESSAGE);
  ASSERT_TRUE(received);
  EXPECT_EQ(received->message().data(), "to scheduler");

  // TEARDOWN: the agent is told to shut the framework down; the stream ends.
  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  EXPECT_EQ(scheduler.call(teardown).status, 202u);
  auto shutdown = agent.next(internal::AgentEvent::SHUTDOWN_FRAMEWORK);
  ASSERT_TRUE(shutdown);
  EXPECT_EQ(shutdown->shutdown_framework().framework_id().value(), scheduler.frameworkId());
  EXPECT_TRUE(scheduler.waitFor([&] { return scheduler.ended(); }));
}

TEST_F(MasterTest, FailoverKeepsTasksAndClosesTheOldStream) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:512"));
  Scheduler first(port_, Wire::kJson);
  ASSERT_EQ(first.subscribe(framework("ha", 3600)), 200u);
  auto offers = first.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  first.call(launchCall(offers->offers().offers(0), "t1", "cpus:1;mem:64"));
  ASSERT_TRUE(agent.next(internal::AgentEvent::RUN_TASK));

  Scheduler second(port_, Wire::kProtobuf);
  v1::FrameworkInfo info = framework("ha", 3600);
  info.mutable_id()->set_value(first.frameworkId());
  ASSERT_EQ(second.subscribe(info), 200u);
  EXPECT_EQ(second.frameworkId(), first.frameworkId());
  EXPECT_TRUE(first.waitFor([&] { return first.ended(); }));
  auto error = first.next(Event::ERROR, std::chrono::milliseconds(100));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error().message(), "Framework failed over");
  auto state = http::fetch("127.0.0.1", port_, {.target = "/state"});
  EXPECT_NE(state->body.find(R"("id":"t1")"), std::string::npos);
}

TEST_F(MasterTest, ExecutorExitBecomesFailure) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:512"));
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  // A command task's executor is the agent's: its exit is no FAILURE (as Mesos).
  internal::AgentCall unknown;
  unknown.set_type(internal::AgentCall::EXECUTOR_EXITED);
  unknown.mutable_executor_exited()->mutable_framework_id()->set_value(scheduler.frameworkId());
  unknown.mutable_executor_exited()->mutable_executor_id()->set_value("command-task");
  EXPECT_EQ(agent.call(unknown).status, 202u);
  // The framework's own executor: its exit is.
  Call call = launchCall(offers->offers().offers(0), "t1", "cpus:1;mem:64");
  auto* task =
      call.mutable_accept()->mutable_operations(0)->mutable_launch()->mutable_task_infos(0);
  task->clear_command();
  task->mutable_executor()->mutable_executor_id()->set_value("e1");
  task->mutable_executor()->mutable_command()->set_value("executor");
  EXPECT_EQ(scheduler.call(call).status, 202u);
  ASSERT_TRUE(agent.next(internal::AgentEvent::RUN_TASK));
  internal::AgentCall exited;
  exited.set_type(internal::AgentCall::EXECUTOR_EXITED);
  exited.mutable_executor_exited()->mutable_framework_id()->set_value(scheduler.frameworkId());
  exited.mutable_executor_exited()->mutable_executor_id()->set_value("e1");
  exited.mutable_executor_exited()->set_status(256);
  EXPECT_EQ(agent.call(exited).status, 202u);
  auto failure = scheduler.next(Event::FAILURE);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->failure().executor_id().value(), "e1");
  EXPECT_EQ(failure->failure().status(), 256);
}

TEST_F(MasterTest, UnreachableAgentTasksAreReported) {
  master_.reset();
  startMaster({"--agent_ping_timeout=100ms", "--max_agent_ping_timeouts=2"});
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:512"));
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  scheduler.call(launchCall(offers->offers().offers(0), "t1", "cpus:1;mem:64"));
  ASSERT_TRUE(agent.next(internal::AgentEvent::RUN_TASK));
  // The fake agent never answers pings.
  auto lost = scheduler.next(Event::UPDATE, std::chrono::seconds(10));
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->update().status().state(), v1::TASK_LOST);
  EXPECT_EQ(lost->update().status().reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
}

// --registry_max_agent_age: an unreachable agent is forgotten after it; then the
// reconciliation of a task on it answers as for an agent never seen.
TEST_F(MasterTest, UnreachableAgentsArePrunedFromTheRegistryAfterTheMaxAge) {
  master_.reset();
  startMaster({"--agent_ping_timeout=100ms", "--max_agent_ping_timeouts=2",
               "--registry_max_agent_age=2secs", "--registry_gc_interval=500ms"});
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:512"));
  v1::FrameworkInfo info = framework();
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(info), 200u);
  auto unreachableSlaves = [&] {
    auto response = http::fetch("127.0.0.1", port_, {.target = "/state"});
    if (!response || response->status != 200) return int64_t{-1};
    return boost::json::parse(response->body).at("unreachable_slaves").as_int64();
  };
  auto reconcileGhost = [&]() -> std::optional<v1::TaskState> {
    Call reconcile;
    reconcile.set_type(Call::RECONCILE);
    auto* task = reconcile.mutable_reconcile()->add_tasks();
    task->mutable_task_id()->set_value("ghost");
    task->mutable_agent_id()->set_value(agent.agentId());
    scheduler.call(reconcile);
    auto answer = scheduler.next(Event::UPDATE);
    if (!answer) return std::nullopt;
    return answer->update().status().state();
  };
  // The fake agent never answers pings: unreachable within a second.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50 && unreachableSlaves() != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(unreachableSlaves(), 1) << master_->err();
  EXPECT_EQ(reconcileGhost(), v1::TASK_UNREACHABLE);
  for (int i = 0; i < 100 && unreachableSlaves() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(unreachableSlaves(), 0) << master_->err();
  EXPECT_GE(after, 2.0) << "pruned before --registry_max_agent_age";
  EXPECT_EQ(reconcileGhost(), v1::TASK_UNKNOWN);
  EXPECT_NE(master_->err().find("Pruned 1 unreachable agent(s) from the registry"),
            std::string::npos)
      << master_->err();
}

TEST_F(MasterTest, SurvivesThousandsOfMutatedCalls) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  Call seed;
  seed.set_type(Call::ACCEPT);
  seed.mutable_framework_id()->set_value(scheduler.frameworkId());
  seed.mutable_accept()->add_offer_ids()->set_value("x");
  std::string json = toJson(seed);
  std::string proto = seed.SerializeAsString();
  std::mt19937 random(7);
  int served = 0;
  for (int i = 0; i < 2000; ++i) {
    bool useJson = i % 2 == 0;
    std::string body = useJson ? json : proto;
    int edits = 1 + random() % 4;
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = random() % body.size();
      switch (random() % 3) {
        case 0:
          body[at] = static_cast<char>(random());
          break;
        case 1:
          body.erase(at, 1 + random() % 3);
          break;
        default:
          body.insert(at, 1, static_cast<char>(random()));
          break;
      }
    }
    auto response =
        post(port_, "/api/v1/scheduler", useJson ? "application/json" : "application/x-protobuf",
             body, {{"Mesos-Stream-Id", scheduler.streamId()}});
    if (response.status >= 200 && response.status < 500) served++;
  }
  EXPECT_EQ(served, 2000);
  EXPECT_EQ(http::fetch("127.0.0.1", port_, {.target = "/health"})->status, 200u);
}

}  // namespace
}  // namespace plexus::testing
