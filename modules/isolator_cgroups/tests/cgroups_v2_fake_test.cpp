// The cgroup v2 code path, run on a temporary folder laid out like a cgroup2 mount
// with the cpu, memory and pids controllers (this machine's v2 mount has none).
// A plain folder cannot act as the kernel, so the test plays its part: it writes
// the counters the kernel would (cpu.stat, memory.events, ...) and empties
// cgroup.procs once cgroup.kill is written. What this cannot show: that a real
// kernel accepts these writes, kills on cgroup.kill, and lets the folders go.
#include <atomic>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cgroups_isolator.hpp"

namespace plexus::cgroups {
namespace {

using namespace std::chrono_literals;

class CgroupsV2Fake : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = fs::temp_directory_path() / ("cgroup2-fake-" + std::to_string(::getpid()));
    fs::remove_all(mount_);
    fs::create_directories(mount_ / "plexus-fake");
    ASSERT_TRUE(writeFile(mount_ / "cgroup.controllers", "cpuset cpu io memory pids\n"));
    // What the kernel shows in a new child of a parent that delegates them.
    ASSERT_TRUE(writeFile(mount_ / "plexus-fake" / "cgroup.controllers", "cpu memory pids\n"));
    options_.root = "plexus-fake";
    options_.version = "v2";
    options_.mount = mount_.string();
    options_.cfsQuota = true;
    options_.pidsMax = 50;
    options_.oomPollInterval = std::chrono::hours(1);  // driven by checkOomOnce()
  }
  void TearDown() override { fs::remove_all(mount_); }

  std::string read(const fs::path& path) { return readFile(mount_ / path).value_or("<missing>"); }

  fs::path mount_;
  CgroupsOptions options_;
};

v1::ContainerConfig config(const std::string& resources) {
  v1::ContainerConfig c;
  Resources::parse(resources)->toWire(c.mutable_resources());
  c.mutable_command_info()->set_value("x");
  c.set_directory("/tmp");
  return c;
}

TEST_F(CgroupsV2Fake, DelegatesControllersToItsOwnParentOnly) {
  auto isolator = CgroupsIsolator::make(options_);
  ASSERT_TRUE(isolator.has_value()) << isolator.error().message();
  EXPECT_EQ((*isolator)->layout().version, Version::kV2);
  EXPECT_EQ(read("plexus-fake/cgroup.subtree_control"), "+cpu +memory +pids");
  EXPECT_FALSE(fs::exists(mount_ / "cgroup.subtree_control"));  // the mount's: untouched
}

TEST_F(CgroupsV2Fake, RefusesAParentWithoutMemory) {
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake" / "cgroup.controllers", "cpu pids\n"));
  auto isolator = CgroupsIsolator::make(options_);
  ASSERT_FALSE(isolator.has_value());
  EXPECT_NE(isolator.error().message().find("memory controller is not delegated"),
            std::string::npos)
      << isolator.error().message();
}

TEST_F(CgroupsV2Fake, LimitsUsageOomAndKill) {
  auto made = CgroupsIsolator::make(options_);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  CgroupsIsolator& isolator = **made;
  ContainerId id("c1");
  ASSERT_TRUE(isolator.prepare(id, config("cpus:0.5;mem:64")).has_value());
  EXPECT_EQ(read("plexus-fake/c1/memory.max"), std::to_string(64u << 20));
  EXPECT_EQ(read("plexus-fake/c1/cpu.weight"), "50");
  EXPECT_EQ(read("plexus-fake/c1/cpu.max"), "50000 100000");
  EXPECT_EQ(read("plexus-fake/c1/pids.max"), "50");
  EXPECT_FALSE(isolator.prepare(id, config("cpus:1")).has_value());  // twice

  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_TRUE(isolator.isolate(id, child).has_value());
  EXPECT_EQ(read("plexus-fake/c1/cgroup.procs"), std::to_string(child));

  // The kernel's counters.
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/cpu.stat",
                        "usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\n"
                        "nr_periods 10\nnr_throttled 2\nthrottled_usec 500000\n"));
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/memory.current", "1048576\n"));
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/memory.stat",
                        "anon 524288\nfile 262144\nfile_mapped 4096\nunevictable 0\n"));
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/cgroup.threads",
                        std::to_string(child) + "\n" + std::to_string(child + 1) + "\n"));
  auto usage = isolator.usage(id);
  ASSERT_TRUE(usage.has_value()) << usage.error().message();
  EXPECT_DOUBLE_EQ(usage->cpus_user_time_secs(), 2.0);
  EXPECT_DOUBLE_EQ(usage->cpus_system_time_secs(), 1.0);
  EXPECT_EQ(usage->cpus_nr_periods(), 10u);
  EXPECT_EQ(usage->cpus_nr_throttled(), 2u);
  EXPECT_DOUBLE_EQ(usage->cpus_throttled_time_secs(), 0.5);
  EXPECT_DOUBLE_EQ(usage->cpus_limit(), 0.5);
  EXPECT_EQ(usage->mem_total_bytes(), 1048576u);
  EXPECT_EQ(usage->mem_limit_bytes(), 64u << 20);
  EXPECT_EQ(usage->mem_rss_bytes(), 524288u);
  EXPECT_EQ(usage->mem_file_bytes(), 262144u);
  EXPECT_EQ(usage->mem_mapped_file_bytes(), 4096u);
  EXPECT_EQ(usage->processes(), 1u);
  EXPECT_EQ(usage->threads(), 2u);

  // An OOM kill: memory.events' oom_kill goes up; memory.peak says how high it got.
  std::vector<v1::ContainerLimitation> seen;
  isolator.watch(id, [&](const v1::ContainerLimitation& l) { seen.push_back(l); });
  isolator.checkOomOnce();
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/memory.events",
                        "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n"));
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/memory.peak", std::to_string(64u << 20)));
  isolator.checkOomOnce();
  isolator.checkOomOnce();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_NE(seen[0].message().find("Memory limit exceeded: Requested: 64MB Maximum Used: 64MB"),
            std::string::npos)
      << seen[0].message();

  // Cleanup writes cgroup.kill; the "kernel" empties cgroup.procs in response.
  ASSERT_TRUE(writeFile(mount_ / "plexus-fake/c1/cgroup.kill", "0"));
  std::atomic<bool> done{false};
  std::thread kernel([&] {
    while (!done) {
      if (read("plexus-fake/c1/cgroup.kill") == "1") {
        (void)writeFile(mount_ / "plexus-fake/c1/cgroup.procs", "");
        ::kill(child, SIGKILL);
        return;
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  auto cleaned = isolator.cleanup(id);
  done = true;
  kernel.join();
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(read("plexus-fake/c1/cgroup.kill"), "1");
  // A plain folder holds files, so rmdir fails here; on cgroupfs it removes the cgroup.
  ASSERT_FALSE(cleaned.has_value());
  EXPECT_NE(cleaned.error().message().find("cannot remove cgroup"), std::string::npos)
      << cleaned.error().message();
  EXPECT_FALSE(isolator.usage(id).has_value());  // forgotten all the same
}

}  // namespace
}  // namespace plexus::cgroups
