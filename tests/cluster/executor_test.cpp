// End to end through real agents: a custom executor (cluster-test-executor, built
// on the SDK's executor library), task groups on the built-in plexus-executor,
// executors that crash, and TEARDOWN killing what a framework ran. Each test runs
// with the scheduler (and the custom executor) speaking JSON and protobuf.
#include <cerrno>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <plexus/task_state.hpp>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

// "pid=<n> launches=<k>" from the custom executor's TASK_RUNNING.
std::map<std::string, std::string> fields(const std::string& data) {
  std::map<std::string, std::string> out;
  std::istringstream in(data);
  std::string word;
  while (in >> word) {
    std::size_t eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

class ExecutorTest : public ClusterFixture, public ::testing::WithParamInterface<Wire> {
 protected:
  v1::ExecutorInfo customExecutor(const std::string& id) const {
    v1::ExecutorInfo info;
    info.set_type(v1::ExecutorInfo::CUSTOM);
    info.mutable_executor_id()->set_value(id);
    info.set_name("cluster test executor " + id);
    info.mutable_command()->set_shell(false);
    info.mutable_command()->set_value(CLUSTER_TEST_EXECUTOR);
    info.mutable_command()->add_arguments("cluster-test-executor");
    info.mutable_command()->add_arguments(GetParam() == Wire::kJson ? "json" : "protobuf");
    executorResources(&info);
    return info;
  }

  static v1::ExecutorInfo defaultExecutor(const std::string& id) {
    v1::ExecutorInfo info;
    info.set_type(v1::ExecutorInfo::DEFAULT);
    info.mutable_executor_id()->set_value(id);
    executorResources(&info);
    return info;
  }

  // A task for the custom executor; `data` "finish" makes it finish at once.
  static v1::TaskInfo executorTask(const v1::Offer& offer, const std::string& id,
                                   const v1::ExecutorInfo& executor, const std::string& data = "") {
    v1::TaskInfo task = commandTask(offer, id, "");
    task.clear_command();
    *task.mutable_executor() = executor;
    if (!data.empty()) task.set_data(data);
    return task;
  }

  static Call message(const v1::Offer& offer, const std::string& executor,
                      const std::string& data) {
    Call call;
    call.set_type(Call::MESSAGE);
    *call.mutable_message()->mutable_agent_id() = offer.agent_id();
    call.mutable_message()->mutable_executor_id()->set_value(executor);
    call.mutable_message()->set_data(data);
    return call;
  }

  // Acknowledges updates until `task` reaches `state`; returns that update. Updates
  // of other tasks are kept in seen_, so waiting for them later finds them.
  std::optional<v1::TaskStatus> awaitState(Scheduler& scheduler, const std::string& task,
                                           v1::TaskState state) {
    for (const auto& status : seen_[task]) {
      if (status.state() == state) return status;
    }
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status) return std::nullopt;
      seen_[status->task_id().value()].push_back(*status);
      if (status->task_id().value() == task && status->state() == state) return status;
      EXPECT_FALSE(status->task_id().value() == task && isTerminalState(status->state()))
          << task << " ended in " << v1::TaskState_Name(status->state()) << ": "
          << status->message();
    }
  }

  // Sends "env" to the executor and parses its answer.
  std::map<std::string, std::string> executorEnvironment(Scheduler& scheduler,
                                                         const v1::Offer& offer,
                                                         const std::string& executor) {
    EXPECT_EQ(scheduler.call(message(offer, executor, "env")).status, 202u);
    auto answer = scheduler.next(Event::MESSAGE);
    if (!answer) return {};
    std::map<std::string, std::string> env;
    std::istringstream in(answer->message().data());
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "env");
    while (std::getline(in, line)) {
      std::size_t eq = line.find('=');
      if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return env;
  }

  // mem_limit_bytes of `executor`'s container in agent `agent`'s /monitor/statistics
  // (-1 when absent).
  double memLimit(std::size_t agent, const std::string& executor) const {
    int port = agents_[agent]->waitForPort();
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                {.method = "GET", .target = "/monitor/statistics"});
    if (!response || response->status != 200) return -1;
    boost::system::error_code error;
    boost::json::value entries = boost::json::parse(response->body, error);
    if (error || !entries.is_array()) return -1;
    for (const auto& entry : entries.as_array()) {
      if (entry.at("executor_id").as_string() != executor) continue;
      if (const auto* limit = entry.at("statistics").as_object().if_contains("mem_limit_bytes"))
        return limit->to_number<double>();
    }
    return -1;
  }

  std::map<std::string, std::vector<v1::TaskStatus>> seen_;
};

