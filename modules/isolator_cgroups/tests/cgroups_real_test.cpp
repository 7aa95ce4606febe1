// isolator_cgroups on this machine's real cgroups, as root: the control files it
// writes, cpu time in proportion to cpus under contention, a fork bomb held by the
// pids limit and killed completely, and recovery (adopt the live, destroy the
// orphans). Each test owns a parent cgroup `plexus-test-<pid>-<tag>` that TearDown
// removes whatever happened; skipped, saying why, without root or cgroups.
#include <csignal>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cgroup_test_util.hpp"
#include "cgroups_isolator.hpp"

namespace plexus::cgroups {
namespace {

using namespace std::chrono_literals;

v1::ContainerConfig config(const std::string& resources) {
  v1::ContainerConfig c;
  Resources::parse(resources)->toWire(c.mutable_resources());
  c.mutable_command_info()->set_value("x");
  c.set_directory("/tmp");
  return c;
}

enum class Work { kSleep, kSpin, kForkBomb };

// A container's first process: waits for release, then works. Spinning forks one
// more spinner first so a container can use two cpus.
// Keeps the calling process (and what it forks) on the first cpu it may use.
void pinToOneCpu() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ::sched_setaffinity(0, sizeof one, &one);
    return;
  }
}

pid_t startChild(Work work, int* gate) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) < 0) {
    }
    switch (work) {
      case Work::kSleep:
        for (;;)
          ::pause();
      case Work::kSpin: {
        pinToOneCpu();
        ::fork();
        volatile unsigned long x = 0;
        for (;;)
          x = x + 1;
      }
      case Work::kForkBomb:
        for (;;) {
          if (::fork() < 0) ::usleep(1000);
        }
    }
  }
  ::close(fds[0]);
  *gate = fds[1];
  return pid;
}

void release(int gate) {
  [[maybe_unused]] auto n = ::write(gate, "g", 1);
  ::close(gate);
}

void reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

class CgroupsReal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::realCgroupsSkipReason()) GTEST_SKIP() << *why;
    root_ = testing::uniqueRoot(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.root = root_;
  }
  void TearDown() override {
    if (!root_.empty()) testing::removeRootEverywhere(root_);
  }

  std::unique_ptr<CgroupsIsolator> make() {
    auto made = CgroupsIsolator::make(options_);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made ? std::move(*made) : nullptr;
  }

  std::string root_;
  CgroupsOptions options_;
};

TEST_F(CgroupsReal, WritesLimitsAndRemovesWhatItMade) {
  options_.cfsQuota = true;
  options_.pidsMax = 64;
  auto isolator = make();
  ASSERT_NE(isolator, nullptr);
  ContainerId id("limits");
  ASSERT_TRUE(isolator->prepare(id, config("cpus:0.25;mem:64")).has_value());
  const Layout& layout = isolator->layout();
  fs::path memory = layout.roots.at("memory") / "limits";
  if (layout.version == Version::kV1) {
    EXPECT_EQ(readNumber(memory / "memory.limit_in_bytes").value(), 64u << 20);
    if (layout.has("cpu")) {
      EXPECT_EQ(readNumber(layout.roots.at("cpu") / "limits" / "cpu.shares").value(), 256u);
      EXPECT_EQ(readNumber(layout.roots.at("cpu") / "limits" / "cpu.cfs_quota_us").value(), 25000u);
    }
  } else {
    EXPECT_EQ(readNumber(memory / "memory.max").value(), 64u << 20);
    EXPECT_EQ(readNumber(memory / "cpu.weight").value(), 25u);
  }
  if (layout.has("pids")) {
    EXPECT_EQ(readNumber(layout.roots.at("pids") / "limits" / "pids.max").value(), 64u);
  }
  for (const fs::path& path : isolator->cgroupsOf(id))
    EXPECT_TRUE(fs::is_directory(path)) << path;
  ASSERT_TRUE(isolator->cleanup(id).has_value());
  for (const fs::path& path : isolator->cgroupsOf(id))
    EXPECT_FALSE(fs::exists(path)) << path;
  EXPECT_TRUE(testing::leftoverContainers(root_).empty());
}

// The unified hierarchy, asked for explicitly: used where the machine's cgroup2
// mount has the memory controller, otherwise skipped with the reason (the CI
// machines mount v1 controllers plus a cgroup2 mount without them, where the
// v2 code runs against a fake cgroupfs in cgroups_v2_fake_test.cpp).
TEST_F(CgroupsReal, UnifiedHierarchyWhenTheMachineHasOne) {
  options_.version = "v2";
  auto made = CgroupsIsolator::make(options_);
  if (!made) GTEST_SKIP() << "no usable cgroup v2 here: " << made.error().message();
  auto isolator = std::move(*made);
  ASSERT_EQ(isolator->layout().version, Version::kV2);
  ContainerId id("unified");
  ASSERT_TRUE(isolator->prepare(id, config("cpus:0.5;mem:64")).has_value());
  fs::path cgroup = isolator->layout().roots.at("memory") / "unified";
  EXPECT_EQ(readNumber(cgroup / "memory.max").value(), 64u << 20);
  EXPECT_EQ(readNumber(cgroup / "cpu.weight").value(), 50u);
  ASSERT_TRUE(isolator->cleanup(id).has_value());
  EXPECT_FALSE(fs::exists(cgroup));
  EXPECT_TRUE(testing::leftoverContainers(root_).empty());
}

