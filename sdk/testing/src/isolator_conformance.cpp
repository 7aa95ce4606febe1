#include "plexus/testing/isolator_conformance.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <poll.h>
#include <random>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <plexus/resources.hpp>

namespace plexus::testing {

namespace {

using namespace std::chrono_literals;

// What the container's first process does once released.
enum class Workload {
  // Forks two children that sleep (same session), burns ~0.3 s of cpu, touches
  // 16 MB, reports the children's pids and sleeps.
  kBusy,
  // Touches `megabytes` of memory, one megabyte at a time, then sleeps.
  kAllocate,
  // Sleeps.
  kIdle,
};

void writeFully(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

double cpuSecs() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void touch(std::size_t megabytes) {
  for (std::size_t i = 0; i < megabytes; ++i) {
    void* block =
        ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) return;
    std::memset(block, 0x5a, 1 << 20);
  }
}

// In the forked child: async-signal-safe calls and plain memory work only.
[[noreturn]] void runWorkload(Workload workload, std::size_t megabytes, int gate, int report) {
  ::setsid();
  char go = 0;
  while (::read(gate, &go, 1) < 0 && errno == EINTR) {
  }
  switch (workload) {
    case Workload::kBusy: {
      pid_t children[2] = {0, 0};
      for (pid_t& child : children) {
        child = ::fork();
        if (child == 0) {
          for (;;)
            ::pause();
        }
      }
      volatile double sink = 0;
      for (double start = cpuSecs(); cpuSecs() - start < 0.3;)
        sink = sink + 1.0;
      touch(16);
      writeFully(report, children, sizeof children);
      break;
    }
    case Workload::kAllocate:
      writeFully(report, "a", 1);
      touch(megabytes);
      break;
    case Workload::kIdle:
      writeFully(report, "i", 1);
      break;
  }
  for (;;)
    ::pause();
}

// A container's first process, made the way the agent's containerizer makes it.
class Child {
 public:
  ~Child() { kill(); }

  // Forks; the child waits for release().
  bool start(Workload workload, std::size_t megabytes = 0) {
    int gate[2], report[2];
    if (::pipe(gate) != 0 || ::pipe(report) != 0) return false;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::close(gate[1]);
      ::close(report[0]);
      runWorkload(workload, megabytes, gate[0], report[1]);
    }
    ::close(gate[0]);
    ::close(report[1]);
    gate_ = gate[1];
    report_ = report[0];
    return true;
  }

  void release() {
    writeFully(gate_, "g", 1);
    ::close(gate_);
    gate_ = -1;
  }

  // Reads `size` bytes of the child's report, or fails after `timeout`.
  bool readReport(void* data, std::size_t size, std::chrono::milliseconds timeout) {
    char* p = static_cast<char*>(data);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (size > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd fd{report_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = ::read(report_, p, size);
      if (n <= 0) return false;
      p += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  // SIGKILL to the first process only, and reap it. Its children live on.
  void kill() {
    if (gate_ >= 0) ::close(gate_);
    if (report_ >= 0) ::close(report_);
    gate_ = report_ = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = 0;
    }
  }

  // Whether the first process is still running (not reaped, not a zombie).
  bool running() const {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != 0) return false;
    return alive(pid_);
  }

  pid_t pid() const { return pid_; }

  static bool alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    std::size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    char state = line[close + 2];
    return state != 'Z' && state != 'X';
  }

 private:
  pid_t pid_ = 0;
  int gate_ = -1;
  int report_ = -1;
};

std::string uniqueId(const char* what) {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::string("conformance-") + what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + "-" + std::to_string(random() % 100000);
}

v1::ContainerConfig makeConfig(const std::string& resources, const std::string& directory) {
  v1::ContainerConfig config;
  auto parsed = Resources::parse(resources);
  EXPECT_TRUE(parsed.has_value()) << resources;
  if (parsed) parsed->toWire(config.mutable_resources());
  config.mutable_command_info()->set_value("conformance workload");
  config.set_directory(directory);
  return config;
}

// Limitations delivered through watch(), from any thread.
class Limitations {
 public:
  Isolator::LimitationCallback callback(const std::string& container) {
    return [this, container](const v1::ContainerLimitation& limitation) {
      std::lock_guard lock(mutex_);
      seen_.emplace_back(container, limitation);
      changed_.notify_all();
    };
  }

  std::optional<v1::ContainerLimitation> waitFor(const std::string& container,
                                                 std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<v1::ContainerLimitation> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& [id, limitation] : seen_) {
        if (id == container) found = limitation;
      }
      return found.has_value();
    });
    return found;
  }

  std::size_t countFor(const std::string& container) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& entry : seen_)
      n += entry.first == container ? 1 : 0;
    return n;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<std::string, v1::ContainerLimitation>> seen_;
};

