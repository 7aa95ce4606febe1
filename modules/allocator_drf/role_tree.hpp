// RoleTree: the allocator's hierarchical DRF sorter, with weights, levels and quota.
//
// Roles form a tree by path ("eng/web" under "eng"); each node keeps what its
// subtree holds (offered plus in use). A client is a (framework, role) pair,
// attached to the node of its role. Siblings are ordered by
//   (level, descending; weighted dominant share, ascending; name),
// where a node's share is what its subtree holds over the cluster's total,
// divided by its weight, and the frameworks subscribed to a role itself form a
// virtual leaf (Mesos's "." node) named "" with the role's own weight. Inside a
// role, frameworks are ordered by their own share in that role, then by id. A
// depth-first walk in that order (forEachPair) is the order in which an agent's
// resources are offered: fair sharing first between roles at each level of the
// tree, then between the frameworks of a role.
//
// Orders are kept sorted incrementally: an allocation re-positions the pair and
// its ancestors (binary search and one rotate each), so a cycle never re-sorts.
// A change of the cluster's total changes every share: it marks the tree dirty,
// and the next walk re-sorts everything once. Inside a batch (beginBatch /
// endBatch, one agent's visit) positions are updated at endBatch, so a walk is
// never disturbed by the allocations it makes.
//
// Quota: a node may have a guarantee and a limit (scalar quantities). Its
// consumption is what is reserved to its subtree (on every agent's total) plus
// the unreserved, non-revocable resources its subtree holds (Mesos's consumed
// quota), so a limit caps the whole subtree, reservations included. A child's
// guarantee counts inside its parent's, not on top of it: what a guaranteed node
// needs held back is the larger of what its own guarantee lacks and what its
// children need; the tree keeps the sum of that over the top of the tree
// (requiredHeadroom) and, for stage 1 of a cycle, the guaranteed nodes in sort
// order (quotaOrder).
//
// Levels are the priority allocator's: every node inherits its parent's level
// unless one is set for it. The DRF allocator leaves every level at 0.
// Not thread-safe; the allocator's loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "quantities.hpp"

namespace plexus::drf {

class RoleTree {
 public:
  using NodeIdx = std::uint32_t;
  using PairIdx = std::uint32_t;
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  static constexpr NodeIdx kRoot = 0;

  struct Pair {
    std::string framework;
    NodeIdx node = kNone;
    QVec held;        // offered plus in use, in this role
    QVec unreserved;  // the unreserved, non-revocable part of `held`
    double sortShare = 0;
    std::uint32_t rank = 0;  // position of `framework` among all pairs' ids (tie-break)
    bool eligible = false;   // may be offered (set by the allocator)
    bool live = false;
    void* owner = nullptr;  // the allocator's record of the pair
  };

  explicit RoleTree(ScalarSlots& slots);

  // The node of `role`, created (with its ancestors) when missing.
  NodeIdx node(const std::string& role);
  // The node of `role`, or kNone.
  NodeIdx find(const std::string& role) const;
  const std::string& path(NodeIdx node) const { return nodes_[node].path; }
  NodeIdx parent(NodeIdx node) const { return nodes_[node].parent; }

  PairIdx addPair(NodeIdx node, const std::string& framework, void* owner);
  // Drops the pair, and what it holds from its ancestors.
  void removePair(PairIdx pair);
  Pair& pair(PairIdx pair) { return pairs_[pair]; }
  const Pair& pair(PairIdx pair) const { return pairs_[pair]; }
  // Pair indices are dense: 0 <= index < pairCapacity().
  std::size_t pairCapacity() const { return pairs_.size(); }
  void setEligible(PairIdx pair, bool eligible);

  // The pair now holds `all` more (scalars, all kinds), of which `unreserved`
  // are unreserved and non-revocable; or less (floored at zero).
  void allocated(PairIdx pair, const QVec& all, const QVec& unreserved);
  void unallocated(PairIdx pair, const QVec& all, const QVec& unreserved);

  // Resources reserved to `node` (its role) appeared on or left an agent's total.
  void reserved(NodeIdx node, const QVec& quantities);
  void unreserved(NodeIdx node, const QVec& quantities);

  void addTotal(const QVec& quantities);
  void removeTotal(const QVec& quantities);
  const QVec& total() const { return total_; }

  void setWeight(const std::string& role, double weight);
  double weight(NodeIdx node) const { return nodes_[node].weight; }
  void setLevel(const std::string& role, int level);
  int level(NodeIdx node) const { return nodes_[node].level; }
  // An empty guarantee and unlimited limits remove the quota.
  void setQuota(const std::string& role, const QVec& guarantee, const QVec& limit);

  // Quota state.
  bool anyQuota() const { return quotaNodes_ > 0; }
  bool hasLimitAbove(NodeIdx node) const;
  // Per slot, the least of (limit - consumption) over `node` and its ancestors
  // with limits; kUnlimited where none limits the slot.
  QVec limitHeadroom(NodeIdx node) const;
  // What the guarantees of `node`'s nearest guaranteed ancestor-or-self lack.
  const QVec* unsatisfied(NodeIdx node) const;
  // The guarantee of `node`'s nearest guaranteed ancestor-or-self, or nullptr.
  const QVec* guarantee(NodeIdx node) const;
  // What every guarantee still needs held back from the unreserved resources.
  const QVec& requiredHeadroom() const { return nodes_[kRoot].need; }
  // The part of requiredHeadroom() that `node`'s topmost guaranteed ancestor-or-self
  // needs (its guarantee covers `node`), or nullptr when no guarantee covers it.
  const QVec* ownNeed(NodeIdx node) const;
  std::size_t unsatisfiedNodes() const { return unsatisfiedNodes_; }
  QVec consumed(NodeIdx node) const;
  // Bit s set: some limit on `node` or an ancestor leaves no room in slot s (< 64).
  std::uint64_t limitReachedMask(NodeIdx node) const;
  const QVec& unreservedHeld(NodeIdx node) const { return nodes_[node].unreservedHeld; }
  const std::vector<NodeIdx>& quotaOrder();

