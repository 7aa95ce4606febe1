// plexus-bench-failover: how long a master failover takes, from SIGKILL of the
// leading master to a new leader serving with every agent re-registered.
//
// Starts a throw-away ZooKeeper (tests/support/zookeeper.hpp) and three real
// plexus-masters with --zk, in a temporary folder removed at the end. Agents:
//   * `--agents=1` (default mode "real"): one real plexus-agent with --master=zk://;
//   * `--agents=N --simulated`: N agents simulated in this process, each speaking
//     the agent protocol (REGISTER, then REREGISTER with its id) on its own stream.
//     The simulated agents learn the leader by polling the masters' master/elected
//     every 10 ms instead of watching ZooKeeper.
// Each run SIGKILLs the leader, then restarts it as a standby. Prints key=value:
// runN.new_leader_s (kill -> a master reports master/elected=1),
// runN.all_reregistered_s (kill -> the new leader lists all N agents active), and the
// medians over the runs, with the session timeout used.
//
//   plexus-bench-failover [--agents=N] [--simulated] [--runs=5] [--session_timeout=2secs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <plexus/recordio.hpp>
#include <plexus/resources.hpp>

#include "agent_protocol.pb.h"
#include "http/client.hpp"
#include "process.hpp"
#include "zookeeper.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using plexus::testing::Process;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

boost::json::value getJson(int port, const std::string& path) {
  auto response = plexus::http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                      {.method = "GET", .target = path});
  if (!response || response->status != 200) return nullptr;
  boost::system::error_code error;
  auto value = boost::json::parse(response->body, error);
  return error ? boost::json::value(nullptr) : value;
}

bool isElected(int port) {
  auto metrics = getJson(port, "/metrics/snapshot");
  if (!metrics.is_object()) return false;
  auto* elected = metrics.as_object().if_contains("master/elected");
  return elected != nullptr && elected->to_number<double>() == 1;
}

size_t activeAgents(int port) {
  auto metrics = getJson(port, "/metrics/snapshot");
  if (!metrics.is_object()) return 0;
  auto* active = metrics.as_object().if_contains("master/slaves_active");
  return active == nullptr ? 0 : static_cast<size_t>(active->to_number<double>());
}

// N agents speaking the internal protocol, each with one stream to the leader.
class SimulatedAgents {
 public:
  explicit SimulatedAgents(size_t count) : agents_(count) {}

