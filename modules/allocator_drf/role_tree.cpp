#include "role_tree.hpp"

#include <algorithm>
#include <utility>

namespace plexus::drf {

RoleTree::RoleTree(ScalarSlots& slots) : slots_(slots) {
  Node root;
  root.sorted.push_back({kRoot, true});
  nodes_.push_back(std::move(root));
}

RoleTree::NodeIdx RoleTree::find(const std::string& role) const {
  auto found = byPath_.find(role);
  return found == byPath_.end() ? kNone : found->second;
}

RoleTree::NodeIdx RoleTree::node(const std::string& role) {
  if (auto found = byPath_.find(role); found != byPath_.end()) return found->second;
  // "*" is a top-level role like any other; "a/b/c" creates a, a/b and a/b/c.
  NodeIdx parent = kRoot;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = role == "*" ? std::string::npos : role.find('/', start);
    const std::string path = role.substr(0, slash);
    auto found = byPath_.find(path);
    if (found == byPath_.end()) {
      Node node;
      node.path = path;
      node.name = path.substr(start);
      node.parent = parent;
      auto weight = weights_.find(path);
      if (weight != weights_.end()) node.weight = weight->second;
      auto level = levels_.find(path);
      node.levelSet = level != levels_.end();
      node.level = node.levelSet ? level->second : nodes_[parent].level;
      const NodeIdx index = static_cast<NodeIdx>(nodes_.size());
      node.sorted.push_back({index, true});
      nodes_.push_back(std::move(node));
      nodes_[parent].children.push_back(index);
      nodes_[parent].sorted.push_back({index, false});
      byPath_.emplace(path, index);
      dirty_ = true;
      parent = index;
    } else {
      parent = found->second;
    }
    if (slash == std::string::npos) return parent;
    start = slash + 1;
  }
}

RoleTree::PairIdx RoleTree::addPair(NodeIdx node, const std::string& framework, void* owner) {
  PairIdx index;
  if (!freePairs_.empty()) {
    index = freePairs_.back();
    freePairs_.pop_back();
  } else {
    index = static_cast<PairIdx>(pairs_.size());
    pairs_.emplace_back();
    pairTouched_.push_back(0);
    eligibleFlags_.push_back(0);
  }
  Pair& pair = pairs_[index];
  pair = Pair{};
  pair.framework = framework;
  pair.node = node;
  pair.live = true;
  pair.owner = owner;
  nodes_[node].pairs.push_back(index);
  dirty_ = true;
  return index;
}

void RoleTree::removePair(PairIdx index) {
  Pair& pair = pairs_[index];
  if (!pair.live) return;
  setEligible(index, false);
  const QVec held = pair.held;
  const QVec unreservedHeld = pair.unreserved;
  unallocated(index, held, unreservedHeld);
  auto& pairs = nodes_[pair.node].pairs;
  pairs.erase(std::remove(pairs.begin(), pairs.end(), index), pairs.end());
  touchedPairs_.erase(std::remove(touchedPairs_.begin(), touchedPairs_.end(), index),
                      touchedPairs_.end());
  pairTouched_[index] = 0;
  pair = Pair{};
  freePairs_.push_back(index);
}

void RoleTree::setEligible(PairIdx index, bool eligible) {
  Pair& pair = pairs_[index];
  if (pair.eligible == eligible) return;
  pair.eligible = eligible;
  eligibleFlags_[index] = eligible ? 1 : 0;
  const long delta = eligible ? 1 : -1;
  nodes_[pair.node].eligibleSelf += delta;
  for (NodeIdx n = pair.node; n != kNone; n = nodes_[n].parent) {
    nodes_[n].eligibleBelow += delta;
  }
}

void RoleTree::markTouched(NodeIdx node, bool self) {
  Node& n = nodes_[node];
  if (self ? n.selfTouched : n.touched) return;
  (self ? n.selfTouched : n.touched) = true;
  touchedNodes_.push_back(node);
}

