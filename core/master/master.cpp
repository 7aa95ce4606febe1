#include "master/master.hpp"

#include <arpa/inet.h>

#include <plexus/logging.hpp>
#include <plexus/uuid.hpp>
#include <plexus/version.hpp>

#include "master/agent_api.hpp"
#include "master/operator_api.hpp"
#include "master/scheduler_api.hpp"
#include "master/state_json.hpp"

namespace plexus::master {
namespace {}  // namespace

Master::Master(MasterContext context, const MasterFlags& flags, Allocator& allocator,
               hooks::HookChain hooks, std::shared_ptr<const auth::Acls> acls, Election election,
               std::shared_ptr<RegistryStore> registryStore)
    : context_(std::move(context)),
      flags_(flags),
      allocator_(allocator),
      hooks_(std::move(hooks)),
      acls_(std::move(acls)),
      election_(election),
      registryStore_(std::move(registryStore)),
      frameworks_(static_cast<size_t>(flags.maxCompletedFrameworks)) {
  startTime_ = context_.runtime.wallNow();
  const std::string& ip = context_.ip;
  uint16_t port = context_.port;
  info_.set_id(randomUuidString());
  in_addr address{};
  ::inet_pton(AF_INET, ip.c_str(), &address);
  info_.set_ip(address.s_addr);  // network byte order, as Mesos writes it
  info_.set_port(port);
  info_.set_pid("master@" + ip + ":" + std::to_string(port));
  info_.set_hostname(context_.hostname);
  info_.set_version(kMesosApiVersion);
  info_.mutable_address()->set_hostname(context_.hostname);
  info_.mutable_address()->set_ip(ip);
  info_.mutable_address()->set_port(port);
  for (auto type :
       {v1::MasterInfo::Capability::AGENT_UPDATE, v1::MasterInfo::Capability::AGENT_DRAINING,
        v1::MasterInfo::Capability::QUOTA_V2}) {
    info_.add_capabilities()->set_type(type);
  }
}

Master::~Master() {
  *alive_ = false;
  for (const auto& [id, framework] : frameworks_.registered()) {
    if (framework->subscription.open()) framework->subscription.stream->close();
  }
  for (auto& [id, agent] : agents_.all()) {
    if (agent->subscription.open()) agent->subscription.stream->close();
  }
}

Result<void> Master::start(http::Server& server) {
  PLEXUS_TRY(initialize());
  PLEXUS_TRY(serve(server));
  return startElection();
}

Result<void> Master::initialize() {
  AllocatorOptions options;
  options.allocationInterval = flags_.allocationIntervalValue;
  // After an election: hold offers until this share of the registry's agents are
  // back, at most as long as the master waits for them (recovered() calls recover()).
  options.agentRecoveryFactor = flags_.agentRecoveryFactorValue;
  options.recoveryTimeout = flags_.agentReregisterTimeoutValue;
  std::string minimums = flags_.minAllocatableResources;
  for (size_t start = 0; start <= minimums.size();) {
    size_t bar = minimums.find('|', start);
    std::string item =
        minimums.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (!item.empty()) {
      auto quantities = ResourceQuantities::parse(item);
      if (!quantities) return fail(quantities.error().context("--min_allocatable_resources"));
      options.minAllocatableResources.push_back(*quantities);
    }
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  AllocatorCallbacks callbacks;
  callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& resources) {
    offer(framework, resources);
  };
  callbacks.inverseOffer = [](const FrameworkId&, const std::map<AgentId, v1::InverseOffer>&) {};
  callbacks.reclaim = [this](const FrameworkId& framework, const AgentId& agent,
                             const Resources& resources, const ResourceQuantities& atMost) {
    reclaim(framework, agent, resources, atMost);
  };
  PLEXUS_TRY(allocator_.initialize(options, std::move(callbacks), context_.runtime));
  // Weights (--weights and the registry's), quota and frameworks are restored from
  // the registry once this master is elected, and the allocator's recover() is
  // called then (recovery.cpp).
  return createRegistrar();
}

Result<void> Master::serve(http::Server& server) {
  auto scheduler = std::make_shared<SchedulerApi>(*this);
  auto agents = std::make_shared<AgentApi>(*this);
  auto state = std::make_shared<StateWriter>(*this);
  auto schedulerHandler = leaderOnly([scheduler](http::Request request, http::Responder responder) {
    scheduler->handle(request, responder);
  });
  // At the connection limit, agents and the calls of subscribed schedulers still
  // get in (the server's reserved connections); endpoints without a body refuse one.
  const http::RouteOptions streamCalls{.reservedWithHeader = "Mesos-Stream-Id"};
  const http::RouteOptions noBody{.maxBodyBytes = 0};
  PLEXUS_TRY(server.route("/api/v1/scheduler", schedulerHandler, streamCalls));
  PLEXUS_TRY(server.route("/master/api/v1/scheduler", schedulerHandler, streamCalls));
  PLEXUS_TRY(server.route("/internal/v1/agent",
                          leaderOnly([agents](http::Request request, http::Responder responder) {
                            agents->handle(request, responder);
                          }),
                          {.reserved = true}));
  auto operatorApi = std::make_shared<OperatorApi>(*this);
  auto operatorHandler =
      leaderOnly([operatorApi](http::Request request, http::Responder responder) {
        operatorApi->handle(request, responder);
      });
  PLEXUS_TRY(server.route("/api/v1", operatorHandler));
  PLEXUS_TRY(server.route("/master/api/v1", operatorHandler));
  for (const char* prefix : {"", "/master"}) {
    std::string at(prefix);
    PLEXUS_TRY(server.route(at + "/roles", leaderOnly(http::jsonGetHandler([operatorApi] {
                              return operatorApi->rolesJson();
                            })),
                            noBody));
    PLEXUS_TRY(server.route(at + "/weights", leaderOnly(http::jsonGetHandler([operatorApi] {
                              return operatorApi->weightsJson();
                            })),
                            noBody));
    PLEXUS_TRY(server.route(at + "/quota", leaderOnly(http::jsonGetHandler([operatorApi] {
                              return operatorApi->quotaJson();
                            })),
                            noBody));
    PLEXUS_TRY(server.route(
        at + "/redirect",
        [this, at](http::Request request, http::Responder responder) {
          if (request.path != at + "/redirect" && request.path != at + "/redirect/") {
            responder.respond(http::notFound(request.path));
            return;
          }
          redirect(request, responder, true);
        },
        noBody));
  }
  auto stateHandler = http::jsonGetHandler([state] { return state->state(); });
  PLEXUS_TRY(server.route("/state", stateHandler, noBody));
  PLEXUS_TRY(server.route("/master/state", stateHandler, noBody));
  auto metricsHandler = http::jsonGetHandler([state] { return state->metrics(); });
  PLEXUS_TRY(server.route("/metrics/snapshot", metricsHandler, noBody));
  auto flagsHandler = http::jsonGetHandler([state] { return state->flags(); });
  PLEXUS_TRY(server.route("/flags", flagsHandler, noBody));
  PLEXUS_TRY(server.route("/master/flags", flagsHandler, noBody));
  return {};
}

}  // namespace plexus::master
