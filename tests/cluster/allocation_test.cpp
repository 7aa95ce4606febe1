// Allocation policy end to end: a real master with a shipped allocator module,
// one real agent running plexus-executor, and raw-HTTP frameworks that take
// offers the way simple frameworks do (one task per offer, the rest declined).
//
// - The DRF paper's example (Ghodsi et al., NSDI 2011, section 4): 9 CPUs and
//   18 GB; A's tasks need <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>. allocator_drf
//   equalises the dominant shares at 2/3: A runs 3 tasks and B runs 2.
// - Revocation with allocator_priority: a low-priority role fills the agent;
//   a high-priority framework arrives and waits; after the grace period the
//   master kills the low role's tasks above its minimum (TASK_KILLED,
//   REASON_CONTAINER_PREEMPTED) and the freed resources go to the waiting role,
//   and never below the minimum.
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <plexus/resources.hpp>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

v1::FrameworkInfo framework(const std::string& name, const std::string& role) {
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name(name);
  info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  return info;
}

// One `sleep` task using `resources` of `offer`, allocated to the offer's role.
Call launchOne(const v1::Offer& offer, const std::string& id, const Resources& resources) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  task.mutable_command()->set_value("sleep 1000");
  resources.toWire(task.mutable_resources());
  for (auto& resource : *task.mutable_resources())
    *resource.mutable_allocation_info() = offer.resources(0).allocation_info();
  return ClusterFixture::launch(offer, {task});
}

Call decline(const v1::Offer& offer, double refuseSeconds) {
  Call call;
  call.set_type(Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = offer.id();
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(refuseSeconds);
  return call;
}

bool fits(const v1::Offer& offer, const Resources& task) {
  auto offered = Resources::fromWire(offer.resources());
  if (!offered) return false;
  Resources free = *offered;
  free.unallocate();
  return free.contains(task);
}

// A framework that launches one task of a fixed size per offer while it fits,
// and declines for an hour the first offer that cannot hold one more.
struct OneTaskPerOffer {
  OneTaskPerOffer(int port, Wire wire, std::string name, const std::string& size)
      : scheduler(port, wire), name(std::move(name)), size(*Resources::parse(size)) {}

  // Answers the offers that arrive within `wait`.
  void poll(std::chrono::milliseconds wait) {
    auto event = scheduler.next(Event::OFFERS, wait);
    if (!event) return;
    for (const auto& offer : event->offers().offers()) {
      if (!full && fits(offer, size)) {
        std::string id = name + "-" + std::to_string(++launched);
        EXPECT_EQ(scheduler.call(launchOne(offer, id, size)).status, 202u);
      } else {
        full = true;
        EXPECT_EQ(scheduler.call(decline(offer, 3600)).status, 202u);
      }
    }
  }

  Scheduler scheduler;
  std::string name;
  Resources size;
  int launched = 0;
  bool full = false;
};

// Acknowledges updates until `wanted` of this framework's tasks are
// TASK_RUNNING, or no update comes for 30 s; returns how many are running and
// records every task's latest status in `latest`.
int waitForRunning(Scheduler& scheduler, int wanted,
                   std::map<std::string, v1::TaskStatus>* latest = nullptr) {
  std::map<std::string, v1::TaskStatus> own;
  std::map<std::string, v1::TaskStatus>& statuses = latest ? *latest : own;
  auto running = [&] {
    int n = 0;
    for (const auto& [id, status] : statuses)
      n += status.state() == v1::TASK_RUNNING;
    return n;
  };
  while (running() != wanted) {
    auto status = ClusterFixture::nextUpdate(scheduler);
    if (!status) break;
    statuses[status->task_id().value()] = *status;
  }
  return running();
}

class AllocationTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (agent_) {
      agent_->signal(SIGTERM);
      EXPECT_EQ(agent_->wait(), 0) << agent_->err();
    }
    if (master_) {
      master_->signal(SIGTERM);
      EXPECT_EQ(master_->wait(), 0) << master_->err();
    }
  }

  void startMaster(std::vector<std::string> extra) {
    std::vector<std::string> args{"--port=0", "--work_dir=" + (dir_.path() / "master").string(),
                                  "--allocation_interval=100ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    master_ = std::make_unique<Process>("plexus-master", args, dir_.path());
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  void startAgent(const std::string& resources) {
    agent_ = std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                 "--work_dir=" + (dir_.path() / "agent").string(),
                                 "--resources=" + resources,
                                 "--executor_shutdown_grace_period=1secs"},
        dir_.path());
    ASSERT_TRUE(agent_->waitForLog(" as agent ")) << agent_->err();
  }

  // The scalar `name` a framework of the master's /state uses.
  double used(const std::string& frameworkId, const std::string& name) const {
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port_),
                                {.method = "GET", .target = "/state"});
    if (!response || response->status != 200) return -1;
    boost::json::value state = boost::json::parse(response->body);
    for (const auto& framework : state.at("frameworks").as_array()) {
      if (framework.at("id").as_string() != frameworkId) continue;
      const auto& resources = framework.at("used_resources").as_object();
      if (const auto* value = resources.if_contains(name)) return value->to_number<double>();
      return 0;
    }
    return -1;
  }

  std::string logs() const {
    return "master:\n" + master_->err() + "\nagent:\n" + (agent_ ? agent_->err() : "");
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::unique_ptr<Process> agent_;
  int port_ = 0;
};

class DrfPaperExample : public AllocationTest, public ::testing::WithParamInterface<Wire> {};

