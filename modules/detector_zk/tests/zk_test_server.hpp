// Helpers shared by detector_zk's tests that start a real ZooKeeper with
// ../shared/zk/zk-test-server (PLEXUS_ZK_TEST_SERVER, or $ZK_TEST_SERVER).
#pragma once

#include <cstdlib>
#include <string>

namespace plexus::detector_zk::zk_test {

// The zk-test-server script: $ZK_TEST_SERVER when set, else the configured one.
inline std::string zkTestServer() {
  const char* override = std::getenv("ZK_TEST_SERVER");
  return override != nullptr ? override : PLEXUS_ZK_TEST_SERVER;
}

}  // namespace plexus::detector_zk::zk_test
