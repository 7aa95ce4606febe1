// A real network partition (issue 15, item 7). The test puts a plexus-agent in a
// network namespace of its own, joined to the master's by a veth pair on a
// private /30, then cuts the link (the host end goes down) past the master's
// ping timeout and heals it. As Mesos 1.11 does:
//   - while the agent is away, a PARTITION_AWARE framework gets TASK_UNREACHABLE
//     and another one TASK_LOST (both REASON_AGENT_REMOVED);
//   - once the link is back, the agent (the same process) re-registers under the
//     same agent id, every framework gets its task's latest state, RUNNING with
//     REASON_AGENT_REREGISTERED, and explicit reconciliation answers RUNNING;
//   - nothing is lost or duplicated: each framework sees exactly STARTING?,
//     RUNNING, UNREACHABLE/LOST, RUNNING, RUNNING (reconciliation), and then,
//     when it kills the task, KILLING and KILLED, and no other update.
// Needs root (ip netns, ip link); skipped otherwise. The namespace and the links
// are removed whatever happens, the agent first.
#include <filesystem>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "cluster.hpp"
#include "daemons.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

constexpr const char* kIp = "/usr/sbin/ip";

// `ip netns add` + a veth pair, one end moved into the namespace; torn down by
// the destructor. Names and the /30 come from the test's pid, so parallel runs
// do not meet.
class NetworkNamespace {
 public:
  NetworkNamespace() {
    pid_t pid = ::getpid();
    name_ = "plexus-part-" + std::to_string(pid);
    host_ = "plxh" + std::to_string(pid % 10000000);
    agent_ = "plxa" + std::to_string(pid % 10000000);
    std::string base = "10.213." + std::to_string((pid >> 6) & 255) + ".";
    int block = (pid & 63) * 4;
    hostIp_ = base + std::to_string(block + 1);
    agentIp_ = base + std::to_string(block + 2);
    teardown();  // whatever a killed earlier run with this pid left
    ok_ = run("ip netns add " + name_) &&
          run("ip link add " + host_ + " type veth peer name " + agent_) &&
          run("ip link set " + agent_ + " netns " + name_) &&
          run("ip addr add " + hostIp_ + "/30 dev " + host_) &&
          run("ip link set " + host_ + " up") &&
          run(inside("ip addr add " + agentIp_ + "/30 dev " + agent_)) &&
          run(inside("ip link set " + agent_ + " up")) && run(inside("ip link set lo up"));
  }
  ~NetworkNamespace() { teardown(); }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  const std::string& hostIp() const { return hostIp_; }
  const std::string& agentIp() const { return agentIp_; }
  // The partition: the master's end of the link goes down, and comes back.
  bool cut() { return run("ip link set " + host_ + " down"); }
  bool heal() { return run("ip link set " + host_ + " up"); }

 private:
  std::string inside(const std::string& command) const {
    return "ip netns exec " + name_ + " " + command;
  }
  bool run(const std::string& command) {
    int status = 0;
    std::string out = runShell(command + " 2>&1", &status);
    if (status == 0) return true;
    error_ += command + ": " + out;
    return false;
  }
  void teardown() {
    int status = 0;
    runShell("ip link del " + host_ + " 2>/dev/null", &status);  // takes its peer along
    runShell("ip netns del " + name_ + " 2>/dev/null", &status);
  }

  std::string name_, host_, agent_, hostIp_, agentIp_, error_;
  bool ok_ = false;
};

class NetworkPartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for ip netns";
    if (!std::filesystem::exists(kIp)) GTEST_SKIP() << "needs " << kIp << " (iproute2)";
    net_ = std::make_unique<NetworkNamespace>();
    if (!net_->ok() && net_->error().find("Operation not permitted") != std::string::npos)
      GTEST_SKIP() << "this root may not make network namespaces: " << net_->error();
    ASSERT_TRUE(net_->ok()) << net_->error();
    // On every address, so that the test reaches it on 127.0.0.1 and the agent on
    // the veth's. One missed ping of 500 ms after another: unreachable after ~1 s.
    master_ = startTestMaster(
        dir_, {"--ip=0.0.0.0", "--agent_ping_timeout=500ms", "--max_agent_ping_timeouts=2"});
    ASSERT_TRUE(master_->waitForLog("listening on http://0.0.0.0:")) << master_->err();
    std::string err = master_->err();
    const std::string marker = "listening on http://0.0.0.0:";
    port_ = std::stoi(err.substr(err.find(marker) + marker.size()));
    agent_ = std::make_unique<Process>(
        kIp,
        std::vector<std::string>{
            "netns", "exec", net_->name(), std::string(PLEXUS_BIN_DIR) + "/plexus-agent",
            "--ip=" + net_->agentIp(), "--port=0",
            "--master=" + net_->hostIp() + ":" + std::to_string(port_),
            "--work_dir=" + (dir_.path() / "agent").string(),
            "--resources=cpus:2;mem:512;disk:1024", "--switch_user=false",
            "--registration_backoff_factor=100ms", "--status_update_retry_interval=300ms",
            "--executor_shutdown_grace_period=1secs"},
        dir_.path());
    ASSERT_TRUE(agent_->waitForLog(" as agent ")) << agent_->err() << master_->err();
    std::string agentErr = agent_->err();
    std::size_t at = agentErr.find(" as agent ") + 10;
    agentId_ = agentErr.substr(at, agentErr.find_first_of(" \n", at) - at);
  }

  void TearDown() override {
    if (agent_) {
      if (net_) net_->heal();
      agent_->signal(SIGTERM);
      EXPECT_EQ(agent_->wait(), 0) << agent_->err();
      agent_.reset();
    }
    if (master_) {
      master_->signal(SIGTERM);
      EXPECT_EQ(master_->wait(), 0) << master_->err();
    }
    net_.reset();
  }

  std::string logs() const {
    return "--- master:\n" + (master_ ? master_->err() : "") + "--- agent:\n" +
           (agent_ ? agent_->err() : "");
  }

  TempDir dir_;
  std::unique_ptr<NetworkNamespace> net_;
  std::unique_ptr<Process> master_;
  std::unique_ptr<Process> agent_;
  std::string agentId_;
  int port_ = 0;
};

struct Framework {
  bool aware;
  std::unique_ptr<Scheduler> scheduler;
  std::string task;
  std::vector<v1::TaskStatus> updates;  // every update received, in order

  // The next update of this framework's task (acknowledged), recorded.
  std::optional<v1::TaskStatus> next() {
    auto status = ClusterFixture::nextUpdate(*scheduler);
    if (status) updates.push_back(*status);
    return status;
  }
};

