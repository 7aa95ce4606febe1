// FrameworkBook: the master's frameworks, by ID: the registered ones (subscribed,
// or recovered and waiting to re-subscribe) and the completed ones (removed).
//
// Owns the records. A framework is in exactly one of the two lists; a completed
// framework never comes back (a SUBSCRIBE with its ID is refused); at most
// --max_completed_frameworks completed ones are kept, the lowest IDs dropped
// first. IDs are minted here: "<master id>-0000", "-0001", ... Touched on the
// master's loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <plexus/ids.hpp>

#include "master/master_state.hpp"

namespace plexus::master {

class FrameworkBook {
 public:
  using Frameworks = std::map<FrameworkId, std::unique_ptr<FrameworkRecord>>;

  explicit FrameworkBook(std::size_t maxCompleted) : maxCompleted_(maxCompleted) {}

  // A new framework ID, unique under the master `masterId`.
  FrameworkId mint(const std::string& masterId);

  // The registered framework `id`, or null.
  FrameworkRecord* find(const FrameworkId& id);
  const FrameworkRecord* find(const FrameworkId& id) const;
  // True if `id` was removed (it cannot subscribe again).
  bool isCompleted(const FrameworkId& id) const { return completed_.contains(id); }

  // Registers a new, inactive framework `id` (neither registered nor completed).
  FrameworkRecord& add(const FrameworkId& id, std::chrono::system_clock::time_point registered);

  // Moves the registered framework `id` to the completed ones, dropping the
  // lowest completed IDs beyond the bound.
  void complete(const FrameworkId& id);

  // In ID order. The records may be changed through them, the lists may not.
  const Frameworks& registered() const { return registered_; }
  const Frameworks& completed() const { return completed_; }

 private:
  std::size_t maxCompleted_;
  Frameworks registered_;
  Frameworks completed_;
  std::uint64_t nextId_ = 0;
};

}  // namespace plexus::master
