#include "drf_sorter.hpp"

#include <algorithm>
#include <utility>

namespace plexus::drf {

DrfSorter::DrfSorter(std::set<std::string> excluded) : excluded_(std::move(excluded)) {}

void DrfSorter::add(const std::string& client) {
  clients_.try_emplace(client);
}

void DrfSorter::remove(const std::string& client) {
  clients_.erase(client);
}

void DrfSorter::allocated(const std::string& client, const ResourceQuantities& quantities) {
  auto found = clients_.find(client);
  if (found != clients_.end()) found->second += quantities;
}

void DrfSorter::unallocated(const std::string& client, const ResourceQuantities& quantities) {
  auto found = clients_.find(client);
  if (found != clients_.end()) found->second -= quantities;
}

const ResourceQuantities& DrfSorter::allocation(const std::string& client) const {
  static const ResourceQuantities kNothing;
  auto found = clients_.find(client);
  return found == clients_.end() ? kNothing : found->second;
}

void DrfSorter::addTotal(const ResourceQuantities& quantities) {
  total_ += quantities;
}

void DrfSorter::removeTotal(const ResourceQuantities& quantities) {
  total_ -= quantities;
}

double DrfSorter::share(const std::string& client) const {
  auto found = clients_.find(client);
  if (found == clients_.end()) return 0;
  double dominant = 0;
  for (const auto& held : found->second) {
    if (excluded_.contains(held.name)) continue;
    const std::int64_t total = total_.getMillis(held.name);
    if (total <= 0) continue;
    dominant = std::max(dominant, static_cast<double>(held.millis) / static_cast<double>(total));
  }
  return dominant;
}

std::vector<std::string> DrfSorter::sort() const {
  std::vector<std::pair<double, const std::string*>> ranked;
  ranked.reserve(clients_.size());
  for (const auto& [client, held] : clients_) {
    ranked.emplace_back(share(client), &client);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  std::vector<std::string> sorted;
  sorted.reserve(ranked.size());
  // clients_ is ordered by name, and the sort is stable: ties stay in name order.
  for (const auto& [share, client] : ranked) {
    sorted.push_back(*client);
  }
  return sorted;
}

}  // namespace plexus::drf
