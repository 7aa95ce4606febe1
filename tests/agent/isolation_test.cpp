// The real plexus-agent with its isolators, against a fake master: a task that
// allocates far beyond its mem ends TASK_FAILED with REASON_CONTAINER_LIMITATION_MEMORY
// and a message with its limit and usage, while a task beside it keeps running
// (isolator_posix with memory enforcement, and isolator_cgroups on real cgroups
// where the machine has them, as root); and /monitor/statistics reports usage in
// Mesos's format.
#include <filesystem>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <plexus/resources.hpp>

#include "agent_process.hpp"
#include "cgroup_test_util.hpp"
#include "fake_master.hpp"
#include "http/client.hpp"

namespace plexus::testing {
namespace {

namespace fs = std::filesystem;
using internal::AgentCall;
using internal::AgentEvent;

const std::string kBin = PLEXUS_BIN_DIR;
constexpr const char* kFramework = "fw-iso";
// 256 MB through a pipe into tail, which keeps a line without newline in memory.
constexpr const char* kHog = "head -c 268435456 /dev/zero | tail; sleep 60";

v1::TaskInfo task(const std::string& id, const std::string& command, const std::string& resources) {
  v1::TaskInfo info;
  info.set_name("task " + id);
  info.mutable_task_id()->set_value(id);
  info.mutable_agent_id()->set_value(FakeMaster::kAgentId);
  info.mutable_command()->set_value(command);
  Resources::parse(resources)->toWire(info.mutable_resources());
  return info;
}

std::function<bool(const AgentCall&)> isUpdate(const std::string& id, v1::TaskState state) {
  return [id, state](const AgentCall& call) {
    return call.type() == AgentCall::UPDATE && call.update().status().task_id().value() == id &&
           call.update().status().state() == state;
  };
}

std::function<bool(const AgentCall&)> isTerminalUpdateOf(const std::string& id) {
  return [id](const AgentCall& call) {
    if (call.type() != AgentCall::UPDATE || call.update().status().task_id().value() != id)
      return false;
    auto state = call.update().status().state();
    return state != v1::TASK_RUNNING && state != v1::TASK_STARTING && state != v1::TASK_STAGING;
  };
}

class AgentIsolationTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (agent_) {
      EXPECT_EQ(agent_->stop(), 0) << agent_->log();
    }
    if (!cgroupRoot_.empty()) cgroups::testing::removeRootEverywhere(cgroupRoot_);
  }

  void startAgent(const std::string& isolation, const std::string& modules,
                  const std::string& resources = "cpus:2;mem:1024;disk:2048") {
    std::vector<std::string> args = {
        "--master=" + master_.address(),
        "--status_update_retry_interval=200ms",
        "--registration_backoff_factor=10ms",
        "--executor_registration_timeout=20secs",
        "--executor_shutdown_grace_period=1secs",
        "--resources=" + resources,
        "--isolation=" + isolation,
    };
    if (!modules.empty()) args.push_back("--modules=" + modules);
    agent_ = std::make_unique<AgentProcess>(kBin + "/plexus-agent", dir_.path(), args);
    auto registered =
        master_.waitFor([](const AgentCall& call) { return call.type() == AgentCall::REGISTER; });
    ASSERT_TRUE(registered) << agent_->log();
    std::string endpoint = registered->register_().endpoint();
    agentPort_ = static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  }

  void runTask(const v1::TaskInfo& info) {
    AgentEvent event;
    event.set_type(AgentEvent::RUN_TASK);
    auto* framework = event.mutable_run_task()->mutable_framework_info();
    framework->set_user("root");
    framework->set_name("isolation-test");
    framework->mutable_id()->set_value(kFramework);
    *event.mutable_run_task()->mutable_task() = info;
    ASSERT_TRUE(master_.send(event));
  }

  boost::json::array statistics() {
    auto response =
        http::fetch("127.0.0.1", agentPort_, {.method = "GET", .target = "/monitor/statistics"});
    EXPECT_TRUE(response) << (response ? "" : response.error().message());
    if (!response) return {};
    EXPECT_EQ(response->status, 200u);
    boost::system::error_code error;
    auto value = boost::json::parse(response->body, error);
    EXPECT_FALSE(error) << response->body;
    EXPECT_TRUE(value.is_array()) << response->body;
    return value.is_array() ? value.as_array() : boost::json::array{};
  }

