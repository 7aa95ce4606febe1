// DrfSorter: orders clients by Dominant Resource Fairness.
//
// The allocator keeps one sorter whose clients are frameworks (by id). It tells
// the sorter the cluster's total scalar quantities and what each client holds
// (offered plus in use); sort() returns the clients by ascending dominant share,
// ties broken by name so that a cycle is deterministic. A client's dominant share
// is the largest, over the scalar resource names present in the total and not
// excluded (Options::fairnessExcludeResourceNames), of allocated / total. Ranges
// and sets (ports) do not count, as in Mesos's DRFSorter.
//
// It is Mesos's Sorter shape on purpose (add/remove, allocated/unallocated,
// addTotal/removeTotal, sort), so that the later hierarchical version can nest a
// role sorter over per-role framework sorters and divide shares by weights.
// Not thread-safe: used on the allocator's loop only.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <plexus/resources.hpp>

namespace plexus::drf {

class DrfSorter {
 public:
  explicit DrfSorter(std::set<std::string> excludedNames = {});

  // Adds a client holding nothing; adding an existing client does nothing.
  void add(const std::string& client);
  // Forgets a client and what it holds.
  void remove(const std::string& client);
  bool contains(const std::string& client) const { return clients_.contains(client); }

  // The client now holds `quantities` more / less (floored at zero).
  void allocated(const std::string& client, const ResourceQuantities& quantities);
  void unallocated(const std::string& client, const ResourceQuantities& quantities);
  // What the client holds; empty for an unknown client.
  const ResourceQuantities& allocation(const std::string& client) const;

  // The cluster grew / shrank by `quantities` (an agent came, went or changed).
  void addTotal(const ResourceQuantities& quantities);
  void removeTotal(const ResourceQuantities& quantities);
  const ResourceQuantities& total() const { return total_; }

  // The client's dominant share in [0, 1] (more if it holds more than the total,
  // which can happen briefly when an agent shrinks); 0 for an unknown client.
  double share(const std::string& client) const;

  // Every client, by ascending share, then by name.
  std::vector<std::string> sort() const;

 private:
  std::set<std::string> excluded_;
  ResourceQuantities total_;
  std::map<std::string, ResourceQuantities> clients_;
};

}  // namespace plexus::drf
