// High availability end to end: real ZooKeeper, real masters (--zk) and agents
// (--master=zk://), on 127.0.0.1 (docs/high-availability.md).
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <signal.h>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <zookeeper/zookeeper.h>

#include <plexus/registry_store.hpp>
#include <plexus/resources.hpp>
#include <plexus/testing/load_module.hpp>

#include "api_client.hpp"
#include "ha_cluster.hpp"
#include "http/io_runtime.hpp"
#include "master/registrar.hpp"

namespace plexus::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using v1::scheduler::Call;
using v1::scheduler::Event;

#define START_ZOOKEEPER(ensemble)                       \
  do {                                                  \
    std::string why;                                    \
    if (!startZooKeeper(ensemble, &why)) FAIL() << why; \
  } while (0)

// A framework run as nobody, with an hour's failover timeout.
v1::FrameworkInfo frameworkInfo(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name(name);
  info.set_failover_timeout(3600);
  return info;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// Runs `use` on a fresh synchronous ZooKeeper handle (nullptr when none can be made).
template <typename Use>
auto withZooKeeper(const std::string& servers, Use use) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zhandle_t* zh = zookeeper_init(servers.c_str(), nullptr, 4000, nullptr, nullptr, 0);
  auto result = use(zh);
  if (zh != nullptr) zookeeper_close(zh);
  return result;
}

// The names of the children of `path`, sorted (nullopt when they cannot be listed).
std::optional<std::vector<std::string>> children(zhandle_t* zh, const std::string& path) {
  String_vector list{};
  if (zh == nullptr || zoo_get_children(zh, path.c_str(), 0, &list) != ZOK) return std::nullopt;
  std::vector<std::string> names;
  for (int i = 0; i < list.count; ++i)
    names.emplace_back(list.data[i]);
  deallocate_String_vector(&list);
  std::sort(names.begin(), names.end());
  return names;
}

// What a Mesos-aware client (pymesos) does: list the group, take the smallest child
// name other than log_replicas, and read address.{ip,port} from its JSON.
std::optional<int> leaderPortFromZooKeeper(const std::string& servers) {
  return withZooKeeper(servers, [](zhandle_t* zh) -> std::optional<int> {
    auto listed = children(zh, "/plexus");
    if (!listed) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& name : *listed) {
      if (name != "log_replicas") names.push_back(name);
    }
    if (names.empty() || !names.front().starts_with("json.info_")) return std::nullopt;
    std::string data(64 * 1024, '\0');
    int length = static_cast<int>(data.size());
    if (zoo_get(zh, ("/plexus/" + names.front()).c_str(), 0, data.data(), &length, nullptr) != ZOK)
      return std::nullopt;
    data.resize(std::max(length, 0));
    boost::system::error_code error;
    boost::json::value json = boost::json::parse(data, error);
    if (error || !json.is_object()) return std::nullopt;
    const auto& address = json.as_object().at("address").as_object();
    if (address.at("ip").as_string() != "127.0.0.1") return std::nullopt;
    return static_cast<int>(address.at("port").to_number<int64_t>());
  });
}

TEST_F(HaCluster, NonLeadersRedirectToTheLeaderWhichZooKeeperNames) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(3);
  ASSERT_TRUE(leader);
  int leaderPort = masterPorts_[*leader];
  std::string leaderAt = "//127.0.0.1:" + std::to_string(leaderPort);

  EXPECT_EQ(leaderPortFromZooKeeper(zkAddress_), leaderPort);
  for (size_t i = 0; i < 3; ++i) {
    int port = masterPorts_[i];
    // Every master's /state names the leader.
    boost::json::value state = getJson(port, "/state");
    ASSERT_TRUE(state.is_object()) << logs();
    EXPECT_EQ(state.at("leader_info").at("port").to_number<int64_t>(), leaderPort);
    EXPECT_EQ(state.at("leader").as_string(), "master@127.0.0.1:" + std::to_string(leaderPort));
    // /redirect and /master/redirect point at the leader, from any master.
    for (const char* path : {"/redirect", "/master/redirect"}) {
      http::Response redirect = get(port, path);
      EXPECT_EQ(redirect.status, 307u) << path;
      EXPECT_EQ(redirect.header("Location").value_or(""), leaderAt) << path;
    }
    EXPECT_EQ(get(port, "/redirect/below").status, 404u);
    if (i == *leader) {
      EXPECT_EQ(elected(port), true);
      EXPECT_EQ(get(port, "/roles").status, 200u);
      continue;
    }
    EXPECT_EQ(elected(port), false);
    // Leader-only routes redirect with the path and query kept.
    http::Response scheduler =
        post(port, "/api/v1/scheduler", "application/json", R"({"type":"SUBSCRIBE"})");
    EXPECT_EQ(scheduler.status, 307u);
    EXPECT_EQ(scheduler.header("Location").value_or(""), leaderAt + "/api/v1/scheduler");
    http::Response operatorCall =
        post(port, "/api/v1/operator", "application/json", R"({"type":"GET_HEALTH"})");
    EXPECT_EQ(operatorCall.status, 307u);
    EXPECT_EQ(operatorCall.header("Location").value_or(""), leaderAt + "/api/v1/operator");
    http::Response roles = get(port, "/master/roles?x=1");
    EXPECT_EQ(roles.status, 307u);
    EXPECT_EQ(roles.header("Location").value_or(""), leaderAt + "/master/roles?x=1");
  }
}

