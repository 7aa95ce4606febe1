// plexus-bench-master-scale: one real plexus-master holding thousands of simulated
// agents and a hundred simulated frameworks (ClusterSim, cluster_sim.hpp) with a
// target number of running tasks, and what it costs: the master's RSS, /state and
// GET_STATE times, an offer cycle, the status updates it sustains, and the latency of
// a scheduler call while /state is being served. Prints key=value lines (README.md).
//
//   plexus-bench-master-scale                       # 10,000 agents, 100 frameworks, 100,000 tasks
//   plexus-bench-master-scale --quick               # 1,000 agents, 10 frameworks, 10,000 tasks
//   plexus-bench-master-scale --agents=N --frameworks=M --tasks=T [--runs=5] [--keep]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cluster_sim.hpp"
#include "http/client.hpp"
#include "plexus/v1/master.pb.h"
#include "process.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using plexus::testing::Process;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

double median(const std::vector<double>& values) {
  return percentile(values, 50);
}

// VmRSS or VmHWM of `pid`, MiB.
double memoryMiB(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field + ":")) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

// User plus system CPU seconds of `pid`.
double cpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string loadAverage() {
  std::ifstream loadavg("/proc/loadavg");
  std::string one, five, fifteen;
  loadavg >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

plexus::http::ClientOptions bigBodies() {
  plexus::http::ClientOptions options;
  options.maxBodyBytes = 4ull * 1024 * 1024 * 1024;
  options.requestTimeout = std::chrono::seconds(300);
  options.plainHttp = true;
  return options;
}

struct Timed {
  double ms = 0;
  int status = 0;
  std::size_t bytes = 0;
};

Timed timedGet(int port, const std::string& target) {
  const auto start = Clock::now();
  auto response = plexus::http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                      {.method = "GET", .target = target}, bigBodies());
  Timed timed{millisSince(start), response ? static_cast<int>(response->status) : 0,
              response ? response->body.size() : 0};
  return timed;
}

Timed timedGetState(int port) {
  plexus::v1::master::Call call;
  call.set_type(plexus::v1::master::Call::GET_STATE);
  const auto start = Clock::now();
  auto response = plexus::http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                                      {.method = "POST",
                                       .target = "/api/v1",
                                       .headers = {{"Content-Type", "application/x-protobuf"},
                                                   {"Accept", "application/x-protobuf"}},
                                       .body = call.SerializeAsString()},
                                      bigBodies());
  return {millisSince(start), response ? static_cast<int>(response->status) : 0,
          response ? response->body.size() : 0};
}

struct Flags {
  int agents = 10000;
  int frameworks = 100;
  int tasks = 100000;
  int runs = 5;
  bool keep = false;
  std::string loggingLevel = "INFO";
};

