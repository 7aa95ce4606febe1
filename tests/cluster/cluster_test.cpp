// End to end: a real master, two real agents and plexus-executor, driven by a raw
// HTTP scheduler in JSON and in protobuf.
#include <gtest/gtest.h>

#include <plexus/resources.hpp>

#include "api_client.hpp"
#include "process.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

class ClusterTest : public ::testing::TestWithParam<Wire> {
 protected:
  void SetUp() override {
    master_ = std::make_unique<Process>(
        "plexus-master",
        std::vector<std::string>{"--port=0", "--work_dir=" + (dir_.path() / "master").string(),
                                 "--allocation_interval=50ms"},
        dir_.path());
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
    for (int i = 0; i < 2; ++i) {
      agents_.push_back(std::make_unique<Process>(
          "plexus-agent",
          std::vector<std::string>{
              "--port=0", "--master=127.0.0.1:" + std::to_string(port_),
              "--work_dir=" + (dir_.path() / ("agent" + std::to_string(i))).string(),
              "--resources=cpus:2;mem:512;disk:1024", "--status_update_retry_interval=300ms",
              "--executor_shutdown_grace_period=1secs"},
          dir_.path()));
    }
    for (auto& agent : agents_)
      ASSERT_TRUE(agent->waitForLog("Registered with master")) << agent->err();
  }

  void TearDown() override {
    for (auto& agent : agents_) {
      agent->signal(SIGTERM);
      EXPECT_EQ(agent->wait(), 0) << agent->err();
    }
    master_->signal(SIGTERM);
    EXPECT_EQ(master_->wait(), 0) << master_->err();
  }

  static v1::FrameworkInfo framework() {
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name("cluster-test");
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
    return info;
  }

  static v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id,
                                  const std::string& command) {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_agent_id() = offer.agent_id();
    task.mutable_command()->set_value(command);
    Resources::parse("cpus:0.5;mem:64")->toWire(task.mutable_resources());
    for (auto& resource : *task.mutable_resources())
      resource.mutable_allocation_info()->set_role("*");
    return task;
  }

  static Call launch(const v1::Offer& offer, std::vector<v1::TaskInfo> tasks) {
    Call call;
    call.set_type(Call::ACCEPT);
    *call.mutable_accept()->add_offer_ids() = offer.id();
    auto* operation = call.mutable_accept()->add_operations();
    operation->set_type(v1::Offer::Operation::LAUNCH);
    for (auto& task : tasks)
      *operation->mutable_launch()->add_task_infos() = task;
    call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
    return call;
  }

  static void acknowledge(Scheduler& scheduler, const v1::TaskStatus& status) {
    Call ack;
    ack.set_type(Call::ACKNOWLEDGE);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    EXPECT_EQ(scheduler.call(ack).status, 202u);
  }

  // Waits for the next update, acknowledges it, and returns its state.
  static std::optional<v1::TaskStatus> nextUpdate(Scheduler& scheduler, bool ack = true) {
    auto update = scheduler.next(Event::UPDATE, std::chrono::seconds(30));
    if (!update) return std::nullopt;
    if (ack && update->update().status().has_uuid())
      acknowledge(scheduler, update->update().status());
    return update->update().status();
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  int port_ = 0;
};

TEST_P(ClusterTest, CommandTaskRunsToFinishedOnEitherAgent) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  std::set<std::string> agentsOffered;
  std::vector<v1::Offer> offers;
  while (agentsOffered.size() < 2) {
    auto event = scheduler.next(Event::OFFERS);
    ASSERT_TRUE(event) << master_->err();
    for (const auto& offer : event->offers().offers()) {
      agentsOffered.insert(offer.agent_id().value());
      offers.push_back(offer);
    }
  }
  ASSERT_EQ(scheduler.call(launch(offers[0], {commandTask(offers[0], "t1", "echo hello")})).status,
            202u);
  std::vector<v1::TaskState> states;
  while (states.empty() || states.back() != v1::TASK_FINISHED) {
    auto status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << agents_[0]->err() << agents_[1]->err();
    EXPECT_EQ(status->task_id().value(), "t1");
    EXPECT_EQ(status->agent_id().value(), offers[0].agent_id().value());
    if (!status->has_uuid()) continue;
    states.push_back(status->state());
    ASSERT_LE(states.size(), 3u);
  }
  EXPECT_EQ(states,
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
}

TEST_P(ClusterTest, KillCrashAndUnacknowledgedResend) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto event = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(event);
  v1::Offer offer = event->offers().offers(0);
  scheduler.call(launch(offer, {commandTask(offer, "sleeper", "sleep 100"),
                                commandTask(offer, "crasher", "exit 3")}));

  // "crasher" fails with its exit status; its first update is not acknowledged,
  // so the agent sends it again with the same uuid.
  std::map<std::string, std::vector<v1::TaskStatus>> seen;
  bool resent = false;
  while (!resent || seen["crasher"].back().state() != v1::TASK_FAILED || seen["sleeper"].empty() ||
         seen["sleeper"].back().state() != v1::TASK_RUNNING) {
    auto update = scheduler.next(Event::UPDATE, std::chrono::seconds(30));
    ASSERT_TRUE(update) << agents_[0]->err();
    const v1::TaskStatus& status = update->update().status();
    auto& history = seen[status.task_id().value()];
    if (!history.empty() && history.back().uuid() == status.uuid()) resent = true;
    history.push_back(status);
    bool holdBack = status.task_id().value() == "crasher" && history.size() == 1;
    if (!holdBack && status.has_uuid()) acknowledge(scheduler, status);
  }
  EXPECT_NE(seen["crasher"].back().message().find("3"), std::string::npos)
      << seen["crasher"].back().message();

  Call kill;
  kill.set_type(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("sleeper");
  EXPECT_EQ(scheduler.call(kill).status, 202u);
  std::vector<v1::TaskState> states;
  while (states.empty() || states.back() != v1::TASK_KILLED) {
    auto status = nextUpdate(scheduler);
    ASSERT_TRUE(status);
    if (status->task_id().value() == "sleeper") states.push_back(status->state());
  }
  EXPECT_EQ(states.front(), v1::TASK_KILLING);
}

INSTANTIATE_TEST_SUITE_P(Encodings, ClusterTest, ::testing::Values(Wire::kJson, Wire::kProtobuf),
                         [](const auto& info) {
                           return info.param == Wire::kJson ? "Json" : "Protobuf";
                         });

}  // namespace
}  // namespace plexus::testing