TEST_P(ExecutorTest, MessagesBothWaysAndASecondTaskReusesTheExecutor) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[0];
  v1::ExecutorInfo executor = customExecutor("custom");
  ASSERT_EQ(scheduler.call(launch(offer, {executorTask(offer, "first", executor)})).status, 202u);
  auto running = awaitState(scheduler, "first", v1::TASK_RUNNING);
  ASSERT_TRUE(running) << logs();
  EXPECT_EQ(running->source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(running->executor_id().value(), "custom");
  EXPECT_EQ(running->agent_id().value(), offer.agent_id().value());
  auto first = fields(running->data());
  EXPECT_EQ(first["launches"], "1") << running->data();

  // Every byte value, through scheduler -> master -> agent -> executor and back.
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  bytes += "\n{\"not\":\"json\"}";
  ASSERT_EQ(scheduler.call(message(offer, "custom", bytes)).status, 202u);
  auto echoed = scheduler.next(Event::MESSAGE);
  ASSERT_TRUE(echoed) << logs();
  EXPECT_EQ(echoed->message().agent_id().value(), offer.agent_id().value());
  EXPECT_EQ(echoed->message().executor_id().value(), "custom");
  EXPECT_EQ(echoed->message().data(), bytes);

  // The next offer of the same agent: the task goes to the running executor.
  std::optional<v1::Offer> again;
  while (!again) {
    auto event = scheduler.next(Event::OFFERS);
    ASSERT_TRUE(event) << logs();
    for (const auto& o : event->offers().offers()) {
      if (o.agent_id().value() == offer.agent_id().value()) again = o;
    }
  }
  ASSERT_EQ(scheduler.call(launch(*again, {executorTask(*again, "second", executor)})).status,
            202u);
  running = awaitState(scheduler, "second", v1::TASK_RUNNING);
  ASSERT_TRUE(running) << logs();
  auto second = fields(running->data());
  EXPECT_EQ(second["pid"], first["pid"]) << "a second executor was started";
  EXPECT_EQ(second["launches"], "2") << running->data();
  // The container grew with the task that joined it (executor mem:32, tasks
  // mem:64 each), as the isolator (isolator_posix) reports its limit...
  constexpr double kMB = 1024 * 1024;
  EXPECT_TRUE(eventually([&] { return memLimit(0, "custom") == 160 * kMB; }))
      << memLimit(0, "custom") / kMB << " MB";
  Call killSecond;
  killSecond.set_type(Call::KILL);
  killSecond.mutable_kill()->mutable_task_id()->set_value("second");
  ASSERT_EQ(scheduler.call(killSecond).status, 202u);
  ASSERT_TRUE(awaitState(scheduler, "second", v1::TASK_KILLED)) << logs();
  // ... and shrank when one ended.
  EXPECT_TRUE(eventually([&] { return memLimit(0, "custom") == 96 * kMB; }))
      << memLimit(0, "custom") / kMB << " MB";

  // The first task is still running on it; a kill reaches the executor.
  Call kill;
  kill.set_type(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("first");
  ASSERT_EQ(scheduler.call(kill).status, 202u);
  auto killed = awaitState(scheduler, "first", v1::TASK_KILLED);
  ASSERT_TRUE(killed) << logs();
  EXPECT_EQ(killed->source(), v1::TaskStatus::SOURCE_EXECUTOR);
  std::string log = agents_[0]->err();
  std::size_t launched = 0;
  for (std::size_t at = log.find("Launching executor custom"); at != std::string::npos;
       at = log.find("Launching executor custom", at + 1)) {
    ++launched;
  }
  EXPECT_EQ(launched, 1u) << log;
}

// Two tasks for one new executor in the same ACCEPT: one executor, whose resources
// count once, and all of them come back when the scheduler shuts it down.
TEST_P(ExecutorTest, TasksLaunchedTogetherShareOneNewExecutor) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[0];
  v1::ExecutorInfo executor = customExecutor("shared");
  ASSERT_EQ(scheduler
                .call(launch(offer, {executorTask(offer, "a", executor, "finish"),
                                     executorTask(offer, "b", executor, "finish")}))
                .status,
            202u);
  auto a = awaitState(scheduler, "a", v1::TASK_RUNNING);
  auto b = awaitState(scheduler, "b", v1::TASK_RUNNING);
  ASSERT_TRUE(a && b) << logs();
  EXPECT_EQ(fields(a->data())["pid"], fields(b->data())["pid"]);
  EXPECT_EQ(fields(a->data())["launches"] + fields(b->data())["launches"], "12");
  ASSERT_TRUE(awaitState(scheduler, "a", v1::TASK_FINISHED)) << logs();
  ASSERT_TRUE(awaitState(scheduler, "b", v1::TASK_FINISHED)) << logs();

  auto agentResources = [&](const char* which) {
    boost::json::value state = masterJson("/state");
    for (const auto& agent : state.at("slaves").as_array()) {
      if (agent.at("id").as_string() == offer.agent_id().value())
        return agent.at(which).at("cpus").to_number<double>();
    }
    return -1.0;
  };
  EXPECT_NEAR(agentResources("used_resources"), 0.1, 1e-9) << "the executor's share";

  Call shutdown;
  shutdown.set_type(Call::SHUTDOWN);
  shutdown.mutable_shutdown()->mutable_executor_id()->set_value("shared");
  *shutdown.mutable_shutdown()->mutable_agent_id() = offer.agent_id();
  ASSERT_EQ(scheduler.call(shutdown).status, 202u);
  auto failure = scheduler.next(Event::FAILURE);
  ASSERT_TRUE(failure) << logs();
  EXPECT_EQ(failure->failure().executor_id().value(), "shared");
  EXPECT_TRUE(WIFEXITED(failure->failure().status()) &&
              WEXITSTATUS(failure->failure().status()) == 0)
      << failure->failure().status();
  EXPECT_TRUE(eventually([&] {
    return agentResources("used_resources") == 0 && agentResources("offered_resources") == 2;
  })) << masterJson("/state");
  EXPECT_EQ(agents_[0]->err().find("Launching executor shared"),
            agents_[0]->err().rfind("Launching executor shared"));
}

