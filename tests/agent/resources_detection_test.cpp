#include "agent/resources_detection.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include "agent/paths.hpp"

namespace plexus::agent {
namespace {

TEST(ResourcesDetection, DetectsCpusMemDiskAndDefaultPorts) {
  auto resources = detectResources("/tmp", "");
  ASSERT_TRUE(resources) << resources.error().message();
  EXPECT_EQ(resources->cpus(), static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_GT(resources->mem().value_or(0), 0);
  EXPECT_GT(resources->disk().value_or(0), 0);
  ASSERT_TRUE(resources->ports());
  EXPECT_EQ(resources->ports()->size(), 1u);
  EXPECT_EQ(resources->ports()->front().begin, 31000u);
  EXPECT_EQ(resources->ports()->front().end, 32000u);
}

TEST(ResourcesDetection, GivenNamesOverrideDetectedOnes) {
  auto resources = detectResources("/tmp", "cpus:3;ports:[5000-5001];gpus:1");
  ASSERT_TRUE(resources);
  EXPECT_EQ(resources->cpus(), 3);
  EXPECT_EQ(resources->gpus(), 1);
  EXPECT_EQ(resources->ports()->front().begin, 5000u);
  EXPECT_GT(resources->mem().value_or(0), 0);  // still detected

  auto json = detectResources("/tmp", R"([{"name":"mem","type":"SCALAR","scalar":{"value":512}}])");
  ASSERT_TRUE(json) << json.error().message();
  EXPECT_EQ(json->mem(), 512);
  EXPECT_FALSE(detectResources("/tmp", "cpus:abc"));
}

TEST(ResourcesDetection, MemoryAndDiskKeepMesosReserves) {
  MachineResources machine = detectMachine("/tmp");
  EXPECT_GE(machine.cpus, 1);
  EXPECT_GT(machine.memMb, 0);
}

TEST(Attributes, ParsesTextScalarRangesAndSets) {
  auto attributes = parseAttributes("rack:a;zone:1;ports:[1-5,10-12];tags:{x,y};os:debian-12");
  ASSERT_TRUE(attributes) << attributes.error().message();
  ASSERT_EQ(attributes->size(), 5u);
  EXPECT_EQ((*attributes)[0].type(), v1::Value::TEXT);
  EXPECT_EQ((*attributes)[0].text().value(), "a");
  EXPECT_EQ((*attributes)[1].type(), v1::Value::SCALAR);
  EXPECT_EQ((*attributes)[1].scalar().value(), 1);
  EXPECT_EQ((*attributes)[2].type(), v1::Value::RANGES);
  EXPECT_EQ((*attributes)[2].ranges().range_size(), 2);
  EXPECT_EQ((*attributes)[3].type(), v1::Value::SET);
  EXPECT_EQ((*attributes)[4].text().value(), "debian-12");
  EXPECT_FALSE(parseAttributes("novalue"));
  EXPECT_TRUE(parseAttributes("")->empty());
}

TEST(Paths, SandboxLayoutIsMesos) {
  EXPECT_EQ(paths::executorRunDir("/w", AgentId("S1"), FrameworkId("F"), ExecutorId("E"),
                                  ContainerId("C")),
            "/w/slaves/S1/frameworks/F/executors/E/runs/C");
}

}  // namespace
}  // namespace plexus::agent
