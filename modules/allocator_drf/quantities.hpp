// Scalar quantities as dense vectors, for the allocator's hot paths.
//
// ResourceQuantities keeps names as strings; the allocator compares and adds
// quantities millions of times per cycle, so it interns every scalar name it
// meets into a slot (ScalarSlots) and keeps quantities as a vector of
// thousandths indexed by slot (QVec). A QVec may be shorter than the number of
// slots: missing slots are zero. Not thread-safe; the allocator's loop only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include <plexus/resources.hpp>

namespace plexus::drf {

// Inline storage for the usual handful of names: no heap allocation per vector.
using QVec = boost::container::small_vector<std::int64_t, 6>;

inline constexpr std::int64_t kUnlimited = std::numeric_limits<std::int64_t>::max();

class ScalarSlots {
 public:
  // The slot of `name`, added if new.
  std::size_t slotOf(std::string_view name) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    names_.emplace_back(name);
    excluded_.push_back(excludedNames_.contains(names_.back()));
    return names_.size() - 1;
  }
  // The slot of `name`, or size() when unknown.
  std::size_t find(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    return names_.size();
  }
  std::size_t size() const { return names_.size(); }
  const std::string& name(std::size_t slot) const { return names_[slot]; }
  bool excluded(std::size_t slot) const { return excluded_[slot]; }
  void setExcluded(std::set<std::string> names) {
    excludedNames_ = std::move(names);
    for (std::size_t i = 0; i < names_.size(); ++i) {
      excluded_[i] = excludedNames_.contains(names_[i]);
    }
  }

 private:
  std::vector<std::string> names_;
  std::vector<bool> excluded_;
  std::set<std::string> excludedNames_;
};

inline std::int64_t at(const QVec& q, std::size_t slot) {
  return slot < q.size() ? q[slot] : 0;
}

inline void addTo(QVec& into, const QVec& q) {
  if (into.size() < q.size()) into.resize(q.size(), 0);
  for (std::size_t i = 0; i < q.size(); ++i)
    into[i] += q[i];
}

// Subtracts, flooring at zero.
inline void subtractFrom(QVec& from, const QVec& q) {
  const std::size_t n = std::min(from.size(), q.size());
  for (std::size_t i = 0; i < n; ++i)
    from[i] = std::max<std::int64_t>(0, from[i] - q[i]);
}

inline bool isZero(const QVec& q) {
  return std::all_of(q.begin(), q.end(), [](std::int64_t v) { return v == 0; });
}

// Every slot of `small` is <= the same slot of `big`.
inline bool containsQ(const QVec& big, const QVec& small) {
  for (std::size_t i = 0; i < small.size(); ++i) {
    if (small[i] > at(big, i)) return false;
  }
  return true;
}

// The scalar entries of `resources` that `predicate` accepts, summed by slot.
template <typename Predicate>
QVec toQVec(const Resources& resources, ScalarSlots& slots, Predicate&& predicate) {
  QVec q;
  for (const Resource& resource : resources) {
    if (resource.type() != ValueType::kScalar || !predicate(resource)) continue;
    const std::size_t slot = slots.slotOf(resource.name());
    if (q.size() <= slot) q.resize(slot + 1, 0);
    q[slot] += resource.scalarMillis();
  }
  return q;
}

inline QVec toQVec(const Resources& resources, ScalarSlots& slots) {
  return toQVec(resources, slots, [](const Resource&) { return true; });
}

// Unreserved, non-revocable scalars: what quota and headroom count.
inline QVec unreservedQVec(const Resources& resources, ScalarSlots& slots) {
  return toQVec(resources, slots,
                [](const Resource& r) { return !r.isReserved() && !r.isRevocable(); });
}

inline QVec toQVec(const ResourceQuantities& quantities, ScalarSlots& slots) {
  QVec q;
  for (const auto& quantity : quantities) {
    const std::size_t slot = slots.slotOf(quantity.name);
    if (q.size() <= slot) q.resize(slot + 1, 0);
    q[slot] += quantity.millis;
  }
  return q;
}

// max over non-excluded slots of held / total.
inline double dominantShare(const QVec& held, const QVec& total, const ScalarSlots& slots) {
  double share = 0;
  const std::size_t n = std::min(held.size(), total.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (held[i] <= 0 || total[i] <= 0 || slots.excluded(i)) continue;
    share = std::max(share, static_cast<double>(held[i]) / static_cast<double>(total[i]));
  }
  return share;
}

}  // namespace plexus::drf