// With the JSON scheduler the framework does not checkpoint and the agent's
// --executor_shutdown_grace_period applies; with protobuf it checkpoints and the
// ExecutorInfo sets its own grace period.
TEST_P(ExecutorTest, ExecutorSeesTheMesosEnvironment) {
  bool checkpoint = GetParam() == Wire::kProtobuf;
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework(checkpoint)), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[1];
  v1::ExecutorInfo executor = customExecutor("env-executor");
  if (checkpoint) executor.mutable_shutdown_grace_period()->set_nanoseconds(2'000'000'000);
  ASSERT_EQ(scheduler.call(launch(offer, {executorTask(offer, "env-task", executor)})).status,
            202u);
  ASSERT_TRUE(awaitState(scheduler, "env-task", v1::TASK_RUNNING)) << logs();

  auto env = executorEnvironment(scheduler, offer, "env-executor");
  ASSERT_FALSE(env.empty()) << logs();
  EXPECT_EQ(env["MESOS_FRAMEWORK_ID"], scheduler.frameworkId());
  EXPECT_EQ(env["MESOS_EXECUTOR_ID"], "env-executor");
  EXPECT_EQ(env["MESOS_SLAVE_ID"], offer.agent_id().value());
  EXPECT_EQ(env["MESOS_AGENT_ID"], offer.agent_id().value());
  int agentPort = agents_[1]->waitForPort();
  EXPECT_EQ(env["MESOS_AGENT_ENDPOINT"], "127.0.0.1:" + std::to_string(agentPort));
  EXPECT_EQ(env["MESOS_SLAVE_PID"], "slave(1)@" + env["MESOS_AGENT_ENDPOINT"]);
  EXPECT_EQ(env["MESOS_CHECKPOINT"], checkpoint ? "1" : "0");
  EXPECT_EQ(env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"], checkpoint ? "2secs" : "1secs");
  EXPECT_EQ(env.contains("MESOS_RECOVERY_TIMEOUT"), checkpoint);
  EXPECT_EQ(env.contains("MESOS_SUBSCRIPTION_BACKOFF_MAX"), checkpoint);
  EXPECT_EQ(env["MESOS_SANDBOX"], env["MESOS_DIRECTORY"]);
  std::filesystem::path sandbox = env["MESOS_SANDBOX"];
  EXPECT_TRUE(std::filesystem::is_directory(sandbox)) << sandbox;
  EXPECT_TRUE(sandbox.string().starts_with((dir_.path() / "agent1").string())) << sandbox;
  EXPECT_NE(sandbox.string().find(scheduler.frameworkId()), std::string::npos) << sandbox;
}

TEST_P(ExecutorTest, CrashedExecutorsFailTheirTasksAndTheSchedulerHearsOfIt) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[0];
  ASSERT_EQ(scheduler
                .call(launch(offer, {executorTask(offer, "crash-task", customExecutor("crasher")),
                                     executorTask(offer, "kill-task", customExecutor("killed"))}))
                .status,
            202u);
  ASSERT_TRUE(awaitState(scheduler, "crash-task", v1::TASK_RUNNING)) << logs();
  auto running = awaitState(scheduler, "kill-task", v1::TASK_RUNNING);
  ASSERT_TRUE(running) << logs();
  pid_t killedPid = std::stoi(fields(running->data())["pid"]);

  struct Case {
    std::string executor, task;
    std::function<void()> crash;
    std::function<bool(int)> statusIsRight;
  };
  std::vector<Case> cases{
      {"crasher", "crash-task",
       [&] { ASSERT_EQ(scheduler.call(message(offer, "crasher", "exit:7")).status, 202u); },
       [](int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 7; }},
      {"killed", "kill-task", [&] { ASSERT_EQ(::kill(killedPid, SIGKILL), 0); },
       [](int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.executor);
    c.crash();
    auto failed = nextUpdate(scheduler);
    ASSERT_TRUE(failed) << logs();
    EXPECT_EQ(failed->task_id().value(), c.task);
    EXPECT_EQ(failed->state(), v1::TASK_FAILED);
    EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
    EXPECT_EQ(failed->source(), v1::TaskStatus::SOURCE_AGENT);
    EXPECT_EQ(failed->executor_id().value(), c.executor);
    EXPECT_EQ(failed->agent_id().value(), offer.agent_id().value());

    auto failure = scheduler.next(Event::FAILURE);
    ASSERT_TRUE(failure) << logs();
    EXPECT_EQ(failure->failure().agent_id().value(), offer.agent_id().value());
    EXPECT_EQ(failure->failure().executor_id().value(), c.executor);
    ASSERT_TRUE(failure->failure().has_status());
    EXPECT_TRUE(c.statusIsRight(failure->failure().status())) << failure->failure().status();
  }
}

TEST_P(ExecutorTest, TaskGroupRunsBothTasksToFinished) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[0];
  ASSERT_EQ(scheduler
                .call(launchGroup(
                    offer, defaultExecutor("group"),
                    {commandTask(offer, "g1", "sleep 0.2"), commandTask(offer, "g2", "sleep 0.3")}))
                .status,
            202u);
  std::map<std::string, std::vector<v1::TaskState>> states;
  while (states["g1"].empty() || states["g2"].empty() || states["g1"].back() != v1::TASK_FINISHED ||
         states["g2"].back() != v1::TASK_FINISHED) {
    auto status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->executor_id().value(), "group");
    states[status->task_id().value()].push_back(status->state());
    ASSERT_LE(states.size(), 2u);
  }
  for (const auto& [task, history] : states) {
    EXPECT_EQ(history,
              (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}))
        << task;
  }
  // Both tasks acknowledged: the default executor exits, cleanly.
  auto failure = scheduler.next(Event::FAILURE);
  ASSERT_TRUE(failure) << logs();
  EXPECT_EQ(failure->failure().executor_id().value(), "group");
  EXPECT_TRUE(WIFEXITED(failure->failure().status()) &&
              WEXITSTATUS(failure->failure().status()) == 0)
      << failure->failure().status();
}

