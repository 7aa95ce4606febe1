// The containerizer with an in-process isolator: isolate() sees the child before
// it execs, launch infos are merged, limitations and grace periods kill.
#include "agent/containerizer.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <sys/wait.h>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "http/io_runtime.hpp"

namespace plexus::agent {
namespace {

namespace fs = std::filesystem;

class RecordingIsolator : public Isolator {
 public:
  Result<std::optional<v1::ContainerLaunchInfo>> prepare(const ContainerId&,
                                                         const v1::ContainerConfig&) override {
    v1::ContainerLaunchInfo info;
    auto* variable = info.mutable_environment()->add_variables();
    variable->set_name("ISOLATED");
    variable->set_value("yes");
    if (shape) shape(info);
    return std::optional<v1::ContainerLaunchInfo>(info);
  }
  Result<void> isolate(const ContainerId&, pid_t pid) override {
    std::lock_guard lock(mutex);
    isolatedPid = pid;
    std::error_code ignored;
    exeAtIsolate = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ignored).string();
    return {};
  }
  void watch(const ContainerId&, LimitationCallback callback) override {
    std::lock_guard lock(mutex);
    onLimitation = std::move(callback);
  }
  Result<void> cleanup(const ContainerId&) override {
    std::lock_guard lock(mutex);
    ++cleanups;
    return {};
  }