void RoleTree::allocated(PairIdx index, const QVec& all, const QVec& unreservedPart) {
  Pair& pair = pairs_[index];
  addTo(pair.held, all);
  addTo(pair.unreserved, unreservedPart);
  Node& own = nodes_[pair.node];
  addTo(own.selfHeld, all);
  for (NodeIdx n = pair.node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    addTo(nodes_[n].subtreeHeld, all);
    addTo(nodes_[n].unreservedHeld, unreservedPart);
    refreshUnsatisfied(n);
  }
  resortAfterChange(index);
}

// After a pair's holdings changed: re-sort it and its ancestors now, or mark them
// for the batch's re-sort, or nothing while the whole tree is to be re-sorted.
void RoleTree::resortAfterChange(PairIdx index) {
  if (dirty_) return;
  const Pair& pair = pairs_[index];
  if (batch_) {
    if (!pairTouched_[index]) {
      pairTouched_[index] = 1;
      touchedPairs_.push_back(index);
    }
    markTouched(pair.node, true);
    for (NodeIdx n = pair.node; n != kRoot; n = nodes_[n].parent)
      markTouched(n, false);
    return;
  }
  repositionPair(index);
  repositionSelf(pair.node);
  for (NodeIdx n = pair.node; n != kRoot; n = nodes_[n].parent)
    reposition(n);
}

void RoleTree::unallocated(PairIdx index, const QVec& all, const QVec& unreservedPart) {
  Pair& pair = pairs_[index];
  subtractFrom(pair.held, all);
  subtractFrom(pair.unreserved, unreservedPart);
  subtractFrom(nodes_[pair.node].selfHeld, all);
  for (NodeIdx n = pair.node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    subtractFrom(nodes_[n].subtreeHeld, all);
    subtractFrom(nodes_[n].unreservedHeld, unreservedPart);
    refreshUnsatisfied(n);
  }
  resortAfterChange(index);
}

void RoleTree::reserved(NodeIdx node, const QVec& quantities) {
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    addTo(nodes_[n].reservedTotal, quantities);
    refreshUnsatisfied(n);
  }
}

void RoleTree::unreserved(NodeIdx node, const QVec& quantities) {
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    subtractFrom(nodes_[n].reservedTotal, quantities);
    refreshUnsatisfied(n);
  }
}

void RoleTree::addTotal(const QVec& quantities) {
  if (isZero(quantities)) return;
  addTo(total_, quantities);
  dirty_ = true;
}

void RoleTree::removeTotal(const QVec& quantities) {
  if (isZero(quantities)) return;
  subtractFrom(total_, quantities);
  dirty_ = true;
}

void RoleTree::setWeight(const std::string& role, double weight) {
  weights_[role] = weight;
  nodes_[node(role)].weight = weight;
  dirty_ = true;
}

void RoleTree::setLevel(const std::string& role, int level) {
  levels_[role] = level;
  const NodeIdx index = node(role);
  nodes_[index].levelSet = true;
  nodes_[index].level = level;
  applyLevel(index);
  dirty_ = true;
}

void RoleTree::applyLevel(NodeIdx index) {
  for (NodeIdx child : nodes_[index].children) {
    if (!nodes_[child].levelSet) nodes_[child].level = nodes_[index].level;
    applyLevel(child);
  }
}

void RoleTree::setQuota(const std::string& role, const QVec& guarantee, const QVec& limit) {
  const NodeIdx index = node(role);
  Node& n = nodes_[index];
  const bool hadQuota = n.hasGuarantee || n.hasLimit;
  // Drop the old guarantee's contribution first.
  if (n.hasGuarantee) {
    if (!isZero(n.unsatisfied)) --unsatisfiedNodes_;
    n.unsatisfied.clear();
    quotaOrder_.erase(std::remove(quotaOrder_.begin(), quotaOrder_.end(), index),
                      quotaOrder_.end());
  }
  n.guarantee = guarantee;
  n.hasGuarantee = !isZero(guarantee);
  n.limit = limit;
  n.hasLimit = std::any_of(limit.begin(), limit.end(), [](auto v) { return v != kUnlimited; });
  const bool hasQuota = n.hasGuarantee || n.hasLimit;
  refreshLimit(index);
  if (hasQuota && !hadQuota) ++quotaNodes_;
  if (!hasQuota && hadQuota) --quotaNodes_;
  propagateNeed(index);  // without the old guarantee
  if (n.hasGuarantee) {
    refreshUnsatisfied(index);
    n.quotaKey = n.sortShare;
    quotaOrder_.insert(
        std::upper_bound(quotaOrder_.begin(), quotaOrder_.end(), index,
                         [this](NodeIdx left, NodeIdx right) { return quotaLess(left, right); }),
        index);
  }
}