int usage() {
  std::cerr << "usage: plexus-bench-master-scale [--quick] [--agents=10000] [--frameworks=100]\n"
               "         [--tasks=100000] [--runs=5] [--logging_level=INFO] [--keep]\n"
               "  --quick: 1000 agents, 10 frameworks, 10000 tasks\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are taken
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) { return arg.substr(std::string(name).size()); };
    if (arg == "--quick") {
      flags.agents = 1000;
      flags.frameworks = 10;
      flags.tasks = 10000;
    } else if (arg.starts_with("--agents=")) {
      flags.agents = std::stoi(value("--agents="));
    } else if (arg.starts_with("--frameworks=")) {
      flags.frameworks = std::stoi(value("--frameworks="));
    } else if (arg.starts_with("--tasks=")) {
      flags.tasks = std::stoi(value("--tasks="));
    } else if (arg.starts_with("--runs=")) {
      flags.runs = std::stoi(value("--runs="));
    } else if (arg.starts_with("--logging_level=")) {
      flags.loggingLevel = value("--logging_level=");
    } else if (arg == "--keep") {
      flags.keep = true;
    } else {
      return usage();
    }
  }
  if (flags.agents <= 0 || flags.frameworks <= 0 || flags.tasks < 0 || flags.runs <= 0) {
    return usage();
  }

  plexus::testing::TempDir dir;
  Process master(
      "plexus-master",
      {"--port=0", "--ip=127.0.0.1", "--hostname=127.0.0.1",
       "--work_dir=" + (dir.path() / "master").string(), "--logging_level=" + flags.loggingLevel},
      dir.path());
  const int port = master.waitForPort();
  if (port <= 0) {
    std::cerr << "plexus-master did not start: " << master.lastErrLine() << "\n";
    return 1;
  }
  std::printf("# plexus-master pid %d on port %d; %d agents, %d frameworks, %d tasks; load %s\n",
              master.pid(), port, flags.agents, flags.frameworks, flags.tasks,
              loadAverage().c_str());
  std::printf("agents=%d\nframeworks=%d\ntasks=%d\n", flags.agents, flags.frameworks, flags.tasks);
  std::fflush(stdout);

  int exitCode = 0;
  {
    plexus::bench::SimConfig config;
    config.port = static_cast<std::uint16_t>(port);
    config.agents = flags.agents;
    config.frameworks = flags.frameworks;
    config.tasks = flags.tasks;
    plexus::bench::ClusterSim sim(config);
    auto fail = [&](const std::string& what) {
      std::cerr << what
                << (sim.firstError().empty() ? "" : " (first error: " + sim.firstError() + ")")
                << "\n";
      exitCode = 1;
    };
    do {
      auto start = Clock::now();
      if (!sim.connectAgents(false, std::chrono::seconds(30 + flags.agents / 50))) {
        fail("agents did not register: " + std::to_string(sim.registeredAgents()));
        break;
      }
      std::printf("agents_registered_s=%.2f\n", millisSince(start) / 1000);
      start = Clock::now();
      if (!sim.runFrameworks(1200s)) {
        fail("tasks did not reach the target: " + std::to_string(sim.runningTasks()) + " running");
        break;
      }
      std::printf("tasks_running_s=%.2f\n", millisSince(start) / 1000);
      std::fflush(stdout);
      std::this_thread::sleep_for(2s);  // the last acknowledgements

      std::printf("master_rss_MiB=%.0f\nmaster_rss_peak_MiB=%.0f\n",
                  memoryMiB(master.pid(), "VmRSS"), memoryMiB(master.pid(), "VmHWM"));

      std::vector<double> state, getState;
      std::size_t stateBytes = 0, getStateBytes = 0;
      for (int run = 0; run < flags.runs; ++run) {
        Timed timed = timedGet(port, "/state");
        if (timed.status != 200) {
          fail("/state answered " + std::to_string(timed.status));
          break;
        }
        state.push_back(timed.ms);
        stateBytes = timed.bytes;
        timed = timedGetState(port);
        if (timed.status != 200) {
          fail("GET_STATE answered " + std::to_string(timed.status));
          break;
        }
        getState.push_back(timed.ms);
        getStateBytes = timed.bytes;
      }
      if (exitCode != 0) break;
      std::printf("state_ms_median=%.1f\nstate_ms_max=%.1f\nstate_MB=%.1f\n", median(state),
                  *std::max_element(state.begin(), state.end()), stateBytes / 1e6);
      std::printf(
          "get_state_protobuf_ms_median=%.1f\nget_state_protobuf_ms_max=%.1f\n"
          "get_state_protobuf_MB=%.1f\n",
          median(getState), *std::max_element(getState.begin(), getState.end()),
          getStateBytes / 1e6);
      const Timed summary = timedGet(port, "/state-summary");
      if (summary.status == 200) {
        std::printf("state_summary_ms=%.1f\n", summary.ms);
      } else {
        std::printf(
            "# /state-summary: answered %d (Plexus does not serve it)\nstate_summary_ms=absent\n",
            summary.status);
      }
      std::printf("master_rss_after_state_MiB=%.0f\n", memoryMiB(master.pid(), "VmRSS"));
      std::fflush(stdout);

      // A scheduler call's latency, alone and while /state is being served.
      constexpr int kSamples = 200;
      std::vector<double> quiet = sim.sampleCallLatency(kSamples, 5ms);
      std::atomic<bool> stop{false};
      std::atomic<int> served{0};
      std::thread poller([&] {
        while (!stop) {
          if (timedGet(port, "/state").status == 200) ++served;
        }
      });
      std::this_thread::sleep_for(50ms);
      std::vector<double> busy = sim.sampleCallLatency(kSamples, 5ms);
      stop = true;
      poller.join();
      std::printf("call_ms_p50=%.2f\ncall_ms_p99=%.2f\ncall_ms_max=%.2f\n", percentile(quiet, 50),
                  percentile(quiet, 99), percentile(quiet, 100));
      std::printf(
          "call_during_state_ms_p50=%.2f\ncall_during_state_ms_p99=%.2f\n"
          "call_during_state_ms_max=%.2f\nstate_served_meanwhile=%d\n",
          percentile(busy, 50), percentile(busy, 99), percentile(busy, 100), served.load());
      std::fflush(stdout);

      // Offer cycles: every framework revives; until offers for every agent arrived.
      std::vector<double> cycles;
      for (int run = 0; run < std::min(flags.runs, 3); ++run) {
        auto cycle = sim.reviveUntilOffered(120s);
        if (!cycle) {
          fail("offer cycle: " + cycle.error().message());
          break;
        }
        cycles.push_back(*cycle);
        std::this_thread::sleep_for(1500ms);  // declines and suppressions settle
      }
      if (exitCode != 0) break;
      std::printf("revive_to_offers_ms_median=%.1f\nrevive_to_offers_ms_max=%.1f\n", median(cycles),
                  *std::max_element(cycles.begin(), cycles.end()));
      std::fflush(stdout);

      // Status updates: every task finishes at once.
      const double cpuBefore = cpuSeconds(master.pid());
      auto burst = sim.finishAllTasks(600s);
      const double cpu = cpuSeconds(master.pid()) - cpuBefore;
      if (!burst) {
        fail("update burst: " + burst.error().message());
        break;
      }
      std::printf("updates=%zu\nupdates_s=%.2f\nupdates_per_s=%.0f\n", burst->updates,
                  burst->seconds, burst->seconds > 0 ? burst->updates / burst->seconds : 0);
      std::printf("master_cpu_s_during_updates=%.2f\nupdates_per_master_cpu_s=%.0f\n", cpu,
                  cpu > 0 ? burst->updates / cpu : 0);
      std::printf("failed_calls=%zu\n", sim.failedCalls());
    } while (false);
  }
  std::printf("# load at the end %s\n", loadAverage().c_str());
  master.signal(SIGTERM);
  master.wait();
  if (flags.keep) {
    std::printf("# kept: %s\n", dir.path().c_str());
    std::fflush(stdout);
    pause();
  }
  return exitCode;
}
