// End to end: a real master, two real agents and plexus-executor, driven by a raw
// HTTP scheduler in JSON and in protobuf.
#include "cluster.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

class ClusterTest : public ClusterFixture, public ::testing::WithParamInterface<Wire> {};

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