// prepare + fork + isolate + watch + release, as the containerizer does.
::testing::AssertionResult launch(Isolator& isolator, const ContainerId& id,
                                  const v1::ContainerConfig& config, Child& child,
                                  Workload workload, std::size_t megabytes,
                                  Limitations& limitations) {
  auto prepared = isolator.prepare(id, config);
  if (!prepared) return ::testing::AssertionFailure() << "prepare: " << prepared.error().message();
  if (!child.start(workload, megabytes)) return ::testing::AssertionFailure() << "fork failed";
  auto isolated = isolator.isolate(id, child.pid());
  if (!isolated) return ::testing::AssertionFailure() << "isolate: " << isolated.error().message();
  isolator.watch(id, limitations.callback(id.value()));
  child.release();
  return ::testing::AssertionSuccess();
}

}  // namespace

bool linkIsolatorConformance() {
  return true;
}

void IsolatorConformance::SetUp() {
  const IsolatorConformanceConfig& config = GetParam();
  if (config.skipReason) {
    if (auto why = config.skipReason()) GTEST_SKIP() << config.name << ": " << *why;
  }
  if (config.setUp) config.setUp();
  setUpRan_ = true;
  sandbox_ = (std::filesystem::temp_directory_path() / uniqueId("sandbox")).string();
  std::filesystem::create_directories(sandbox_);
  ASSERT_TRUE(config.make) << "IsolatorConformanceConfig.make is required";
  auto made = config.make();
  ASSERT_TRUE(made.has_value()) << config.name << ": " << made.error().message();
  ASSERT_NE(*made, nullptr);
  isolator_ = std::move(*made);
}

void IsolatorConformance::TearDown() {
  isolator_.reset();
  if (!sandbox_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(sandbox_, ignored);
  }
  const IsolatorConformanceConfig& config = GetParam();
  if (setUpRan_ && config.leftovers && !HasFatalFailure()) {
    std::vector<std::string> left = config.leftovers();
    std::string shown;
    for (const auto& item : left)
      shown += "\n  " + item;
    EXPECT_TRUE(left.empty()) << config.name << " left behind:" << shown;
  }
  if (setUpRan_ && config.tearDown) config.tearDown();
}

TEST_P(IsolatorConformance, LaunchUsageStatusCleanup) {
  ContainerId id(uniqueId("busy"));
  Child child;
  Limitations limitations;
  ASSERT_TRUE(launch(*isolator_, id, makeConfig("cpus:0.5;mem:256", sandbox_), child,
                     Workload::kBusy, 0, limitations));
  pid_t grandchildren[2] = {0, 0};
  ASSERT_TRUE(child.readReport(grandchildren, sizeof grandchildren, 20s))
      << "the container's workload did not report";

  auto usage = isolator_->usage(id);
  ASSERT_TRUE(usage.has_value()) << usage.error().message();
  EXPECT_GT(usage->timestamp(), 0);
  bool measured = false;
  if (usage->has_cpus_user_time_secs() || usage->has_cpus_system_time_secs()) {
    measured = true;
    EXPECT_GE(usage->cpus_user_time_secs() + usage->cpus_system_time_secs(), 0.1)
        << usage->DebugString();
  }
  for (auto bytes : {usage->has_mem_rss_bytes() ? usage->mem_rss_bytes() : 0,
                     usage->has_mem_total_bytes() ? usage->mem_total_bytes() : 0}) {
    if (bytes == 0) continue;
    measured = true;
    EXPECT_GE(bytes, 8u << 20) << usage->DebugString();
  }
  EXPECT_TRUE(measured) << "usage() measured neither cpu time nor memory: " << usage->DebugString();
  if (usage->has_processes()) {
    EXPECT_GE(usage->processes(), 3u) << usage->DebugString();
  }

  auto status = isolator_->status(id);
  EXPECT_TRUE(status.has_value()) << status.error().message();

  // The first process dies; its children (same session) live on until cleanup.
  child.kill();
  for (pid_t pid : grandchildren)
    EXPECT_TRUE(Child::alive(pid)) << "pid " << pid << " died before cleanup";
  auto cleaned = isolator_->cleanup(id);
  EXPECT_TRUE(cleaned.has_value()) << cleaned.error().message();
  for (pid_t pid : grandchildren)
    EXPECT_FALSE(Child::alive(pid)) << "pid " << pid << " of the container survived cleanup";
  EXPECT_EQ(limitations.countFor(id.value()), 0u);

  // A second cleanup is of an unknown container now: ignored.
  EXPECT_TRUE(isolator_->cleanup(id).has_value());
}