// A ZooKeeper digest password in --zk and --master=zk:// is never printed: not in
// the start-up log, /flags, /state or GET_FLAGS of the master, nor in the agent's
// log, /flags or /state (plexus/redact.hpp). Before, all of them showed it.
TEST_F(HaCluster, ZooKeeperPasswordIsNeverPrinted) {
  START_ZOOKEEPER(false);
  const std::string secret = "s3cr3tZkPassw0rd";
  zkCredentials_ = "ops:" + secret;
  auto leader = startMastersAndWaitForLeader(1);
  ASSERT_TRUE(leader);
  int port = masterPorts_[*leader];
  auto agents = startAgentsAndWait(1, "cpus:1;mem:128", port);
  ASSERT_EQ(agents.size(), 1u);
  int agentPort = agents_[0]->waitForPort();
  ASSERT_GT(agentPort, 0);

  std::vector<std::pair<std::string, std::string>> seen = {
      {"master /flags", get(port, "/flags").body},
      {"master /master/flags", get(port, "/master/flags").body},
      {"master /state", get(port, "/state").body},
      {"master GET_FLAGS",
       post(port, "/api/v1", "application/json", R"({"type":"GET_FLAGS"})").body},
      {"agent /flags", get(agentPort, "/flags").body},
      {"agent /state", get(agentPort, "/state").body},
      {"master log", masters_[*leader]->err()},
      {"agent log", agents_[0]->err()}};
  for (const auto& [where, text] : seen)
    EXPECT_EQ(text.find(secret), std::string::npos) << where << " shows the password: " << text;
  // What is shown instead: the user and the servers, the password masked.
  const std::string masked = "zk://ops:***@" + zkAddress_ + "/plexus";
  for (const auto& [where, text] : seen)
    EXPECT_NE(text.find(masked), std::string::npos) << where << " lacks " << masked << ": " << text;
}

TEST_F(HaCluster, NoLeaderKnownAnswers503) {
  // Nothing listens on port 1: the master never reaches ZooKeeper, so no leader is known.
  zkAddress_ = "127.0.0.1:1";
  int port = startMaster(0);
  ASSERT_GT(port, 0) << logs();
  EXPECT_EQ(elected(port), false);
  EXPECT_EQ(get(port, "/redirect").status, 503u);
  EXPECT_EQ(post(port, "/api/v1/scheduler", "application/json", "{}").status, 503u);
  EXPECT_EQ(post(port, "/api/v1", "application/json", "{}").status, 503u);
  boost::json::value state = getJson(port, "/state");
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state.as_object().if_contains("leader_info"), nullptr);
}

TEST_F(HaCluster, LeaderThatLosesItsSessionStopsLeadingBeforeAnotherStarts) {
  START_ZOOKEEPER(false);
  ASSERT_GT(startMaster(0), 0) << logs();
  auto first = waitForLeader(15s);
  ASSERT_EQ(first, 0u) << logs();
  ASSERT_GT(startMaster(1), 0) << logs();
  ASSERT_EQ(elected(masterPorts_[1]), false);

  // ZooKeeper goes away: nobody can be elected, so the leader must step down on
  // its own within the session timeout.
  zk_->stop();
  EXPECT_EQ(masters_[0]->wait(10s), 1) << logs();
  EXPECT_NE(masters_[0]->err().find("stepping down as leader"), std::string::npos) << logs();
  masters_[0].reset();
  EXPECT_EQ(elected(masterPorts_[1]), false);

  // ZooKeeper is back (same port and data): the standby takes over.
  std::string why;
  ASSERT_TRUE(startZooKeeper(false, &why)) << why;
  auto second = waitForLeader(15s);
  EXPECT_EQ(second, 1u) << logs();
}

TEST_F(HaCluster, LosingOneMemberOfTheEnsembleChangesNothing) {
  START_ZOOKEEPER(true);
  ASSERT_GT(startMaster(0), 0) << logs();
  ASSERT_EQ(waitForLeader(15s), 0u) << logs();
  ASSERT_GT(startMaster(1), 0) << logs();
  std::string leaderId = getJson(masterPorts_[0], "/state").at("id").as_string().c_str();

  for (int node = 1; node <= 3; ++node) {
    zk_->stopNode(node - 1);
    // Longer than the session timeout: a lost session would have shown by now.
    std::this_thread::sleep_for(3s);
    std::string why = zk_->startNode(node - 1);
    ASSERT_EQ(why, "");
    EXPECT_EQ(elected(masterPorts_[0]), true) << "after stopping node " << node << logs();
    EXPECT_EQ(elected(masterPorts_[1]), false) << "after stopping node " << node;
  }
  boost::json::value state = getJson(masterPorts_[1], "/state");
  ASSERT_TRUE(state.is_object()) << logs();
  EXPECT_EQ(state.at("leader_info").at("id").as_string(), leaderId);
  EXPECT_EQ(getJson(masterPorts_[0], "/metrics/snapshot").at("master/leader_changes"), 0);
}

// The issue's headline check.
class Failover : public HaCluster {
 protected:
  // Every update seen, by task, in arrival order, duplicates (same uuid) dropped.
  std::map<std::string, std::vector<v1::TaskState>> updates_;
  std::set<std::string> seenUuids_;

