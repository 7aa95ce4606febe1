// Agent recovery end to end (docs/agent-recovery.md): a real master, one real agent
// restarted on the same work dir and port, plexus-executor, and a framework that
// checkpoints. The agent is SIGKILLed (a crash) and SIGTERMed (a restart) again
// and again: the tasks' processes live on, the agent keeps its ID, the framework
// sees no state change, a task that ended while the agent was down has its
// TASK_FINISHED delivered once it is back, and every update arrives once, in order.
// Also: a framework that does not checkpoint has its tasks ended and reported; a
// changed boot id starts afresh; --resources changes refused or accepted by
// --reconfiguration_policy; a corrupt checkpoint refused naming the file.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <plexus/task_state.hpp>

#include "agent/checkpoint.hpp"
#include "cgroup_test_util.hpp"
#include "cluster.hpp"
#include "daemons.hpp"
#include "ports.hpp"

namespace plexus::testing {
namespace {

namespace fs = std::filesystem;
using v1::scheduler::Event;

// Kills, when the test ends, the executors and tasks it recorded (each leads its
// own session or process group), so that a failed check leaves nothing behind.
struct Survivors {
  std::set<pid_t> pids;
  ~Survivors() {
    for (pid_t pid : pids) {
      if (pid <= 1) continue;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
  }
};

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    masterPort_ = master_->waitForPort();
    ASSERT_GT(masterPort_, 0) << master_->err();
    agentPort_ = freePorts(1).front();
  }

  void TearDown() override {
    if (agent_) {
      agent_->signal(SIGTERM);
      agent_->wait();
    }
    master_->signal(SIGTERM);
    EXPECT_EQ(master_->wait(), 0) << master_->err();
  }

  std::vector<std::string> agentArgs(std::vector<std::string> extra) const {
    std::vector<std::string> args{"--port=" + std::to_string(agentPort_),
                                  "--master=127.0.0.1:" + std::to_string(masterPort_),
                                  "--work_dir=" + workDir(),
                                  "--resources=cpus:16;mem:8192;disk:1024",
                                  "--executor_reregistration_timeout=10secs",
                                  "--executor_shutdown_grace_period=1secs",
                                  "--switch_user=false"};
    for (std::string& flag : extra) {
      // A flag given again replaces the default.
      std::string name = flag.substr(0, flag.find('=') + 1);
      std::erase_if(args, [&](const std::string& arg) { return arg.starts_with(name); });
      args.push_back(std::move(flag));
    }
    return args;
  }

  // Starts the agent; returns the agent ID it (re-)registered as ("" on failure).
  std::string startAgent(std::vector<std::string> extra = {}, std::vector<std::string> env = {}) {
    agent_ = std::make_unique<Process>("plexus-agent", agentArgs(std::move(extra)), dir_.path(),
                                       std::move(env));
    const std::string marker = " as agent ";
    if (!agent_->waitForLog(marker, std::chrono::seconds(60))) return "";
    std::string err = agent_->err();
    std::size_t at = err.find(marker) + marker.size();
    return err.substr(at, err.find_first_of(" \n", at) - at);
  }

  // Stops the agent with `signal` and reaps it.
  void stopAgent(int signal) {
    agent_->signal(signal);
    agent_->wait();
    agentLogs_ += agent_->err();
    agent_.reset();
  }

  std::string workDir() const { return (dir_.path() / "agent").string(); }

  std::vector<fs::path> findInAgent(const std::string& name) const {
    std::vector<fs::path> found;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(workDir(), error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (it->path().filename() == name) found.push_back(it->path());
    }
    return found;
  }

  // The agents the master lists: id -> active.
  std::map<std::string, bool> masterAgents() const {
    std::map<std::string, bool> agents;
    http::ClientRequest request{.method = "GET", .target = "/state"};
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(masterPort_), request);
    if (!response || response->status != 200) return agents;
    boost::system::error_code error;
    auto state = boost::json::parse(response->body, error);
    if (error) return agents;
    for (const auto& agent : state.at("slaves").as_array()) {
      agents[std::string(agent.at("id").as_string())] = agent.at("active").as_bool();
    }
    return agents;
  }

