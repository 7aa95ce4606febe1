// OfferBook: the offers outstanding, by ID.
//
// Owns the records and keeps one invariant: an offer is in the book exactly when
// its framework's and its agent's records list it (FrameworkRecord::offers,
// AgentRecord::offers), and its timeout timer (--offer_timeout) runs exactly as
// long. Whoever takes an offer out (accept, decline, rescind, a framework or
// agent leaving) gets its record and decides where its resources go. IDs are
// minted here: "<master id>-O0", "-O1", ... Touched on the master's loop only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <plexus/ids.hpp>
#include <plexus/runtime.hpp>

#include "master/agent_book.hpp"
#include "master/framework_book.hpp"
#include "master/master_state.hpp"

namespace plexus::master {

class OfferBook {
 public:
  using Offers = std::map<OfferId, OfferRecord>;

  OfferBook(Runtime& runtime, FrameworkBook& frameworks, AgentBook& agents)
      : runtime_(runtime), frameworks_(frameworks), agents_(agents) {}

  // A new offer ID, unique under the master `masterId`.
  OfferId mint(const std::string& masterId);

  // Adds `record` as offer `id`, listed by its framework and agent (both known).
  void add(const OfferId& id, OfferRecord record);
  OfferRecord* find(const OfferId& id);
  const OfferRecord* find(const OfferId& id) const;
  // Takes offer `id` out: unlisted, its timer cancelled. nullopt if it is gone.
  std::optional<OfferRecord> take(const OfferId& id);

  const Offers& all() const { return offers_; }

 private:
  Runtime& runtime_;
  FrameworkBook& frameworks_;
  AgentBook& agents_;
  Offers offers_;
  std::uint64_t nextId_ = 0;
};

}  // namespace plexus::master