  // Takes the UPDATE events queued in `scheduler`, records and acknowledges them.
  void takeUpdates(Scheduler& scheduler) {
    // Take them out first: an acknowledgement runs the client's loop, which may
    // append events to the queue.
    std::vector<v1::TaskStatus> statuses;
    auto& events = scheduler.events();
    for (auto it = events.begin(); it != events.end();) {
      if (it->type() != Event::UPDATE) {
        ++it;
        continue;
      }
      statuses.push_back(it->update().status());
      it = events.erase(it);
    }
    for (const v1::TaskStatus& status : statuses) {
      if (!status.has_uuid()) continue;
      if (seenUuids_.insert(status.uuid()).second)
        updates_[status.task_id().value()].push_back(status.state());
      Call ack;
      ack.set_type(Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      scheduler.call(ack);
    }
  }

  void pump(Scheduler& scheduler, std::chrono::milliseconds time) {
    scheduler.waitFor(
        [&] {
          takeUpdates(scheduler);
          return false;
        },
        time);
  }

  static v1::TaskInfo task(const v1::Offer& offer, const std::string& id,
                           const std::string& command) {
    return commandTask(offer, id, command, "cpus:0.1;mem:16");
  }

  // Waits until `count` tasks wrote their pid (empty map on timeout); TearDown kills them.
  std::map<std::string, pid_t> waitForTaskPids(size_t count) {
    std::map<std::string, pid_t> pids;
    if (!eventually(
            [&] {
              pids = taskPids();
              return pids.size() == count;
            },
            10s))
      return {};
    for (const auto& [task, pid] : pids)
      taskPids_.push_back(pid);
    return pids;
  }

  // Task id -> the pid its command wrote into its sandbox.
  std::map<std::string, pid_t> taskPids() const {
    std::map<std::string, pid_t> pids;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_.path(), error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->path().filename() != "task.pid") continue;
      std::string text = readFile(it->path());
      // .../executors/<executor id = task id>/runs/<container>/task.pid
      std::filesystem::path runs = it->path().parent_path().parent_path();
      std::string task = runs.parent_path().filename().string();
      if (!text.empty()) pids[task] = std::atoi(text.c_str());
    }
    return pids;
  }
};

