// Hierarchical quota through the real master (the audit's case): `eng` has a limit
// of 3 CPUs; of three agents, one reserves a CPU to eng and one to eng/front. A
// framework in eng/front, keeping every offer, is offered 3 CPUs in all: both
// reservations and one unreserved CPU, however many allocation cycles run.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/v1/master.pb.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using namespace std::chrono_literals;

TEST(HierarchicalQuota, ALimitOnEngCapsAFrameworkInEngFront) {
  TempDir dir;
  Process master(
      "plexus-master",
      {"--port=0", "--work_dir=" + (dir.path() / "master").string(), "--allocation_interval=50ms"},
      dir.path());
  const int port = master.waitForPort();
  ASSERT_GT(port, 0) << master.err();

  v1::master::Call update;
  update.set_type(v1::master::Call::UPDATE_QUOTA);
  auto* config = update.mutable_update_quota()->add_quota_configs();
  config->set_role("eng");
  (*config->mutable_limits())["cpus"].set_value(3);
  auto answer = post(port, "/api/v1", "application/json", toJson(update));
  ASSERT_EQ(answer.status, 200u) << answer.body;

  std::vector<std::unique_ptr<Process>> agents;
  for (const char* resources :
       {"cpus(eng):1;cpus:3;mem:1024", "cpus(eng/front):1;cpus:3;mem:1024", "cpus:3;mem:1024"}) {
    const std::string name = "agent" + std::to_string(agents.size());
    agents.push_back(std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port),
                                 "--work_dir=" + (dir.path() / name).string(),
                                 std::string("--resources=") + resources, "--switch_user=false"},
        dir.path()));
  }
  for (auto& agent : agents)
    ASSERT_TRUE(agent->waitForLog(" as agent ")) << agent->err();

  Scheduler scheduler(port, Wire::kJson);
  v1::FrameworkInfo info = ClusterFixture::framework();
  info.set_role("eng/front");
  ASSERT_EQ(scheduler.subscribe(info), 200u);
  // Keep every offer (never answer) for many allocation cycles.
  auto first = scheduler.next(v1::scheduler::Event::OFFERS);
  ASSERT_TRUE(first.has_value()) << master.err();
  scheduler.waitFor([] { return false; }, 1500ms);

  std::vector<v1::scheduler::Event> events{*first};
  events.insert(events.end(), scheduler.events().begin(), scheduler.events().end());
  double cpus = 0;
  int offers = 0;
  for (const auto& event : events) {
    if (event.type() != v1::scheduler::Event::OFFERS) continue;
    for (const auto& offer : event.offers().offers()) {
      ++offers;
      for (const auto& resource : offer.resources()) {
        if (resource.name() == "cpus") cpus += resource.scalar().value();
      }
    }
  }
  EXPECT_DOUBLE_EQ(cpus, 3) << offers << " offers; master log:\n" << master.err();
}

}  // namespace
}  // namespace plexus::testing
