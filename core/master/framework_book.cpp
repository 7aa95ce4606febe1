#include "master/framework_book.hpp"

#include <cstdio>

#include <plexus/logging.hpp>

namespace plexus::master {

FrameworkId FrameworkBook::mint(const std::string& masterId) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%04llu", static_cast<unsigned long long>(nextId_++));
  return FrameworkId(masterId + suffix);
}

FrameworkRecord* FrameworkBook::find(const FrameworkId& id) {
  auto it = registered_.find(id);
  return it == registered_.end() ? nullptr : it->second.get();
}

const FrameworkRecord* FrameworkBook::find(const FrameworkId& id) const {
  auto it = registered_.find(id);
  return it == registered_.end() ? nullptr : it->second.get();
}

FrameworkRecord& FrameworkBook::add(const FrameworkId& id,
                                    std::chrono::system_clock::time_point registered) {
  PLEXUS_CHECK(!registered_.contains(id) && !completed_.contains(id));
  auto record = std::make_unique<FrameworkRecord>();
  record->id = id;
  record->registeredTime = registered;
  FrameworkRecord& added = *record;
  registered_.emplace(id, std::move(record));
  return added;
}

void FrameworkBook::complete(const FrameworkId& id) {
  auto it = registered_.find(id);
  if (it == registered_.end()) return;
  completed_.emplace(id, std::move(it->second));
  registered_.erase(it);
  while (completed_.size() > maxCompleted_)
    completed_.erase(completed_.begin());
}

}  // namespace plexus::master
