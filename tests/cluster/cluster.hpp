// ClusterFixture: a real plexus-master and two real plexus-agents (each running
// plexus-executor or a custom executor) in a temporary folder, for end-to-end
// tests driven by the raw-HTTP Scheduler of tests/master/api_client.hpp.
//
// SetUp starts the master on a free port and the agents with short retry and
// grace periods, and waits until both agents registered; TearDown stops them
// with SIGTERM and expects a clean exit. The helpers build the scheduler calls
// the tests share (LAUNCH, LAUNCH_GROUP, ACKNOWLEDGE) and read the daemons'
// state. Everything runs on the test's thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "api_client.hpp"
#include "process.hpp"

namespace plexus::testing {

class ClusterFixture : public ::testing::Test {
 public:
  // Call builders and update helpers, shared with tests that start their own daemons.
  static v1::FrameworkInfo framework(bool checkpoint = false);
  // A command task (run by plexus-executor) using cpus:0.5;mem:64 of `offer`.
  static v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id,
                                  const std::string& command);
  // cpus:0.1;mem:32 in the form an offer's resources take.
  static void executorResources(v1::ExecutorInfo* info);
  static v1::scheduler::Call launch(const v1::Offer& offer, std::vector<v1::TaskInfo> tasks);
  static v1::scheduler::Call launchGroup(const v1::Offer& offer, const v1::ExecutorInfo& executor,
                                         std::vector<v1::TaskInfo> tasks);
  static void acknowledge(Scheduler& scheduler, const v1::TaskStatus& status);
  // Waits for the next update, acknowledges it (unless `ack` is false), and returns it.
  static std::optional<v1::TaskStatus> nextUpdate(Scheduler& scheduler, bool ack = true);

 protected:
  void SetUp() override;
  void TearDown() override;
  // Flags added to the master's and every agent's command line (e.g. modules, hooks).
  virtual std::vector<std::string> masterFlags() const { return {}; }
  virtual std::vector<std::string> agentFlags() const { return {}; }
  // Whether agents run tasks as their users (--switch_user). Off by default, so the
  // tests' tasks run as the test's user whatever FrameworkInfo.user says.
  virtual bool switchUser() const { return false; }

  // Waits until offers from both agents arrived; returns the latest one of each agent,
  // in the order of agents_.
  std::vector<v1::Offer> offersFromEveryAgent(Scheduler& scheduler);
  // GET <path> from the master, parsed as JSON (null when it fails); `authorization`
  // is sent as the Authorization header when not empty.
  boost::json::value masterJson(const std::string& path,
                                const std::string& authorization = "") const;
  // The files called `name` under an agent's work dir (task sandboxes).
  std::vector<std::filesystem::path> findInAgent(size_t agent, const std::string& name) const;
  // Every daemon's stderr, for failure messages.
  std::string logs() const;
  // SIGKILLs agent `index` and reaps it (a crash); TearDown and logs() skip it then.
  void killAgent(size_t index);

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::vector<std::string> agentIds_;  // in the order of agents_
  int port_ = 0;
};

// Polls `done` every 10 ms until it is true or `timeout` passes; returns done().
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Dead, or a zombie nobody reaped yet (PID 1 in a container may never reap).
bool processGone(pid_t pid);
// A pid written into a file (e.g. by a task into its sandbox); 0 until it holds one.
pid_t readPid(const std::filesystem::path& path);

}  // namespace plexus::testing
