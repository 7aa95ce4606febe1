// The SDK's election conformance suite (<plexus/testing/election_conformance.hpp>)
// on detector_zk's contender and detector, loaded from the library with the SDK's
// loadModule as an author outside this repository would, against a real ZooKeeper
// (../shared/zk/zk-test-server) started for each test. Skipped, with the reason,
// when no server can be started.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include <plexus/testing/election_conformance.hpp>

#include "process.hpp"
#include "zk_test_server.hpp"

namespace {

namespace fs = std::filesystem;

struct ZkServer {
  fs::path dir;
  std::string address;  // host:port, empty when not running
  std::string failure;
};

ZkServer& server() {
  static ZkServer instance;
  return instance;
}

using plexus::detector_zk::zk_test::zkTestServer;
using plexus::testing::runShell;

void startServer() {
  ZkServer& zk = server();
  char pattern[] = "/tmp/plexus-election-conformance.XXXXXX";
  const char* made = ::mkdtemp(pattern);
  zk.dir = made != nullptr ? made : "";
  zk.address.clear();
  zk.failure.clear();
  int status = 0;
  std::string out =
      runShell(zkTestServer() + " start '" + (zk.dir / "zk").string() + "' 2>&1", &status);
  std::smatch match;
  static const std::regex kZk("(^|\n)ZK=([^\n]+)");
  if (status == 0 && std::regex_search(out, match, kZk)) {
    zk.address = match[2];
  } else {
    zk.failure = "cannot start a ZooKeeper server (" + zkTestServer() + "): " + out;
  }
}

void stopServer() {
  ZkServer& zk = server();
  if (zk.dir.empty()) return;
  int status = 0;
  runShell(zkTestServer() + " stop '" + (zk.dir / "zk").string() + "' >/dev/null 2>&1", &status);
  std::error_code error;
  fs::remove_all(zk.dir, error);
  zk.dir.clear();
  zk.address.clear();
}

plexus::testing::ModuleParameters parameters() {
  return {{"zk", "zk://" + server().address + "/plexus-conformance"}, {"session_timeout", "5secs"}};
}

plexus::testing::ElectionConformanceConfig detectorZk() {
  const fs::path library = fs::path(PLEXUS_DETECTOR_ZK_MODULE_DIR) / "libplexus_detector_zk.so";
  plexus::testing::ElectionConformanceConfig config;
  config.name = "detector_zk";
  config.makeContender = [library] {
    return plexus::testing::loadModule<plexus::MasterContender>(library, "detector_zk_contender",
                                                                parameters());
  };
  config.makeDetector = [library] {
    return plexus::testing::loadModule<plexus::MasterDetector>(library, "detector_zk_detector",
                                                               parameters());
  };
  config.setUp = [] { startServer(); };
  config.skipReason = []() -> std::optional<std::string> {
    if (server().failure.empty()) return std::nullopt;
    return server().failure;
  };
  config.tearDown = [] { stopServer(); };
  return config;
}

}  // namespace

PLEXUS_ELECTION_CONFORMANCE(Shipped, detectorZk());
