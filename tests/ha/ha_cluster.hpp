// HaCluster: real ZooKeeper (tests/support/zookeeper.hpp), several real
// plexus-masters started with --zk, and real plexus-agents started with
// --master=zk://, all on 127.0.0.1 in one temporary folder, for the
// high-availability tests (docs/high-availability.md).
//
// The fixture starts nothing by itself: each test starts ZooKeeper (standalone or
// a 3-node ensemble), then masters and agents. TearDown stops every agent, master
// and ZooKeeper server it started, and kills any task process the tests recorded.
// A test fails, saying why, when ZooKeeper cannot be started (not installed: run
// scripts/install-deps.sh).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "http/types.hpp"
#include "process.hpp"
#include "zookeeper.hpp"

namespace plexus::testing {

class HaCluster : public ::testing::Test {
 protected:
  void TearDown() override;

  // Starts ZooKeeper: one server, or a 3-node ensemble; once stopped, starts it
  // again on the same ports with the same data. False (and a reason) on failure.
  bool startZooKeeper(bool ensemble, std::string* error);
  // The group's URL, with zkCredentials_ ("user:pass") for digest authentication.
  std::string zkUrl() const {
    return "zk://" + (zkCredentials_.empty() ? "" : zkCredentials_ + "@") + zkAddress_ + "/plexus";
  }

  // Starts master number `index` (a new process each time; the old one must be gone).
  // Returns its port, or -1.
  int startMaster(size_t index, std::vector<std::string> extraArgs = {});
  // Starts an agent following the leader in ZooKeeper; returns its index.
  size_t startAgent(const std::string& resources);

  // GET `path` from 127.0.0.1:`port`, the raw answer (status 0 when it fails).
  static http::Response get(int port, const std::string& path);
  // GET `path`, parsed as JSON (null when it fails or is not 200).
  static boost::json::value getJson(int port, const std::string& path);
  // master/elected of the master on `port` (nullopt when it does not answer).
  static std::optional<bool> elected(int port);
  // The index of the single master that says it is elected, waiting up to `timeout`
  // for exactly one; nullopt otherwise.
  std::optional<size_t> waitForLeader(std::chrono::milliseconds timeout);

  // The agent ids of the agents the master on `port` lists as active.
  static std::vector<std::string> activeAgents(int port);

  // Starts masters 0..count-1 (each with `args`) and waits for one to lead: its
  // index, or nullopt (a failure is recorded, with the logs).
  std::optional<size_t> startMastersAndWaitForLeader(size_t count,
                                                     std::vector<std::string> args = {});
  // SIGKILLs master `index` and waits for it to be gone.
  void killMaster(size_t index);

  // Starts `count` agents with `resources` and waits until the master on `port`
  // lists them all as active: their ids, or empty (a failure is recorded).
  std::vector<std::string> startAgentsAndWait(size_t count, const std::string& resources, int port);

  std::string logs() const;

  static constexpr const char* kSessionTimeout = "2secs";

  TempDir dir_;
  std::string zkAddress_;
  std::string zkCredentials_;
  std::unique_ptr<ZooKeeper> zk_;
  std::vector<std::unique_ptr<Process>> masters_;  // by index; null when not running
  std::vector<int> masterPorts_;
  std::vector<std::unique_ptr<Process>> agents_;  // by index; null once a test killed it
  std::vector<pid_t> taskPids_;                   // killed in TearDown if still alive
};

}  // namespace plexus::testing
