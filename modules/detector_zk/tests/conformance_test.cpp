// The SDK's election conformance suite (<plexus/testing/election_conformance.hpp>)
// on detector_zk's contender and detector, and its registry store conformance suite
// (<plexus/testing/registry_store_conformance.hpp>) on detector_zk_registry, loaded
// from the library with the SDK's loadModule as an author outside this repository
// would, against a real ZooKeeper
// (tests/support/zookeeper.hpp) started for each test. A test fails, saying why,
// when no server can be started (ZooKeeper not installed: scripts/install-deps.sh).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <plexus/testing/election_conformance.hpp>
#include <plexus/testing/registry_store_conformance.hpp>

#include "process.hpp"
#include "zookeeper.hpp"

namespace {

namespace fs = std::filesystem;

struct ZkServer {
  std::unique_ptr<plexus::testing::TempDir> dir;
  std::unique_ptr<plexus::testing::ZooKeeper> zk;
  std::string address;  // host:port, empty when not running
};

ZkServer& server() {
  static ZkServer instance;
  return instance;
}

// A server for each test; a failure (ZooKeeper not installed) fails the test.
void startServer() {
  ZkServer& zk = server();
  zk.dir = std::make_unique<plexus::testing::TempDir>();
  auto started = plexus::testing::ZooKeeper::start(zk.dir->path() / "zk");
  if (!started) {
    ADD_FAILURE() << "cannot start a ZooKeeper server: " << started.error();
    return;
  }
  zk.zk = std::move(*started);
  zk.address = zk.zk->servers();
}

void stopServer() {
  ZkServer& zk = server();
  zk.zk.reset();
  zk.dir.reset();
  zk.address.clear();
}

plexus::testing::ModuleParameters parameters() {
  return {{"zk", "zk://" + server().address + "/plexus-conformance"}, {"session_timeout", "5secs"}};
}

// A ZooKeeper server for each test of the suite; the test stops (already failed)
// when none started.
template <typename Config>
void withServer(Config& config) {
  config.setUp = [] { startServer(); };
  config.skipReason = []() -> std::optional<std::string> {
    if (server().zk) return std::nullopt;
    return "no ZooKeeper server (see the failure above)";
  };
  config.tearDown = [] { stopServer(); };
}

const fs::path kLibrary = fs::path(PLEXUS_DETECTOR_ZK_MODULE_DIR) / "libplexus_detector_zk.so";

plexus::testing::ElectionConformanceConfig detectorZk() {
  plexus::testing::ElectionConformanceConfig config;
  config.name = "detector_zk";
  config.makeContender = [] {
    return plexus::testing::loadModule<plexus::MasterContender>(kLibrary, "detector_zk_contender",
                                                                parameters());
  };
  config.makeDetector = [] {
    return plexus::testing::loadModule<plexus::MasterDetector>(kLibrary, "detector_zk_detector",
                                                               parameters());
  };
  withServer(config);
  return config;
}

plexus::testing::RegistryStoreConformanceConfig registryZk() {
  plexus::testing::RegistryStoreConformanceConfig config;
  config.name = "detector_zk_registry";
  config.make = [] {
    return plexus::testing::loadModule<plexus::RegistryStore>(kLibrary, "detector_zk_registry",
                                                              parameters());
  };
  config.shared = true;  // masters sharing ZooKeeper share the znode
  withServer(config);
  return config;
}

}  // namespace

PLEXUS_ELECTION_CONFORMANCE(Shipped, detectorZk());
PLEXUS_REGISTRY_STORE_CONFORMANCE(Shipped, registryZk());
