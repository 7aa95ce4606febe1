// The pure parts of isolator_cgroups: mountinfo, control-file parsers and formats,
// and the choice of version and parent folders.
#include "cgroup_fs.hpp"

#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cgroups_isolator.hpp"

namespace plexus::cgroups {
namespace {

// As on the CI machines: v1 controllers plus a v2 mount with no controllers.
constexpr const char* kMixedMountInfo =
    "22 1 0:20 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "23 22 0:21 / /sys/fs/cgroup/cpu rw,relatime shared:2 - cgroup cgroup rw,cpu\n"
    "24 22 0:22 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "25 22 0:23 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "26 22 0:24 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "27 22 0:25 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "28 22 0:26 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "29 22 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "30 1 8:1 / /data\\040dir rw - ext4 /dev/sda1 rw\n";

TEST(MountInfo, FindsV1ControllersAndTheUnifiedMount) {
  Mounts mounts = parseMountInfo(kMixedMountInfo);
  ASSERT_TRUE(mounts.unified.has_value());
  EXPECT_EQ(*mounts.unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.legacy.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts.legacy.at("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(mounts.legacy.at("pids"), "/sys/fs/cgroup/pids");
  EXPECT_FALSE(mounts.legacy.contains("name=systemd"));
  EXPECT_FALSE(mounts.legacy.contains("xattr"));
  EXPECT_EQ(mounts.legacy.size(), 5u);
}

TEST(MountInfo, CoMountedControllersShareAFolder) {
  Mounts mounts = parseMountInfo(
      "23 22 0:21 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "25 22 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(mounts.legacy.at("cpu"), mounts.legacy.at("cpuacct"));
  CgroupsOptions options;
  auto layout = chooseLayout(options, mounts);
  ASSERT_TRUE(layout.has_value()) << layout.error().message();
  EXPECT_EQ(layout->version, Version::kV1);
  EXPECT_EQ(layout->distinctRoots().size(), 2u);  // cpu,cpuacct once; memory
  EXPECT_EQ(layout->missing, (std::vector<std::string>{"pids", "freezer"}));
}

TEST(ControlFiles, Parse) {
  auto values = parseKeyValues("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nbad line x\n");
  EXPECT_EQ(values.at("usage_usec"), 1500u);
  EXPECT_EQ(values.at("system_usec"), 500u);
  EXPECT_FALSE(values.contains("bad"));
  EXPECT_EQ(parseKeyValues("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n").at("oom_kill"), 3u);
  EXPECT_EQ(parsePids("12\n345\n\n"), (std::vector<pid_t>{12, 345}));
  EXPECT_EQ(parseControllers("cpuset cpu io memory pids\n"),
            (std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_TRUE(parseControllers("\n").empty());
}

TEST(ControlFiles, Formats) {
  EXPECT_EQ(cpuShares(1), 1024u);
  EXPECT_EQ(cpuShares(0.25), 256u);
  EXPECT_EQ(cpuShares(0.001), 2u);
  EXPECT_EQ(cpuWeight(1), 100u);
  EXPECT_EQ(cpuWeight(0.25), 25u);
  EXPECT_EQ(cpuWeight(0.001), 1u);
  EXPECT_EQ(cpuWeight(1000), 10000u);
  EXPECT_EQ(cfsQuotaUs(0.5), 50000u);
  EXPECT_EQ(cfsQuotaUs(0.001), 1000u);
  EXPECT_EQ(cpuMax(2), "200000 100000");
  EXPECT_EQ(memoryLimitBytes(64), 64u << 20);
  EXPECT_EQ(memoryLimitBytes(1), kMinMemoryBytes);
  EXPECT_EQ(memoryLimitMessage(64u << 20, 64u << 20),
            "Memory limit exceeded: Requested: 64MB Maximum Used: 64MB");
  EXPECT_TRUE(isSafeName("0b3c-uuid"));
  for (const char* bad : {"", ".", "..", "a/b"})
    EXPECT_FALSE(isSafeName(bad)) << bad;
}

TEST(ControlFiles, ReadAndWriteOnAPlainFolder) {
  fs::path dir = fs::temp_directory_path() / ("cgfs-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(writeFile(dir / "memory.max", "123456").has_value());
  ASSERT_TRUE(writeFile(dir / "memory.max", "99").has_value());  // replaces
  EXPECT_EQ(readNumber(dir / "memory.max").value(), 99u);
  ASSERT_TRUE(writeFile(dir / "pids.max", "max\n").has_value());
  EXPECT_FALSE(readNumber(dir / "pids.max").value().has_value());
  EXPECT_FALSE(readNumber(dir / "missing").has_value());
  EXPECT_FALSE(writeFile(dir / "no" / "such", "1").has_value());
  fs::remove_all(dir);
}

TEST(Layout, PrefersV2OnlyWhenItOffersMemory) {
  fs::path dir = fs::temp_directory_path() / ("cglayout-" + std::to_string(::getpid()));
  fs::create_directories(dir / "unified");
  fs::create_directories(dir / "memory");
  Mounts mounts;
  mounts.unified = dir / "unified";
  mounts.legacy["memory"] = dir / "memory";
  CgroupsOptions options;
  options.root = "plexus-x";

  ASSERT_TRUE(writeFile(dir / "unified" / "cgroup.controllers", "\n").has_value());
  auto layout = chooseLayout(options, mounts);  // this machine: v2 without controllers
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->version, Version::kV1);
  EXPECT_EQ(layout->roots.at("memory"), dir / "memory" / "plexus-x");

  options.version = "v2";
  auto forced = chooseLayout(options, mounts);
  ASSERT_FALSE(forced.has_value());
  EXPECT_NE(forced.error().message().find("without the memory controller"), std::string::npos)
      << forced.error().message();

  ASSERT_TRUE(writeFile(dir / "unified" / "cgroup.controllers", "cpu memory\n").has_value());
  options.version = "auto";
  layout = chooseLayout(options, mounts);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->version, Version::kV2);
  EXPECT_EQ(layout->distinctRoots(), (std::vector<fs::path>{dir / "unified" / "plexus-x"}));
  EXPECT_EQ(layout->missing, (std::vector<std::string>{"pids"}));

  options.version = "v1";
  EXPECT_EQ(chooseLayout(options, mounts)->version, Version::kV1);
  EXPECT_FALSE(chooseLayout(options, Mounts{}).has_value());
  options.root = "a/../b";
  EXPECT_FALSE(chooseLayout(options, mounts).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace plexus::cgroups
