// plexus-bench-tasks: short-task throughput through one master and one agent.
//
// For each mode (`command`: a CommandInfo per task, one plexus-executor each;
// `executor`: one long-lived plexus-bench-executor running every task) it starts a
// real plexus-master and plexus-agent in a fresh temporary folder, then for each
// round measures the fork/exec limit of the machine (plexus-fork-limit, same
// N, 2 in flight) and pushes N `/bin/true` tasks through a framework (BenchFramework).
// It prints one `key=value` line per figure, per round and as medians; lines that
// start with '#' are for people. See README.md.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "bench_framework.hpp"
#include "process.hpp"

namespace plexus::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
  int tasks = 2000;
  int rounds = 3;
  int window = 4;
  std::vector<Mode> modes{Mode::kCommand, Mode::kExecutor};
  std::string forkLimit = PLEXUS_FORK_LIMIT;
  std::string taskResources = "cpus:0.01;mem:1";
  std::string agentResources = "cpus:4;mem:4096;disk:4096";
  std::string loggingLevel = "INFO";
  std::vector<std::string> agentFlags;  // passed to plexus-agent as they are
  int timeoutSeconds = 300;
  bool keep = false;
};

constexpr const char* kUsage =
    "usage: plexus-bench-tasks [--tasks=N] [--rounds=R] [--modes=command,executor]\n"
    "         [--window=W] [--fork_limit=PATH] [--task_resources=cpus:0.01;mem:1]\n"
    "         [--agent_resources=cpus:4;mem:4096;disk:4096] [--logging_level=INFO]\n"
    "         [--timeout=SECONDS] [--agent_flag=--name=value]... [--keep]\n"
    "Pushes N short tasks (/bin/true) through one real master and agent and prints\n"
    "tasks/s, ACCEPT->TASK_RUNNING latency p50/p99 and the ratio to fork_limit.\n"
    "--window: most tasks non-terminal at once (default 4). --keep: keep the\n"
    "daemons' folder (logs, sandboxes) and print its path.\n";

std::optional<Options> parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string key = arg.substr(0, arg.find('='));
    std::string value = arg.find('=') == std::string::npos ? "" : arg.substr(arg.find('=') + 1);
    auto number = [&](int* out) {
      char* end = nullptr;
      long parsed = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || parsed <= 0) return false;
      *out = static_cast<int>(parsed);
      return true;
    };
    bool ok = true;
    if (key == "--help" || key == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (key == "--tasks" || key == "--n") {
      ok = number(&options.tasks);
    } else if (key == "--rounds") {
      ok = number(&options.rounds);
    } else if (key == "--window") {
      ok = number(&options.window);
    } else if (key == "--timeout") {
      ok = number(&options.timeoutSeconds);
    } else if (key == "--fork_limit") {
      options.forkLimit = value;
    } else if (key == "--task_resources") {
      options.taskResources = value;
    } else if (key == "--agent_resources") {
      options.agentResources = value;
    } else if (key == "--logging_level") {
      options.loggingLevel = value;
    } else if (key == "--agent_flag") {
      options.agentFlags.push_back(value);
    } else if (key == "--keep") {
      options.keep = true;
    } else if (key == "--modes") {
      options.modes.clear();
      std::stringstream list(value);
      std::string mode;
      while (std::getline(list, mode, ',')) {
        if (mode == "command") {
          options.modes.push_back(Mode::kCommand);
        } else if (mode == "executor") {
          options.modes.push_back(Mode::kExecutor);
        } else {
          ok = false;
        }
      }
      ok = ok && !options.modes.empty();
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "plexus-bench-tasks: bad argument '" << arg << "'\n" << kUsage;
      return std::nullopt;
    }
  }
  return options;
}

const char* modeName(Mode mode) {
  return mode == Mode::kCommand ? "command" : "executor";
}

// Runs fork_limit with the same N and 2 in flight; its tasks/s, or nullopt.
std::optional<double> measureForkLimit(const std::string& path, int tasks) {
  if (path.empty() || !fs::exists(path)) return std::nullopt;
  std::string command = "'" + path + "' " + std::to_string(tasks) + " 2 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
    output.append(buffer, n);
  int status = ::pclose(pipe);
  const std::string key = "fork_tasks_per_s=";
  std::size_t at = output.rfind(key);
  if (status != 0 || at == std::string::npos) {
    std::cerr << "# fork_limit failed (status " << status << "): " << output << std::endl;
    return std::nullopt;
  }
  return std::atof(output.c_str() + at + key.size());
}