  std::function<void(v1::ContainerLaunchInfo&)> shape;  // more launch information, if set
  std::mutex mutex;
  pid_t isolatedPid = 0;
  std::string exeAtIsolate;
  LimitationCallback onLimitation;
  int cleanups = 0;
};

class ContainerizerTest : public ::testing::Test {
 protected:
  ContainerizerTest() {
    std::string pattern = (fs::temp_directory_path() / "plexus-containerizer-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  ~ContainerizerTest() override { fs::remove_all(dir_); }

  LaunchRequest request(const std::string& command) {
    LaunchRequest r;
    r.id = ContainerId("c1");
    r.config.set_directory(dir_.string());
    r.config.mutable_command_info()->set_value(command);
    r.environment = {{"BASE", "base"}, {"PATH", "/usr/bin:/bin"}};
    return r;
  }

  std::string stdoutText() {
    std::ifstream in(dir_ / "stdout");
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }

  fs::path dir_;
  boost::asio::io_context io_;
  http::IoRuntime runtime_{io_};
  RecordingIsolator isolator_;
};

TEST_F(ContainerizerTest, IsolatesBeforeExecAndMergesTheLaunchEnvironment) {
  Containerizer containerizer(io_, runtime_, {&isolator_});
  pid_t launchedPid = 0;
  std::optional<Termination> termination;
  containerizer.launch(
      request("echo $ISOLATED $BASE"),
      [&](Result<pid_t> pid) {
        ASSERT_TRUE(pid) << pid.error().message();
        launchedPid = *pid;
      },
      [&](const Termination& t) {
        termination = t;
        io_.stop();
      });
  io_.run_for(std::chrono::seconds(20));
  ASSERT_TRUE(termination);
  EXPECT_TRUE(WIFEXITED(termination->status));
  EXPECT_EQ(WEXITSTATUS(termination->status), 0);
  EXPECT_EQ(isolator_.isolatedPid, launchedPid);
  // Still the forked test binary when isolated: nothing of the command ran yet.
  EXPECT_EQ(isolator_.exeAtIsolate, fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(stdoutText(), "yes base\n");
  EXPECT_EQ(isolator_.cleanups, 1);
  EXPECT_FALSE(containerizer.contains(ContainerId("c1")));
}

// Launch information the containerizer does not apply is refused naming the field,
// never dropped: the task that asked for a working directory, an rlimit or a secret
// must not run without it.
TEST_F(ContainerizerTest, LaunchInformationItDoesNotApplyFailsTheLaunchNamingIt) {
  const std::vector<std::pair<std::function<void(v1::ContainerLaunchInfo&)>, std::string>> cases{
      {[](v1::ContainerLaunchInfo& info) { info.set_working_directory("/srv"); },
       "ContainerLaunchInfo.working_directory is not applied by this agent"},
      {[](v1::ContainerLaunchInfo& info) { info.mutable_rlimits()->add_rlimits(); },
       "ContainerLaunchInfo.rlimits is not applied by this agent"},
      {[](v1::ContainerLaunchInfo& info) {
         auto* variable = info.mutable_environment()->add_variables();
         variable->set_name("TOKEN");
         variable->set_type(v1::Environment::Variable::SECRET);
       },
       "variable 'TOKEN' is a secret"},
  };
  for (const auto& [shape, expected] : cases) {
    isolator_.shape = shape;
    Containerizer containerizer(io_, runtime_, {&isolator_});
    std::optional<Result<pid_t>> launched;
    containerizer.launch(
        request("true"),
        [&](Result<pid_t> pid) {
          launched = std::move(pid);
          io_.stop();
        },
        [&](const Termination&) { io_.stop(); });
    io_.restart();
    io_.run_for(std::chrono::seconds(20));
    ASSERT_TRUE(launched);
    ASSERT_FALSE(*launched) << expected;
    EXPECT_NE(launched->error().message().find(expected), std::string::npos)
        << launched->error().message();
  }
  EXPECT_EQ(isolator_.isolatedPid, 0);  // nothing was forked
}

TEST_F(ContainerizerTest, ALimitationKillsTheContainerAndIsReported) {
  Containerizer containerizer(io_, runtime_, {&isolator_});
  std::optional<Termination> termination;
  std::thread reporter;
  containerizer.launch(
      request("exec sleep 100"),
      [&](Result<pid_t> pid) {
        ASSERT_TRUE(pid);
        reporter = std::thread([&] {  // isolators report from their own threads
          v1::ContainerLimitation limitation;
          limitation.set_message("Memory limit exceeded");
          limitation.set_reason(v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
          std::lock_guard lock(isolator_.mutex);
          isolator_.onLimitation(limitation);
        });
      },
      [&](const Termination& t) {
        termination = t;
        io_.stop();
      });
  io_.run_for(std::chrono::seconds(20));
  reporter.join();
  ASSERT_TRUE(termination);
  ASSERT_TRUE(termination->limitation);
  EXPECT_EQ(termination->limitation->message(), "Memory limit exceeded");
  EXPECT_TRUE(WIFSIGNALED(termination->status));
  EXPECT_EQ(WTERMSIG(termination->status), SIGKILL);
}

TEST_F(ContainerizerTest, DestroySendsSigtermThenSigkillAfterTheGracePeriod) {
  Containerizer containerizer(io_, runtime_, {});
  std::optional<Termination> termination;
  auto started = std::chrono::steady_clock::now();
  std::function<void()> poll;
  containerizer.launch(
      request("trap '' TERM; echo ready; sleep 100; sleep 100"),
      [&](Result<pid_t> pid) {
        ASSERT_TRUE(pid);
        // Destroy once the shell ignores SIGTERM (it says so on stdout).
        poll = [&] {
          if (stdoutText().find("ready") == std::string::npos) {
            runtime_.schedule(std::chrono::milliseconds(5), poll);
            return;
          }
          started = std::chrono::steady_clock::now();
          containerizer.destroy(ContainerId("c1"), std::chrono::milliseconds(300));
        };
        poll();
      },
      [&](const Termination& t) {
        termination = t;
        io_.stop();
      });
  io_.run_for(std::chrono::seconds(20));
  ASSERT_TRUE(termination);
  EXPECT_TRUE(WIFSIGNALED(termination->status));
  EXPECT_EQ(WTERMSIG(termination->status), SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
}

TEST_F(ContainerizerTest, AFailedExecIsAnExitStatusAndAFailedIsolateAFailedLaunch) {
  struct Refusing : RecordingIsolator {
    Result<void> isolate(const ContainerId&, pid_t) override { return fail("no cgroup for you"); }
  } refusing;
  Containerizer containerizer(io_, runtime_, {&refusing});
  std::optional<Result<pid_t>> launched;
  containerizer.launch(
      request("true"),
      [&](Result<pid_t> pid) {
        launched = pid;
        io_.stop();
      },
      [&](const Termination&) { ADD_FAILURE() << "a failed launch never terminates"; });
  io_.run_for(std::chrono::seconds(20));
  ASSERT_TRUE(launched);
  ASSERT_FALSE(*launched);
  EXPECT_NE(launched->error().message().find("no cgroup for you"), std::string::npos);
  EXPECT_EQ(refusing.cleanups, 1);
}

}  // namespace
}  // namespace plexus::agent
