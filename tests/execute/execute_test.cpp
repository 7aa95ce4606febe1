// plexus-execute end to end: a real master, a fake agent driven by the test.
#include <filesystem>
#include <iostream>
#include <map>
#include <signal.h>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "api_client.hpp"
#include "daemons.hpp"
#include "process.hpp"

namespace plexus::testing {
namespace {

using namespace std::chrono_literals;

class Execute : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  std::unique_ptr<Process> execute(std::vector<std::string> args) {
    args.insert(args.begin(), "--master=127.0.0.1:" + std::to_string(port_));
    return std::make_unique<Process>("plexus-execute", args, dir_.path());
  }

  // Runs the fake agent's side: on RUN_TASK, sends `states` for the task.
  void runTask(FakeAgent& agent, const std::vector<v1::TaskState>& states,
               const std::string& message = "") {
    auto run = agent.next(internal::AgentEvent::RUN_TASK);
    ASSERT_TRUE(run.has_value());
    std::string frameworkId = run->run_task().framework_info().id().value();
    std::string taskId = run->run_task().task().task_id().value();
    EXPECT_EQ(run->run_task().task().command().value(), command_);
    for (v1::TaskState state : states) {
      internal::AgentCall call;
      call.set_type(internal::AgentCall::UPDATE);
      call.mutable_update()->mutable_framework_id()->set_value(frameworkId);
      auto* status = call.mutable_update()->mutable_status();
      status->mutable_task_id()->set_value(taskId);
      status->set_state(state);
      status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
      status->set_uuid(std::string(15, 'x') + static_cast<char>('a' + state));
      status->mutable_agent_id()->set_value(agent.agentId());
      if (!message.empty() && state == states.back()) status->set_message(message);
      EXPECT_EQ(agent.call(call).status, 202u);
    }
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  int port_ = 0;
  std::string command_ = "echo hello";
};

TEST_F(Execute, HelpListsTheFlagsWithDefaults) {
  auto help = execute({"--help"});
  EXPECT_EQ(help->wait(), 0);
  for (const char* text :
       {"--master", "--command", "--resources", "cpus:0.1;mem:32", "--task_group", "--instances",
        "--content_type", "protobuf", "--env", "--role"}) {
    EXPECT_NE(help->out().find(text), std::string::npos) << text;
  }
}

TEST_F(Execute, RefusesAMissingCommand) {
  auto run = execute({});
  EXPECT_EQ(run->wait(), 2);
  EXPECT_NE(run->err().find("--command"), std::string::npos) << run->err();
}

TEST_F(Execute, ExitsZeroWhenTheTaskFinishes) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024").has_value());
  auto run = execute({"--command=" + command_, "--content_type=json"});
  runTask(agent, {v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED});
  // Acknowledgements reach the agent.
  EXPECT_TRUE(agent.next(internal::AgentEvent::ACKNOWLEDGE).has_value());
  EXPECT_EQ(run->wait(), 0) << run->out() << run->err();
  std::string out = run->out();
  EXPECT_NE(out.find("Received status update TASK_STARTING for task 'plexus-execute'"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Received status update TASK_RUNNING for task 'plexus-execute'"),
            std::string::npos);
  EXPECT_NE(out.find("Received status update TASK_FINISHED for task 'plexus-execute'"),
            std::string::npos);
  EXPECT_NE(out.find("sandbox:"), std::string::npos);
}

TEST_F(Execute, ExitsWithTheCommandsStatusWhenTheTaskFails) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024").has_value());
  command_ = "exit 3";
  auto run = execute({"--command=" + command_});
  runTask(agent, {v1::TASK_RUNNING, v1::TASK_FAILED}, "Command exited with status 3");
  EXPECT_EQ(run->wait(), 3) << run->out() << run->err();
  EXPECT_NE(run->out().find("Received status update TASK_FAILED"), std::string::npos) << run->out();
  EXPECT_NE(run->out().find("Command exited with status 3"), std::string::npos);
}

TEST_F(Execute, ExitsNonZeroWhenTheTaskIsLost) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024").has_value());
  auto run = execute({"--command=" + command_});
  runTask(agent, {v1::TASK_LOST}, "agent went away");
  EXPECT_EQ(run->wait(), 1) << run->out() << run->err();
  EXPECT_NE(run->out().find("TASK_LOST"), std::string::npos);
}