  // Every checkpointed task's status update stream has nothing pending: the agent
  // holds every acknowledgement (so a kill now loses none).
  bool quiescent() const {
    for (const auto& path : findInAgent("task.updates")) {
      auto updates = agent::checkpoint::read(path.string());
      if (!updates || updates->task_updates().pending_size() > 0) return false;
    }
    return true;
  }

  std::string logs() const {
    return "--- master:\n" + master_->err() + "--- agent (earlier runs):\n" + agentLogs_ +
           "--- agent:\n" + (agent_ ? agent_->err() : std::string("stopped\n"));
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::unique_ptr<Process> agent_;
  int masterPort_ = 0;
  int agentPort_ = 0;
  std::string agentLogs_;
};

// What the framework received, checked as it arrives: per task, the states in
// order with no repeat of an acknowledged update and nothing lost.
struct UpdateLog {
  std::map<std::string, std::vector<v1::TaskState>> states;
  std::set<std::string> acknowledged;  // uuids
  std::vector<std::string> problems;

  void record(const v1::TaskStatus& status) {
    const std::string& task = status.task_id().value();
    if (status.state() == v1::TASK_LOST || status.state() == v1::TASK_UNREACHABLE ||
        status.state() == v1::TASK_FAILED || status.state() == v1::TASK_GONE ||
        status.state() == v1::TASK_DROPPED) {
      problems.push_back(task + " got " + v1::TaskState_Name(status.state()) + ": " +
                         status.message());
    }
    if (status.has_uuid() && !acknowledged.insert(status.uuid()).second)
      problems.push_back(task + " got " + v1::TaskState_Name(status.state()) + " twice");
    auto& seen = states[task];
    if (!seen.empty() && isTerminalState(seen.back()))
      problems.push_back(task + " got " + v1::TaskState_Name(status.state()) + " after its end");
    seen.push_back(status.state());
  }
};

// Waits for the next update (acknowledging it) and records it; nullopt on timeout.
std::optional<v1::TaskStatus> nextUpdate(Scheduler& scheduler, UpdateLog& log) {
  auto status = ClusterFixture::nextUpdate(scheduler);
  if (status) log.record(*status);
  return status;
}

constexpr int kSleepers = 50;
constexpr int kRestarts = 10;  // 5 SIGKILL, 5 SIGTERM

TEST_F(RecoveryTest, CheckpointedTasksSurviveAgentKillsAndRestarts) {
  std::string agentId = startAgent();
  ASSERT_FALSE(agentId.empty()) << logs();

  Scheduler scheduler(masterPort_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework(true)), 200u) << logs();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);

  // 50 tasks that run until killed, and one per restart that ends when told to (by
  // a file), while the agent is down.
  std::vector<v1::TaskInfo> tasks;
  for (int i = 0; i < kSleepers; ++i) {
    tasks.push_back(commandTask(offer, "sleeper-" + std::to_string(i),
                                "echo $$ > task.pid; exec sleep 1000", "cpus:0.1;mem:16"));
  }
  for (int i = 0; i < kRestarts; ++i) {
    std::string release = (dir_.path() / ("release-" + std::to_string(i))).string();
    tasks.push_back(
        commandTask(offer, "finisher-" + std::to_string(i),
                    "echo $$ > task.pid; while [ ! -e " + release + " ]; do sleep 0.1; done",
                    "cpus:0.1;mem:16"));
  }
  ASSERT_EQ(scheduler.call(ClusterFixture::launch(offer, tasks)).status, 202u);

  UpdateLog updates;
  std::size_t running = 0;
  while (running < tasks.size()) {
    auto status = nextUpdate(scheduler, updates);
    ASSERT_TRUE(status) << logs();
    if (status->state() == v1::TASK_RUNNING) ++running;
  }
  ASSERT_TRUE(updates.problems.empty()) << updates.problems.front();

  // Every task's pid, from its sandbox.
  Survivors survivors;
  std::map<std::string, pid_t> pids;
  ASSERT_TRUE(eventually([&] {
    for (const auto& file : findInAgent("task.pid")) {
      pid_t pid = readPid(file);
      if (pid > 0) pids[file.parent_path().filename().string()] = pid;
    }
    return pids.size() == tasks.size();
  })) << pids.size()
      << " pids\n"
      << logs();
  for (const auto& [sandbox, pid] : pids) {
    survivors.pids.insert(pid);
    // The executor (the task's parent) leads the session the agent made for it.
    std::string line = readFile("/proc/" + std::to_string(pid) + "/stat");
    std::string state;
    pid_t ppid = 0;
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    fields >> state >> ppid;
    if (ppid > 1) survivors.pids.insert(ppid);
  }
  ASSERT_TRUE(eventually([&] { return quiescent(); })) << logs();

  auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < kRestarts; ++round) {
    const int signal = round < kRestarts / 2 ? SIGKILL : SIGTERM;
    SCOPED_TRACE("restart " + std::to_string(round) + " after " + ::strsignal(signal));
    stopAgent(signal);

    // While the agent is down, one task finishes; its executor holds the update.
    std::ofstream(dir_.path() / ("release-" + std::to_string(round))).put('x');
    const std::string finisher = "finisher-" + std::to_string(round);

    ASSERT_EQ(startAgent(), agentId) << logs();

    // Its TASK_FINISHED arrives once the agent is back, and nothing else does.
    auto status = nextUpdate(scheduler, updates);
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->task_id().value(), finisher);
    EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();
    ASSERT_TRUE(updates.problems.empty()) << updates.problems.front() << "\n" << logs();

    // One agent, the same, active.
    EXPECT_TRUE(eventually([&] {
      auto agents = masterAgents();
      return agents.size() == 1u && agents.begin()->first == agentId && agents.begin()->second;
    })) << logs();
    ASSERT_TRUE(eventually([&] { return quiescent(); })) << logs();
  }
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[ recovery ] " << kRestarts << " agent restarts with " << kSleepers
            << " running tasks took " << took << " s\n";

  // The 50 sleepers are the same processes, and nothing else came to the framework.
  int alive = 0;
  for (const auto& [sandbox, pid] : pids) {
    if (!processGone(pid)) ++alive;
  }
  EXPECT_EQ(alive, kSleepers);
  EXPECT_FALSE(scheduler.next(Event::UPDATE, std::chrono::milliseconds(500)))
      << "an update after the last restart";
  for (const auto& event : scheduler.events())
    EXPECT_NE(event.type(), Event::FAILURE) << event.ShortDebugString();
  EXPECT_TRUE(updates.problems.empty()) << updates.problems.front();
  for (int i = 0; i < kRestarts; ++i) {
    const auto& states = updates.states["finisher-" + std::to_string(i)];
    EXPECT_EQ(states,
              (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
  }
}

// Under isolator_cgroups, the recovered containers keep their limits: after a
// SIGKILL and a restart, a task that exceeds its memory is stopped and reported
// REASON_CONTAINER_LIMITATION_MEMORY, and the tasks beside it live on.
TEST_F(RecoveryTest, CgroupsLimitsHoldAfterRecovery) {
  if (auto why = cgroups::testing::realCgroupsSkipReason()) GTEST_SKIP() << *why;
  std::string root = cgroups::testing::uniqueRoot("recovery");
  struct RemoveRoot {
    std::string root;
    ~RemoveRoot() { cgroups::testing::removeRootEverywhere(root); }
  } removeRoot{root};
  const std::vector<std::string> isolation{
      "--isolation=isolator_cgroups",
      R"(--modules={"libraries": [{"name": "isolator_cgroups", "modules": [{"name": )"
      R"("isolator_cgroups", "parameters": [{"key": "root", "value": ")" +
          root + R"("}]}]}]})"};
  std::string agentId = startAgent(isolation);
  ASSERT_FALSE(agentId.empty()) << logs();

  Scheduler scheduler(masterPort_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework(true)), 200u) << logs();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  std::string release = (dir_.path() / "release-hog").string();
  // 256 MB through a pipe into tail, which keeps a line without newline in memory.
  std::vector<v1::TaskInfo> tasks{
      commandTask(offer, "hog",
                  "echo $$ > task.pid; while [ ! -e " + release +
                      " ]; do sleep 0.1; done; head -c 268435456 /dev/zero | tail; sleep 60",
                  "cpus:0.1;mem:64"),
      commandTask(offer, "neighbour-0", "echo $$ > task.pid; exec sleep 1000", "cpus:0.1;mem:64"),
      commandTask(offer, "neighbour-1", "echo $$ > task.pid; exec sleep 1000", "cpus:0.1;mem:64")};
  ASSERT_EQ(scheduler.call(ClusterFixture::launch(offer, tasks)).status, 202u);
  UpdateLog updates;
  for (std::size_t running = 0; running < tasks.size();) {
    auto status = nextUpdate(scheduler, updates);
    ASSERT_TRUE(status) << logs();
    if (status->state() == v1::TASK_RUNNING) ++running;
  }
  Survivors survivors;
  std::map<std::string, pid_t> pids;  // by sandbox
  ASSERT_TRUE(eventually([&] {
    for (const auto& file : findInAgent("task.pid")) {
      if (pid_t pid = readPid(file); pid > 0) pids[file.parent_path().string()] = pid;
    }
    return pids.size() == tasks.size();
  })) << logs();
  for (const auto& [sandbox, pid] : pids)
    survivors.pids.insert(pid);
  ASSERT_TRUE(eventually([&] { return quiescent(); })) << logs();

  stopAgent(SIGKILL);
  ASSERT_EQ(startAgent(isolation), agentId) << logs();
  ASSERT_TRUE(agent_->waitForLog("Finished recovery")) << logs();
  std::ofstream(release).put('x');

  auto status = ClusterFixture::nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->task_id().value(), "hog");
  EXPECT_EQ(status->state(), v1::TASK_FAILED) << status->message();
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY)
      << status->message();
  int alive = 0;
  for (const auto& [sandbox, pid] : pids) {
    if (sandbox.find("/neighbour-") != std::string::npos && !processGone(pid)) ++alive;
  }
  EXPECT_EQ(alive, 2) << logs();
  EXPECT_FALSE(scheduler.next(Event::UPDATE, std::chrono::milliseconds(500)));
}