// As Mesos's default executor: a task that fails kills the rest of its group.
TEST_P(ExecutorTest, TaskGroupMemberFailingKillsTheOther) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[1];
  ASSERT_EQ(
      scheduler
          .call(launchGroup(offer, defaultExecutor("group"),
                            {commandTask(offer, "long", "echo $$ > long.pid; exec sleep 1000"),
                             commandTask(offer, "fails", "sleep 0.3; exit 3")}))
          .status,
      202u);
  std::map<std::string, std::vector<v1::TaskStatus>> seen;
  auto last = [&](const std::string& task) {
    return seen[task].empty() ? v1::TASK_STAGING : seen[task].back().state();
  };
  while (!isTerminalState(last("long")) || !isTerminalState(last("fails"))) {
    auto status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
    seen[status->task_id().value()].push_back(*status);
  }
  EXPECT_EQ(last("fails"), v1::TASK_FAILED);
  EXPECT_NE(seen["fails"].back().message().find("status 3"), std::string::npos)
      << seen["fails"].back().message();
  std::vector<v1::TaskState> longStates;
  for (const auto& status : seen["long"])
    longStates.push_back(status.state());
  EXPECT_EQ(longStates, (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING,
                                                    v1::TASK_KILLING, v1::TASK_KILLED}));
  auto pidFiles = findInAgent(1, "long.pid");
  ASSERT_EQ(pidFiles.size(), 1u);
  pid_t pid = readPid(pidFiles[0]);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(eventually([&] { return processGone(pid); })) << "the killed task still runs";
}