TEST_P(DrfPaperExample, ATakesThreeTasksAndBTwo) {
  startMaster({"--allocator=allocator_drf"});
  OneTaskPerOffer a(port_, GetParam(), "a", "cpus:1;mem:4096");
  OneTaskPerOffer b(port_, GetParam(), "b", "cpus:3;mem:1024");
  // Both subscribe before the agent arrives, so neither gets a head start.
  ASSERT_EQ(a.scheduler.subscribe(framework("drf-a", "*")), 200u);
  ASSERT_EQ(b.scheduler.subscribe(framework("drf-b", "*")), 200u);
  startAgent("cpus:9;mem:18432;disk:1024");

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(a.full && b.full) && std::chrono::steady_clock::now() < deadline) {
    a.poll(std::chrono::milliseconds(20));
    b.poll(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(a.full && b.full) << "a launched " << a.launched << ", b " << b.launched << "\n"
                                << logs();
  EXPECT_EQ(a.launched, 3);
  EXPECT_EQ(b.launched, 2);
  EXPECT_EQ(waitForRunning(a.scheduler, a.launched), a.launched) << logs();
  EXPECT_EQ(waitForRunning(b.scheduler, b.launched), b.launched) << logs();

  // The master's view: A holds 3 CPUs and 12 GB, B 6 CPUs and 2 GB; both
  // dominant shares are 2/3 (A's of memory, B's of CPUs).
  EXPECT_EQ(used(a.scheduler.frameworkId(), "cpus"), 3);
  EXPECT_EQ(used(a.scheduler.frameworkId(), "mem"), 12288);
  EXPECT_EQ(used(b.scheduler.frameworkId(), "cpus"), 6);
  EXPECT_EQ(used(b.scheduler.frameworkId(), "mem"), 2048);
}

TEST_F(AllocationTest, PriorityRevocationFreesAboveTheMinimumForTheWaitingRole) {
  std::string modules = dir_.write("modules.json", R"({"libraries": [{"name": "allocator_priority",
    "modules": [{"name": "allocator_priority", "parameters": [
      {"key": "priorities", "value": "prod=10,batch=1"},
      {"key": "minimums", "value": "batch=cpus:2;mem:1024"},
      {"key": "grace_period", "value": "1secs"},
      {"key": "revocation_quantum", "value": "cpus:1;mem:512"}]}]}]})");
  startMaster({"--modules=" + modules, "--allocator=allocator_priority"});
  startAgent("cpus:4;mem:2048;disk:1024");

  // batch fills the agent with four tasks, then suppresses: it has enough.
  Scheduler batch(port_, Wire::kJson);
  ASSERT_EQ(batch.subscribe(framework("batch", "batch")), 200u);
  auto offers = batch.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  Call launch = launchOne(offer, "batch-1", *Resources::parse("cpus:1;mem:512"));
  auto* tasks = launch.mutable_accept()->mutable_operations(0)->mutable_launch();
  for (int i = 2; i <= 4; ++i) {
    v1::TaskInfo task = tasks->task_infos(0);
    task.set_name("batch-" + std::to_string(i));
    task.mutable_task_id()->set_value(task.name());
    *tasks->add_task_infos() = task;
  }
  ASSERT_EQ(batch.call(launch).status, 202u);
  Call suppress;
  suppress.set_type(Call::SUPPRESS);
  suppress.mutable_suppress()->add_roles("batch");
  ASSERT_EQ(batch.call(suppress).status, 202u);
  std::map<std::string, v1::TaskStatus> batchTasks;
  ASSERT_EQ(waitForRunning(batch, 4, &batchTasks), 4) << logs();

  // prod arrives and finds nothing free; it waits, unsuppressed, and after the
  // grace period takes what the allocator reclaims, one quantum at a time.
  OneTaskPerOffer prod(port_, Wire::kJson, "prod", "cpus:1;mem:512");
  ASSERT_EQ(prod.scheduler.subscribe(framework("prod", "prod")), 200u);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (prod.launched < 2 && std::chrono::steady_clock::now() < deadline)
    prod.poll(std::chrono::milliseconds(50));
  ASSERT_EQ(prod.launched, 2) << logs();
  EXPECT_FALSE(prod.full);
  EXPECT_EQ(waitForRunning(prod.scheduler, 2), 2) << logs();

  // Two of batch's tasks were killed for it, reported as preempted.
  EXPECT_EQ(waitForRunning(batch, 2, &batchTasks), 2) << logs();
  int preempted = 0;
  for (const auto& [id, status] : batchTasks) {
    if (status.state() != v1::TASK_KILLED) continue;
    EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_PREEMPTED) << id;
    ++preempted;
  }
  EXPECT_EQ(preempted, 2);

  // batch is at its minimum now (cpus:2;mem:1024): three more grace periods
  // with prod still waiting take nothing else from it.
  deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
  while (std::chrono::steady_clock::now() < deadline) {
    prod.poll(std::chrono::milliseconds(50));
    if (auto update = batch.next(Event::UPDATE, std::chrono::milliseconds(1))) {
      ADD_FAILURE() << "batch, at its minimum, got " << update->DebugString();
    }
  }
  EXPECT_EQ(prod.launched, 2);
  EXPECT_EQ(used(batch.frameworkId(), "cpus"), 2);
  EXPECT_EQ(used(prod.scheduler.frameworkId(), "cpus"), 2);
  // The operator can tell why: the allocator's and the master's log lines.
  EXPECT_NE(master_->err().find("role 'prod' (level 10) has waited 1secs; reclaiming"),
            std::string::npos)
      << master_->err();
  EXPECT_NE(master_->err().find("killing 1 task(s)"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Encodings, DrfPaperExample,
                         ::testing::Values(Wire::kJson, Wire::kProtobuf), [](const auto& info) {
                           return info.param == Wire::kJson ? "Json" : "Protobuf";
                         });

}  // namespace
}  // namespace plexus::testing
