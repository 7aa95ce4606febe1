// plexus-bench-recovery: how long a restarted agent takes to recover N checkpointed
// tasks and re-register with the master (docs/agent-recovery.md).
//
// It starts a real plexus-master and plexus-agent (on a fixed port) once, so the
// agent checkpoints its ID, and stops the agent. Then it writes the checkpoints of
// one framework that checkpoints, E executors and N tasks spread over them, as the
// agent would have: the "executors" are simulated, each a `sleep` process (the pid
// the agent finds alive) plus an SDK executor library client in this process, which
// re-subscribes as soon as the agent answers. It restarts the agent and prints the
// time from the start to "Finished recovery" (every executor re-subscribed) and to
// "Re-registered with master" (the master accepted all N tasks).
//
//   plexus-bench-recovery [--tasks=1000] [--executors=10]
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <plexus/executor/mesos.hpp>
#include <plexus/resources.hpp>
#include <plexus/uuid.hpp>

#include "agent/checkpoint.hpp"
#include "ports.hpp"
#include "process.hpp"

namespace {

using namespace plexus;
using Clock = std::chrono::steady_clock;

int flag(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--" + name + "=", 0) == 0) return std::stoi(arg.substr(name.size() + 3));
  }
  return fallback;
}

pid_t spawnSleeper() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::execlp("sleep", "sleep", "600", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

void must(const Result<void>& done) {
  if (!done) {
    std::cerr << "plexus-bench-recovery: " << done.error().message() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int tasks = flag(argc, argv, "tasks", 1000);
  const int executors = std::max(1, flag(argc, argv, "executors", 10));
  testing::TempDir dir;
  auto master = std::make_unique<testing::Process>(
      "plexus-master",
      std::vector<std::string>{"--port=0", "--work_dir=" + (dir.path() / "master").string()},
      dir.path());
  int masterPort = master->waitForPort();
  if (masterPort <= 0) {
    std::cerr << master->err();
    return 1;
  }
  const int agentPort = plexus::testing::freePorts(1).front();
  const std::string workDir = (dir.path() / "agent").string();
  const std::vector<std::string> agentArgs{
      "--port=" + std::to_string(agentPort), "--master=127.0.0.1:" + std::to_string(masterPort),
      "--work_dir=" + workDir, "--resources=cpus:1000;mem:1000000;disk:1024",
      "--executor_reregistration_timeout=30secs"};
  auto agent = std::make_unique<testing::Process>("plexus-agent", agentArgs, dir.path());
  if (!agent->waitForLog(" as agent ")) {
    std::cerr << agent->err();
    return 1;
  }
  std::string err = agent->err();
  std::size_t at = err.find(" as agent ") + 10;
  AgentId agentId(err.substr(at, err.find_first_of(" \n", at) - at));
  agent->signal(SIGTERM);
  agent->wait();

  // The checkpoints of one framework, E executors and N tasks, all RUNNING and
  // acknowledged.
  v1::FrameworkInfo framework;
  framework.mutable_id()->set_value("bench-framework");
  framework.set_name("plexus-bench-recovery");
  framework.set_user("nobody");
  framework.set_checkpoint(true);
  internal::AgentCheckpoint file;
  FrameworkId frameworkId("bench-framework");
  *file.mutable_framework_info() = framework;
  must(agent::checkpoint::write(agent::checkpoint::frameworkInfoPath(workDir, agentId, frameworkId),
                                file));
  std::vector<pid_t> sleepers;
  auto resources = *Resources::parse("cpus:0.01;mem:1");
  for (int e = 0; e < executors; ++e) {
    ExecutorId executorId("executor-" + std::to_string(e));
    ContainerId container(randomUuidString());
    v1::ExecutorInfo info;
    info.mutable_executor_id()->set_value(executorId.value());
    *info.mutable_framework_id() = framework.id();
    info.mutable_command()->set_value("sleep 600");
    internal::AgentCheckpoint executor;
    *executor.mutable_executor_info() = info;
    must(agent::checkpoint::write(
        agent::checkpoint::executorInfoPath(workDir, agentId, frameworkId, executorId), executor));
    pid_t pid = spawnSleeper();
    sleepers.push_back(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // until it has a stat
    std::string runDir =
        agent::checkpoint::runDir(workDir, agentId, frameworkId, executorId, container);
    internal::AgentCheckpoint run;
    auto* recorded = run.mutable_executor_run();
    recorded->set_container_id(container.value());
    recorded->set_directory((dir.path() / "sandbox").string());
    recorded->set_pid(pid);
    recorded->set_pid_start_ticks(agent::checkpoint::processStartTicks(pid));
    must(agent::checkpoint::write(runDir + "/run.info", run));
    must(agent::checkpoint::pointLink(
        agent::checkpoint::executorDir(workDir, agentId, frameworkId, executorId) + "/runs/latest",
        container.value()));
    for (int t = e; t < tasks; t += executors) {
      v1::Task task;
      task.set_name("task-" + std::to_string(t));
      task.mutable_task_id()->set_value("task-" + std::to_string(t));
      *task.mutable_framework_id() = framework.id();
      *task.mutable_executor_id() = info.executor_id();
      agentId.toWire(task.mutable_agent_id());
      task.set_state(v1::TASK_RUNNING);
      resources.toWire(task.mutable_resources());
      std::string taskDir = agent::checkpoint::taskDir(runDir, TaskId(task.task_id().value()));
      internal::AgentCheckpoint taskFile;
      *taskFile.mutable_task() = task;
      must(agent::checkpoint::write(taskDir + "/task.info", taskFile));
      internal::AgentCheckpoint updates;
      updates.mutable_task_updates()->add_acknowledged(randomUuidBytes());
      must(agent::checkpoint::write(taskDir + "/task.updates", updates));
    }
  }

  // The simulated executors: they re-subscribe as soon as the agent answers.
  std::vector<std::unique_ptr<executor::Mesos>> clients;
  std::vector<executor::Mesos*> raw(executors, nullptr);
  for (int e = 0; e < executors; ++e) {
    executor::ExecutorEnvironment env;
    env.agentHost = "127.0.0.1";
    env.agentPort = static_cast<std::uint16_t>(agentPort);
    env.frameworkId = "bench-framework";
    env.executorId = "executor-" + std::to_string(e);
    env.checkpoint = true;
    env.subscriptionBackoffMax = std::chrono::milliseconds(50);
    executor::Options options;
    options.backoffMin = std::chrono::milliseconds(10);
    options.shutdownGraceExpired = [] {};
    auto* slot = &raw[e];
    auto client = executor::Mesos::create(env, executor::ContentType::kProtobuf,
                                          {.connected =
                                               [slot] {
                                                 v1::executor::Call subscribe;
                                                 subscribe.set_type(v1::executor::Call::SUBSCRIBE);
                                                 subscribe.mutable_subscribe();
                                                 if (*slot != nullptr) (*slot)->send(subscribe);
                                               }},
                                          options);
    if (!client) {
      std::cerr << client.error().message() << "\n";
      return 1;
    }
    raw[e] = client->get();
    clients.push_back(std::move(*client));
  }

  auto started = Clock::now();
  agent = std::make_unique<testing::Process>("plexus-agent", agentArgs, dir.path());
  bool recovered = agent->waitForLog("Finished recovery", std::chrono::seconds(120));
  double recoveredAfter = std::chrono::duration<double>(Clock::now() - started).count();
  bool registered = agent->waitForLog("Re-registered with master", std::chrono::seconds(120));
  double registeredAfter = std::chrono::duration<double>(Clock::now() - started).count();
  if (!recovered || !registered) {
    std::cerr << agent->err();
    return 1;
  }
  // The agent's own count of what it recovered, to show the run measured what it says.
  std::string log = agent->err();
  if (std::size_t line = log.find("Recovered 1 frameworks"); line != std::string::npos)
    std::cout << "agent: " << log.substr(line, log.find('\n', line) - line) << "\n";
  std::cout << "plexus-bench-recovery: " << tasks << " tasks on " << executors
            << " executors: recovered (every executor re-subscribed) after " << recoveredAfter
            << " s, re-registered with the master after " << registeredAfter
            << " s from the agent's start\n";

  clients.clear();
  agent->signal(SIGTERM);
  agent->wait();
  for (pid_t pid : sleepers)
    ::kill(-pid, SIGKILL);
  master->signal(SIGTERM);
  master->wait();
  return 0;
}