// A second LAUNCH_GROUP for a running default executor goes to it; one group
// finishing leaves the other running.
TEST_P(ExecutorTest, SecondTaskGroupJoinsTheRunningDefaultExecutor) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const v1::Offer& offer = offers[0];
  const std::string command = "echo $PPID > $TASK.executor; exec sleep 1000";
  auto task = [&](const v1::Offer& on, const std::string& id, const std::string& run) {
    v1::TaskInfo info = commandTask(on, id, run);
    auto* variable = info.mutable_command()->mutable_environment()->add_variables();
    variable->set_name("TASK");
    variable->set_value(id);
    return info;
  };
  ASSERT_EQ(
      scheduler.call(launchGroup(offer, defaultExecutor("group"), {task(offer, "one", command)}))
          .status,
      202u);
  ASSERT_TRUE(awaitState(scheduler, "one", v1::TASK_RUNNING)) << logs();
  std::optional<v1::Offer> again;
  while (!again) {
    auto event = scheduler.next(Event::OFFERS);
    ASSERT_TRUE(event) << logs();
    for (const auto& o : event->offers().offers()) {
      if (o.agent_id().value() == offer.agent_id().value()) again = o;
    }
  }
  ASSERT_EQ(scheduler
                .call(launchGroup(*again, defaultExecutor("group"),
                                  {task(*again, "two", "echo $PPID > $TASK.executor")}))
                .status,
            202u);
  ASSERT_TRUE(awaitState(scheduler, "two", v1::TASK_FINISHED)) << logs();
  pid_t executors[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    std::string name = i == 0 ? "one.executor" : "two.executor";
    ASSERT_TRUE(eventually([&] {
      auto files = findInAgent(0, name);
      executors[i] = files.size() == 1 ? readPid(files[0]) : 0;
      return executors[i] > 0;
    })) << name;
  }
  EXPECT_EQ(executors[0], executors[1]) << "the second group started a second executor";

  Call kill;
  kill.set_type(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("one");
  ASSERT_EQ(scheduler.call(kill).status, 202u);
  ASSERT_TRUE(awaitState(scheduler, "one", v1::TASK_KILLED)) << logs();
  auto failure = scheduler.next(Event::FAILURE);
  ASSERT_TRUE(failure) << logs();
  EXPECT_EQ(failure->failure().executor_id().value(), "group");
  EXPECT_TRUE(eventually([&] { return processGone(executors[0]); }));
}

