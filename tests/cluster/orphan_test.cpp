// Executors whose agent is gone, and executors told to stop by a signal: each must
// end, with its tasks, within a bounded time (Mesos's semantics), instead of being
// left behind reparented to init. The agents run with
// --executor_shutdown_grace_period=1secs (ClusterFixture); the tasks ignore SIGTERM,
// so only the SIGKILL after the grace period ends them.
#include <csignal>
#include <sstream>

#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

using std::chrono::seconds;

// Bounds for the checks below: grace period 1s, plus the executor's own margin, plus
// ample room for a loaded machine. Nothing here measures speed.
constexpr auto kEnded = seconds(15);

// A task that writes the executor's pid and its own, and ignores SIGTERM.
constexpr const char* kStubbornTask =
    "echo $PPID > executor.pid; echo $$ > task.pid; trap '' TERM; exec sleep 1000";

// Kills, when the test ends, whatever it recorded and is still alive, so that a
// failed check leaves no process behind.
struct Survivors {
  std::vector<pid_t> pids;
  ~Survivors() {
    for (pid_t pid : pids) {
      if (pid > 0 && !processGone(pid)) ::kill(pid, SIGKILL);
    }
  }
};

class OrphanTest : public ClusterFixture {
 protected:
  // Launches kStubbornTask on agent 0 and returns {executor pid, task pid} once
  // it runs (zeros on failure).
  std::pair<pid_t, pid_t> runStubbornTask(Scheduler& scheduler, bool checkpoint) {
    if (scheduler.subscribe(framework(checkpoint)) != 200u) return {};
    auto offers = offersFromEveryAgent(scheduler);
    if (offers.size() != 2u) return {};
    if (scheduler.call(launch(offers[0], {commandTask(offers[0], "stubborn", kStubbornTask)}))
            .status != 202u) {
      return {};
    }
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status) return {};
      if (status->state() == v1::TASK_RUNNING) break;
      if (status->state() != v1::TASK_STARTING) return {};
    }
    pid_t pids[2] = {0, 0};
    const char* names[2] = {"executor.pid", "task.pid"};
    for (int i = 0; i < 2; ++i) {
      bool found = eventually([&] {
        auto files = findInAgent(0, names[i]);
        pids[i] = files.size() == 1 ? readPid(files[0]) : 0;
        return pids[i] > 0;
      });
      if (!found) return {};
    }
    survivors_.pids = {pids[0], pids[1]};
    return {pids[0], pids[1]};
  }

  // The executor's stderr in agent 0's sandbox.
  std::string executorLog() const {
    auto files = findInAgent(0, "stderr");
    return files.empty() ? "" : readFile(files[0]);
  }

  // Kills agent 0 and waits until its (checkpointing) executor noticed and is
  // trying to re-subscribe.
  bool killAgentWhileTheExecutorRetries() {
    killAgent(0);
    return eventually(
        [&] { return executorLog().find("Connection refused") != std::string::npos; });
  }

  void expectGone(pid_t executor, pid_t task) {
    EXPECT_TRUE(eventually([&] { return processGone(task); }, kEnded))
        << "the task " << task << " is still there\n"
        << executorLog();
    EXPECT_TRUE(eventually([&] { return processGone(executor); }, kEnded))
        << "the executor " << executor << " is still there\n"
        << executorLog();
  }

  Survivors survivors_;
};

TEST_F(OrphanTest, AgentKilledWithoutCheckpointingEndsTheExecutorAndItsTask) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto [executor, task] = runStubbornTask(scheduler, false);
  ASSERT_GT(task, 0) << logs();
  ASSERT_FALSE(processGone(executor));
  ASSERT_FALSE(processGone(task));

  killAgent(0);
  expectGone(executor, task);
  std::string log = executorLog();
  EXPECT_NE(log.find("does not checkpoint"), std::string::npos) << log;
  EXPECT_NE(log.find("they are lost with this executor"), std::string::npos) << log;
}

