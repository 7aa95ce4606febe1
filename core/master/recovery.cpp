// The registry seen from the master: where it lives, what the leader writes to it,
// and what a new leader restores from it (docs/high-availability.md, "Registry").
//
// Written before the master acts: an agent's admission (before REGISTERED), an
// agent marked unreachable (before its tasks' TASK_UNREACHABLE / TASK_LOST), weights
// and quota (before the operator's 200), a framework's subscription (before
// SUBSCRIBED). Updates and removals of frameworks are written without waiting. A new
// leader restores the frameworks, inactive, with their own failover timeout (at
// least --agent_reregister_timeout).
#include <set>

#include <plexus/logging.hpp>

#include "master/master.hpp"
#include "master/operator_api.hpp"

namespace plexus::master {
namespace {

int64_t nanosSinceEpoch(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

template <typename Repeated, typename Match>
void eraseIf(Repeated* repeated, Match match) {
  for (int i = repeated->size() - 1; i >= 0; --i) {
    if (match(repeated->Get(i))) repeated->DeleteSubrange(i, 1);
  }
}

}  // namespace

Result<void> Master::createRegistrar() {
  std::shared_ptr<RegistryStore> store = registryStore_;
  if (!store) {
    if (context_.workDir.empty()) {
      return fail(
          "--work_dir is empty: with --registry_store=file (the default without --zk) "
          "the master keeps its registry there");
    }
    auto file = fileRegistryStore(context_.workDir);
    if (!file) return fail(file.error());
    store = std::move(*file);
  }
  auto initialized = store->initialize(context_.runtime);
  if (!initialized) return fail(initialized.error().context("--registry_store"));
  auto alive = alive_;
  registrar_ = std::make_unique<Registrar>(std::move(store), [this, alive](const Error& error) {
    if (*alive) stepDown("the registry cannot be written: " + error.message());
  });
  return {};
}

void Master::recovered(const internal::Registry& registry) {
  // Weights: --weights, overridden by what the operator API stored.
  weights_ = flags_.weightsValue;
  for (const v1::WeightInfo& weight : registry.weights())
    weights_[weight.role()] = weight.weight();
  if (!weights_.empty()) {
    std::vector<v1::WeightInfo> weights;
    for (const auto& [role, weight] : weights_) {
      weights.emplace_back().set_role(role);
      weights.back().set_weight(weight);
    }
    allocator_.updateWeights(weights);
  }
  if (static_cast<size_t>(registry.weights_size()) != weights_.size()) persistWeightsAndQuota();
  std::map<std::string, Quota> quotas;
  for (const v1::quota::QuotaConfig& config : registry.quotas()) {
    quotas_[config.role()] = config;
    quotas[config.role()] = Quota{quantities(config.guarantees()), quantities(config.limits())};
  }
  for (const v1::AgentInfo& agent : registry.admitted_agents()) {
    if (agent.has_id()) agents_.await(agent);
  }
  // Before any agent or framework: the allocator holds its offers until
  // --agent_recovery_factor of the awaited agents are back (or the timeout).
  allocator_.recover(static_cast<int>(agents_.awaited().size()), quotas);
  for (const v1::FrameworkInfo& framework : registry.frameworks())
    recoverFramework(framework, "the registry");
  scheduleRegistryGc();
  PLEXUS_LOG(Info) << "Recovered the registry: " << registry.admitted_agents_size()
                   << " admitted agent(s), " << registry.unreachable_agents_size()
                   << " unreachable, " << registry.frameworks_size() << " framework(s), "
                   << registry.weights_size() << " weight(s), " << registry.quotas_size()
                   << " quota(s)";
  if (!agents_.awaited().empty()) {
    PLEXUS_LOG(Info) << "Waiting up to " << formatDuration(flags_.agentReregisterTimeoutValue)
                     << " (--agent_reregister_timeout) for " << agents_.awaited().size()
                     << " admitted agent(s) to re-register";
    reregisterTimer_ = context_.runtime.schedule(flags_.agentReregisterTimeoutValue,
                                                 [this] { reregisterTimedOut(); });
  }
}

void Master::reregisterTimedOut() {
  reregisterTimer_.reset();
  auto missing = agents_.takeAwaited();
  if (missing.empty()) return;
  std::vector<v1::AgentInfo> agents;
  for (const auto& [id, info] : missing) {
    PLEXUS_LOG(Warning) << "Agent " << id << " (" << info.hostname()
                        << ") did not re-register within "
                        << formatDuration(flags_.agentReregisterTimeoutValue)
                        << " of the election: marking it unreachable";
    metrics_.agentRemovals++;
    hooks_.masterAgentLost(info);
    agents.push_back(info);
  }
  markUnreachableInRegistry(std::move(agents), [count = missing.size()] {
    PLEXUS_LOG(Info) << "The registry lists " << count
                     << " agent(s) unreachable; their tasks reconcile as "
                        "TASK_UNREACHABLE (partition-aware frameworks) or TASK_LOST";
  });
}

size_t Master::unreachableAgentCount() const {
  size_t count = 0;
  for (const auto& [id, agent] : agents_.all())
    count += agent->unreachable ? 1 : 0;
  for (const auto& agent : registrar_->registry().unreachable_agents())
    count += agents_.find(AgentId::fromWire(agent.id())) == nullptr ? 1 : 0;
  return count;
}

void Master::markUnreachableInRegistry(std::vector<v1::AgentInfo> agents,
                                       std::function<void()> done) {
  int64_t nanos = nanosSinceEpoch(context_.runtime.wallNow());
  registrar_->apply(
      [agents = std::move(agents), nanos, maxAge = flags_.registryMaxAgentAgeValue,
       maxCount = flags_.registryMaxAgentCountValue](internal::Registry& registry) {
        for (const v1::AgentInfo& info : agents) {
          // Unless it re-registered (and was admitted again) meanwhile.
          eraseIf(registry.mutable_admitted_agents(), [&](const v1::AgentInfo& agent) {
            return agent.id().value() == info.id().value();
          });
          auto* unreachable = registry.add_unreachable_agents();
          *unreachable->mutable_id() = info.id();
          *unreachable->mutable_info() = info;
          unreachable->set_time_nanos(nanos);
        }
        pruneUnreachable(registry, nanos, maxAge, maxCount);
      },
      std::move(done));
}

void Master::scheduleRegistryGc() {
  registryGcTimer_ = context_.runtime.schedule(flags_.registryGcIntervalValue, [this] {
    registryGcTimer_.reset();
    int64_t nanos = nanosSinceEpoch(context_.runtime.wallNow());
    // Whether anything is due, on a copy of the unreachable list alone: a write
    // only when something goes.
    internal::Registry due;
    *due.mutable_unreachable_agents() = registrar_->registry().unreachable_agents();
    std::set<std::string> before;
    for (const auto& agent : due.unreachable_agents())
      before.insert(agent.id().value());
    if (pruneUnreachable(due, nanos, flags_.registryMaxAgentAgeValue,
                         flags_.registryMaxAgentCountValue) > 0) {
      for (const auto& agent : due.unreachable_agents())
        before.erase(agent.id().value());
      registrar_->apply(
          [nanos, maxAge = flags_.registryMaxAgentAgeValue,
           maxCount = flags_.registryMaxAgentCountValue](internal::Registry& registry) {
            pruneUnreachable(registry, nanos, maxAge, maxCount);
          },
          [this, pruned = std::move(before)] {
            // Forgotten here too, unless one came back meanwhile.
            for (const std::string& id : pruned) {
              agents_.removeUnreachable(AgentId(id));
            }
            PLEXUS_LOG(Info) << "Pruned " << pruned.size()
                             << " unreachable agent(s) from the registry "
                                "(--registry_max_agent_age, --registry_max_agent_count)";
          });
    }
    scheduleRegistryGc();
  });
}

void Master::admitAgent(const AgentRecord& agent, std::function<void()> done) {
  const v1::AgentInfo& info = agent.info;
  bool admitted = false;
  for (const v1::AgentInfo& known : registrar_->registry().admitted_agents()) {
    if (known.id().value() == info.id().value()) {
      admitted = known.SerializeAsString() == info.SerializeAsString();
      break;
    }
  }
  if (admitted && !unreachableInRegistry(agent.id)) {
    // Nothing to write, but a write in flight may be the one that holds it.
    registrar_->afterWrites(std::move(done));
    return;
  }
  registrar_->apply(
      [info](internal::Registry& registry) {
        const std::string& id = info.id().value();
        eraseIf(registry.mutable_unreachable_agents(),
                [&](const internal::Registry::UnreachableAgent& agent) {
                  return agent.id().value() == id;
                });
        eraseIf(registry.mutable_admitted_agents(),
                [&](const v1::AgentInfo& agent) { return agent.id().value() == id; });
        *registry.add_admitted_agents() = info;
      },
      std::move(done));
}

bool Master::unreachableInRegistry(const AgentId& id) const {
  for (const auto& agent : registrar_->registry().unreachable_agents()) {
    if (agent.id().value() == id.value()) return true;
  }
  return false;
}

void Master::persistFramework(const v1::FrameworkInfo& info, std::function<void()> done) {
  for (const v1::FrameworkInfo& known : registrar_->registry().frameworks()) {
    if (known.id().value() == info.id().value() &&
        known.SerializeAsString() == info.SerializeAsString()) {
      // Stored already, but a write in flight may change it: wait for those.
      if (done) registrar_->afterWrites(std::move(done));
      return;
    }
  }
  registrar_->apply(
      [info](internal::Registry& registry) {
        eraseIf(registry.mutable_frameworks(), [&](const v1::FrameworkInfo& known) {
          return known.id().value() == info.id().value();
        });
        *registry.add_frameworks() = info;
      },
      std::move(done));
}

void Master::forgetFramework(const FrameworkId& id) {
  registrar_->apply([value = id.value()](internal::Registry& registry) {
    eraseIf(registry.mutable_frameworks(),
            [&](const v1::FrameworkInfo& known) { return known.id().value() == value; });
  });
}

void Master::persistWeightsAndQuota() {
  registrar_->apply([weights = weights_, quotas = quotas_](internal::Registry& registry) {
    registry.clear_weights();
    for (const auto& [role, weight] : weights) {
      v1::WeightInfo* info = registry.add_weights();
      info->set_role(role);
      info->set_weight(weight);
    }
    registry.clear_quotas();
    for (const auto& [role, config] : quotas)
      *registry.add_quotas() = config;
  });
}

}  // namespace plexus::master