TEST_P(ExecutorTest, TeardownKillsTasksAndExecutorsOnEveryAgent) {
  Scheduler scheduler(port_, GetParam());
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  const std::string command = "echo $PPID > executor.pid; echo $$ > task.pid; exec sleep 1000";
  for (size_t i = 0; i < offers.size(); ++i) {
    std::string id = "sleeper-" + std::to_string(i);
    ASSERT_EQ(scheduler.call(launch(offers[i], {commandTask(offers[i], id, command)})).status,
              202u);
  }
  ASSERT_TRUE(awaitState(scheduler, "sleeper-0", v1::TASK_RUNNING)) << logs();
  ASSERT_TRUE(awaitState(scheduler, "sleeper-1", v1::TASK_RUNNING)) << logs();

  std::vector<pid_t> pids;
  for (size_t agent = 0; agent < agents_.size(); ++agent) {
    for (const char* name : {"executor.pid", "task.pid"}) {
      pid_t pid = 0;
      ASSERT_TRUE(eventually([&] {
        auto files = findInAgent(agent, name);
        pid = files.size() == 1 ? readPid(files[0]) : 0;
        return pid > 0;
      })) << name
          << " on agent " << agent;
      ASSERT_EQ(::kill(pid, 0), 0) << name << " on agent " << agent;
      pids.push_back(pid);
    }
  }
  boost::json::value state = masterJson("/state");
  ASSERT_TRUE(state.is_object());
  ASSERT_EQ(state.at("frameworks").as_array().size(), 1u);

  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  ASSERT_EQ(scheduler.call(teardown).status, 202u);
  EXPECT_TRUE(scheduler.waitFor([&] { return scheduler.ended(); }, std::chrono::seconds(5)))
      << "the master kept the event stream open";
  for (pid_t pid : pids)
    EXPECT_TRUE(eventually([&] { return processGone(pid); })) << "pid " << pid << " survived";

  state = masterJson("/state");
  ASSERT_TRUE(state.is_object());
  EXPECT_TRUE(state.at("frameworks").as_array().empty()) << state;
  const auto& completed = state.at("completed_frameworks").as_array();
  ASSERT_EQ(completed.size(), 1u) << state;
  EXPECT_EQ(completed[0].at("id").as_string(), scheduler.frameworkId());
  EXPECT_FALSE(completed[0].at("active").as_bool());
  for (auto& agent : agents_)
    EXPECT_TRUE(agent->waitForLog("Shutting down framework " + scheduler.frameworkId()));
}

INSTANTIATE_TEST_SUITE_P(Encodings, ExecutorTest, ::testing::Values(Wire::kJson, Wire::kProtobuf),
                         [](const auto& info) {
                           return info.param == Wire::kJson ? "Json" : "Protobuf";
                         });

}  // namespace
}  // namespace plexus::testing
