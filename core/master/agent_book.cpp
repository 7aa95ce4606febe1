#include "master/agent_book.hpp"

#include <plexus/logging.hpp>

namespace plexus::master {

AgentId AgentBook::mint(const std::string& masterId) {
  return AgentId(masterId + "-S" + std::to_string(nextId_++));
}

std::string AgentBook::mintStreamId(const std::string& masterId) {
  return masterId + "-agent-stream-" + std::to_string(++nextStreamId_);
}

AgentRecord* AgentBook::find(const AgentId& id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : it->second.get();
}

const AgentRecord* AgentBook::find(const AgentId& id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : it->second.get();
}

AgentRecord& AgentBook::add(const AgentId& id, std::chrono::system_clock::time_point registered) {
  PLEXUS_CHECK(!agents_.contains(id));
  auto record = std::make_unique<AgentRecord>();
  record->id = id;
  record->registeredTime = registered;
  AgentRecord& added = *record;
  agents_.emplace(id, std::move(record));
  awaited_.erase(id);
  return added;
}

bool AgentBook::remove(const AgentId& id) {
  return agents_.erase(id) > 0;
}

bool AgentBook::removeUnreachable(const AgentId& id) {
  auto it = agents_.find(id);
  if (it == agents_.end() || !it->second->unreachable) return false;
  agents_.erase(it);
  return true;
}

void AgentBook::await(const v1::AgentInfo& info) {
  AgentId id = AgentId::fromWire(info.id());
  if (!agents_.contains(id)) awaited_.emplace(id, info);
}

AgentBook::Awaited AgentBook::takeAwaited() {
  Awaited taken = std::move(awaited_);
  awaited_.clear();
  return taken;
}

}  // namespace plexus::master