TEST_F(Failover, FiveLeaderKillsLoseNoTaskAndNoUpdate) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(3);
  ASSERT_TRUE(leader);
  std::vector<std::string> agentIds =
      startAgentsAndWait(2, "cpus:8;mem:4096;disk:1024", masterPorts_[*leader]);
  ASSERT_FALSE(agentIds.empty());

  v1::FrameworkInfo info = frameworkInfo("ha-test");
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  auto scheduler = std::make_unique<Scheduler>(masterPorts_[*leader], Wire::kProtobuf);
  ASSERT_EQ(scheduler->subscribe(info), 200u);  // waits for SUBSCRIBED too
  std::string frameworkId = scheduler->frameworkId();
  info.mutable_id()->set_value(frameworkId);

  // 10 long-running tasks per agent, plus 5 short ones whose TASK_FINISHED falls
  // somewhere in the failovers: those updates must reach the scheduler anyway.
  std::map<std::string, v1::Offer> offerByAgent;
  ASSERT_TRUE(scheduler->waitFor(
      [&] {
        auto& events = scheduler->events();
        for (auto it = events.begin(); it != events.end();) {
          if (it->type() == Event::OFFERS) {
            for (const auto& offer : it->offers().offers())
              offerByAgent[offer.agent_id().value()] = offer;
            it = events.erase(it);
          } else {
            ++it;
          }
        }
        return offerByAgent.size() == 2;
      },
      20s))
      << logs();
  int long_ = 0;
  int short_ = 0;
  for (const auto& [agent, offer] : offerByAgent) {
    std::vector<v1::TaskInfo> tasks;
    for (int i = 0; i < 10; ++i) {
      tasks.push_back(
          task(offer, "long-" + std::to_string(long_++), "echo $$ > task.pid && exec sleep 3600"));
    }
    for (int i = 0; i < (agent == offerByAgent.begin()->first ? 3 : 2); ++i) {
      ++short_;
      tasks.push_back(
          task(offer, "short-" + std::to_string(short_), "sleep " + std::to_string(3 * short_)));
    }
    Call accept;
    accept.set_type(Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* operation = accept.mutable_accept()->add_operations();
    operation->set_type(v1::Offer::Operation::LAUNCH);
    for (auto& task : tasks)
      *operation->mutable_launch()->add_task_infos() = task;
    ASSERT_EQ(scheduler->call(accept).status, 202u);
  }
  auto running = [&] {
    int count = 0;
    for (const auto& [task, states] : updates_)
      count += task.starts_with("long-") && !states.empty() && states.back() == v1::TASK_RUNNING;
    return count;
  };
  ASSERT_TRUE(scheduler->waitFor(
      [&] {
        takeUpdates(*scheduler);
        return running() == 20;
      },
      30s))
      << logs();
  std::map<std::string, pid_t> pids = waitForTaskPids(20);
  ASSERT_EQ(pids.size(), 20u);

  for (int round = 1; round <= 5; ++round) {
    SCOPED_TRACE("failover " + std::to_string(round));
    size_t old = *leader;
    auto killed = Clock::now();
    killMaster(old);
    leader = waitForLeader(4s);  // the session timeout (2 s) + 2 s
    ASSERT_TRUE(leader) << logs();
    auto elected = Clock::now();
    int port = masterPorts_[*leader];
    ASSERT_GT(startMaster(old), 0) << logs();  // back as a standby, as a supervisor would

    ASSERT_TRUE(eventually(
        [&] {
          auto active = activeAgents(port);
          std::sort(active.begin(), active.end());
          std::sort(agentIds.begin(), agentIds.end());
          return active == agentIds;
        },
        20s))
        << logs();
    auto reregistered = Clock::now();

    scheduler = std::make_unique<Scheduler>(port, Wire::kProtobuf);
    ASSERT_EQ(scheduler->subscribe(info), 200u) << logs();
    EXPECT_EQ(scheduler->frameworkId(), frameworkId);
    ASSERT_TRUE(scheduler->next(Event::OFFERS, 20s)) << logs();
    pump(*scheduler, 200ms);

    // The same 20 tasks, running, with the same processes.
    boost::json::value state = getJson(port, "/state");
    ASSERT_TRUE(state.is_object());
    int listed = 0;
    for (const auto& framework : state.at("frameworks").as_array()) {
      if (framework.at("id").as_string() != frameworkId) continue;
      for (const auto& task : framework.at("tasks").as_array()) {
        std::string id(task.at("id").as_string());
        if (id.starts_with("long-")) {
          ++listed;
          EXPECT_EQ(task.at("state").as_string(), "TASK_RUNNING") << id;
        }
      }
    }
    EXPECT_EQ(listed, 20) << boost::json::serialize(state);
    EXPECT_EQ(taskPids(), pids);
    for (const auto& [task, pid] : pids)
      EXPECT_EQ(::kill(pid, 0), 0) << task << " (pid " << pid << ") is gone";
    std::printf("failover %d: new leader after %.2f s, agents re-registered after %.2f s\n", round,
                std::chrono::duration<double>(elected - killed).count(),
                std::chrono::duration<double>(reregistered - killed).count());
  }

  // Every short task's updates arrived, in order, ending with TASK_FINISHED.
  ASSERT_TRUE(scheduler->waitFor(
      [&] {
        takeUpdates(*scheduler);
        for (int i = 1; i <= short_; ++i) {
          auto it = updates_.find("short-" + std::to_string(i));
          if (it == updates_.end() || it->second.empty() || it->second.back() != v1::TASK_FINISHED)
            return false;
        }
        return true;
      },
      30s))
      << logs();
  for (const auto& [task, states] : updates_) {
    // TASK_STARTING?, TASK_RUNNING, then (short tasks) TASK_FINISHED, nothing else.
    std::vector<v1::TaskState> expected;
    if (!states.empty() && states.front() == v1::TASK_STARTING)
      expected.push_back(v1::TASK_STARTING);
    expected.push_back(v1::TASK_RUNNING);
    if (task.starts_with("short-")) expected.push_back(v1::TASK_FINISHED);
    EXPECT_EQ(states, expected) << task;
  }
}

}  // namespace
}  // namespace plexus::testing

namespace plexus::testing {
namespace {

// plexus-execute (the SDK scheduler library with detector_zk's detector) follows
// the leader: the leader dies while its task runs, and it still sees TASK_FINISHED.
TEST_F(HaCluster, ExecuteFollowsTheLeaderThroughAFailover) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(2);
  ASSERT_TRUE(leader);
  ASSERT_FALSE(startAgentsAndWait(1, "cpus:2;mem:1024;disk:1024", masterPorts_[*leader]).empty());

  Process execute("plexus-execute",
                  {"--master=" + zkUrl(), std::string("--zk_session_timeout=") + kSessionTimeout,
                   "--command=sleep 5", "--name=ha-execute", "--logging_level=INFO"},
                  dir_.path());
  ASSERT_TRUE(
      eventually([&] { return execute.out().find("TASK_RUNNING") != std::string::npos; }, 30s))
      << execute.out() << execute.err() << logs();
  killMaster(*leader);
  EXPECT_EQ(execute.wait(60s), 0) << execute.out() << execute.err() << logs();
  std::string out = execute.out();
  EXPECT_NE(out.find("TASK_FINISHED"), std::string::npos) << out;
  // It subscribed twice (to each leader) with the same FrameworkID.
  std::size_t first = out.find("Subscribed with ID ");
  ASSERT_NE(first, std::string::npos) << out;
  std::string id = out.substr(first, out.find('\n', first) - first);
  EXPECT_NE(out.find(id, first + 1), std::string::npos) << out;
}

}  // namespace
}  // namespace plexus::testing

// The registry (docs/high-availability.md, "Registry").
namespace plexus::testing {
namespace {

constexpr const char* kWeights =
    R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"analytics","weight":2.5}]}})";
constexpr const char* kQuota =
    R"({"type":"UPDATE_QUOTA","update_quota":{"force":true,"quota_configs":[)"
    R"({"role":"analytics","guarantees":{"cpus":{"value":1.5}}}]}})";

class RegistryCluster : public HaCluster {
 protected:
  // The weight of "analytics" in /weights and its cpus guarantee in /quota (-1 when absent).
  static std::pair<double, double> analyticsWeightAndQuota(int port);
};

