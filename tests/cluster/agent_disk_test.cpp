// The agent keeps its disk in order (issue 15, item 8), with a real master, a real
// agent and real tasks:
//   - the sandbox of a completed executor is garbage collected after --gc_delay,
//     also when the agent that ran it was restarted meanwhile (the schedule is
//     re-derived from the work dir's mtimes);
//   - under disk pressure (a small tmpfs made by the test as the work dir, filled
//     past 1 - --gc_disk_headroom) it goes at the next --disk_watch_interval,
//     long before --gc_delay;
//   - with --container_logger=container_logger_rotate a chatty task's stdout is
//     rotated: `stdout` and every kept `stdout.N` stay within max_stdout_size.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/mount.h>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "cluster.hpp"
#include "daemons.hpp"

namespace plexus::testing {
namespace {

namespace fs = std::filesystem;
using v1::scheduler::Event;

class AgentDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  void TearDown() override {
    if (agent_) {
      agent_->signal(SIGTERM);
      EXPECT_EQ(agent_->wait(), 0) << agent_->err();
    }
    master_->signal(SIGTERM);
    EXPECT_EQ(master_->wait(), 0) << master_->err();
  }

  // Starts plexus-agent on `workDir` with `extra` flags; returns its agent id.
  std::string startAgent(const fs::path& workDir, std::vector<std::string> extra) {
    std::vector<std::string> args{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                  "--work_dir=" + workDir.string(),
                                  "--resources=cpus:2;mem:512;disk:1024", "--switch_user=false"};
    args.insert(args.end(), extra.begin(), extra.end());
    agent_ = std::make_unique<Process>("plexus-agent", std::move(args), dir_.path());
    const std::string marker = " as agent ";
    if (!agent_->waitForLog(marker)) return "";
    std::string err = agent_->err();
    std::size_t at = err.rfind(marker) + marker.size();
    return err.substr(at, err.find_first_of(" \n", at) - at);
  }

  void stopAgent() {
    agent_->signal(SIGTERM);
    EXPECT_EQ(agent_->wait(), 0) << agent_->err();
    agent_.reset();
  }

  // Subscribes a framework and runs `command` as task `id` to its end; returns the
  // task's sandbox (its executor's run directory, from the agent's /state view of
  // the work dir) or an empty path.
  fs::path runTask(Scheduler& scheduler, const std::string& id, const std::string& command,
                   const fs::path& workDir) {
    auto offers = scheduler.next(Event::OFFERS);
    if (!offers) return {};
    const v1::Offer& offer = offers->offers().offers(0);
    if (scheduler
            .call(ClusterFixture::launch(offer, {ClusterFixture::commandTask(offer, id, command)}))
            .status != 202u) {
      return {};
    }
    std::optional<v1::TaskStatus> status;
    do {
      status = ClusterFixture::nextUpdate(scheduler);
    } while (status && !isTerminal(status->state()));
    if (!status || status->state() != v1::TASK_FINISHED) return {};
    fs::path runs = workDir / "slaves" / offer.agent_id().value() / "frameworks" /
                    scheduler.frameworkId() / "executors" / id / "runs";
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(runs, error))
      return entry.path();
    return {};
  }

  static bool isTerminal(v1::TaskState state) {
    return state != v1::TASK_STAGING && state != v1::TASK_STARTING && state != v1::TASK_RUNNING;
  }

  // The agent's /metrics/snapshot (null when it cannot be read).
  boost::json::value agentMetrics() const {
    const std::string marker = "listening on http://127.0.0.1:";
    std::string err = agent_->err();
    std::size_t at = err.find(marker);
    if (at == std::string::npos) return nullptr;
    int port = std::stoi(err.substr(at + marker.size()));
    auto response =
        http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                    http::ClientRequest{.method = "GET", .target = "/metrics/snapshot"});
    if (!response || response->status != 200) return nullptr;
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(response->body, error);
    return error ? boost::json::value(nullptr) : value;
  }

  std::string logs() const {
    return "--- master:\n" + master_->err() + "--- agent:\n" + (agent_ ? agent_->err() : "");
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::unique_ptr<Process> agent_;
  int port_ = 0;
};

TEST_F(AgentDiskTest, CompletedSandboxesAreRemovedAfterGcDelay) {
  fs::path workDir = dir_.path() / "agent";
  ASSERT_FALSE(startAgent(workDir, {"--gc_delay=3secs"}).empty()) << logs();
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework()), 200u) << logs();
  fs::path sandbox = runTask(scheduler, "short", "echo done", workDir);
  ASSERT_FALSE(sandbox.empty()) << logs();
  // Kept for --gc_delay after the executor ended, then removed with its executor folder.
  EXPECT_EQ(readFile(sandbox / "stdout").find("done") != std::string::npos, true);
  ASSERT_TRUE(eventually([&] { return !fs::exists(sandbox); }, std::chrono::seconds(20))) << logs();
  EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox.parent_path().parent_path()); }))
      << logs();
  EXPECT_NE(agent_->err().find("Garbage collected '" + sandbox.string() + "'"), std::string::npos)
      << logs();
  // Mesos's metrics: the run and the executor directory went, nothing is left to go.
  auto metrics = agentMetrics();
  ASSERT_TRUE(metrics.is_object()) << logs();
  EXPECT_EQ(metrics.at("gc/path_removals_succeeded").to_number<int>(), 2);
  EXPECT_EQ(metrics.at("gc/path_removals_failed").to_number<int>(), 0);
  EXPECT_EQ(metrics.at("gc/path_removals_pending").to_number<int>(), 0);
}