// SIGTERM kills the task; when no TASK_KILLED comes (its agent is gone: this fake
// agent never answers the kill), --kill_timeout later it tears down and exits.
TEST_F(Execute, SigtermExitsAfterTheKillTimeoutWhenTheTaskNeverEnds) {
  FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024").has_value());
  auto run = execute({"--command=" + command_, "--kill_timeout=1secs"});
  runTask(agent, {v1::TASK_RUNNING});
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (run->out().find("TASK_RUNNING") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  run->signal(SIGTERM);
  ASSERT_TRUE(agent.next(internal::AgentEvent::KILL_TASK).has_value()) << run->out();
  EXPECT_EQ(run->wait(15s), 1) << run->out() << run->err();
  EXPECT_NE(run->out().find("did not end within 1secs (--kill_timeout)"), std::string::npos)
      << run->out();
  // The framework is gone from the master.
  auto state = http::fetch("127.0.0.1", static_cast<uint16_t>(port_), {.target = "/state"});
  ASSERT_TRUE(state.has_value());
  EXPECT_NE(state->body.find("\"completed_frameworks\":[{"), std::string::npos) << state->body;
}

// While ZooKeeper is unreachable, plexus-execute at its default log level does not
// print the ZooKeeper C client's lines (it printed about 110 a second);
// --logging_level=DEBUG shows them.
TEST_F(Execute, ZooKeeperClientLinesOnlyAtDebugLevel) {
  auto count = [](const std::string& text) {
    size_t lines = 0;
    for (size_t at = text.find("ZooKeeper client:"); at != std::string::npos;
         at = text.find("ZooKeeper client:", at + 1))
      ++lines;
    return lines;
  };
  // Nothing listens on port 1: every connection attempt fails at once.
  std::vector<std::string> args = {"--master=zk://127.0.0.1:1/plexus", "--command=true"};
  auto quiet = std::make_unique<Process>("plexus-execute", args, dir_.path());
  args.push_back("--logging_level=DEBUG");
  auto loud = std::make_unique<Process>("plexus-execute", args, dir_.path());
  ASSERT_TRUE(loud->waitForLog("ZooKeeper client:", 20s)) << loud->err();
  // The loud one has seen the client fail; give the quiet one as long again.
  std::this_thread::sleep_for(1s);
  quiet->signal(SIGKILL);
  loud->signal(SIGKILL);
  std::cout << "[ ZooKeeper client lines ] default level: " << count(quiet->err())
            << ", DEBUG: " << count(loud->err()) << "\n";
  EXPECT_EQ(count(quiet->err()), 0u) << quiet->err().substr(0, 2000);
  EXPECT_GT(count(loud->err()), 0u);
}

}  // namespace
}  // namespace plexus::testing

namespace plexus::testing {
namespace {

// With the real agent and built-in executor.
TEST_F(Execute, RunsCommandsOnARealAgent) {
  Process agent("plexus-agent",
                {"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                 "--work_dir=" + (dir_.path() / "agent").string()},
                dir_.path());
  ASSERT_GT(agent.waitForPort(), 0) << agent.err();
  auto hello = execute({"--command=echo hello"});
  EXPECT_EQ(hello->wait(), 0) << hello->out() << hello->err();
  EXPECT_NE(hello->out().find("Received status update TASK_FINISHED"), std::string::npos)
      << hello->out();
  // The sandbox path comes from the agent's /state, and holds the task's output.
  std::string out = hello->out();
  auto at = out.find("  sandbox: ");
  ASSERT_NE(at, std::string::npos) << out;
  at += std::string("  sandbox: ").size();
  std::filesystem::path sandbox = out.substr(at, out.find('\n', at) - at);
  EXPECT_TRUE(sandbox.string().starts_with((dir_.path() / "agent").string())) << sandbox;
  EXPECT_EQ(readFile(sandbox / "stdout"), "hello\n") << sandbox;
  auto three = execute({"--command=exit 3", "--name=three"});
  EXPECT_EQ(three->wait(), 3) << three->out() << three->err();
  EXPECT_NE(three->out().find("Received status update TASK_FAILED for task 'three'"),
            std::string::npos)
      << three->out();
}

// --placement: 'pack' fills the first offer with every instance; 'spread' puts
// one instance in each offer, so with the default allocator offering both agents
// at once the four tasks run on both.
TEST_F(Execute, PlacementPacksIntoOneOfferOrSpreadsOnePerOffer) {
  std::vector<std::unique_ptr<Process>> agents;
  for (const char* name : {"agent1", "agent2"}) {
    agents.push_back(std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                 "--resources=cpus:2;mem:512",
                                 "--work_dir=" + (dir_.path() / name).string()},
        dir_.path()));
    ASSERT_GT(agents.back()->waitForPort(), 0) << agents.back()->err();
  }
  for (const auto& agent : agents)
    ASSERT_TRUE(agent->waitForLog("Registered with master")) << agent->err();
  // The agents each task was launched on, from "Launching task '<id>' on agent <agent>".
  auto agentsUsed = [](const std::string& out) {
    std::map<std::string, int> used;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      auto at = line.find("' on agent ");
      if (!line.starts_with("Launching task '") || at == std::string::npos) continue;
      std::string agent = line.substr(at + std::string("' on agent ").size());
      ++used[agent.substr(0, agent.find(' '))];
    }
    return used;
  };
  auto packed = execute({"--command=true", "--name=packed", "--instances=4"});
  ASSERT_EQ(packed->wait(), 0) << packed->out() << packed->err();
  auto pack = agentsUsed(packed->out());
  ASSERT_EQ(pack.size(), 1u) << "--placement=pack (the default) used several agents:\n"
                             << packed->out();
  EXPECT_EQ(pack.begin()->second, 4);
  auto spread = execute({"--command=true", "--name=spread", "--instances=4", "--placement=spread"});
  ASSERT_EQ(spread->wait(), 0) << spread->out() << spread->err();
  auto used = agentsUsed(spread->out());
  EXPECT_EQ(used.size(), 2u) << "--placement=spread used one agent:\n" << spread->out();
  int launched = 0;
  for (const auto& [_, count] : used)
    launched += count;
  EXPECT_EQ(launched, 4);
  auto wrong = execute({"--command=true", "--placement=scatter"});
  EXPECT_EQ(wrong->wait(), 2);
  EXPECT_NE(wrong->err().find("--placement=scatter: expected pack or spread"), std::string::npos)
      << wrong->err();
}

}  // namespace
}  // namespace plexus::testing