// A framework that does not checkpoint: its executors do not outlive the agent
// (SIGTERM kills them; after a SIGKILL they end themselves), and when the agent is
// back under its ID the master reports each task TASK_LOST (REASON_RECONCILIATION),
// as Mesos does; nothing is left running.
TEST_F(RecoveryTest, TasksOfAFrameworkThatDoesNotCheckpointEndReported) {
  for (int signal : {SIGKILL, SIGTERM}) {
    SCOPED_TRACE(::strsignal(signal));
    std::string agentId = startAgent();
    ASSERT_FALSE(agentId.empty()) << logs();
    Scheduler scheduler(masterPort_, Wire::kProtobuf);
    ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework(false)), 200u) << logs();
    auto offers = scheduler.next(Event::OFFERS);
    ASSERT_TRUE(offers) << logs();
    const v1::Offer& offer = offers->offers().offers(0);
    std::string id = std::string("task-") + (signal == SIGKILL ? "kill" : "term");
    ASSERT_EQ(scheduler
                  .call(ClusterFixture::launch(
                      offer, {commandTask(offer, id, "echo $$ > task.pid; exec sleep 1000",
                                          "cpus:0.1;mem:16")}))
                  .status,
              202u);
    UpdateLog updates;
    for (;;) {
      auto status = nextUpdate(scheduler, updates);
      ASSERT_TRUE(status) << logs();
      if (status->state() == v1::TASK_RUNNING) break;
    }
    pid_t task = 0;
    Survivors survivors;
    ASSERT_TRUE(eventually([&] {
      for (const auto& file : findInAgent("task.pid")) {
        if (file.parent_path().string().find("/" + id + "/") != std::string::npos)
          task = readPid(file);
      }
      return task > 0;
    })) << logs();
    survivors.pids.insert(task);

    stopAgent(signal);
    EXPECT_TRUE(eventually([&] { return processGone(task); }, std::chrono::seconds(20)))
        << "task " << task << " outlived its agent\n"
        << logs();
    ASSERT_EQ(startAgent(), agentId) << logs();
    auto status = nextUpdate(scheduler, updates);
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->task_id().value(), id);
    EXPECT_EQ(status->state(), v1::TASK_LOST) << status->message();
    EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_RECONCILIATION);
    stopAgent(SIGTERM);
  }
}