std::pair<double, double> RegistryCluster::analyticsWeightAndQuota(int port) {
  std::pair<double, double> found{-1, -1};
  boost::json::value weights = getJson(port, "/weights");
  if (weights.is_array()) {
    for (const auto& weight : weights.as_array()) {
      if (weight.at("role").as_string() == "analytics")
        found.first = weight.at("weight").to_number<double>();
    }
  }
  boost::json::value quota = getJson(port, "/quota");
  if (quota.is_object() && quota.as_object().contains("configs")) {
    for (const auto& config : quota.at("configs").as_array()) {
      if (config.at("role").as_string() == "analytics")
        found.second = config.at("guarantees").at("cpus").at("value").to_number<double>();
    }
  }
  return found;
}

TEST_F(RegistryCluster, WeightsQuotaAndFrameworksSurviveALeaderKill) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(2);
  ASSERT_TRUE(leader);
  int port = masterPorts_[*leader];
  EXPECT_EQ(analyticsWeightAndQuota(port), std::make_pair(-1.0, -1.0));
  ASSERT_EQ(post(port, "/api/v1", "application/json", kWeights).status, 200u) << logs();
  ASSERT_EQ(post(port, "/api/v1", "application/json", kQuota).status, 200u) << logs();
  EXPECT_EQ(analyticsWeightAndQuota(port), std::make_pair(2.5, 1.5));
  // A framework with no task anywhere: only the registry can tell the next leader.
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name("idle");
  info.set_failover_timeout(1234);
  Scheduler scheduler(port, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(info), 200u) << logs();
  std::string frameworkId = scheduler.frameworkId();

  // The registry is a sibling of the group: the group lists only the masters.
  auto [group, registry] = withZooKeeper(zkAddress_, [](zhandle_t* zh) {
    Stat stat{};
    return std::make_pair(children(zh, "/plexus"),
                          zh != nullptr && zoo_exists(zh, "/plexus_registry", 0, &stat) == ZOK);
  });
  ASSERT_TRUE(group);
  EXPECT_TRUE(registry) << "no /plexus_registry";
  EXPECT_EQ(group->size(), 2u);
  for (const auto& name : *group)
    EXPECT_TRUE(name.starts_with("json.info_")) << name;

  killMaster(*leader);
  leader = waitForLeader(10s);
  ASSERT_TRUE(leader) << logs();
  EXPECT_EQ(analyticsWeightAndQuota(masterPorts_[*leader]), std::make_pair(2.5, 1.5)) << logs();
  // The framework is known, inactive until it re-subscribes, with its failover timeout.
  boost::json::value state = getJson(masterPorts_[*leader], "/state");
  ASSERT_TRUE(state.is_object());
  bool found = false;
  for (const auto& framework : state.at("frameworks").as_array()) {
    if (framework.at("id").as_string() != frameworkId) continue;
    found = true;
    EXPECT_FALSE(framework.at("active").as_bool());
    EXPECT_EQ(framework.at("failover_timeout").to_number<double>(), 1234);
  }
  EXPECT_TRUE(found) << boost::json::serialize(state);
}

// SUBSCRIBED waits for the registry: while ZooKeeper is paused the scheduler hears
// nothing; once it resumes SUBSCRIBED comes, and the framework, with its failover
// timeout, survives a leader SIGKILL right after it.
TEST_F(RegistryCluster, SubscribedComesOnlyOnceTheRegistryHoldsTheFramework) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(2);
  ASSERT_TRUE(leader);
  pid_t zk = zk_->pid(0);
  ASSERT_GT(zk, 1);

  v1::FrameworkInfo info = frameworkInfo("waits-for-the-registry");
  Scheduler scheduler(masterPorts_[*leader], Wire::kProtobuf);
  // Paused for less than the ZooKeeper client's read timeout (2/3 of the 2 s
  // session timeout), so no master loses its connection.
  ASSERT_EQ(::kill(zk, SIGSTOP), 0);
  auto paused = Clock::now();
  std::thread resume([zk] {
    std::this_thread::sleep_for(700ms);
    ::kill(zk, SIGCONT);
  });
  unsigned status = scheduler.subscribe(info);
  double waited = std::chrono::duration<double>(Clock::now() - paused).count();
  resume.join();
  ASSERT_EQ(status, 200u) << logs();
  ASSERT_FALSE(scheduler.frameworkId().empty()) << logs();
  std::printf("SUBSCRIBED %.2f s after ZooKeeper was paused for 0.7 s\n", waited);
  EXPECT_GE(waited, 0.6) << "SUBSCRIBED before the registry held the framework";

  killMaster(*leader);
  leader = waitForLeader(10s);
  ASSERT_TRUE(leader) << logs();
  bool recovered = false;
  boost::json::value state = getJson(masterPorts_[*leader], "/state");
  for (const auto& framework : state.at("frameworks").as_array()) {
    if (framework.at("id").as_string() != scheduler.frameworkId()) continue;
    recovered = true;
    EXPECT_FALSE(framework.at("active").as_bool());
    EXPECT_EQ(framework.at("failover_timeout").to_number<double>(), 3600);
  }
  EXPECT_TRUE(recovered) << "framework lost with the leader\n" << logs();
}

