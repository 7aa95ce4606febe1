#include "priority_allocator.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include <plexus/logging.hpp>

#include "resource_helpers.hpp"

namespace plexus::priority {

namespace {

using drf::QVec;
using drf::RoleTree;

std::string trim(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
    --end;
  return std::string(text.substr(begin, end - begin));
}

// "role=value,role=value" -> [(role, value)], roles validated.
Result<std::vector<std::pair<std::string, std::string>>> parseRoleList(const std::string& name,
                                                                       std::string_view text) {
  std::vector<std::pair<std::string, std::string>> result;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string item = trim(
        text.substr(start, comma == std::string_view::npos ? text.size() - start : comma - start));
    if (!item.empty()) {
      const std::size_t equals = item.find('=');
      if (equals == std::string::npos) {
        return fail(name + ": '" + item + "' is not role=value");
      }
      std::string role = trim(std::string_view(item).substr(0, equals));
      std::string value = trim(std::string_view(item).substr(equals + 1));
      if (auto valid = Resources::validateRole(role); !valid) {
        return fail(valid.error().context(name + ": role '" + role + "'"));
      }
      result.emplace_back(std::move(role), std::move(value));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return result;
}

}  // namespace

Result<PriorityConfig> configFromParameters(const Parameters& parameters) {
  PriorityConfig config;
  auto drfConfig = drf::configFromParameters(parameters);
  if (!drfConfig) return fail(drfConfig.error());
  config.drf = *drfConfig;
  config.policy.logName = "allocator_priority";
  auto priorities = parseRoleList("priorities", parameters.string("priorities"));
  if (!priorities) return fail(priorities.error());
  for (const auto& [role, value] : *priorities) {
    char* end = nullptr;
    const long level = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || level < -1000000 || level > 1000000) {
      return fail("priorities: the level of role '" + role + "' must be an integer, not '" + value +
                  "'");
    }
    config.policy.roleLevels[role] = static_cast<int>(level);
  }
  auto minimums = parseRoleList("minimums", parameters.string("minimums"));
  if (!minimums) return fail(minimums.error());
  for (const auto& [role, value] : *minimums) {
    auto quantities = ResourceQuantities::parse(value);
    if (!quantities) return fail(quantities.error().context("minimums: role '" + role + "'"));
    config.policy.roleMinimums[role] = *quantities;
  }
  config.gracePeriod = parameters.duration("grace_period");
  if (config.gracePeriod < Duration::zero()) return fail("grace_period must not be negative");
  auto quantum = ResourceQuantities::parse(parameters.string("revocation_quantum"));
  if (!quantum || quantum->empty()) {
    return fail("revocation_quantum must be scalar quantities such as 'cpus:1;mem:1024'");
  }
  config.revocationQuantum = *quantum;
  return config;
}

Result<std::unique_ptr<PriorityAllocator>> PriorityAllocator::create(const Parameters& parameters) {
  auto config = configFromParameters(parameters);
  if (!config) return fail(config.error());
  return std::make_unique<PriorityAllocator>(std::move(*config));
}

PriorityAllocator::PriorityAllocator(PriorityConfig config)
    : DrfAllocator(config.drf, std::move(config.policy)),
      gracePeriod_(config.gracePeriod),
      quantum_(config.revocationQuantum.empty() ? *ResourceQuantities::parse("cpus:1;mem:1024")
                                                : config.revocationQuantum) {}

void PriorityAllocator::recoverResources(const FrameworkId& framework, const AgentId& agent,
                                         const Resources& resources,
                                         const std::optional<v1::Filters>& filters,
                                         bool isAllocated) {
  if (isAllocated) {
    auto pending = outstanding_.find({framework, agent});
    if (pending != outstanding_.end()) {
      pending->second -= resources;
      if (pending->second.empty()) outstanding_.erase(pending);
    }
  }
  DrfAllocator::recoverResources(framework, agent, resources, filters, isAllocated);
}

void PriorityAllocator::removeFramework(const FrameworkId& framework) {
  std::erase_if(outstanding_, [&](const auto& entry) { return entry.first.first == framework; });
  DrfAllocator::removeFramework(framework);
}

void PriorityAllocator::removeAgent(const AgentId& agent) {
  std::erase_if(outstanding_, [&](const auto& entry) { return entry.first.second == agent; });
  DrfAllocator::removeAgent(agent);
}

void PriorityAllocator::afterCycle(bool periodic) {
  if (!periodic) return;
  const std::uint64_t previous = std::exchange(lastPeriodicCycle_, cycle_);
  if (!callbacks_.reclaim) return;
  const Runtime::TimePoint now = runtime_->now();
  // A pair waits when it wants offers and got none since the previous periodic cycle.
  std::map<std::string, int> waiting;
  for (PairIdx pair = 0; pair < pairInfo_.size(); ++pair) {
    const PairInfo& info = pairInfo_[pair];
    if (info.framework == nullptr) continue;
    const RoleTree::Pair& treePair = tree_.pair(pair);
    if (!treePair.live || !treePair.eligible || info.filterCount > 0) continue;
    if (info.lastOfferCycle > previous) continue;
    waiting[info.role] = tree_.level(treePair.node);
  }
  std::erase_if(waitingSince_, [&](const auto& entry) { return !waiting.contains(entry.first); });
  std::vector<std::pair<std::string, int>> byLevel(waiting.begin(), waiting.end());
  std::stable_sort(byLevel.begin(), byLevel.end(),
                   [](const auto& l, const auto& r) { return l.second > r.second; });
  for (const auto& [role, level] : byLevel) {
    auto [since, inserted] = waitingSince_.try_emplace(role, now);
    if (inserted || now - since->second < gracePeriod_) continue;
    const RoleTree::NodeIdx node = tree_.find(role);
    const QVec* lacking = node == RoleTree::kNone ? nullptr : tree_.unsatisfied(node);
    QVec needed =
        lacking != nullptr && !drf::isZero(*lacking) ? *lacking : drf::toQVec(quantum_, slots_);
    reclaimFor(role, level, std::move(needed));
    // Whatever was asked, wait another grace period before asking again.
    since->second = now;
  }
}

bool PriorityAllocator::reclaimFor(const std::string& waitingRole, int level, QVec needed) {
  struct Victim {
    std::string role;
    RoleTree::NodeIdx node;
    int level;
    double share;
    QVec reclaimable;  // unreserved, in use, above the role's minimum
  };
  std::vector<Victim> victims;
  std::set<std::string> seen;
  for (PairIdx pair = 0; pair < pairInfo_.size(); ++pair) {
    const PairInfo& info = pairInfo_[pair];
    if (info.framework == nullptr || !tree_.pair(pair).live) continue;
    const RoleTree::NodeIdx node = tree_.pair(pair).node;
    if (tree_.level(node) >= level || !seen.insert(info.role).second) continue;
    const QVec consumed = tree_.consumed(node);
    const QVec* minimum = tree_.guarantee(node);
    const QVec& held = tree_.unreservedHeld(node);
    QVec reclaimable(held.size(), 0);
    for (std::size_t slot = 0; slot < held.size(); ++slot) {
      const std::int64_t excess =
          drf::at(consumed, slot) - (minimum != nullptr ? drf::at(*minimum, slot) : 0);
      reclaimable[slot] = std::max<std::int64_t>(0, std::min(held[slot], excess));
    }
    // What earlier requests are already freeing in this role is spoken for.
    for (const auto& [key, asked] : outstanding_) {
      const QVec freeing = drf::unreservedQVec(asked.allocatedTo(info.role), slots_);
      for (std::size_t slot = 0; slot < freeing.size() && slot < reclaimable.size(); ++slot)
        reclaimable[slot] = std::max<std::int64_t>(0, reclaimable[slot] - freeing[slot]);
    }
    bool any = false;
    for (std::size_t slot = 0; slot < reclaimable.size(); ++slot)
      any = any || (reclaimable[slot] > 0 && drf::at(needed, slot) > 0);
    if (any)
      victims.push_back({info.role, node, tree_.level(node), tree_.share(node), reclaimable});
  }
  std::sort(victims.begin(), victims.end(), [](const Victim& l, const Victim& r) {
    if (l.level != r.level) return l.level < r.level;
    if (l.share != r.share) return l.share > r.share;
    return l.role < r.role;
  });
  auto satisfied = [&] {
    return std::all_of(needed.begin(), needed.end(), [](std::int64_t v) { return v <= 0; });
  };
  bool asked = false;
  for (Victim& victim : victims) {
    for (const auto& [agentId, agent] : agents_) {
      if (satisfied()) break;
      // What this role's tasks use here (in use, not merely offered).
      const Resources inUse = agent->allocated.allocatedTo(victim.role);
      if (inUse.empty()) continue;
      for (const auto& [frameworkId, held] : agent->offeredOrAllocated) {
        if (satisfied()) break;
        Resources candidates = drf::intersection(held.allocatedTo(victim.role), inUse);
        auto pending = outstanding_.find({frameworkId, agentId});
        if (pending != outstanding_.end()) candidates -= pending->second;
        // Tasks are indivisible: the master may free more than it is asked for
        // here, but never more than `atMost`, what the role holds here above its
        // minimum, so no role falls below its minimum.
        // Where the minimum leaves none of a resource the role holds here, every
        // task here (tasks use cpus and mem alike) is spared: do not ask.
        const QVec here = drf::unreservedQVec(candidates, slots_);
        const QVec* minimum = tree_.guarantee(victim.node);
        ResourceQuantities atMost;
        bool pinned = false;
        for (std::size_t slot = 0; slot < here.size(); ++slot) {
          const std::int64_t bound = std::min(here[slot], drf::at(victim.reclaimable, slot));
          if (bound > 0) atMost.add(slots_.name(slot), bound);
          if (here[slot] > 0 && bound <= 0 && minimum != nullptr && drf::at(*minimum, slot) > 0)
            pinned = true;
        }
        if (pinned) continue;
        Resources take;
        for (const Resource& resource : candidates) {
          if (resource.type() != ValueType::kScalar || resource.isReserved() ||
              resource.isRevocable()) {
            continue;
          }
          const std::size_t slot = slots_.slotOf(resource.name());
          const std::int64_t cap =
              std::min(drf::at(needed, slot), atMost.getMillis(resource.name()));
          if (cap <= 0) continue;
          const std::int64_t millis = std::min(cap, resource.scalarMillis());
          auto piece = Resource::makeScalar(resource.name(),
                                            static_cast<double>(millis) / Resource::kScalarScale);
          if (!piece) continue;
          take += *piece;
          needed[slot] -= millis;
        }
        if (take.empty()) continue;
        // Count the worst case against the role: all of atMost goes.
        for (const auto& quantity : atMost) {
          const std::size_t slot = slots_.slotOf(quantity.name);
          if (slot < victim.reclaimable.size()) victim.reclaimable[slot] -= quantity.millis;
        }
        take.allocate(victim.role);
        PLEXUS_LOG(Info) << logName() << ": role '" << waitingRole << "' (level " << level
                         << ") has waited " << formatDuration(gracePeriod_) << "; reclaiming "
                         << take << " from framework " << frameworkId << " on agent " << agentId;
        ++reclaimRequests_;
        asked = true;
        outstanding_[{frameworkId, agentId}] += take;
        callbacks_.reclaim(frameworkId, agentId, take, atMost);
      }
    }
  }
  return asked;
}

}  // namespace plexus::priority
