// PosixIsolator on real child processes: rlimits reach the container, the task's
// rlimit_info wins over the parameter, the memory limit's source, and RSS
// enforcement reports a limitation with the limit and the usage.
#include "posix_isolator.hpp"

#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace plexus::posix {
namespace {

// A child that waits on a pipe, then optionally touches `megabytes` and sleeps.
struct Child {
  pid_t pid = 0;
  int gate = -1;
  explicit Child(std::size_t megabytes = 0) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::close(fds[1]);
      char c;
      while (::read(fds[0], &c, 1) < 0) {
      }
      for (std::size_t i = 0; i < megabytes; ++i) {
        void* block =
            ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (block != MAP_FAILED) std::memset(block, 1, 1 << 20);
      }
      for (;;)
        ::pause();
    }
    ::close(fds[0]);
    gate = fds[1];
  }
  void release() { [[maybe_unused]] auto n = ::write(gate, "g", 1); }
  ~Child() {
    ::close(gate);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

v1::ContainerConfig config(const std::string& resources) {
  v1::ContainerConfig c;
  Resources::parse(resources)->toWire(c.mutable_resources());
  c.mutable_command_info()->set_value("x");
  c.set_directory("/tmp");
  return c;
}

TEST(PosixIsolator, AppliesRLimitsWithTheTasksOwnOverTheParameter) {
  PosixOptions options;
  options.rlimits = *parseRLimits("NOFILE=100:200;CORE=0");
  PosixIsolator isolator(options);
  v1::ContainerConfig c = config("cpus:1;mem:64");
  auto* limit = c.mutable_container_info()->mutable_rlimit_info()->add_rlimits();
  limit->set_type(v1::RLimitInfo::RLimit::RLMT_NOFILE);
  limit->set_soft(50);
  limit->set_hard(60);
  c.mutable_container_info()->set_type(v1::ContainerInfo::MESOS);
  ContainerId id("c1");
  ASSERT_TRUE(isolator.prepare(id, c).has_value());
  Child child;
  ASSERT_TRUE(isolator.isolate(id, child.pid).has_value());
  rlimit nofile{}, core{};
  ASSERT_EQ(::prlimit(child.pid, RLIMIT_NOFILE, nullptr, &nofile), 0);
  ASSERT_EQ(::prlimit(child.pid, RLIMIT_CORE, nullptr, &core), 0);
  EXPECT_EQ(nofile.rlim_cur, 50u);
  EXPECT_EQ(nofile.rlim_max, 60u);
  EXPECT_EQ(core.rlim_max, 0u);
  child.release();
  EXPECT_TRUE(isolator.cleanup(id).has_value());
}

TEST(PosixIsolator, RefusesABadRLimitInfoAtPrepare) {
  PosixIsolator isolator(PosixOptions{});
  v1::ContainerConfig c = config("cpus:1");
  auto* limit = c.mutable_container_info()->mutable_rlimit_info()->add_rlimits();
  limit->set_type(v1::RLimitInfo::RLimit::RLMT_NOFILE);
  limit->set_soft(5);
  auto prepared = isolator.prepare(ContainerId("c"), c);
  ASSERT_FALSE(prepared.has_value());
  EXPECT_NE(prepared.error().message().find("NOFILE"), std::string::npos);
}

TEST(PosixIsolator, MemoryLimitComesFromTheLimitThenTheRequest) {
  auto resources = *Resources::parse("cpus:1;mem:64");
  EXPECT_EQ(memLimitOf(resources, {}), 64u << 20);
  EXPECT_EQ(memLimitOf(resources, {{"mem", 128}}), 128u << 20);
  EXPECT_FALSE(memLimitOf(resources, {{"mem", INFINITY}}).has_value());
  EXPECT_FALSE(memLimitOf(*Resources::parse("cpus:1"), {}).has_value());
  EXPECT_EQ(memoryLimitMessage(64u << 20, (256u << 20) + 1),
            "Memory limit exceeded: Requested: 64MB Maximum Used: 257MB");
}

TEST(PosixIsolator, ReportsAMemoryLimitationOnceWithLimitAndUsage) {
  PosixOptions options;
  options.enforceMemory = true;
  options.pollInterval = std::chrono::hours(1);  // driven by checkMemoryOnce()
  PosixIsolator isolator(options);
  ContainerId id("hog");
  ASSERT_TRUE(isolator.prepare(id, config("cpus:1;mem:16")).has_value());
  Child child(64);
  ASSERT_TRUE(isolator.isolate(id, child.pid).has_value());
  std::vector<v1::ContainerLimitation> seen;
  isolator.watch(id, [&](const v1::ContainerLimitation& l) { seen.push_back(l); });
  child.release();
  for (int i = 0; i < 200 && seen.empty(); ++i) {
    ::usleep(20000);
    isolator.checkMemoryOnce();
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_NE(seen[0].message().find("Requested: 16MB Maximum Used: "), std::string::npos)
      << seen[0].message();
  ASSERT_EQ(seen[0].resources_size(), 1);
  EXPECT_EQ(seen[0].resources(0).name(), "mem");
  EXPECT_DOUBLE_EQ(seen[0].resources(0).scalar().value(), 16);
  isolator.checkMemoryOnce();
  EXPECT_EQ(seen.size(), 1u);  // at most once per container

  auto usage = isolator.usage(id);
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->mem_limit_bytes(), 16u << 20);
  EXPECT_GT(usage->mem_rss_bytes(), 16u << 20);
  EXPECT_EQ(usage->processes(), 1u);
  EXPECT_DOUBLE_EQ(usage->cpus_limit(), 1);
  EXPECT_TRUE(isolator.cleanup(id).has_value());
}

TEST(PosixIsolator, UnknownContainers) {
  PosixIsolator isolator(PosixOptions{});
  EXPECT_FALSE(isolator.usage(ContainerId("nope")).has_value());
  EXPECT_FALSE(isolator.isolate(ContainerId("nope"), 1).has_value());
  EXPECT_TRUE(isolator.cleanup(ContainerId("nope")).has_value());
}

}  // namespace
}  // namespace plexus::posix
