#include "master/offer_book.hpp"

#include <plexus/logging.hpp>

namespace plexus::master {

OfferId OfferBook::mint(const std::string& masterId) {
  return OfferId(masterId + "-O" + std::to_string(nextId_++));
}

void OfferBook::add(const OfferId& id, OfferRecord record) {
  FrameworkRecord* framework = frameworks_.find(record.framework);
  AgentRecord* agent = agents_.find(record.agent);
  PLEXUS_CHECK(framework != nullptr && agent != nullptr);
  framework->offers.insert(id);
  agent->offers.insert(id);
  offers_.emplace(id, std::move(record));
}

OfferRecord* OfferBook::find(const OfferId& id) {
  auto it = offers_.find(id);
  return it == offers_.end() ? nullptr : &it->second;
}

const OfferRecord* OfferBook::find(const OfferId& id) const {
  auto it = offers_.find(id);
  return it == offers_.end() ? nullptr : &it->second;
}

std::optional<OfferRecord> OfferBook::take(const OfferId& id) {
  auto it = offers_.find(id);
  if (it == offers_.end()) return std::nullopt;
  OfferRecord record = std::move(it->second);
  offers_.erase(it);
  if (record.timeoutTimer) runtime_.cancel(*record.timeoutTimer);
  record.timeoutTimer.reset();
  if (FrameworkRecord* framework = frameworks_.find(record.framework)) framework->offers.erase(id);
  if (AgentRecord* agent = agents_.find(record.agent)) agent->offers.erase(id);
  return record;
}

}  // namespace plexus::master