bool RoleTree::hasLimitAbove(NodeIdx node) const {
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    if (nodes_[n].hasLimit) return true;
  }
  return false;
}

QVec RoleTree::limitHeadroom(NodeIdx node) const {
  QVec headroom(slots_.size(), kUnlimited);
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    const Node& current = nodes_[n];
    if (!current.hasLimit) continue;
    for (std::size_t slot = 0; slot < current.limit.size() && slot < headroom.size(); ++slot) {
      if (current.limit[slot] == kUnlimited) continue;
      const std::int64_t used = at(current.reservedTotal, slot) + at(current.unreservedHeld, slot);
      headroom[slot] =
          std::min(headroom[slot], std::max<std::int64_t>(0, current.limit[slot] - used));
    }
  }
  return headroom;
}

const QVec* RoleTree::unsatisfied(NodeIdx node) const {
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    if (nodes_[n].hasGuarantee) return &nodes_[n].unsatisfied;
  }
  return nullptr;
}

const QVec* RoleTree::ownNeed(NodeIdx node) const {
  const QVec* need = nullptr;
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    if (nodes_[n].hasGuarantee) need = &nodes_[n].need;
  }
  return need;
}

const QVec* RoleTree::guarantee(NodeIdx node) const {
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    if (nodes_[n].hasGuarantee) return &nodes_[n].guarantee;
  }
  return nullptr;
}

QVec RoleTree::consumed(NodeIdx node) const {
  QVec result = nodes_[node].reservedTotal;
  addTo(result, nodes_[node].unreservedHeld);
  return result;
}

void RoleTree::refreshLimit(NodeIdx index) {
  Node& n = nodes_[index];
  n.limitReached = 0;
  if (!n.hasLimit) return;
  for (std::size_t slot = 0; slot < n.limit.size() && slot < 64; ++slot) {
    if (n.limit[slot] == kUnlimited) continue;
    if (at(n.reservedTotal, slot) + at(n.unreservedHeld, slot) >= n.limit[slot]) {
      n.limitReached |= 1ULL << slot;
    }
  }
}

std::uint64_t RoleTree::limitReachedMask(NodeIdx node) const {
  std::uint64_t mask = 0;
  for (NodeIdx n = node; n != kRoot && n != kNone; n = nodes_[n].parent) {
    mask |= nodes_[n].limitReached;
  }
  return mask;
}

void RoleTree::refreshUnsatisfied(NodeIdx index) {
  refreshLimit(index);
  Node& n = nodes_[index];
  if (!n.hasGuarantee) return;
  QVec lacking(n.guarantee.size(), 0);
  for (std::size_t slot = 0; slot < n.guarantee.size(); ++slot) {
    const std::int64_t used = at(n.reservedTotal, slot) + at(n.unreservedHeld, slot);
    lacking[slot] = std::max<std::int64_t>(0, n.guarantee[slot] - used);
  }
  const bool was = !isZero(n.unsatisfied);
  const bool is = !isZero(lacking);
  n.unsatisfied = std::move(lacking);
  if (was && !is) --unsatisfiedNodes_;
  if (!was && is) ++unsatisfiedNodes_;
  propagateNeed(index);
}

void RoleTree::propagateNeed(NodeIdx index) {
  // Up from `index`, each node's need from its own lack and its children's needs;
  // a parent learns the change through its childNeed. Stops where nothing changed.
  for (NodeIdx i = index; i != kNone; i = nodes_[i].parent) {
    Node& n = nodes_[i];
    QVec need = n.childNeed;
    if (n.hasGuarantee) {
      if (need.size() < n.unsatisfied.size()) need.resize(n.unsatisfied.size(), 0);
      for (std::size_t slot = 0; slot < n.unsatisfied.size(); ++slot)
        need[slot] = std::max(need[slot], n.unsatisfied[slot]);
    }
    if (need == n.need && i != index) return;
    if (n.parent != kNone) {
      QVec& parentNeed = nodes_[n.parent].childNeed;
      subtractFrom(parentNeed, n.need);
      addTo(parentNeed, need);
    }
    n.need = std::move(need);
  }
}

