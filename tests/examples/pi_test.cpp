// examples/pi through a real master and two real agents: the custom executor runs
// on both agents, every task's count comes back as a framework message, the
// estimate is within 0.01 of pi, and TEARDOWN leaves no executor behind.
#include <cmath>
#include <numbers>
#include <regex>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "daemons.hpp"
#include "http/client.hpp"
#include "process.hpp"

namespace plexus::testing {
namespace {

boost::json::value getJson(int port, const std::string& path) {
  auto response = http::fetch("127.0.0.1", static_cast<std::uint16_t>(port), {.target = path});
  if (!response || response->status != 200) return nullptr;
  return boost::json::parse(response->body);
}

class PiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    masterPort_ = master_->waitForPort();
    ASSERT_GT(masterPort_, 0) << master_->err();
    for (int i = 0; i < 2; ++i) {
      auto agent = std::make_unique<Process>(
          "plexus-agent",
          std::vector<std::string>{
              "--port=0", "--master=127.0.0.1:" + std::to_string(masterPort_),
              "--work_dir=" + (dir_.path() / ("agent" + std::to_string(i))).string(),
              "--resources=cpus:2;mem:1024"},
          dir_.path());
      agentPorts_.push_back(agent->waitForPort());
      ASSERT_GT(agentPorts_.back(), 0) << agent->err();
      ASSERT_TRUE(agent->waitForLog("Registered with master")) << agent->err();
      agents_.push_back(std::move(agent));
    }
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  int masterPort_ = 0;
  std::vector<int> agentPorts_;
};

TEST_P(PiTest, EstimatesPiWithACustomExecutorOnEveryAgent) {
  // Small tasks spread over both agents: 2 cpus hold the executor and 9 tasks each.
  Process pi(
      "plexus-pi",
      {"--master=127.0.0.1:" + std::to_string(masterPort_), "--tasks=20", "--samples=200000",
       "--task_resources=cpus:0.2;mem:16", "--content_type=" + GetParam(), "--timeout=60secs"},
      dir_.path());
  ASSERT_EQ(pi.wait(std::chrono::seconds(90)), 0) << pi.out() << pi.err();
  std::smatch match;
  std::string out = pi.out();
  ASSERT_TRUE(std::regex_search(out, match, std::regex(R"(Pi is roughly ([0-9.]+))"))) << out;
  EXPECT_NEAR(std::stod(match[1].str()), std::numbers::pi, 0.01) << out;
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE(out.find("Task pi-" + std::to_string(i) + ": "), std::string::npos)
        << "no framework message from task pi-" << i << "\n"
        << out;
  }

  // The master lists the framework as completed, with its 20 finished tasks.
  auto state = getJson(masterPort_, "/state");
  ASSERT_TRUE(state.is_object());
  ASSERT_EQ(state.at("frameworks").as_array().size(), 0u) << state;
  auto& completed = state.at("completed_frameworks").as_array();
  ASSERT_EQ(completed.size(), 1u) << state;
  int finished = 0;
  for (const auto& task : completed[0].at("completed_tasks").as_array())
    finished += task.at("state").as_string() == "TASK_FINISHED";
  EXPECT_EQ(finished, 20) << state;

  // Each agent ran one executor (the custom one), which is gone after TEARDOWN.
  for (int port : agentPorts_) {
    boost::json::value agent;
    for (int attempt = 0; attempt < 100; ++attempt) {
      agent = getJson(port, "/state");
      if (agent.is_object() && agent.at("frameworks").as_array().empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(agent.is_object());
    EXPECT_TRUE(agent.at("frameworks").as_array().empty()) << agent;
    auto& frameworks = agent.at("completed_frameworks").as_array();
    ASSERT_EQ(frameworks.size(), 1u) << agent;
    auto& executors = frameworks[0].at("completed_executors").as_array();
    ASSERT_EQ(executors.size(), 1u) << agent;
    EXPECT_TRUE(executors[0].at("id").as_string().starts_with("pi-executor-")) << agent;
    EXPECT_NE(readFile(std::string(executors[0].at("directory").as_string()) + "/stdout")
                  .find("Subscribed on agent"),
              std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, PiTest, ::testing::Values("json", "protobuf"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace plexus::testing