// After a master failover the new master learns every executor from the agent's
// re-registration, the DEFAULT executor of a task group included (before, only
// custom executors were reported, so the new master did not list it).
TEST_F(RecoveryTest, ANewMasterLearnsTheTaskGroupExecutorFromTheAgent) {
  ASSERT_FALSE(startAgent().empty()) << logs();
  Scheduler scheduler(masterPort_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework(true)), 200u) << logs();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  executor.mutable_executor_id()->set_value("group-executor");
  ClusterFixture::executorResources(&executor);
  std::vector<v1::TaskInfo> members;
  for (int i = 0; i < 2; ++i) {
    std::string pidFile = (dir_.path() / ("member-" + std::to_string(i) + ".pid")).string();
    members.push_back(commandTask(offer, "member-" + std::to_string(i),
                                  "echo $$ > " + pidFile + "; exec sleep 1000", "cpus:0.1;mem:16"));
  }
  ASSERT_EQ(scheduler.call(ClusterFixture::launchGroup(offer, executor, members)).status, 202u);
  UpdateLog updates;
  for (int running = 0; running < 2;) {
    auto status = nextUpdate(scheduler, updates);
    ASSERT_TRUE(status) << logs();
    if (status->state() == v1::TASK_RUNNING) ++running;
  }
  Survivors survivors;
  ASSERT_TRUE(eventually([&] {
    survivors.pids.clear();
    for (int i = 0; i < 2; ++i)
      survivors.pids.insert(readPid(dir_.path() / ("member-" + std::to_string(i) + ".pid")));
    return survivors.pids.size() == 2u && !survivors.pids.contains(0);
  })) << logs();
  for (pid_t pid : std::set<pid_t>(survivors.pids)) {
    std::string line = readFile("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string state;
    pid_t ppid = 0;
    fields >> state >> ppid;
    if (ppid > 1) survivors.pids.insert(ppid);  // the executor
  }

  master_->signal(SIGTERM);
  ASSERT_EQ(master_->wait(), 0) << master_->err();
  master_ = std::make_unique<Process>(
      "plexus-master",
      std::vector<std::string>{"--port=" + std::to_string(masterPort_),
                               "--work_dir=" + (dir_.path() / "master").string(),
                               "--allocation_interval=50ms"},
      dir_.path());
  ASSERT_EQ(master_->waitForPort(), masterPort_) << master_->err();
  ASSERT_TRUE(agent_->waitForLog("Re-registered with master", std::chrono::seconds(60))) << logs();
  EXPECT_TRUE(eventually([&] {
    http::ClientRequest request{.method = "GET", .target = "/state"};
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(masterPort_), request);
    if (!response || response->status != 200) return false;
    boost::system::error_code error;
    auto state = boost::json::parse(response->body, error);
    if (error) return false;
    for (const auto& framework : state.at("frameworks").as_array()) {
      for (const auto& listed : framework.at("executors").as_array()) {
        if (boost::json::serialize(listed).find("group-executor") != std::string::npos) return true;
      }
    }
    return false;
  })) << logs();
}