// With checkpointing the executor waits for the agent to come back, and a SIGTERM
// still ends it (and its task) within the grace period.
TEST_F(OrphanTest, SigtermEndsAnExecutorWhoseAgentIsGone) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto [executor, task] = runStubbornTask(scheduler, true);
  ASSERT_GT(task, 0) << logs();

  // It keeps trying to re-subscribe (the recovery timeout is 15mins).
  ASSERT_TRUE(killAgentWhileTheExecutorRetries()) << executorLog();
  ASSERT_FALSE(processGone(executor)) << executorLog();
  ASSERT_FALSE(processGone(task)) << executorLog();

  ASSERT_EQ(::kill(executor, SIGTERM), 0);
  expectGone(executor, task);
}

// With the agent alive, SIGTERM ends the task and the executor, and the task's
// terminal update reaches the scheduler.
TEST_F(OrphanTest, SigtermEndsAnExecutorWithItsAgentAlive) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto [executor, task] = runStubbornTask(scheduler, false);
  ASSERT_GT(task, 0) << logs();

  ASSERT_EQ(::kill(executor, SIGTERM), 0);
  expectGone(executor, task);
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
  } while (status->state() == v1::TASK_KILLING);
  EXPECT_EQ(status->state(), v1::TASK_KILLED) << status->message();
  EXPECT_EQ(status->source(), v1::TaskStatus::SOURCE_EXECUTOR);
}

// A custom executor on the SDK's library that ignores SHUTDOWN and the loss of its
// agent: the library ends its process group once the grace period has passed.
TEST_F(OrphanTest, SdkExecutorThatIgnoresTheLossOfItsAgentIsEndedAfterTheGracePeriod) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(framework(false)), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  v1::ExecutorInfo info;
  info.set_type(v1::ExecutorInfo::CUSTOM);
  info.mutable_executor_id()->set_value("stubborn");
  info.mutable_command()->set_shell(false);
  info.mutable_command()->set_value(CLUSTER_TEST_EXECUTOR);
  info.mutable_command()->add_arguments("cluster-test-executor");
  info.mutable_command()->add_arguments("protobuf");
  executorResources(&info);
  v1::TaskInfo task = commandTask(offers[0], "stubborn-task", "");
  task.clear_command();
  *task.mutable_executor() = info;
  task.set_data("stubborn");
  ASSERT_EQ(scheduler.call(launch(offers[0], {task})).status, 202u);
  auto running = nextUpdate(scheduler);
  ASSERT_TRUE(running) << logs();
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  std::map<std::string, pid_t> pids;
  std::istringstream fields(running->data());
  for (std::string word; fields >> word;) {
    std::size_t eq = word.find('=');
    if (eq != std::string::npos) pids[word.substr(0, eq)] = std::stoi(word.substr(eq + 1));
  }
  ASSERT_GT(pids["pid"], 0) << running->data();
  ASSERT_GT(pids["child"], 0) << running->data();
  survivors_.pids = {pids["pid"], pids["child"]};
  ASSERT_FALSE(processGone(pids["child"]));

  killAgent(0);
  expectGone(pids["pid"], pids["child"]);
  EXPECT_NE(executorLog().find("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"), std::string::npos)
      << executorLog();
}

// With checkpointing, past MESOS_RECOVERY_TIMEOUT the executor gives up on the
// agent and ends itself and its task.
class OrphanRecoveryTest : public OrphanTest {
 protected:
  std::vector<std::string> agentFlags() const override { return {"--recovery_timeout=4secs"}; }
};

TEST_F(OrphanRecoveryTest, CheckpointedExecutorEndsAfterTheRecoveryTimeout) {
  Scheduler scheduler(port_, Wire::kProtobuf);
  auto [executor, task] = runStubbornTask(scheduler, true);
  ASSERT_GT(task, 0) << logs();

  ASSERT_TRUE(killAgentWhileTheExecutorRetries()) << executorLog();
  expectGone(executor, task);
  EXPECT_NE(executorLog().find("recovery timeout"), std::string::npos) << executorLog();
}

}  // namespace
}  // namespace plexus::testing