TEST_F(RegistryCluster, FileRegistrySurvivesAStandaloneMasterRestart) {
  // No ZooKeeper: the registry is <work_dir>/registry.pb.
  std::vector<std::string> args = {"--port=0", "--ip=127.0.0.1", "--hostname=127.0.0.1",
                                   "--work_dir=" + (dir_.path() / "standalone").string()};
  std::filesystem::path home = dir_.path() / "standalone-run";
  std::filesystem::create_directories(home);
  masters_.resize(1);
  masterPorts_.resize(1);
  masters_[0] = std::make_unique<Process>("plexus-master", args, home);
  int port = masters_[0]->waitForPort();
  ASSERT_GT(port, 0) << logs();
  ASSERT_EQ(post(port, "/api/v1", "application/json", kWeights).status, 200u) << logs();
  ASSERT_EQ(post(port, "/api/v1", "application/json", kQuota).status, 200u) << logs();
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "standalone" / "registry.pb"));
  // Mesos's registrar metrics.
  boost::json::value metrics = getJson(port, "/metrics/snapshot");
  EXPECT_EQ(metrics.at("registrar/registry_size_bytes").to_number<double>(),
            std::filesystem::file_size(dir_.path() / "standalone" / "registry.pb"));
  EXPECT_GE(metrics.at("registrar/state_store_ms").to_number<double>(), 0);
  EXPECT_EQ(metrics.at("registrar/queued_operations").to_number<double>(), 0);

  masters_[0]->signal(SIGKILL);
  masters_[0]->wait();
  masters_[0] = std::make_unique<Process>("plexus-master", args, home);
  port = masters_[0]->waitForPort();
  ASSERT_GT(port, 0) << logs();
  ASSERT_TRUE(eventually([&] { return elected(port).value_or(false); }, 10s)) << logs();
  EXPECT_EQ(analyticsWeightAndQuota(port), std::make_pair(2.5, 1.5)) << logs();

  // A registry that does not parse stops the master, naming the file.
  masters_[0]->signal(SIGTERM);
  masters_[0]->wait();
  {
    std::ofstream out(dir_.path() / "standalone" / "registry.pb", std::ios::trunc);
    out << "\xff\xff\xff garbage";
  }
  masters_[0] = std::make_unique<Process>("plexus-master", args, home);
  EXPECT_EQ(masters_[0]->wait(), 1);
  EXPECT_NE(masters_[0]->err().find("registry.pb"), std::string::npos) << masters_[0]->err();
  masters_[0].reset();
}

class UnreachableAgent : public Failover {
 protected:
  // An agent SIGKILLed (or SIGSTOPped: `stop`) together with the leader.
  void agentGoesWithTheLeader(bool stop);

  // Asks for the state of `task` on `agent`: the master's answer, if one comes soon.
  std::optional<v1::TaskStatus> reconcile(Scheduler& scheduler, const std::string& task,
                                          const std::string& agent) {
    scheduler.events().clear();
    Call call;
    call.set_type(Call::RECONCILE);
    auto* wanted = call.mutable_reconcile()->add_tasks();
    wanted->mutable_task_id()->set_value(task);
    wanted->mutable_agent_id()->set_value(agent);
    scheduler.call(call);
    std::optional<v1::TaskStatus> answer;
    scheduler.waitFor(
        [&] {
          for (const auto& event : scheduler.events()) {
            if (event.type() == Event::UPDATE &&
                event.update().status().reason() == v1::TaskStatus::REASON_RECONCILIATION)
              answer = event.update().status();
          }
          return answer.has_value();
        },
        300ms);
    return answer;
  }
};

