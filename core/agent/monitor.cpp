// GET /metrics/snapshot: the agent's gauges with Mesos's names (slave/registered,
// slave/tasks_running, slave/cpus_total, slave/cpus_used, ...) and, under
// containers/, the sum over running containers of what /monitor/statistics lists.
//
// GET /monitor/statistics: the resource usage of every running executor's
// container, in Mesos's format (src/slave/monitor.cpp):
//   [{"executor_id": "...", "executor_name": "...", "framework_id": "...",
//     "source": "...", "statistics": {ResourceStatistics as JSON}}]
// The figures come from the isolators' usage(), which reads /proc or cgroup files:
// blocking work, so the Containerizer runs it on its pool and the answer is sent
// from the loop when it is back. Containers that cannot be measured are left out.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <plexus/logging.hpp>
#include <plexus/task_state.hpp>

#include "agent/agent.hpp"
#include "api/state_json.hpp"

namespace plexus::agent {

namespace {

struct Entry {
  std::string executorId;
  std::string executorName;
  std::string frameworkId;
  std::string source;
};

// A container the isolators can measure: its executor was started and has not ended.
bool measurable(const Executor& executor) {
  return executor.state != Executor::State::kTerminated && executor.pid > 0;
}

}  // namespace

void Agent::monitorStatistics(http::Request request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    return responder.respond(http::methodNotAllowed({"GET"}));
  }
  std::vector<ContainerId> containers;
  std::vector<Entry> entries;
  for (const auto& [frameworkId, framework] : frameworks_) {
    for (const auto& [executorId, executor] : framework.executors) {
      if (!measurable(executor)) continue;
      containers.push_back(executor.container);
      entries.push_back(Entry{executor.info.executor_id().value(), executor.info.name(),
                              frameworkId.value(), executor.info.source()});
    }
  }
  containerizer_->usage(
      std::move(containers),
      [request = std::move(request), responder,
       entries = std::move(entries)](std::vector<Result<v1::ResourceStatistics>> usage) {
        boost::json::array body;
        for (std::size_t i = 0; i < entries.size() && i < usage.size(); ++i) {
          if (!usage[i]) {
            PLEXUS_LOG(Debug) << "No statistics for executor " << entries[i].executorId << ": "
                              << usage[i].error().message();
            continue;
          }
          body.push_back(boost::json::object{{"executor_id", entries[i].executorId},
                                             {"executor_name", entries[i].executorName},
                                             {"framework_id", entries[i].frameworkId},
                                             {"source", entries[i].source},
                                             {"statistics", api::messageValue(*usage[i])}});
        }
        responder.respond(http::jsonOk(request, http::serializeJson(body)));
      });
}

void Agent::metricsSnapshot(http::Request request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    return responder.respond(http::methodNotAllowed({"GET"}));
  }
  boost::json::object out;
  out["slave/uptime_secs"] =
      std::chrono::duration<double>(std::chrono::system_clock::now() - startTime_).count();
  out["slave/registered"] = connected_ ? 1 : 0;
  out["slave/frameworks_active"] = frameworks_.size();
  // Mesos's sandbox garbage collection metrics.
  out["gc/path_removals_succeeded"] = gc_->removalsSucceeded();
  out["gc/path_removals_failed"] = gc_->removalsFailed();
  out["gc/path_removals_pending"] = gc_->pending();
  std::map<std::string, std::int64_t> tasks{
      {"staging", 0}, {"starting", 0}, {"running", 0}, {"killing", 0}};
  std::int64_t registering = 0, running = 0, terminating = 0;
  Resources used;
  std::vector<ContainerId> containers;
  for (const auto& [frameworkId, framework] : frameworks_) {
    for (const auto& [executorId, executor] : framework.executors) {
      switch (executor.state) {
        case Executor::State::kRegistering:
          ++registering;
          break;
        case Executor::State::kRunning:
          ++running;
          break;
        case Executor::State::kTerminating:
          ++terminating;
          break;
        case Executor::State::kTerminated:
          break;
      }
      if (auto resources = Resources::fromWire(executor.info.resources())) used += *resources;
      for (const auto& [taskId, task] : executor.tasks) {
        if (isTerminalState(task.state())) continue;
        std::string state = v1::TaskState_Name(task.state()).substr(5);  // "TASK_"
        for (char& c : state)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (auto it = tasks.find(state); it != tasks.end()) ++it->second;
        if (auto resources = Resources::fromWire(task.resources())) used += *resources;
      }
      if (measurable(executor)) containers.push_back(executor.container);
    }
  }
  for (const auto& [state, count] : tasks)
    out["slave/tasks_" + state] = count;
  out["slave/executors_registering"] = registering;
  out["slave/executors_running"] = running;
  out["slave/executors_terminating"] = terminating;
  auto total = Resources::fromWire(info_.resources());
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    double have = total ? total->scalar(name).value_or(0) : 0;
    double taken = used.scalar(name).value_or(0);
    out[std::string("slave/") + name + "_total"] = have;
    out[std::string("slave/") + name + "_used"] = taken;
    out[std::string("slave/") + name + "_percent"] = have > 0 ? taken / have : 0.0;
  }
  // The isolators' usage() of every running container, summed (what
  // /monitor/statistics lists per executor).
  containerizer_->usage(
      std::move(containers), [request = std::move(request), responder, out = std::move(out)](
                                 std::vector<Result<v1::ResourceStatistics>> usage) mutable {
        double user = 0, system = 0, rss = 0, limit = 0, processes = 0, threads = 0;
        for (const auto& statistics : usage) {
          if (!statistics) continue;
          user += statistics->cpus_user_time_secs();
          system += statistics->cpus_system_time_secs();
          rss += static_cast<double>(statistics->mem_rss_bytes());
          limit += static_cast<double>(statistics->mem_limit_bytes());
          processes += statistics->processes();
          threads += statistics->threads();
        }
        out["containers/cpus_user_time_secs"] = user;
        out["containers/cpus_system_time_secs"] = system;
        out["containers/mem_rss_bytes"] = rss;
        out["containers/mem_limit_bytes"] = limit;
        out["containers/processes"] = processes;
        out["containers/threads"] = threads;
        responder.respond(http::jsonOk(request, http::serializeJson(out)));
      });
}

}  // namespace plexus::agent
