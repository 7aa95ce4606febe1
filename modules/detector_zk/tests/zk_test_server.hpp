// Helpers shared by detector_zk's tests that start a real ZooKeeper with
// ../shared/zk/zk-test-server (PLEXUS_ZK_TEST_SERVER, or $ZK_TEST_SERVER).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace plexus::detector_zk::zk_test {

// The zk-test-server script: $ZK_TEST_SERVER when set, else the configured one.
inline std::string zkTestServer() {
  const char* override = std::getenv("ZK_TEST_SERVER");
  return override != nullptr ? override : PLEXUS_ZK_TEST_SERVER;
}

// Runs a shell command; returns its stdout, and its exit status in *status.
inline std::string run(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    out += buffer;
  *status = ::pclose(pipe);
  return out;
}

}  // namespace plexus::detector_zk::zk_test