// A master and one agent in a fresh temporary folder; stopped (SIGTERM: the agent
// kills its executors; SIGKILL if that fails) and the folder removed, unless kept,
// when it goes out of scope.
class Cluster {
 public:
  explicit Cluster(const Options& options) : keep_(options.keep) {
    std::string pattern = (fs::temp_directory_path() / "plexus-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      error_ = "cannot create a temporary folder";
      return;
    }
    dir_ = pattern;
    std::string logging = "--logging_level=" + options.loggingLevel;
    master_ = std::make_unique<testing::Process>(
        "plexus-master",
        std::vector<std::string>{"--port=0", "--work_dir=" + (dir_ / "master").string(), logging},
        dir_);
    port_ = master_->waitForPort();
    if (port_ <= 0) {
      error_ = "plexus-master did not start: " + master_->lastErrLine();
      return;
    }
    std::vector<std::string> agentArgs{"--port=0", "--master=" + master(),
                                       "--work_dir=" + (dir_ / "agent").string(),
                                       "--resources=" + options.agentResources, logging};
    agentArgs.insert(agentArgs.end(), options.agentFlags.begin(), options.agentFlags.end());
    agent_ = std::make_unique<testing::Process>("plexus-agent", agentArgs, dir_);
    if (!agent_->waitForLog("Registered with master")) {
      error_ = "plexus-agent did not register: " + agent_->lastErrLine();
    }
  }

