// GET /monitor/statistics: the resource usage of every running executor's
// container, in Mesos's format (src/slave/monitor.cpp):
//   [{"executor_id": "...", "executor_name": "...", "framework_id": "...",
//     "source": "...", "statistics": {ResourceStatistics as JSON}}]
// The figures come from the isolators' usage(), which reads /proc or cgroup files:
// blocking work, so the Containerizer runs it on its pool and the answer is sent
// from the loop when it is back. Containers that cannot be measured are left out.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <plexus/logging.hpp>

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

}  // namespace

void Agent::monitorStatistics(http::Request request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    return responder.respond(http::methodNotAllowed({"GET"}));
  }
  std::vector<ContainerId> containers;
  std::vector<Entry> entries;
  for (const auto& [frameworkId, framework] : frameworks_) {
    for (const auto& [executorId, executor] : framework.executors) {
      if (executor.state == Executor::State::kTerminated || executor.pid <= 0) continue;
      containers.push_back(executor.container);
      entries.push_back(Entry{executor.info.executor_id().value(), executor.info.name(),
                              frameworkId.value(), executor.info.source()});
    }
  }
  containerizer_->usage(
      std::move(containers),
      [responder, entries = std::move(entries)](std::vector<Result<v1::ResourceStatistics>> usage) {
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
        responder.respond(http::json(200, boost::json::serialize(body)));
      });
}

}  // namespace plexus::agent