  // (Re-)registers every agent with the master on `port`; returns when all have
  // REGISTERED from it, or false after `timeout`.
  bool registerAll(int port, std::chrono::seconds timeout) {
    for (size_t i = 0; i < agents_.size(); ++i)
      connect(i, port);
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
      if (registered_ == agents_.size()) return true;
    }
    return false;
  }

 private:
  struct Agent {
    std::string id;
    std::shared_ptr<plexus::http::ClientCall> stream;
    plexus::RecordIODecoder decoder;
    bool registered = false;
  };

  void connect(size_t index, int port) {
    Agent& agent = agents_[index];
    if (agent.stream) agent.stream->cancel();
    if (agent.registered) --registered_;
    agent.registered = false;
    agent.decoder = plexus::RecordIODecoder();
    plexus::v1::AgentInfo info;
    info.set_hostname("sim-" + std::to_string(index));
    info.set_port(static_cast<int>(40000 + index % 20000));
    plexus::Resources::parse("cpus:4;mem:8192")->toWire(info.mutable_resources());
    plexus::internal::AgentCall call;
    std::string endpoint = "127.0.0.1:" + std::to_string(40000 + index % 20000);
    if (agent.id.empty()) {
      call.set_type(plexus::internal::AgentCall::REGISTER);
      *call.mutable_register_()->mutable_agent_info() = info;
      call.mutable_register_()->set_endpoint(endpoint);
      call.mutable_register_()->set_version("bench");
    } else {
      call.set_type(plexus::internal::AgentCall::REREGISTER);
      call.mutable_agent_id()->set_value(agent.id);
      info.mutable_id()->set_value(agent.id);
      *call.mutable_reregister()->mutable_agent_info() = info;
      call.mutable_reregister()->set_endpoint(endpoint);
      call.mutable_reregister()->set_version("bench");
    }
    agent.stream =
        client_.stream("127.0.0.1", static_cast<uint16_t>(port),
                       {.method = "POST",
                        .target = "/internal/v1/agent",
                        .headers = {{"Content-Type", "application/x-protobuf"},
                                    {"Accept", "application/x-protobuf"}},
                        .body = call.SerializeAsString()},
                       {.onHead = [](const plexus::http::Response&) {},
                        .onData = [this, index](std::string_view bytes) { onData(index, bytes); },
                        .onEnd = [](plexus::Result<void>) {}});
  }

  void onData(size_t index, std::string_view bytes) {
    Agent& agent = agents_[index];
    auto records = agent.decoder.decode(bytes);
    if (!records) return;
    for (const std::string& record : *records) {
      plexus::internal::AgentEvent event;
      if (!event.ParseFromString(record) ||
          event.type() != plexus::internal::AgentEvent::REGISTERED)
        continue;
      agent.id = event.registered().agent_id().value();
      if (!agent.registered) ++registered_;
      agent.registered = true;
    }
  }

  boost::asio::io_context io_;
  plexus::http::Client client_{io_};
  std::vector<Agent> agents_;
  size_t registered_ = 0;
};

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t agentCount = 1;
  bool simulated = false;
  int runs = 5;
  std::string session = "2secs";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--agents="))
      agentCount = std::stoul(arg.substr(9));
    else if (arg == "--simulated")
      simulated = true;
    else if (arg.starts_with("--runs="))
      runs = std::stoi(arg.substr(7));
    else if (arg.starts_with("--session_timeout="))
      session = arg.substr(18);
    else {
      std::cerr << "usage: plexus-bench-failover [--agents=N] [--simulated] [--runs=5] "
                   "[--session_timeout=2secs]\n";
      return 2;
    }
  }
  if (!simulated && agentCount != 1) {
    std::cerr << "real agents: only --agents=1 (use --simulated for more)\n";
    return 2;
  }

  plexus::testing::TempDir dir;
  auto zooKeeper = plexus::testing::ZooKeeper::start(dir.path() / "zk");
  if (!zooKeeper) {
    std::cerr << "cannot start ZooKeeper: " << zooKeeper.error() << "\n";
    return 1;
  }
  const std::string zk = "zk://" + (*zooKeeper)->servers() + "/plexus";

  std::vector<std::unique_ptr<Process>> masters(3);
  std::vector<int> ports(3, -1);
  auto startMaster = [&](size_t i) {
    auto home = dir.path() / ("master" + std::to_string(i));
    std::filesystem::create_directories(home);
    masters[i] = std::make_unique<Process>("plexus-master",
                                           std::vector<std::string>{
                                               "--port=0",
                                               "--ip=127.0.0.1",
                                               "--hostname=127.0.0.1",
                                               "--work_dir=" + (home / "work").string(),
                                               "--zk=" + zk,
                                               "--zk_session_timeout=" + session,
                                               "--agent_ping_timeout=60secs",
                                           },
                                           home);
    ports[i] = masters[i]->waitForPort();
    return ports[i] > 0;
  };
  auto leader = [&]() -> std::optional<size_t> {
    for (size_t i = 0; i < 3; ++i)
      if (masters[i] && isElected(ports[i])) return i;
    return std::nullopt;
  };
  auto waitLeader = [&](std::chrono::seconds timeout) -> std::optional<size_t> {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (auto l = leader()) return l;
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  };

  int exitCode = 0;
  std::unique_ptr<Process> agent;
  SimulatedAgents sim(simulated ? agentCount : 0);
  std::vector<double> newLeader, reregistered;
  do {
    bool ok = true;
    for (size_t i = 0; i < 3 && ok; ++i)
      ok = startMaster(i);
    auto current = ok ? waitLeader(30s) : std::nullopt;
    if (!current) {
      std::cerr << "no leader elected\n";
      exitCode = 1;
      break;
    }
    if (simulated) {
      if (!sim.registerAll(ports[*current], 120s)) {
        std::cerr << "agents did not register\n";
        exitCode = 1;
        break;
      }
    } else {
      auto home = dir.path() / "agent";
      std::filesystem::create_directories(home);
      agent = std::make_unique<Process>(
          "plexus-agent",
          std::vector<std::string>{
              "--port=0", "--ip=127.0.0.1", "--master=" + zk, "--zk_session_timeout=" + session,
              "--work_dir=" + (home / "work").string(), "--resources=cpus:2;mem:1024",
              "--logging_level=WARNING", "--registration_backoff_factor=100ms"},
          home);
    }
    auto deadline = Clock::now() + 60s;
    while (activeAgents(ports[*current]) != agentCount && Clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    std::printf("# %zu %s agent(s) registered; session timeout %s\n", agentCount,
                simulated ? "simulated" : "real", session.c_str());

    for (int run = 1; run <= runs; ++run) {
      size_t old = *current;
      auto killed = Clock::now();
      masters[old]->signal(SIGKILL);
      masters[old]->wait();
      masters[old].reset();
      current = waitLeader(60s);
      if (!current) {
        std::cerr << "run " << run << ": no new leader\n";
        exitCode = 1;
        break;
      }
      auto elected = Clock::now();
      bool all = true;
      if (simulated) all = sim.registerAll(ports[*current], 120s);
      while (all && activeAgents(ports[*current]) != agentCount) {
        if (Clock::now() - elected > 120s) all = false;
        std::this_thread::sleep_for(5ms);
      }
      auto done = Clock::now();
      if (!all) {
        std::cerr << "run " << run << ": agents did not re-register\n";
        exitCode = 1;
        break;
      }
      newLeader.push_back(seconds(elected - killed));
      reregistered.push_back(seconds(done - killed));
      std::printf("run%d.new_leader_s=%.3f\nrun%d.all_reregistered_s=%.3f\n", run, newLeader.back(),
                  run, reregistered.back());
      std::fflush(stdout);
      if (!startMaster(old)) {
        std::cerr << "cannot restart master " << old << "\n";
        exitCode = 1;
        break;
      }
    }
  } while (false);
  std::printf("agents=%zu\nsimulated=%d\nsession_timeout=%s\nruns=%zu\n", agentCount,
              simulated ? 1 : 0, session.c_str(), newLeader.size());
  std::printf("median.new_leader_s=%.3f\nmedian.all_reregistered_s=%.3f\n", median(newLeader),
              median(reregistered));

  if (agent) {
    agent->signal(SIGTERM);
    agent->wait();
  }
  for (auto& master : masters) {
    if (!master) continue;
    master->signal(SIGTERM);
    master->wait();
  }
  (*zooKeeper)->stop();
  return exitCode;
}