const std::vector<RoleTree::NodeIdx>& RoleTree::quotaOrder() {
  resortIfDirty();
  return quotaOrder_;
}

double RoleTree::nodeShare(const Node& node) const {
  const double share = dominantShare(node.subtreeHeld, total_, slots_);
  return node.weight > 0 ? share / node.weight : share;
}

double RoleTree::selfShare(const Node& node) const {
  const double share = dominantShare(node.selfHeld, total_, slots_);
  return node.weight > 0 ? share / node.weight : share;
}

double RoleTree::share(NodeIdx node) const {
  return nodeShare(nodes_[node]);
}

double RoleTree::pairShare(PairIdx pair) const {
  return dominantShare(pairs_[pair].held, total_, slots_);
}

bool RoleTree::entryLess(const Entry& left, const Entry& right) const {
  const Node& l = nodes_[left.node];
  const Node& r = nodes_[right.node];
  if (l.level != r.level) return l.level > r.level;
  const double ls = left.self ? l.selfSortShare : l.sortShare;
  const double rs = right.self ? r.selfSortShare : r.sortShare;
  if (ls != rs) return ls < rs;
  if (left.self != right.self) return left.self;  // the virtual leaf is named ""
  // Siblings share their parent's prefix: path order is name order.
  return l.rank < r.rank;
}

bool RoleTree::pairLess(PairIdx left, PairIdx right) const {
  const Pair& l = pairs_[left];
  const Pair& r = pairs_[right];
  if (l.sortShare != r.sortShare) return l.sortShare < r.sortShare;
  return l.rank < r.rank;
}

bool RoleTree::quotaLess(NodeIdx left, NodeIdx right) const {
  const Node& l = nodes_[left];
  const Node& r = nodes_[right];
  if (l.level != r.level) return l.level > r.level;
  if (l.quotaKey != r.quotaKey) return l.quotaKey < r.quotaKey;
  return l.rank < r.rank;
}

namespace {

// Moves the element at `position`, whose key changes through `update`, to its
// place in the vector sorted by `less`.
template <typename T, typename Less, typename Update>
void moveInSorted(std::vector<T>& sorted, std::size_t position, Less less, Update update) {
  update();
  const T value = sorted[position];
  if (position + 1 < sorted.size() && less(sorted[position + 1], value)) {
    auto to = std::lower_bound(sorted.begin() + position + 1, sorted.end(), value, less);
    std::rotate(sorted.begin() + position, sorted.begin() + position + 1, to);
  } else if (position > 0 && less(value, sorted[position - 1])) {
    auto to = std::upper_bound(sorted.begin(), sorted.begin() + position, value, less);
    std::rotate(to, sorted.begin() + position, sorted.begin() + position + 1);
  }
}

template <typename T, typename Less>
std::size_t positionOf(const std::vector<T>& sorted, const T& value, Less less,
                       bool (*same)(const T&, const T&)) {
  auto found = std::lower_bound(sorted.begin(), sorted.end(), value, less);
  if (found != sorted.end() && same(*found, value)) return found - sorted.begin();
  // Keys out of order cannot happen while not dirty; be safe anyway.
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (same(sorted[i], value)) return i;
  }
  return sorted.size();
}

}  // namespace

void RoleTree::reposition(NodeIdx index) {
  Node& node = nodes_[index];
  if (node.parent == kNone) return;
  auto less = [this](const Entry& l, const Entry& r) { return entryLess(l, r); };
  auto& sorted = nodes_[node.parent].sorted;
  const Entry entry{index, false};
  const std::size_t position = positionOf<Entry>(
      sorted, entry, less,
      +[](const Entry& l, const Entry& r) { return l.node == r.node && l.self == r.self; });
  if (position == sorted.size()) return;
  moveInSorted(sorted, position, less, [&] { node.sortShare = nodeShare(node); });
  repositionQuota(index);
}

