// plexus-bench-agent-scale: one real plexus-agent (and master) running N tasks at
// once, and what that costs the agent: its RSS, and the time of its /state and
// /monitor/statistics. The tasks are simulated: a framework (ClusterSim, in this
// process) LAUNCHes them to E custom executors, plexus-bench-executor, which runs no
// process for a task whose data is "hold" and keeps it TASK_RUNNING. Prints key=value.
//
//   plexus-bench-agent-scale                      # 1,000 tasks on 10 executors
//   plexus-bench-agent-scale --tasks=1000 --executors=1000 --runs=5
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <boost/json.hpp>

#include "cluster_sim.hpp"
#include "http/client.hpp"
#include "process.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using plexus::testing::Process;

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double memoryMiB(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field + ":")) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

std::string loadAverage() {
  std::ifstream loadavg("/proc/loadavg");
  std::string one, five, fifteen;
  loadavg >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Timed {
  double ms = 0;
  int status = 0;
  std::size_t bytes = 0;
};

Timed timedGet(int port, const std::string& target) {
  plexus::http::ClientOptions options;
  options.maxBodyBytes = 1ull << 30;
  options.plainHttp = true;
  const auto start = Clock::now();
  auto response = plexus::http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                      {.method = "GET", .target = target}, options);
  return {std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
          response ? static_cast<int>(response->status) : 0, response ? response->body.size() : 0};
}

double activeAgents(int port) {
  auto response = plexus::http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                      {.method = "GET", .target = "/metrics/snapshot"});
  if (!response || response->status != 200) return 0;
  boost::system::error_code error;
  auto value = boost::json::parse(response->body, error);
  if (error || !value.is_object()) return 0;
  auto* active = value.as_object().if_contains("master/slaves_active");
  return active == nullptr ? 0 : active->to_number<double>();
}

int usage() {
  std::cerr << "usage: plexus-bench-agent-scale [--tasks=1000] [--executors=10] [--runs=5]\n"
               "         [--logging_level=INFO]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are taken
  int tasks = 1000;
  int executors = 10;
  int runs = 5;
  std::string loggingLevel = "INFO";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--tasks=")) {
      tasks = std::stoi(arg.substr(8));
    } else if (arg.starts_with("--executors=")) {
      executors = std::stoi(arg.substr(12));
    } else if (arg.starts_with("--runs=")) {
      runs = std::stoi(arg.substr(7));
    } else if (arg.starts_with("--logging_level=")) {
      loggingLevel = arg.substr(16);
    } else {
      return usage();
    }
  }
  if (tasks <= 0 || executors <= 0 || runs <= 0) return usage();

  plexus::testing::TempDir dir;
  Process master(
      "plexus-master",
      {"--port=0", "--ip=127.0.0.1", "--hostname=127.0.0.1",
       "--work_dir=" + (dir.path() / "master").string(), "--logging_level=" + loggingLevel},
      dir.path());
  const int masterPort = master.waitForPort();
  if (masterPort <= 0) {
    std::cerr << "plexus-master did not start: " << master.lastErrLine() << "\n";
    return 1;
  }
  // Room for every task and executor: cpus 0.01 and mem 1 a task, 0.1 and 32 an executor.
  const double cpus = tasks * 0.01 + executors * 0.1 + 1;
  const double mem = tasks * 1.0 + executors * 32.0 + 1024;
  Process agent(
      "plexus-agent",
      {"--port=0", "--ip=127.0.0.1", "--hostname=127.0.0.1",
       "--master=127.0.0.1:" + std::to_string(masterPort),
       "--work_dir=" + (dir.path() / "agent").string(),
       "--resources=cpus:" + std::to_string(cpus) + ";mem:" + std::to_string(mem) + ";disk:10240",
       "--logging_level=" + loggingLevel},
      dir.path());
  const int agentPort = agent.waitForPort();
  const auto registered = Clock::now() + 60s;
  while (agentPort > 0 && activeAgents(masterPort) < 1 && Clock::now() < registered)
    std::this_thread::sleep_for(20ms);
  if (agentPort <= 0 || activeAgents(masterPort) < 1) {
    std::cerr << "plexus-agent did not register: " << agent.lastErrLine() << "\n";
    return 1;
  }
  std::printf("# plexus-agent pid %d; %d tasks on %d executors; load %s\n", agent.pid(), tasks,
              executors, loadAverage().c_str());
  std::printf("tasks=%d\nexecutors=%d\nagent_rss_idle_MiB=%.1f\n", tasks, executors,
              memoryMiB(agent.pid(), "VmRSS"));
  std::fflush(stdout);

  int exitCode = 0;
  {
    plexus::bench::SimConfig config;
    config.port = static_cast<std::uint16_t>(masterPort);
    config.agents = 0;
    config.frameworks = 1;
    config.tasks = tasks;
    config.tasksPerOffer = tasks;
    config.executorCommand = PLEXUS_BIN_DIR "/plexus-bench-executor";
    config.executors = executors;
    config.taskData = "hold";
    config.taskResources = "cpus:0.01;mem:1";
    plexus::bench::ClusterSim sim(config);
    do {
      const auto start = Clock::now();
      if (!sim.runFrameworks(600s)) {
        std::cerr << "only " << sim.runningTasks() << " of " << tasks << " tasks running"
                  << (sim.firstError().empty() ? "" : " (first error: " + sim.firstError() + ")")
                  << "\n";
        exitCode = 1;
        break;
      }
      std::printf("tasks_running_s=%.2f\n",
                  std::chrono::duration<double>(Clock::now() - start).count());
      std::this_thread::sleep_for(2s);  // the acknowledgements
      std::printf("agent_rss_MiB=%.1f\nagent_rss_peak_MiB=%.1f\n", memoryMiB(agent.pid(), "VmRSS"),
                  memoryMiB(agent.pid(), "VmHWM"));
      std::vector<double> state, statistics;
      std::size_t stateBytes = 0, statisticsBytes = 0;
      for (int run = 0; run < runs && exitCode == 0; ++run) {
        Timed timed = timedGet(agentPort, "/state");
        stateBytes = timed.bytes;
        state.push_back(timed.ms);
        if (timed.status != 200) exitCode = 1;
        timed = timedGet(agentPort, "/monitor/statistics");
        statisticsBytes = timed.bytes;
        statistics.push_back(timed.ms);
        if (timed.status != 200) exitCode = 1;
      }
      if (exitCode != 0) {
        std::cerr << "an agent endpoint did not answer 200\n";
        break;
      }
      std::printf("agent_state_ms_median=%.1f\nagent_state_ms_max=%.1f\nagent_state_KB=%.0f\n",
                  median(state), *std::max_element(state.begin(), state.end()), stateBytes / 1e3);
      std::printf(
          "agent_statistics_ms_median=%.1f\nagent_statistics_ms_max=%.1f\n"
          "agent_statistics_KB=%.0f\n",
          median(statistics), *std::max_element(statistics.begin(), statistics.end()),
          statisticsBytes / 1e3);
    } while (false);
  }
  std::printf("# load at the end %s\n", loadAverage().c_str());
  agent.signal(SIGTERM);
  agent.wait();
  master.signal(SIGTERM);
  master.wait();
  return exitCode;
}