TEST_P(IsolatorConformance, CleanupOfUnknownContainerIsIgnored) {
  auto cleaned = isolator_->cleanup(ContainerId(uniqueId("unknown")));
  EXPECT_TRUE(cleaned.has_value()) << cleaned.error().message();
}

TEST_P(IsolatorConformance, CleanupAfterPrepareOnly) {
  ContainerId id(uniqueId("prepared"));
  auto prepared = isolator_->prepare(id, makeConfig("cpus:0.1;mem:32", sandbox_));
  ASSERT_TRUE(prepared.has_value()) << prepared.error().message();
  auto cleaned = isolator_->cleanup(id);
  EXPECT_TRUE(cleaned.has_value()) << cleaned.error().message();
}

TEST_P(IsolatorConformance, TwoContainersAreMeasuredApart) {
  ContainerId busy(uniqueId("busy"));
  ContainerId idle(uniqueId("idle"));
  Child busyChild, idleChild;
  Limitations limitations;
  ASSERT_TRUE(launch(*isolator_, idle, makeConfig("cpus:0.1;mem:64", sandbox_), idleChild,
                     Workload::kIdle, 0, limitations));
  ASSERT_TRUE(launch(*isolator_, busy, makeConfig("cpus:0.5;mem:256", sandbox_), busyChild,
                     Workload::kBusy, 0, limitations));
  char mark = 0;
  ASSERT_TRUE(idleChild.readReport(&mark, 1, 20s));
  pid_t grandchildren[2];
  ASSERT_TRUE(busyChild.readReport(grandchildren, sizeof grandchildren, 20s));
  auto busyUsage = isolator_->usage(busy);
  auto idleUsage = isolator_->usage(idle);
  ASSERT_TRUE(busyUsage.has_value() && idleUsage.has_value());
  double busyCpu = busyUsage->cpus_user_time_secs() + busyUsage->cpus_system_time_secs();
  double idleCpu = idleUsage->cpus_user_time_secs() + idleUsage->cpus_system_time_secs();
  if (busyUsage->has_cpus_user_time_secs()) {
    EXPECT_LT(idleCpu, busyCpu / 2);
  }
  busyChild.kill();
  idleChild.kill();
  EXPECT_TRUE(isolator_->cleanup(busy).has_value());
  EXPECT_TRUE(isolator_->cleanup(idle).has_value());
  for (pid_t pid : grandchildren)
    EXPECT_FALSE(Child::alive(pid));
}

TEST_P(IsolatorConformance, MemoryLimitation) {
  if (!GetParam().enforcesMemory) GTEST_SKIP() << GetParam().name << " does not enforce memory";
  ContainerId hog(uniqueId("hog"));
  ContainerId bystander(uniqueId("bystander"));
  Child hogChild, bystanderChild;
  Limitations limitations;
  ASSERT_TRUE(launch(*isolator_, bystander, makeConfig("cpus:0.1;mem:64", sandbox_), bystanderChild,
                     Workload::kIdle, 0, limitations));
  char mark = 0;
  ASSERT_TRUE(bystanderChild.readReport(&mark, 1, 20s));
  ASSERT_TRUE(launch(*isolator_, hog, makeConfig("cpus:0.1;mem:32", sandbox_), hogChild,
                     Workload::kAllocate, 256, limitations));

  auto limitation = limitations.waitFor(hog.value(), GetParam().limitationTimeout);
  ASSERT_TRUE(limitation.has_value())
      << "no limitation within " << GetParam().limitationTimeout.count() << " ms";
  EXPECT_EQ(limitation->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_NE(limitation->message().find("32MB"), std::string::npos) << limitation->message();
  EXPECT_NE(limitation->message().find("Used"), std::string::npos) << limitation->message();
  RecordProperty("limitation_message", limitation->message());
  std::cout << "[ limitation ] " << limitation->message() << "\n";

  // The bystander is unaffected.
  EXPECT_TRUE(bystanderChild.running());
  EXPECT_EQ(limitations.countFor(bystander.value()), 0u);

  hogChild.kill();
  EXPECT_TRUE(isolator_->cleanup(hog).has_value());
  EXPECT_TRUE(bystanderChild.running()) << "cleaning up one container killed another";
  bystanderChild.kill();
  EXPECT_TRUE(isolator_->cleanup(bystander).has_value());
}

}  // namespace plexus::testing
