// Hierarchical quota through the real master: `eng` has a limit of 3 CPUs; of three
// agents, one reserves a CPU to eng and one to eng/front; a framework in eng/front
// keeps every offer it gets.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/v1/master.pb.h>

#include "cluster.hpp"
#include "daemons.hpp"

namespace plexus::testing {
namespace {

using namespace std::chrono_literals;

// A master and three agents: one reserves a CPU to eng, one to eng/front.
class HierarchicalQuota : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  void startAgents() {
    for (const char* resources :
         {"cpus(eng):1;cpus:3;mem:1024", "cpus(eng/front):1;cpus:3;mem:1024", "cpus:3;mem:1024"}) {
      const std::string name = "agent" + std::to_string(agents_.size());
      agents_.push_back(std::make_unique<Process>(
          "plexus-agent",
          std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                   "--work_dir=" + (dir_.path() / name).string(),
                                   std::string("--resources=") + resources, "--switch_user=false"},
          dir_.path()));
    }
    for (auto& agent : agents_)
      ASSERT_TRUE(agent->waitForLog(" as agent ")) << agent->err();
  }

  http::Response limitEng(double cpus, bool force = false) {
    v1::master::Call update;
    update.set_type(v1::master::Call::UPDATE_QUOTA);
    update.mutable_update_quota()->set_force(force);
    auto* config = update.mutable_update_quota()->add_quota_configs();
    config->set_role("eng");
    (*config->mutable_limits())["cpus"].set_value(cpus);
    return post(port_, "/api/v1", "application/json", toJson(update));
  }

  // Subscribes a framework in eng/front that never answers an offer.
  void subscribeInEngFront(Scheduler& scheduler) {
    v1::FrameworkInfo info = ClusterFixture::framework();
    info.set_role("eng/front");
    ASSERT_EQ(scheduler.subscribe(info), 200u);
  }

  // Runs the scheduler's loop for `time`, then returns the CPUs of the offers it holds
  // (offered and not rescinded since `outstanding` was last filled).
  static double heldCpus(Scheduler& scheduler, std::map<std::string, double>& outstanding,
                         std::chrono::milliseconds time) {
    scheduler.waitFor([] { return false; }, time);
    for (const auto& event : scheduler.events()) {
      if (event.type() == v1::scheduler::Event::OFFERS) {
        for (const auto& offer : event.offers().offers()) {
          double cpus = 0;
          for (const auto& resource : offer.resources()) {
            if (resource.name() == "cpus") cpus += resource.scalar().value();
          }
          outstanding[offer.id().value()] = cpus;
        }
      } else if (event.type() == v1::scheduler::Event::RESCIND) {
        outstanding.erase(event.rescind().offer_id().value());
      }
    }
    scheduler.events().clear();
    double total = 0;
    for (const auto& [id, cpus] : outstanding)
      total += cpus;
    return total;
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  int port_ = 0;
};

// The limit is set first: a framework in eng/front, keeping every offer, is offered 3
// CPUs in all (both reservations and one unreserved CPU), however many cycles run.
TEST_F(HierarchicalQuota, ALimitOnEngCapsAFrameworkInEngFront) {
  auto answer = limitEng(3);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  startAgents();
  Scheduler scheduler(port_, Wire::kJson);
  subscribeInEngFront(scheduler);
  std::map<std::string, double> outstanding;
  EXPECT_DOUBLE_EQ(heldCpus(scheduler, outstanding, 1500ms), 3) << master_->err();
}

// The audit's case: the framework already holds offers of all 11 CPUs when eng gets a
// limit of 3. As Mesos, the master rescinds offers to eng's subtree until what it
// consumes (the 2 reserved CPUs) plus what it is offered fits, and the allocator then
// offers within the limit: the framework ends up holding 3 CPUs.
TEST_F(HierarchicalQuota, ALimitSetLaterRescindsOffersAboveIt) {
  startAgents();
  Scheduler scheduler(port_, Wire::kJson);
  subscribeInEngFront(scheduler);
  std::map<std::string, double> outstanding;
  double before = 0;
  for (int round = 0; round < 20 && before < 11; ++round)
    before = heldCpus(scheduler, outstanding, 100ms);
  ASSERT_DOUBLE_EQ(before, 11) << master_->err();

  auto answer = limitEng(3);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_DOUBLE_EQ(heldCpus(scheduler, outstanding, 1500ms), 3) << master_->err();
}

// A limit below what eng's subtree already consumes (its 2 reserved CPUs) is refused
// unless forced, as Mesos.
TEST_F(HierarchicalQuota, ALimitBelowWhatTheSubtreeConsumesNeedsForce) {
  startAgents();
  auto refused = limitEng(1);
  EXPECT_EQ(refused.status, 400u);
  EXPECT_NE(refused.body.find("Role 'eng' is already consuming 'cpus:2'"), std::string::npos)
      << refused.body;
  EXPECT_EQ(limitEng(1, true).status, 200u);
}

}  // namespace
}  // namespace plexus::testing
