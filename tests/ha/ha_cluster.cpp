#include "ha_cluster.hpp"

#include <cstdio>
#include <regex>
#include <signal.h>
#include <thread>

#include <boost/json.hpp>

#include "http/client.hpp"

namespace plexus::testing {

void HaCluster::TearDown() {
  for (auto& agent : agents_) {
    if (!agent) continue;
    agent->signal(SIGTERM);
    agent->signal(SIGCONT);  // in case a test left it stopped
    agent->wait();
  }
  for (auto& master : masters_) {
    if (!master) continue;
    master->signal(SIGTERM);
    master->wait();
  }
  for (pid_t pid : taskPids_) {
    if (pid > 0 && ::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
  }
  zk_.reset();
}

bool HaCluster::startZooKeeper(bool ensemble, std::string* error) {
  if (zk_) {
    *error = zk_->restart();
    return error->empty();
  }
  auto zk = ZooKeeper::start(dir_.path() / "zk", ensemble ? 3 : 1);
  if (!zk) {
    *error = zk.error();
    return false;
  }
  zk_ = std::move(*zk);
  zkAddress_ = zk_->servers();
  return true;
}

int HaCluster::startMaster(size_t index, std::vector<std::string> extraArgs) {
  if (masters_.size() <= index) {
    masters_.resize(index + 1);
    masterPorts_.resize(index + 1, -1);
  }
  std::vector<std::string> args = {
      "--port=0",
      "--ip=127.0.0.1",
      "--hostname=127.0.0.1",
      "--work_dir=" + (dir_.path() / ("master" + std::to_string(index))).string(),
      "--zk=" + zkUrl(),
      std::string("--zk_session_timeout=") + kSessionTimeout,
      "--allocation_interval=50ms",
      "--agent_ping_timeout=1secs",
      "--max_agent_ping_timeouts=5"};
  for (auto& arg : extraArgs)
    args.push_back(std::move(arg));
  std::filesystem::path home = dir_.path() / ("master" + std::to_string(index) + "-run");
  std::filesystem::create_directories(home);
  masters_[index] = std::make_unique<Process>("plexus-master", args, home);
  masterPorts_[index] = masters_[index]->waitForPort();
  return masterPorts_[index];
}

size_t HaCluster::startAgent(const std::string& resources) {
  size_t index = agents_.size();
  std::filesystem::path home = dir_.path() / ("agent" + std::to_string(index) + "-run");
  std::filesystem::create_directories(home);
  agents_.push_back(std::make_unique<Process>(
      "plexus-agent",
      std::vector<std::string>{
          "--port=0", "--ip=127.0.0.1", "--master=" + zkUrl(),
          std::string("--zk_session_timeout=") + kSessionTimeout,
          "--work_dir=" + (dir_.path() / ("agent" + std::to_string(index))).string(),
          "--resources=" + resources, "--status_update_retry_interval=300ms",
          "--registration_backoff_factor=100ms", "--executor_shutdown_grace_period=1secs"},
      home));
  return index;
}

http::Response HaCluster::get(int port, const std::string& path) {
  auto response =
      http::fetch("127.0.0.1", static_cast<uint16_t>(port), {.method = "GET", .target = path});
  if (!response) return http::Response{.status = 0, .body = response.error().message()};
  return *response;
}

boost::json::value HaCluster::getJson(int port, const std::string& path) {
  http::Response response = get(port, path);
  if (response.status != 200) return nullptr;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(response.body, error);
  return error ? boost::json::value(nullptr) : value;
}

std::optional<bool> HaCluster::elected(int port) {
  boost::json::value metrics = getJson(port, "/metrics/snapshot");
  if (!metrics.is_object()) return std::nullopt;
  const boost::json::value* value = metrics.as_object().if_contains("master/elected");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>() == 1;
}

std::optional<size_t> HaCluster::waitForLeader(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<size_t> leaders;
    for (size_t i = 0; i < masters_.size(); ++i) {
      if (masters_[i] && elected(masterPorts_[i]).value_or(false)) leaders.push_back(i);
    }
    if (leaders.size() == 1) return leaders.front();
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::optional<size_t> HaCluster::startMastersAndWaitForLeader(size_t count,
                                                              std::vector<std::string> args) {
  for (size_t i = 0; i < count; ++i) {
    if (startMaster(i, args) <= 0) {
      ADD_FAILURE() << "master " << i << " did not start\n" << logs();
      return std::nullopt;
    }
  }
  auto leader = waitForLeader(std::chrono::seconds(15));
  if (!leader) ADD_FAILURE() << "no single leader within 15 s\n" << logs();
  return leader;
}

void HaCluster::killMaster(size_t index) {
  masters_[index]->signal(SIGKILL);
  masters_[index]->wait();
  masters_[index].reset();
}

std::vector<std::string> HaCluster::startAgentsAndWait(size_t count, const std::string& resources,
                                                       int port) {
  for (size_t i = 0; i < count; ++i)
    startAgent(resources);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    std::vector<std::string> ids = activeAgents(port);
    if (ids.size() == count) return ids;
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << ids.size() << " of " << count << " agents active after 20 s\n" << logs();
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<std::string> HaCluster::activeAgents(int port) {
  std::vector<std::string> ids;
  boost::json::value state = getJson(port, "/state");
  if (!state.is_object()) return ids;
  const boost::json::value* slaves = state.as_object().if_contains("slaves");
  if (slaves == nullptr || !slaves->is_array()) return ids;
  for (const auto& slave : slaves->as_array()) {
    const auto& object = slave.as_object();
    if (object.at("active").as_bool()) ids.emplace_back(object.at("id").as_string());
  }
  return ids;
}

std::string HaCluster::logs() const {
  std::string all;
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (masters_[i]) all += "--- master " + std::to_string(i) + ":\n" + masters_[i]->err();
  }
  for (size_t i = 0; i < agents_.size(); ++i) {
    if (agents_[i]) all += "--- agent " + std::to_string(i) + ":\n" + agents_[i]->err();
  }
  return all;
}

}  // namespace plexus::testing