TEST_F(CgroupsReal, CpuTimeFollowsCpusUnderContention) {
  auto isolator = make();
  ASSERT_NE(isolator, nullptr);
  if (!isolator->layout().has("cpu") || !isolator->layout().has("cpuacct")) {
    GTEST_SKIP() << "the cpu and cpuacct controllers are needed";
  }
  // Each container runs two spinners, all four pinned to one cpu: the two
  // containers contend on that cpu inside our parent and split its time by their
  // shares, however busy the other cpus are (unpinned, the split depended on how
  // the scheduler spread them over a loaded machine's cpus).
  ContainerId big("big"), small("small");
  ASSERT_TRUE(isolator->prepare(big, config("cpus:1;mem:64")).has_value());
  ASSERT_TRUE(isolator->prepare(small, config("cpus:0.25;mem:64")).has_value());
  int bigGate = -1, smallGate = -1;
  pid_t bigPid = startChild(Work::kSpin, &bigGate);
  pid_t smallPid = startChild(Work::kSpin, &smallGate);
  ASSERT_TRUE(isolator->isolate(big, bigPid).has_value());
  ASSERT_TRUE(isolator->isolate(small, smallPid).has_value());
  release(bigGate);
  release(smallGate);
  std::this_thread::sleep_for(500ms);  // settle
  auto cpu = [&](const ContainerId& id) {
    auto usage = isolator->usage(id);
    return usage ? usage->cpus_user_time_secs() + usage->cpus_system_time_secs() : 0.0;
  };
  double big0 = cpu(big), small0 = cpu(small);
  std::this_thread::sleep_for(4s);
  double bigUsed = cpu(big) - big0, smallUsed = cpu(small) - small0;
  reap(bigPid);
  reap(smallPid);
  EXPECT_TRUE(isolator->cleanup(big).has_value());
  EXPECT_TRUE(isolator->cleanup(small).has_value());
  ASSERT_GT(smallUsed, 0.05) << "the small container got no cpu at all";
  double ratio = bigUsed / smallUsed;
  std::cout << "[ cpu ratio ] cpus:1 used " << bigUsed << " s, cpus:0.25 used " << smallUsed
            << " s in 4 s: ratio " << ratio << " (expected 4)\n";
  RecordProperty("cpu_ratio", std::to_string(ratio));
  EXPECT_GT(ratio, 2.5);
  EXPECT_LT(ratio, 6.5);
}

TEST_F(CgroupsReal, ForkBombIsHeldByPidsAndKilledCompletely) {
  options_.pidsMax = 32;
  auto isolator = make();
  ASSERT_NE(isolator, nullptr);
  if (!isolator->layout().has("pids")) GTEST_SKIP() << "the pids controller is needed";
  ContainerId id("bomb");
  ASSERT_TRUE(isolator->prepare(id, config("cpus:0.5;mem:128")).has_value());
  int gate = -1;
  pid_t pid = startChild(Work::kForkBomb, &gate);
  ASSERT_TRUE(isolator->isolate(id, pid).has_value());
  release(gate);
  std::this_thread::sleep_for(1500ms);
  auto usage = isolator->usage(id);
  ASSERT_TRUE(usage.has_value());
  std::cout << "[ fork bomb ] " << usage->processes() << " processes, " << usage->threads()
            << " threads under pids.max 32\n";
  EXPECT_LE(usage->threads(), 32u);
  EXPECT_GE(usage->processes(), 8u);
  fs::path pids = isolator->layout().roots.at("pids") / "bomb";
  if (isolator->layout().version == Version::kV1) {
    auto events = readFile(pids / "pids.events");
    if (events) {
      EXPECT_GT(parseKeyValues(*events)["max"], 0u) << *events;
    }
  }
  // The first process dies; its descendants keep forking until cleanup.
  reap(pid);
  auto cleaned = isolator->cleanup(id);
  EXPECT_TRUE(cleaned.has_value()) << cleaned.error().message();
  for (const fs::path& path : isolator->cgroupsOf(id))
    EXPECT_FALSE(fs::exists(path)) << path;
}

TEST_F(CgroupsReal, RecoverAdoptsTheLiveAndDestroysOrphans) {
  ContainerId live("live"), orphan("orphan");
  int liveGate = -1, orphanGate = -1;
  pid_t livePid = startChild(Work::kSleep, &liveGate);
  pid_t orphanPid = startChild(Work::kSleep, &orphanGate);
  {
    auto before = make();  // the agent that dies
    ASSERT_NE(before, nullptr);
    ASSERT_TRUE(before->prepare(live, config("cpus:0.5;mem:64")).has_value());
    ASSERT_TRUE(before->prepare(orphan, config("cpus:0.5;mem:64")).has_value());
    ASSERT_TRUE(before->isolate(live, livePid).has_value());
    ASSERT_TRUE(before->isolate(orphan, orphanPid).has_value());
  }
  release(liveGate);
  release(orphanGate);
  auto after = make();
  ASSERT_NE(after, nullptr);
  v1::ContainerState state;
  live.toWire(state.mutable_container_id());
  state.set_pid(static_cast<std::uint64_t>(livePid));
  state.set_directory("/tmp");
  ASSERT_TRUE(after->recover({state}, {orphan}).has_value());
  // The orphan's process was killed with its cgroups.
  int status = 0;
  EXPECT_EQ(::waitpid(orphanPid, &status, 0), orphanPid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (const fs::path& path : after->cgroupsOf(orphan))
    EXPECT_FALSE(fs::exists(path)) << path;
  // The live one is adopted: measured, limited, cleaned up.
  auto usage = after->usage(live);
  ASSERT_TRUE(usage.has_value()) << usage.error().message();
  EXPECT_EQ(usage->processes(), 1u);
  EXPECT_EQ(usage->mem_limit_bytes(), 64u << 20);
  ::kill(livePid, SIGKILL);
  ::waitpid(livePid, nullptr, 0);
  EXPECT_TRUE(after->cleanup(live).has_value());
  EXPECT_TRUE(testing::leftoverContainers(root_).empty());
}

}  // namespace
}  // namespace plexus::cgroups