// A reboot (a new boot id) leaves nothing to recover: the agent says so and
// registers as a new agent, and the master lists only the new one.
TEST_F(RecoveryTest, AChangedBootIdStartsAfresh) {
  std::string first = startAgent({}, {"PLEXUS_BOOT_ID=boot-1"});
  ASSERT_FALSE(first.empty()) << logs();
  stopAgent(SIGTERM);
  std::string second = startAgent({}, {"PLEXUS_BOOT_ID=boot-2"});
  ASSERT_FALSE(second.empty()) << logs();
  EXPECT_NE(second, first);
  EXPECT_NE(agent_->err().find("The host rebooted since agent " + first), std::string::npos)
      << logs();
  EXPECT_TRUE(eventually([&] {
    auto agents = masterAgents();
    return agents.size() == 1u && agents.begin()->first == second;
  })) << logs();
  // The same boot id again: recovered.
  stopAgent(SIGTERM);
  EXPECT_EQ(startAgent({}, {"PLEXUS_BOOT_ID=boot-2"}), second) << logs();
}

TEST_F(RecoveryTest, ReconfigurationPolicyDecidesWhichResourceChangesKeepTheAgent) {
  std::string agentId = startAgent();
  ASSERT_FALSE(agentId.empty()) << logs();
  stopAgent(SIGTERM);

  // More memory under the default policy (equal): refused, naming the difference.
  Process more("plexus-agent", agentArgs({"--resources=cpus:16;mem:9000;disk:1024"}), dir_.path());
  EXPECT_EQ(more.wait(), 1);
  std::string refusal = more.lastErrLine();
  EXPECT_NE(refusal.find("resources were '"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("mem:8192"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("(added: mem:808)"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find(workDir() + "/meta/slaves/latest"), std::string::npos) << refusal;

  // Less memory under additive: refused too.
  Process less(
      "plexus-agent",
      agentArgs({"--resources=cpus:16;mem:4096;disk:1024", "--reconfiguration_policy=additive"}),
      dir_.path());
  EXPECT_EQ(less.wait(), 1);
  EXPECT_NE(less.lastErrLine().find("(removed: mem:4096)"), std::string::npos)
      << less.lastErrLine();

  // Only more, under additive: the same agent.
  EXPECT_EQ(
      startAgent({"--resources=cpus:16;mem:9000;disk:1024", "--reconfiguration_policy=additive"}),
      agentId)
      << logs();
}

TEST_F(RecoveryTest, ACorruptCheckpointIsRefusedNamingTheFile) {
  std::string agentId = startAgent();
  ASSERT_FALSE(agentId.empty()) << logs();
  stopAgent(SIGTERM);
  std::string info = workDir() + "/meta/slaves/" + agentId + "/slave.info";
  ASSERT_TRUE(fs::exists(info));
  fs::resize_file(info, fs::file_size(info) - 3);

  Process refused("plexus-agent", agentArgs({}), dir_.path());
  EXPECT_EQ(refused.wait(), 1);
  EXPECT_NE(refused.lastErrLine().find("checkpoint " + info + " is truncated"), std::string::npos)
      << refused.lastErrLine();

  // Without --strict it is logged and the agent starts afresh.
  std::string fresh = startAgent({"--strict=false"});
  EXPECT_FALSE(fresh.empty()) << logs();
  EXPECT_NE(fresh, agentId);
}

}  // namespace
}  // namespace plexus::testing
