// An agent partitioned from the master (SIGSTOPped past the ping timeout) and back
// (SIGCONT): as in Mesos 1.11, the master reports its tasks TASK_LOST (or
// TASK_UNREACHABLE to a PARTITION_AWARE framework) while it is away, and when it
// re-registers sends every framework, partition-aware or not, each task's latest
// state with REASON_AGENT_REREGISTERED, before any reconciliation.
#include <csignal>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

class PartitionTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--agent_ping_timeout=500ms", "--max_agent_ping_timeouts=2"};
  }

  // The next update of the task, skipping others; acknowledged.
  static std::optional<v1::TaskStatus> nextOf(Scheduler& scheduler, const std::string& task) {
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status || status->task_id().value() == task) return status;
    }
  }
};

TEST_F(PartitionTest, TasksOfAnAgentBackFromAPartitionAreAnnouncedToEveryFramework) {
  // Continued whatever happens, so that TearDown can stop it.
  struct Resume {
    Process* agent;
    ~Resume() { agent->signal(SIGCONT); }
  } resume{agents_[0].get()};

  std::vector<std::unique_ptr<Scheduler>> schedulers;
  for (bool aware : {false, true}) {
    v1::FrameworkInfo info = framework();
    info.set_name(aware ? "aware" : "unaware");
    if (aware) info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
    auto& scheduler = schedulers.emplace_back(std::make_unique<Scheduler>(port_, Wire::kJson));
    ASSERT_EQ(scheduler->subscribe(info), 200u) << master_->err();
    auto offers = offersFromEveryAgent(*scheduler);
    ASSERT_EQ(offers.size(), 2u) << logs();
    // Agent 0 runs the task; the framework refuses everything else, so that the
    // next framework gets offers from both agents.
    v1::scheduler::Call accept =
        launch(offers[0], {commandTask(offers[0], info.name(), "sleep 60")});
    accept.mutable_accept()->mutable_filters()->set_refuse_seconds(3600);
    ASSERT_EQ(scheduler->call(accept).status, 202u);
    v1::scheduler::Call decline;
    decline.set_type(v1::scheduler::Call::DECLINE);
    *decline.mutable_decline()->add_offer_ids() = offers[1].id();
    decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
    ASSERT_EQ(scheduler->call(decline).status, 202u);
    std::optional<v1::TaskStatus> status;
    do {
      status = nextOf(*scheduler, info.name());
    } while (status && status->state() == v1::TASK_STARTING);
    ASSERT_TRUE(status && status->state() == v1::TASK_RUNNING) << logs();
  }

  agents_[0]->signal(SIGSTOP);
  for (bool aware : {false, true}) {
    auto status = nextOf(*schedulers[aware], aware ? "aware" : "unaware");
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->state(), aware ? v1::TASK_UNREACHABLE : v1::TASK_LOST);
    EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
  }

  agents_[0]->signal(SIGCONT);
  for (bool aware : {false, true}) {
    auto status = nextOf(*schedulers[aware], aware ? "aware" : "unaware");
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->state(), v1::TASK_RUNNING) << status->message();
    EXPECT_EQ(status->source(), v1::TaskStatus::SOURCE_MASTER);
    EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_AGENT_REREGISTERED)
        << v1::TaskStatus::Reason_Name(status->reason());
    EXPECT_EQ(status->message(), "Unreachable agent re-reregistered");
    EXPECT_EQ(status->agent_id().value(), agentIds_[0]);
  }
  // The master lists them running again, not unreachable.
  auto state = masterJson("/state");
  ASSERT_FALSE(state.is_null());
  for (const auto& framework : state.at("frameworks").as_array()) {
    EXPECT_EQ(framework.at("tasks").as_array().size(), 1u) << boost::json::serialize(framework);
    EXPECT_TRUE(framework.at("unreachable_tasks").as_array().empty())
        << boost::json::serialize(framework);
  }
}

}  // namespace
}  // namespace plexus::testing
