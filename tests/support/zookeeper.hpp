// ZooKeeper: a throw-away Apache ZooKeeper for tests, on 127.0.0.1, from Debian 12's
// `zookeeper` package (scripts/install-deps.sh installs it). Nothing outside the
// repository is needed.
//
// start() writes a zoo.cfg per node under `dir`, starts one server (standalone) or
// three (an ensemble) with `java ... QuorumPeerMain zoo.cfg` on free ports chosen at
// random, and returns once every node serves: `ruok` answers `imok` and `srvr`
// reports a `Mode:` (an ensemble member does so only once there is a leader). Each
// node's log is `dir/nodeN/zookeeper.log`.
//
// Lifetime: the destructor stops every node (SIGTERM, then SIGKILL after 10 s). A
// test that crashes never leaves a JVM behind: each server is started with a parent
// death signal (SIGKILL), so it dies with the thread that started it; start servers
// from the test's main thread.
//
// Errors are values: start() refuses with a message (ZooKeeper not installed: run
// scripts/install-deps.sh; a server that exits or does not serve in 30 s, with the
// end of its log). Not thread-safe: one test thread drives it.
//
// Environment: ZK_JAR (default /usr/share/java/zookeeper.jar), JAVA or JAVA_HOME
// (default /usr/bin/java), ZK_HEAP (-Xmx, default 256m), ZK_LOG_LEVEL (default info).
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace plexus::testing {

class ZooKeeper {
 public:
  // `nodes`: 1 (standalone) or 3 (an ensemble).
  static std::expected<std::unique_ptr<ZooKeeper>, std::string> start(
      const std::filesystem::path& dir, int nodes = 1);
  ~ZooKeeper();
  ZooKeeper(const ZooKeeper&) = delete;
  ZooKeeper& operator=(const ZooKeeper&) = delete;

  // The connection string: "127.0.0.1:a" or "127.0.0.1:a,127.0.0.1:b,127.0.0.1:c".
  std::string servers() const;
  size_t nodes() const { return nodes_.size(); }

  // Stops node `index` (0-based): SIGTERM, SIGKILL after 10 s. Its data stays.
  void stopNode(size_t index);
  // Starts node `index` again on the same ports with the same data and waits until
  // it serves (an ensemble member: until it has joined a quorum). Empty on success.
  std::string startNode(size_t index);
  // Stops every node / starts every stopped node again. restart(): empty on success.
  void stop();
  std::string restart();

  // The JVM's pid of node `index` (-1 when it is not running).
  pid_t pid(size_t index) const;
  // The last `lines` lines of node `index`'s log, for failure messages.
  std::string logTail(size_t index, size_t lines = 20) const;

 private:
  struct Node {
    std::filesystem::path dir;
    int clientPort = 0;
    int quorumPort = 0;
    int electionPort = 0;
    pid_t pid = -1;
  };

  explicit ZooKeeper(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::string writeConfig(size_t index) const;
  std::string launch(size_t index);
  // Waits until each node of `indexes` serves, or one exits, or `timeout` passes.
  std::string waitUntilServing(const std::vector<size_t>& indexes, std::chrono::seconds timeout);

  std::filesystem::path dir_;
  std::vector<Node> nodes_;
};

}  // namespace plexus::testing