void UnreachableAgent::agentGoesWithTheLeader(bool stop) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(2, {"--agent_reregister_timeout=3secs"});
  ASSERT_TRUE(leader);
  std::vector<std::string> agentIds =
      startAgentsAndWait(1, "cpus:2;mem:1024;disk:1024", masterPorts_[*leader]);
  ASSERT_FALSE(agentIds.empty());

  // Two frameworks, one task each on the agent.
  std::vector<v1::FrameworkInfo> infos(2);
  std::vector<std::unique_ptr<Scheduler>> schedulers;
  for (int i = 0; i < 2; ++i) {
    infos[i].set_user("nobody");
    infos[i].set_name(i == 0 ? "lost" : "aware");
    infos[i].set_failover_timeout(3600);
    if (i == 1)
      infos[i].add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
    schedulers.push_back(std::make_unique<Scheduler>(masterPorts_[*leader], Wire::kProtobuf));
    ASSERT_EQ(schedulers[i]->subscribe(infos[i]), 200u) << logs();
    infos[i].mutable_id()->set_value(schedulers[i]->frameworkId());
    auto offers = schedulers[i]->next(Event::OFFERS, 20s);
    ASSERT_TRUE(offers) << logs();
    const v1::Offer& offer = offers->offers().offers(0);
    Call accept;
    accept.set_type(Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* operation = accept.mutable_accept()->add_operations();
    operation->set_type(v1::Offer::Operation::LAUNCH);
    *operation->mutable_launch()->add_task_infos() =
        task(offer, "task-" + infos[i].name(), "echo $$ > task.pid && exec sleep 3600");
    ASSERT_EQ(schedulers[i]->call(accept).status, 202u);
    ASSERT_TRUE(schedulers[i]->waitFor(
        [&] {
          takeUpdates(*schedulers[i]);
          auto it = updates_.find("task-" + infos[i].name());
          return it != updates_.end() && !it->second.empty() &&
                 it->second.back() == v1::TASK_RUNNING;
        },
        30s))
        << logs();
  }
  std::map<std::string, pid_t> pids = waitForTaskPids(2);
  ASSERT_EQ(pids.size(), 2u);
  for (const auto& [task, pid] : pids) {
    // Its executor, should it outlive the SIGKILLed agent, is killed by TearDown too.
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    if (auto end = stat.rfind(')'); end != std::string::npos) {
      pid_t executor = 0;
      if (std::sscanf(stat.c_str() + end + 1, " %*c %d", &executor) == 1 && executor > 1)
        taskPids_.push_back(executor);
    }
  }

  // The agent goes (dies, or stops answering) together with the leader.
  if (stop) {
    agents_[0]->signal(SIGSTOP);
  } else {
    agents_[0]->signal(SIGKILL);
    agents_[0]->wait();
    agents_[0].reset();
  }
  killMaster(*leader);
  auto killed = Clock::now();
  leader = waitForLeader(10s);
  ASSERT_TRUE(leader) << logs();
  int port = masterPorts_[*leader];

  for (int i = 0; i < 2; ++i) {
    schedulers[i] = std::make_unique<Scheduler>(port, Wire::kProtobuf);
    ASSERT_EQ(schedulers[i]->subscribe(infos[i]), 200u) << logs();
    EXPECT_EQ(schedulers[i]->frameworkId(), infos[i].id().value());
  }
  // Explicit reconciliation of each framework's task until the master answers with
  // the agent unreachable (no answer while it may still re-register).
  std::vector<std::optional<v1::TaskStatus>> answers(2);
  ASSERT_TRUE(eventually(
      [&] {
        for (int i = 0; i < 2; ++i) {
          if (!answers[i])
            answers[i] = reconcile(*schedulers[i], "task-" + infos[i].name(), agentIds[0]);
        }
        return answers[0] && answers[1];
      },
      20s))
      << logs();
  double after = std::chrono::duration<double>(Clock::now() - killed).count();
  EXPECT_GE(after, 3.0) << "answered before --agent_reregister_timeout";
  EXPECT_EQ(answers[0]->state(), v1::TASK_LOST) << answers[0]->message();
  EXPECT_EQ(answers[1]->state(), v1::TASK_UNREACHABLE) << answers[1]->message();
  for (const auto& answer : answers)
    EXPECT_NE(answer->message().find("unreachable"), std::string::npos) << answer->message();
  std::printf("agent marked unreachable and tasks reconciled %.2f s after the kill\n", after);
  if (!stop) return;

  // The stopped agent comes back: it re-registers with the new leader, which admits
  // it again, and its tasks reconcile as running.
  agents_[0]->signal(SIGCONT);
  ASSERT_TRUE(eventually([&] { return activeAgents(port) == agentIds; }, 20s)) << logs();
  for (int i = 0; i < 2; ++i) {
    std::optional<v1::TaskStatus> answer;
    ASSERT_TRUE(eventually(
        [&] {
          answer = reconcile(*schedulers[i], "task-" + infos[i].name(), agentIds[0]);
          return answer.has_value();
        },
        10s))
        << logs();
    EXPECT_EQ(answer->state(), v1::TASK_RUNNING) << answer->message();
  }
}

// An agent that dies together with the leader never re-registers: after
// --agent_reregister_timeout the new leader marks it unreachable, and its tasks
// reconcile as TASK_LOST (or TASK_UNREACHABLE for a PARTITION_AWARE framework).
TEST_F(UnreachableAgent, AgentKilledWithTheLeaderIsMarkedUnreachable) {
  agentGoesWithTheLeader(false);
}

// The same with an agent that only stops answering; when it comes back it is
// admitted again and its tasks are running.
TEST_F(UnreachableAgent, AgentStoppedWithTheLeaderIsReadmittedWhenItReturns) {
  agentGoesWithTheLeader(true);
}