TEST_F(NetworkPartitionTest, UnreachableOrLostWhileCutThenRunningOnceHealed) {
  std::vector<Framework> frameworks;
  for (bool aware : {false, true}) {
    Framework& f = frameworks.emplace_back(Framework{
        aware, std::make_unique<Scheduler>(port_, Wire::kJson), aware ? "aware" : "unaware", {}});
    v1::FrameworkInfo info = ClusterFixture::framework();
    info.set_name(f.task);
    if (aware) info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
    ASSERT_EQ(f.scheduler->subscribe(info), 200u) << logs();
    auto offers = f.scheduler->next(Event::OFFERS);
    ASSERT_TRUE(offers) << logs();
    const v1::Offer& offer = offers->offers().offers(0);
    Call accept =
        ClusterFixture::launch(offer, {ClusterFixture::commandTask(offer, f.task, "sleep 120")});
    accept.mutable_accept()->mutable_filters()->set_refuse_seconds(3600);
    ASSERT_EQ(f.scheduler->call(accept).status, 202u);
    std::optional<v1::TaskStatus> status;
    do {
      status = f.next();
    } while (status && status->state() == v1::TASK_STARTING);
    ASSERT_TRUE(status && status->state() == v1::TASK_RUNNING) << logs();
  }

  ASSERT_TRUE(net_->cut()) << net_->error();
  for (Framework& f : frameworks) {
    auto status = f.next();
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->state(), f.aware ? v1::TASK_UNREACHABLE : v1::TASK_LOST)
        << v1::TaskState_Name(status->state());
    EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_AGENT_REMOVED)
        << v1::TaskStatus::Reason_Name(status->reason());
  }
  auto state = [&] {
    auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port_),
                                http::ClientRequest{.method = "GET", .target = "/state"});
    boost::system::error_code error;
    if (!response || response->status != 200) return boost::json::value(nullptr);
    boost::json::value value = boost::json::parse(response->body, error);
    return error ? boost::json::value(nullptr) : value;
  };
  EXPECT_TRUE(eventually([&] {
    auto json = state();
    return !json.is_null() && json.at("unreachable_slaves").to_number<int>() == 1;
  })) << logs();

  ASSERT_TRUE(net_->heal()) << net_->error();
  for (Framework& f : frameworks) {
    auto status = f.next();
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->state(), v1::TASK_RUNNING) << status->message();
    EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_AGENT_REREGISTERED)
        << v1::TaskStatus::Reason_Name(status->reason());
    EXPECT_EQ(status->agent_id().value(), agentId_);
  }
  // Re-registered as the same agent, once: one agent listed, none unreachable.
  EXPECT_NE(agent_->err().find("Re-registered with master"), std::string::npos) << logs();
  auto healed = state();
  ASSERT_FALSE(healed.is_null());
  ASSERT_EQ(healed.at("slaves").as_array().size(), 1u) << boost::json::serialize(healed);
  EXPECT_EQ(healed.at("slaves").as_array()[0].at("id").as_string(), agentId_);
  EXPECT_EQ(healed.at("unreachable_slaves").to_number<int>(), 0);

  for (Framework& f : frameworks) {
    // Explicit reconciliation: RUNNING, on the same agent.
    Call reconcile;
    reconcile.set_type(Call::RECONCILE);
    auto* task = reconcile.mutable_reconcile()->add_tasks();
    task->mutable_task_id()->set_value(f.task);
    task->mutable_agent_id()->set_value(agentId_);
    ASSERT_EQ(f.scheduler->call(reconcile).status, 202u);
    auto reconciled = f.next();
    ASSERT_TRUE(reconciled) << logs();
    EXPECT_EQ(reconciled->state(), v1::TASK_RUNNING);
    EXPECT_EQ(reconciled->reason(), v1::TaskStatus::REASON_RECONCILIATION);

    // The task still runs on the agent: killing it is the next thing it reports.
    Call kill;
    kill.set_type(Call::KILL);
    kill.mutable_kill()->mutable_task_id()->set_value(f.task);
    kill.mutable_kill()->mutable_agent_id()->set_value(agentId_);
    ASSERT_EQ(f.scheduler->call(kill).status, 202u);
    std::optional<v1::TaskStatus> status;
    do {
      status = f.next();
    } while (status && status->state() == v1::TASK_KILLING);
    ASSERT_TRUE(status) << logs();
    EXPECT_EQ(status->state(), v1::TASK_KILLED);
  }

  // Every update each framework got, in order: nothing lost, nothing twice.
  for (const Framework& f : frameworks) {
    std::vector<std::string> seen;
    for (const v1::TaskStatus& status : f.updates) {
      if (status.state() == v1::TASK_STARTING) continue;  // the executor may skip it
      seen.push_back(v1::TaskState_Name(status.state()));
    }
    std::vector<std::string> expected = {"TASK_RUNNING", f.aware ? "TASK_UNREACHABLE" : "TASK_LOST",
                                         "TASK_RUNNING", "TASK_RUNNING",
                                         "TASK_KILLING", "TASK_KILLED"};
    EXPECT_EQ(seen, expected) << f.task;
    std::cout << "[ updates  ] " << f.task << ":";
    for (const auto& name : seen)
      std::cout << " " << name;
    std::cout << " (" << f.updates.size() << " updates)\n";
  }
}

}  // namespace
}  // namespace plexus::testing
