// The compatibility suite's third-party client: tests/compat/node/framework.js, a
// framework written on the npm package mesos-framework (a Mesos v1 scheduler and
// executor library Plexus did not write), run against a real plexus-master and two
// plexus-agents. scripts/install-deps.sh installs Node.js and the pinned package
// (tests/compat/node/package-lock.json). The script prints one line per check.
#include <filesystem>

#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

class NodeFrameworkTest : public ClusterFixture {};

TEST_F(NodeFrameworkTest, MesosFrameworkLibraryRunsEveryCheck) {
  const std::filesystem::path node = COMPAT_NODE;
  const std::filesystem::path dir = COMPAT_NODE_DIR;
  ASSERT_TRUE(!node.empty() && std::filesystem::exists(node))
      << "Node.js was not found when the build was configured: run scripts/install-deps.sh";
  ASSERT_TRUE(std::filesystem::exists(dir / "node_modules" / "mesos-framework" / "package.json"))
      << "mesos-framework is not installed in " << dir << ": run scripts/install-deps.sh";
  Process framework(
      node.string(),
      {(dir / "framework.js").string(), "127.0.0.1:" + std::to_string(port_), dir_.path().string()},
      dir_.path());
  int status = framework.wait(std::chrono::seconds(100));
  std::string sandboxes;  // the custom executor's stdout (the library logs there)
  for (size_t i = 0; i < agents_.size(); ++i) {
    for (const auto& path : findInAgent(i, "stdout")) {
      if (path.string().find("compat-executor") != std::string::npos)
        sandboxes += "--- " + path.string() + ":\n" + readFile(path);
    }
  }
  EXPECT_EQ(status, 0) << framework.out() << framework.err() << logs() << sandboxes;
  EXPECT_NE(framework.out().find(" ok, 0 not ok"), std::string::npos) << framework.out();
  std::cout << framework.out();
}

}  // namespace
}  // namespace plexus::testing