void RoleTree::repositionSelf(NodeIdx index) {
  Node& node = nodes_[index];
  auto less = [this](const Entry& l, const Entry& r) { return entryLess(l, r); };
  const Entry entry{index, true};
  const std::size_t position = positionOf<Entry>(
      node.sorted, entry, less,
      +[](const Entry& l, const Entry& r) { return l.node == r.node && l.self == r.self; });
  if (position == node.sorted.size()) return;
  moveInSorted(node.sorted, position, less, [&] { node.selfSortShare = selfShare(node); });
}

void RoleTree::repositionPair(PairIdx index) {
  Pair& pair = pairs_[index];
  auto less = [this](PairIdx l, PairIdx r) { return pairLess(l, r); };
  auto& sorted = nodes_[pair.node].pairs;
  const std::size_t position = positionOf<PairIdx>(
      sorted, index, less, +[](const PairIdx& l, const PairIdx& r) { return l == r; });
  if (position == sorted.size()) return;
  moveInSorted(sorted, position, less, [&] { pair.sortShare = pairShare(index); });
}

void RoleTree::repositionQuota(NodeIdx index) {
  Node& node = nodes_[index];
  if (!node.hasGuarantee) return;
  auto less = [this](NodeIdx l, NodeIdx r) { return quotaLess(l, r); };
  const std::size_t position = positionOf<NodeIdx>(
      quotaOrder_, index, less, +[](const NodeIdx& l, const NodeIdx& r) { return l == r; });
  if (position == quotaOrder_.size()) return;
  moveInSorted(quotaOrder_, position, less, [&] { node.quotaKey = node.sortShare; });
}

void RoleTree::endBatch() {
  batch_ = false;
  if (!dirty_) {
    for (PairIdx pair : touchedPairs_)
      repositionPair(pair);
    for (NodeIdx node : touchedNodes_) {
      if (nodes_[node].selfTouched) repositionSelf(node);
      if (nodes_[node].touched) reposition(node);
    }
  }
  for (PairIdx pair : touchedPairs_)
    pairTouched_[pair] = 0;
  for (NodeIdx node : touchedNodes_) {
    nodes_[node].touched = false;
    nodes_[node].selfTouched = false;
  }
  touchedPairs_.clear();
  touchedNodes_.clear();
}

void RoleTree::resortIfDirty() {
  if (!dirty_ || batch_) return;
  sortAll();
  dirty_ = false;
}

void RoleTree::sortAll() {
  // Ranks: ties are broken by name, compared once here rather than in every move.
  std::vector<PairIdx> byName;
  for (PairIdx i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].live) byName.push_back(i);
  }
  std::sort(byName.begin(), byName.end(),
            [this](PairIdx l, PairIdx r) { return pairs_[l].framework < pairs_[r].framework; });
  for (std::uint32_t rank = 0; rank < byName.size(); ++rank)
    pairs_[byName[rank]].rank = rank;
  std::uint32_t nodeRank = 0;
  for (const auto& [path, node] : byPath_)
    nodes_[node].rank = ++nodeRank;
  for (Pair& pair : pairs_) {
    if (pair.live) pair.sortShare = dominantShare(pair.held, total_, slots_);
  }
  for (Node& node : nodes_) {
    node.sortShare = nodeShare(node);
    node.selfSortShare = selfShare(node);
    node.quotaKey = node.sortShare;
  }
  auto entryOrder = [this](const Entry& l, const Entry& r) { return entryLess(l, r); };
  auto pairOrder = [this](PairIdx l, PairIdx r) { return pairLess(l, r); };
  for (Node& node : nodes_) {
    std::sort(node.sorted.begin(), node.sorted.end(), entryOrder);
    std::sort(node.pairs.begin(), node.pairs.end(), pairOrder);
  }
  std::sort(quotaOrder_.begin(), quotaOrder_.end(),
            [this](NodeIdx l, NodeIdx r) { return quotaLess(l, r); });
}

}  // namespace plexus::drf