TEST_F(AgentDiskTest, ARestartedAgentGarbageCollectsWhatItRanBefore) {
  fs::path workDir = dir_.path() / "agent";
  std::string first = startAgent(workDir, {"--gc_delay=1weeks"});
  ASSERT_FALSE(first.empty()) << logs();
  fs::path sandbox;
  {
    Scheduler scheduler(port_, Wire::kJson);
    ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework()), 200u) << logs();
    sandbox = runTask(scheduler, "before-restart", "echo before", workDir);
    ASSERT_FALSE(sandbox.empty()) << logs();
  }
  stopAgent();
  ASSERT_TRUE(fs::exists(sandbox));
  // Nothing but the work dir says what is garbage now; a short delay shows it.
  ASSERT_FALSE(startAgent(workDir, {"--gc_delay=2secs"}).empty()) << logs();
  EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox); }, std::chrono::seconds(20))) << logs();
  EXPECT_NE(agent_->err().find("completed sandbox directories under the work dir"),
            std::string::npos)
      << logs();
}

// A tmpfs mounted by the test, unmounted (lazily, so a busy file cannot keep it)
// whatever happens.
class Tmpfs {
 public:
  Tmpfs(const fs::path& path, const std::string& size) : path_(path) {
    fs::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  fs::path path_;
  bool mounted_ = false;
};

TEST_F(AgentDiskTest, DiskPressureRemovesCompletedSandboxesAtOnce) {
  fs::path workDir = dir_.path() / "tmpfs";
  Tmpfs tmpfs(workDir, "16m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  ASSERT_FALSE(startAgent(workDir, {"--gc_delay=1weeks", "--disk_watch_interval=100ms",
                                    "--gc_disk_headroom=0.1"})
                   .empty())
      << logs();
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework()), 200u) << logs();
  fs::path sandbox = runTask(scheduler, "pressure", "echo pressure", workDir);
  ASSERT_FALSE(sandbox.empty()) << logs();

  // With the disk nearly empty, the disk checks keep it (a week to go).
  auto checks = [&] {
    std::string err = agent_->err();
    std::size_t count = 0;
    for (std::size_t at = err.find("Current disk usage"); at != std::string::npos;
         at = err.find("Current disk usage", at + 1))
      ++count;
    return count;
  };
  std::size_t before = checks();
  ASSERT_TRUE(eventually([&] { return checks() >= before + 3; })) << logs();
  ASSERT_TRUE(fs::exists(sandbox)) << logs();

  // Fill the disk past 1 - headroom (15 of 16 MB): the next check removes it.
  {
    std::ofstream ballast(workDir / "ballast", std::ios::binary);
    std::string megabyte(1 << 20, 'x');
    for (int i = 0; i < 15; ++i)
      ballast.write(megabyte.data(), static_cast<std::streamsize>(megabyte.size()));
  }
  EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox); })) << logs();
  EXPECT_NE(agent_->err().find("Pruning '" + sandbox.string() + "'"), std::string::npos) << logs();
  fs::remove(workDir / "ballast");
  stopAgent();  // before the tmpfs goes
}

TEST_F(AgentDiskTest, TheRotatingLoggerKeepsAChattyTasksStdoutWithinItsLimit) {
  const std::string modules =
      R"({"libraries": [{"file": ")" + std::string(ROTATE_MODULE_PATH) +
      R"(", "modules": [{"name": "container_logger_rotate", "parameters": [)"
      R"({"key": "max_stdout_size", "value": "64KB"}, {"key": "max_stdout_files", "value": "2"}]}]}]})";
  fs::path workDir = dir_.path() / "agent";
  ASSERT_FALSE(startAgent(workDir, {"--modules=" + dir_.write("modules.json", modules),
                                    "--container_logger=container_logger_rotate"})
                   .empty())
      << logs();
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(ClusterFixture::framework()), 200u) << logs();
  // About 1.3 MB: twenty times the limit.
  fs::path sandbox =
      runTask(scheduler, "chatty",
              "i=0; while [ $i -lt 20000 ]; do echo \"chatty line $i of a task that talks a lot\"; "
              "i=$((i+1)); done; echo THE END",
              workDir);
  ASSERT_FALSE(sandbox.empty()) << logs();
  ASSERT_TRUE(eventually([&] { return readFile(sandbox / "stdout").ends_with("THE END\n"); }))
      << logs();
  std::uintmax_t total = 0;
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(sandbox)) {
    std::string name = entry.path().filename().string();
    if (name != "stdout" && !name.starts_with("stdout.")) continue;
    names.insert(name);
    std::uintmax_t size = fs::file_size(entry.path());
    total += size;
    std::cout << "[ sizes    ] " << name << ": " << size << " bytes\n";
    EXPECT_LE(size, 64u * 1024u) << name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"stdout", "stdout.1", "stdout.2"}));
  EXPECT_LE(total, 3u * 64u * 1024u);
  EXPECT_TRUE(readFile(sandbox / "stdout.1").starts_with("chatty line"));
}

}  // namespace
}  // namespace plexus::testing