  ~Cluster() {
    for (auto* process : {agent_.get(), master_.get()}) {
      if (process == nullptr || !process->started()) continue;
      process->signal(SIGTERM);
      if (process->wait(std::chrono::seconds(20)) != 0) {
        std::cerr << "# " << (process == agent_.get() ? "agent" : "master")
                  << " did not stop cleanly: " << process->lastErrLine() << std::endl;
      }
    }
    agent_.reset();  // SIGKILL and reap, if still there
    master_.reset();
    if (dir_.empty()) return;
    if (keep_) {
      std::cout << "# kept " << dir_.string() << std::endl;
      return;
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& error() const { return error_; }
  pid_t masterPid() const { return master_ ? master_->pid() : -1; }
  pid_t agentPid() const { return agent_ ? agent_->pid() : -1; }
  std::string master() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  bool keep_ = false;
  fs::path dir_;
  std::unique_ptr<testing::Process> master_;
  std::unique_ptr<testing::Process> agent_;
  int port_ = -1;
  std::string error_;
};

// CPU seconds (user + system) of a process and of its reaped children, from /proc.
struct CpuTimes {
  double self = 0;
  double children = 0;
};

CpuTimes cpuTimes(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (pid <= 0 || !std::getline(file, line)) return {};
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;)
    values.push_back(value);
  // After "(comm) ": state is field 3; utime, stime, cutime, cstime are 14-17.
  if (values.size() < 15) return {};
  double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto at = [&](int field) { return std::atof(values[field - 3].c_str()) / tick; };
  return {at(14) + at(15), at(16) + at(17)};
}

double selfCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

struct Figures {
  std::vector<double> tasksPerSecond, p50, p99, forkLimit, ratio, wall;
};

void printFigure(const std::string& prefix, const std::string& key, const std::string& value) {
  std::cout << prefix << key << "=" << value << "\n";
}

// Runs every round of one mode on a fresh cluster; false on a failure.
bool runMode(const Options& options, Mode mode, Figures* figures) {
  const std::string name = modeName(mode);
  std::cout << "#\n# mode " << name
            << (mode == Mode::kCommand
                    ? ": a CommandInfo per task, one plexus-executor process per task"
                    : ": one ExecutorInfo for every task, one plexus-bench-executor for all")
            << std::endl;
  Cluster cluster(options);
  if (!cluster.error().empty()) {
    std::cout << "# " << name << ": " << cluster.error() << std::endl;
    printFigure(name + ".", "error", "\"" + cluster.error() + "\"");
    return false;
  }
  std::cout << "# round  tasks/s  wall_s  p50_ms  p99_ms  max_ms  fork/s  ratio  accepts  failed"
            << std::endl;
  for (int round = 1; round <= options.rounds; ++round) {
    std::optional<double> forkLimit = measureForkLimit(options.forkLimit, options.tasks);
    RoundConfig config{.master = cluster.master(),
                       .mode = mode,
                       .tasks = options.tasks,
                       .window = options.window,
                       .taskResources = options.taskResources,
                       .executorPath = std::string(PLEXUS_BIN_DIR) + "/plexus-bench-executor",
                       .timeout = std::chrono::seconds(options.timeoutSeconds)};
    CpuTimes masterBefore = cpuTimes(cluster.masterPid());
    CpuTimes agentBefore = cpuTimes(cluster.agentPid());
    double frameworkBefore = selfCpuSeconds();
    BenchFramework framework(config);
    auto result = framework.run();
    CpuTimes masterAfter = cpuTimes(cluster.masterPid());
    CpuTimes agentAfter = cpuTimes(cluster.agentPid());
    double frameworkAfter = selfCpuSeconds();
    std::string prefix = name + ".round" + std::to_string(round) + ".";
    if (!result) {
      std::cout << "# " << name << " round " << round << " failed: " << result.error().message()
                << std::endl;
      printFigure(prefix, "error", "\"" + result.error().message() + "\"");
      return false;
    }
    std::optional<double> ratio;
    if (forkLimit && *forkLimit > 0) ratio = result->tasksPerSecond / *forkLimit;
    std::cout << "# " << std::setw(5) << round << std::setw(9) << fixed(result->tasksPerSecond, 1)
              << std::setw(8) << fixed(result->wallSeconds, 2) << std::setw(8)
              << fixed(result->launchP50Ms, 2) << std::setw(8) << fixed(result->launchP99Ms, 2)
              << std::setw(8) << fixed(result->launchMaxMs, 1) << std::setw(8)
              << (forkLimit ? fixed(*forkLimit, 0) : "-") << std::setw(7)
              << (ratio ? fixed(*ratio, 3) : "-") << std::setw(9) << result->accepts << std::setw(8)
              << result->failed << std::endl;
    printFigure(prefix, "tasks", std::to_string(result->tasks));
    printFigure(prefix, "wall_s", fixed(result->wallSeconds, 3));
    printFigure(prefix, "tasks_per_s", fixed(result->tasksPerSecond, 1));
    printFigure(prefix, "launch_p50_ms", fixed(result->launchP50Ms, 3));
    printFigure(prefix, "launch_p99_ms", fixed(result->launchP99Ms, 3));
    printFigure(prefix, "launch_max_ms", fixed(result->launchMaxMs, 3));
    printFigure(prefix, "accepts", std::to_string(result->accepts));
    printFigure(prefix, "failed", std::to_string(result->failed));
    if (!result->firstFailure.empty()) printFigure(prefix, "first_failure", result->firstFailure);
    if (forkLimit) printFigure(prefix, "fork_limit_tasks_per_s", fixed(*forkLimit, 1));
    if (ratio) printFigure(prefix, "ratio", fixed(*ratio, 3));
    // Where the CPU went, per task (executors: those the agent reaped in the round).
    double perTask = 1000.0 / options.tasks;
    printFigure(prefix, "cpu_ms_per_task.master",
                fixed((masterAfter.self - masterBefore.self) * perTask, 3));
    printFigure(prefix, "cpu_ms_per_task.agent",
                fixed((agentAfter.self - agentBefore.self) * perTask, 3));
    printFigure(prefix, "cpu_ms_per_task.agent_children",
                fixed((agentAfter.children - agentBefore.children) * perTask, 3));
    printFigure(prefix, "cpu_ms_per_task.framework",
                fixed((frameworkAfter - frameworkBefore) * perTask, 3));
    std::cout.flush();
    figures->tasksPerSecond.push_back(result->tasksPerSecond);
    figures->wall.push_back(result->wallSeconds);
    figures->p50.push_back(result->launchP50Ms);
    figures->p99.push_back(result->launchP99Ms);
    if (forkLimit) figures->forkLimit.push_back(*forkLimit);
    if (ratio) figures->ratio.push_back(*ratio);
  }
  return true;
}

int main(int argc, char** argv) {
  auto options = parseOptions(argc, argv);
  if (!options) return 2;
  std::cout << "# plexus-bench-tasks: " << options->tasks
            << " short tasks (/bin/true) through one plexus-master and one plexus-agent, "
            << options->rounds << " round(s) per mode, at most " << options->window
            << " tasks in flight, " << options->taskResources << " per task\n"
            << "# latency: ACCEPT sent -> TASK_RUNNING received; ratio: tasks/s over "
               "fork_limit tasks/s (same N, 2 in flight), measured before each round"
            << std::endl;
  printFigure("", "tasks", std::to_string(options->tasks));
  printFigure("", "window", std::to_string(options->window));
  if (!fs::exists(options->forkLimit)) {
    std::cout << "# fork_limit not found at '" << options->forkLimit
              << "': no ratio is reported (give --fork_limit=PATH)" << std::endl;
  }
  bool ok = true;
  for (Mode mode : options->modes) {
    Figures figures;
    ok = runMode(*options, mode, &figures) && ok;
    if (figures.tasksPerSecond.empty()) continue;
    std::string prefix = std::string(modeName(mode)) + ".median.";
    std::cout << "# " << modeName(mode) << " median of " << figures.tasksPerSecond.size()
              << " round(s): " << fixed(median(figures.tasksPerSecond), 1) << " tasks/s, p50 "
              << fixed(median(figures.p50), 2) << " ms, p99 " << fixed(median(figures.p99), 2)
              << " ms"
              << (figures.ratio.empty() ? "" : ", ratio " + fixed(median(figures.ratio), 3))
              << std::endl;
    printFigure(prefix, "wall_s", fixed(median(figures.wall), 3));
    printFigure(prefix, "tasks_per_s", fixed(median(figures.tasksPerSecond), 1));
    printFigure(prefix, "launch_p50_ms", fixed(median(figures.p50), 3));
    printFigure(prefix, "launch_p99_ms", fixed(median(figures.p99), 3));
    if (!figures.forkLimit.empty())
      printFigure(prefix, "fork_limit_tasks_per_s", fixed(median(figures.forkLimit), 1));
    if (!figures.ratio.empty()) printFigure(prefix, "ratio", fixed(median(figures.ratio), 3));
  }
  std::cout.flush();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace plexus::bench

int main(int argc, char** argv) {
  return plexus::bench::main(argc, argv);
}