  // A hog (mem:64, allocating 256 MB) and a bystander (mem:64, sleeping): the hog
  // fails with the memory limitation, the bystander keeps running.
  void hogFailsBystanderRuns(const std::string& expectedLimit) {
    runTask(task("bystander", "sleep 1000", "cpus:0.1;mem:64"));
    ASSERT_TRUE(master_.waitFor(isUpdate("bystander", v1::TASK_RUNNING))) << agent_->log();
    runTask(task("hog", kHog, "cpus:0.1;mem:64"));
    auto failed = master_.waitFor(isTerminalUpdateOf("hog"), std::chrono::seconds(60));
    ASSERT_TRUE(failed) << agent_->log();
    const v1::TaskStatus& status = failed->update().status();
    std::cout << "[ hog ] " << v1::TaskState_Name(status.state()) << " "
              << v1::TaskStatus::Reason_Name(status.reason()) << ": " << status.message() << "\n";
    EXPECT_EQ(status.state(), v1::TASK_FAILED);
    EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
    EXPECT_NE(status.message().find("Requested: " + expectedLimit), std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("Maximum Used: "), std::string::npos) << status.message();

    // The bystander is still running: no terminal update, and it is measured.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_FALSE(master_.waitFor(isTerminalUpdateOf("bystander"), std::chrono::milliseconds(10)));
    bool listed = false;
    for (const auto& entry : statistics()) {
      if (entry.as_object().at("executor_id").as_string() == "bystander") listed = true;
      EXPECT_NE(entry.as_object().at("executor_id").as_string(), "hog");
    }
    EXPECT_TRUE(listed);
  }

  TempDir dir_;
  FakeMaster master_;
  std::unique_ptr<AgentProcess> agent_;
  std::uint16_t agentPort_ = 0;
  std::string cgroupRoot_;
};

TEST_F(AgentIsolationTest, MonitorStatisticsInMesosFormat) {
  startAgent("isolator_posix", "");  // the default isolator, loaded by name
  runTask(task("sleeper", "sleep 1000", "cpus:0.5;mem:128"));
  ASSERT_TRUE(master_.waitFor(isUpdate("sleeper", v1::TASK_RUNNING))) << agent_->log();
  auto entries = statistics();
  ASSERT_EQ(entries.size(), 1u) << boost::json::serialize(entries);
  const auto& entry = entries[0].as_object();
  std::cout << "[ /monitor/statistics ] " << boost::json::serialize(entries) << "\n";
  EXPECT_EQ(entry.at("executor_id").as_string(), "sleeper");
  EXPECT_EQ(entry.at("framework_id").as_string(), kFramework);
  EXPECT_NE(std::string(entry.at("executor_name").as_string()).find("Command Executor"),
            std::string::npos);
  EXPECT_TRUE(entry.contains("source"));
  const auto& statistics = entry.at("statistics").as_object();
  EXPECT_GT(statistics.at("timestamp").to_number<double>(), 1e9);
  EXPECT_GT(statistics.at("mem_rss_bytes").to_number<double>(), 1e6);
  EXPECT_GE(statistics.at("processes").to_number<double>(), 2);  // executor, sh/sleep
  EXPECT_EQ(statistics.at("mem_limit_bytes").to_number<double>(), 128.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(statistics.at("cpus_limit").to_number<double>(), 0.5);
  EXPECT_TRUE(statistics.contains("cpus_user_time_secs"));

  // /metrics/snapshot: Mesos's agent gauges, and the same usage summed.
  auto response = http::fetch("127.0.0.1", agentPort_, {.target = "/metrics/snapshot"});
  ASSERT_TRUE(response && response->status == 200);
  auto metrics = boost::json::parse(response->body).as_object();
  std::cout << "[ /metrics/snapshot ] " << response->body << "\n";
  EXPECT_EQ(metrics.at("slave/registered").to_number<double>(), 1);
  EXPECT_EQ(metrics.at("slave/tasks_running").to_number<double>(), 1);
  EXPECT_EQ(metrics.at("slave/executors_running").to_number<double>(), 1);
  EXPECT_GT(metrics.at("slave/cpus_total").to_number<double>(), 0);
  EXPECT_GE(metrics.at("slave/cpus_used").to_number<double>(), 0.5);
  EXPECT_GE(metrics.at("containers/processes").to_number<double>(), 2);
  EXPECT_GT(metrics.at("containers/mem_rss_bytes").to_number<double>(), 1e6);
  EXPECT_EQ(metrics.at("containers/mem_limit_bytes").to_number<double>(), 128.0 * (1 << 20));
}

TEST_F(AgentIsolationTest, PosixMemoryEnforcementFailsOnlyTheHog) {
  startAgent("isolator_posix",
             R"({"libraries": [{"name": "isolator_posix", "modules": [{"name": "isolator_posix",
                 "parameters": [{"key": "enforce_memory", "value": "true"},
                                {"key": "memory_poll_interval", "value": "100ms"}]}]}]})");
  hogFailsBystanderRuns("64MB");
}