// After an election the allocator makes no offer until --agent_recovery_factor of
// the admitted agents are back (here all: 1), or --agent_reregister_timeout passes.
TEST_F(Failover, AllocationWaitsForTheRecoveryFactorOfAdmittedAgents) {
  START_ZOOKEEPER(false);
  auto leader = startMastersAndWaitForLeader(
      2, {"--agent_recovery_factor=1", "--agent_reregister_timeout=6secs"});
  ASSERT_TRUE(leader);
  std::vector<std::string> agentIds =
      startAgentsAndWait(2, "cpus:1;mem:512;disk:512", masterPorts_[*leader]);
  ASSERT_FALSE(agentIds.empty());

  v1::FrameworkInfo info = frameworkInfo("held");
  auto scheduler = std::make_unique<Scheduler>(masterPorts_[*leader], Wire::kProtobuf);
  ASSERT_EQ(scheduler->subscribe(info), 200u) << logs();
  info.mutable_id()->set_value(scheduler->frameworkId());
  ASSERT_TRUE(scheduler->next(Event::OFFERS, 20s)) << logs();

  // One agent stops answering; the leader dies.
  agents_[1]->signal(SIGSTOP);
  killMaster(*leader);
  auto killed = Clock::now();
  leader = waitForLeader(10s);
  ASSERT_TRUE(leader) << logs();
  int port = masterPorts_[*leader];

  // The running agent is back and the framework re-subscribed, yet no offer comes
  // while the stopped one may still return.
  ASSERT_TRUE(eventually([&] { return activeAgents(port).size() == 1; }, 20s)) << logs();
  double back = std::chrono::duration<double>(Clock::now() - killed).count();
  // /state lists the one still awaited among recovered_slaves.
  std::string running = activeAgents(port).at(0);
  auto recovered = getJson(port, "/state").at("recovered_slaves").as_array();
  ASSERT_EQ(recovered.size(), 1u) << logs();
  EXPECT_EQ(recovered[0].at("id").at("value").as_string(),
            agentIds[0] == running ? agentIds[1] : agentIds[0]);
  scheduler = std::make_unique<Scheduler>(port, Wire::kProtobuf);
  ASSERT_EQ(scheduler->subscribe(info), 200u) << logs();
  auto offers = scheduler->next(Event::OFFERS, 20s);
  ASSERT_TRUE(offers) << logs();
  double offered = std::chrono::duration<double>(Clock::now() - killed).count();
  std::printf("agent back %.2f s after the kill, first offer %.2f s after it\n", back, offered);
  EXPECT_LT(back + 1.0, offered) << "offered right after the first agent came back";
  EXPECT_GE(offered, 6.0) << "offered before --agent_reregister_timeout";
  ASSERT_EQ(offers->offers().offers_size(), 1);
  EXPECT_EQ(std::vector<std::string>{offers->offers().offers(0).agent_id().value()},
            activeAgents(port));
  std::string log = masters_[*leader]->err();
  EXPECT_NE(log.find("waiting for 2 agents"), std::string::npos) << log;
  agents_[1]->signal(SIGCONT);
}

}  // namespace
}  // namespace plexus::testing

// The registry znode is written only by the master that last read or wrote it.
namespace plexus::testing {
namespace {

TEST_F(RegistryCluster, AMasterThatNoLongerLeadsCannotOverwriteTheRegistry) {
  START_ZOOKEEPER(false);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  http::IoRuntime runtime(io);
  auto runUntil = [&](const std::function<bool()>& done) {
    auto deadline = Clock::now() + 10s;
    while (!done() && Clock::now() < deadline)
      io.run_for(20ms);
    return done();
  };
  std::vector<std::string> failures;
  // detector_zk's registry store, loaded as `--zk` loads it.
  auto registrar = [&]() -> std::unique_ptr<master::Registrar> {
    auto store = loadModule<RegistryStore>(
        std::filesystem::path(PLEXUS_DETECTOR_ZK_MODULE_DIR) / "libplexus_detector_zk.so",
        "detector_zk_registry", {{"zk", zkUrl()}, {"session_timeout", "2secs"}});
    EXPECT_TRUE(store) << store.error().message();
    if (!store || !(*store)->initialize(runtime)) return nullptr;
    return std::make_unique<master::Registrar>(
        std::move(*store), [&](const Error& error) { failures.push_back(error.message()); });
  };
  auto recover = [&](master::Registrar& registrar) {
    std::optional<Result<internal::Registry>> recovered;
    registrar.recover([&](Result<internal::Registry> registry) { recovered = registry; });
    runUntil([&] { return recovered.has_value(); });
    return recovered;
  };
  auto weight = [](const std::string& role) {
    return [role](internal::Registry& registry) {
      v1::WeightInfo* info = registry.add_weights();
      info->set_role(role);
      info->set_weight(2);
    };
  };

  // The old leader read the registry; then a new leader read it and wrote.
  auto old = registrar();
  auto next = registrar();
  ASSERT_TRUE(old && next);
  ASSERT_TRUE(recover(*old).value_or(fail("timeout")));
  ASSERT_TRUE(recover(*next).value_or(fail("timeout")));
  bool stored = false;
  next->apply(weight("new-leader"), [&] { stored = true; });
  ASSERT_TRUE(runUntil([&] { return stored; }));

  // The old leader's write is refused: it must step down.
  bool oldStored = false;
  old->apply(weight("old-leader"), [&] { oldStored = true; });
  ASSERT_TRUE(runUntil([&] { return !failures.empty(); }));
  EXPECT_FALSE(oldStored);
  EXPECT_NE(failures[0].find("another master"), std::string::npos) << failures[0];

  auto reader = registrar();
  auto registry = recover(*reader);
  ASSERT_TRUE(registry && *registry);
  ASSERT_EQ((*registry)->weights_size(), 1);
  EXPECT_EQ((*registry)->weights(0).role(), "new-leader");

  // Once the znode exists, a master that read it hears at once (the store's watch)
  // that another master wrote it, before it writes anything; a write of its would
  // be refused too (the registry store conformance suite checks that).
  failures.clear();
  stored = false;
  next->apply(weight("new-leader-again"), [&] { stored = true; });
  ASSERT_TRUE(runUntil([&] { return stored && !failures.empty(); }));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("written by another master"), std::string::npos) << failures[0];
  reader->apply(weight("stale"), [&] { oldStored = true; });
  EXPECT_FALSE(oldStored);
}

}  // namespace
}  // namespace plexus::testing
