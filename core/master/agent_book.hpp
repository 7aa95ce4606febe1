// AgentBook: the master's agents, by ID, and the admitted agents it awaits.
//
// Owns the records: an agent that registered once stays listed (connected,
// disconnected or unreachable) until the registry's garbage collection prunes it
// as unreachable. After an election the registry's admitted agents are awaited
// until they re-register or --agent_reregister_timeout passes; an awaited agent
// is never also listed. IDs are minted here: "<master id>-S0", "-S1", ...
// Touched on the master's loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <plexus/ids.hpp>
#include <plexus/v1/mesos.pb.h>

#include "master/master_state.hpp"

namespace plexus::master {

class AgentBook {
 public:
  using Agents = std::map<AgentId, std::unique_ptr<AgentRecord>>;
  using Awaited = std::map<AgentId, v1::AgentInfo>;

  // A new agent ID, unique under the master `masterId`.
  AgentId mint(const std::string& masterId);
  // A new agent stream ID, unique under the master `masterId`.
  std::string mintStreamId(const std::string& masterId);

  AgentRecord* find(const AgentId& id);
  const AgentRecord* find(const AgentId& id) const;
  // Lists a new agent `id`, no longer awaited.
  AgentRecord& add(const AgentId& id, std::chrono::system_clock::time_point registered);
  // Forgets the agent `id` (replaced by a new agent at its address); returns whether it did.
  bool remove(const AgentId& id);
  // Forgets the agent `id` if it is unreachable; returns whether it did.
  bool removeUnreachable(const AgentId& id);

  // In ID order. The records may be changed through it, the list may not.
  const Agents& all() const { return agents_; }

  // The admitted agents awaited after an election (recovery.cpp).
  void await(const v1::AgentInfo& info);
  bool awaiting(const AgentId& id) const { return awaited_.contains(id); }
  // The agent `id` is back: no longer awaited.
  void arrived(const AgentId& id) { awaited_.erase(id); }
  // Stops waiting: the agents still awaited, which no longer are.
  Awaited takeAwaited();
  const Awaited& awaited() const { return awaited_; }

 private:
  Agents agents_;
  Awaited awaited_;
  std::uint64_t nextId_ = 0;
  std::uint64_t nextStreamId_ = 0;
};

}  // namespace plexus::master