TEST_F(AgentIsolationTest, CgroupsOomFailsOnlyTheHog) {
  if (auto why = cgroups::testing::realCgroupsSkipReason()) GTEST_SKIP() << *why;
  cgroupRoot_ = cgroups::testing::uniqueRoot("agent");
  startAgent("isolator_cgroups",
             R"({"libraries": [{"name": "isolator_cgroups", "modules": [{"name": "isolator_cgroups",
                 "parameters": [{"key": "root", "value": ")" +
                 cgroupRoot_ + R"("}]}]}]})");
  hogFailsBystanderRuns("64MB");
  // The bystander's container has its cgroups under our parent; the hog's are gone.
  EXPECT_FALSE(cgroups::testing::leftoverContainers(cgroupRoot_).empty());
  // An agent that stops kills its containers and the isolator removes their cgroups.
  EXPECT_EQ(agent_->stop(), 0) << agent_->log();
  agent_.reset();
  EXPECT_TRUE(cgroups::testing::leftoverContainers(cgroupRoot_).empty());
}

// isolator_cgroups limits a container's processes by default (pids_max 4096): a
// task that forks without end is held at the limit, its forks refused, while the
// machine keeps its pid space. Without a default limit (pids_max 0, before) the
// bomb below reached its own cap of 6000 processes.
TEST_F(AgentIsolationTest, CgroupsDefaultPidsMaxHoldsAForkBomb) {
  if (auto why = cgroups::testing::realCgroupsSkipReason()) GTEST_SKIP() << *why;
  cgroupRoot_ = cgroups::testing::uniqueRoot("bomb");
  cgroups::CgroupsOptions options;
  options.root = cgroupRoot_;
  auto layout = cgroups::chooseLayout(options, cgroups::readMounts());
  ASSERT_TRUE(layout) << layout.error().message();
  if (!layout->has("pids")) GTEST_SKIP() << "the pids controller is needed";
  startAgent("isolator_cgroups",
             R"({"libraries": [{"name": "isolator_cgroups", "modules": [{"name": "isolator_cgroups",
                 "parameters": [{"key": "root", "value": ")" +
                 cgroupRoot_ + R"("}]}]}]})",
             "cpus:2;mem:4096;disk:2048");
  // Forks sleepers until a fork fails (or 6000, so that an unlimited machine survives
  // the test), then stays.
  runTask(task("bomb",
               "perl -e 'for (1..6000) { my $p = fork; last unless defined $p;"
               " if (!$p) { exec \"sleep\", \"300\"; } } sleep 300'",
               "cpus:0.5;mem:4096"));
  ASSERT_TRUE(master_.waitFor(isUpdate("bomb", v1::TASK_RUNNING))) << agent_->log();

  const fs::path pids = layout->roots.at("pids");
  std::uint64_t current = 0;
  std::uint64_t refused = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto containers = cgroups::childCgroups(pids);
    if (containers.size() == 1) {
      fs::path cgroup = pids / containers.front();
      current = cgroups::readNumber(cgroup / "pids.current").value_or(0).value_or(0);
      auto events = cgroups::readFile(cgroup / "pids.events");
      refused = events ? cgroups::parseKeyValues(*events)["max"] : 0;
      if (refused > 0 || current >= 6000) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cout << "[ fork bomb ] " << current << " processes in the container, " << refused
            << " forks refused at pids.max\n";
  EXPECT_GT(refused, 0u) << "the bomb was not held: " << current << " processes";
  EXPECT_LE(current, static_cast<std::uint64_t>(cgroups::kDefaultPidsMax));
  EXPECT_GE(current, static_cast<std::uint64_t>(cgroups::kDefaultPidsMax) - 16);
  // The bomb is held, not ended: its task is still running.
  EXPECT_FALSE(master_.waitFor(isTerminalUpdateOf("bomb"), std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace plexus::testing