  // Shares (fresh, not the sort keys).
  double share(NodeIdx node) const;
  double pairShare(PairIdx pair) const;

  // Positions: inside a batch they are refreshed at endBatch.
  void beginBatch() { batch_ = true; }
  void endBatch();
  void resortIfDirty();

  // Walks the eligible pairs of `from`'s subtree in allocation order; `visit(PairIdx)`
  // returns false to stop. Returns false if stopped.
  template <typename Visit>
  bool forEachPair(NodeIdx from, Visit&& visit) {
    return forEachPair(from, visit, [](NodeIdx) { return false; });
  }
  // The same, skipping the subtrees of nodes for which `prune(NodeIdx)` is true.
  template <typename Visit, typename Prune>
  bool forEachPair(NodeIdx from, Visit&& visit, Prune&& prune);

  std::size_t nodeCount() const { return nodes_.size(); }

 private:
  struct Entry {
    NodeIdx node;  // the child, or the owning node itself for the virtual leaf
    bool self;
  };
  struct Node {
    std::string path;
    std::string name;  // last component; "" for the root
    NodeIdx parent = kNone;
    std::vector<NodeIdx> children;
    std::vector<Entry> sorted;   // children and the virtual leaf
    std::vector<PairIdx> pairs;  // pairs of exactly this role, sorted
    QVec subtreeHeld;            // everything held in the subtree
    QVec selfHeld;               // held with exactly this role
    double sortShare = 0;        // key in the parent's order
    double selfSortShare = 0;    // key of the virtual leaf
    double quotaKey = 0;         // key in quotaOrder_
    std::uint32_t rank = 0;      // position of `path` among all paths (tie-break)
    double weight = 1;
    int level = 0;
    bool levelSet = false;
    std::size_t eligibleBelow = 0;  // eligible pairs in the subtree
    std::size_t eligibleSelf = 0;
    // Quota.
    bool hasGuarantee = false;
    bool hasLimit = false;
    QVec guarantee;
    QVec limit;
    QVec reservedTotal;              // reserved to the subtree, on all agents
    QVec unreservedHeld;             // unreserved non-revocable held by the subtree
    QVec unsatisfied;                // guarantee - consumption, floored
    QVec childNeed;                  // sum of the children's `need`
    QVec need;                       // max(unsatisfied, childNeed), or childNeed
    std::uint64_t limitReached = 0;  // slots where consumption >= limit
    bool touched = false;
    bool selfTouched = false;
  };

  double nodeShare(const Node& node) const;
  double selfShare(const Node& node) const;
  bool entryLess(const Entry& left, const Entry& right) const;
  bool pairLess(PairIdx left, PairIdx right) const;
  bool quotaLess(NodeIdx left, NodeIdx right) const;
  void reposition(NodeIdx node);
  void repositionSelf(NodeIdx node);
  void resortAfterChange(PairIdx pair);
  void repositionPair(PairIdx pair);
  void repositionQuota(NodeIdx node);
  void refreshUnsatisfied(NodeIdx node);
  void propagateNeed(NodeIdx node);
  void refreshLimit(NodeIdx node);
  void applyLevel(NodeIdx node);
  void markTouched(NodeIdx node, bool self);
  void sortAll();

  ScalarSlots& slots_;
  std::vector<Node> nodes_;
  std::map<std::string, NodeIdx, std::less<>> byPath_;
  std::vector<Pair> pairs_;
  std::vector<PairIdx> freePairs_;
  std::vector<PairIdx> touchedPairs_;
  std::vector<NodeIdx> touchedNodes_;
  std::vector<char> pairTouched_;
  // Pair::eligible, packed: the walk reads it for every pair (often a cache line
  // per Pair otherwise).
  std::vector<char> eligibleFlags_;
  QVec total_;
  std::size_t unsatisfiedNodes_ = 0;
  std::size_t quotaNodes_ = 0;
  std::vector<NodeIdx> quotaOrder_;  // guaranteed nodes by (level, share, path)
  bool dirty_ = false;
  bool batch_ = false;
  std::map<std::string, int> levels_;
  std::map<std::string, double> weights_;
};

template <typename Visit, typename Prune>
bool RoleTree::forEachPair(NodeIdx from, Visit&& visit, Prune&& prune) {
  // Indices, not iterators: `visit` may add nodes (never inside a batch, though).
  Node& node = nodes_[from];
  if (node.eligibleBelow == 0) return true;
  const std::size_t count = node.sorted.size();
  for (std::size_t i = 0; i < count; ++i) {
    const Entry entry = nodes_[from].sorted[i];
    if (entry.self) {
      if (nodes_[from].eligibleSelf == 0) continue;
      const std::size_t pairCount = nodes_[from].pairs.size();
      for (std::size_t j = 0; j < pairCount; ++j) {
        const PairIdx pair = nodes_[from].pairs[j];
        if (eligibleFlags_[pair] == 0) continue;
        if (!visit(pair)) return false;
      }
    } else {
      if (nodes_[entry.node].eligibleBelow == 0 || prune(entry.node)) continue;
      if (!forEachPair(entry.node, visit, prune)) return false;
    }
  }
  return true;
}

}  // namespace plexus::drf
