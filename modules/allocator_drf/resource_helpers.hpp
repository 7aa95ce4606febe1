// Small Resources helpers shared by the allocator's source files.
#pragma once

#include <plexus/resources.hpp>

namespace plexus::drf {

inline Resources unallocatedCopy(Resources resources) {
  resources.unallocate();
  return resources;
}

// The part of `wanted` that `available` (unallocated resources) can cover, each
// resource counted once across roles. Entries of `wanted` keep their allocation
// role, or lack of one.
inline Resources coveredBy(Resources available, const Resources& wanted) {
  const Resources unallocated = wanted.unallocated();
  Resources covered = unallocated - (unallocated - available);
  available -= covered;
  for (const auto& [role, part] : wanted.allocations()) {
    Resources candidates = available;
    candidates.allocate(role);
    Resources got = part - (part - candidates);
    covered += got;
    available -= unallocatedCopy(got);
  }
  return covered;
}

// The part of `wanted` that `held` contains.
inline Resources intersection(const Resources& held, const Resources& wanted) {
  return held - (held - wanted);
}

}  // namespace plexus::drf
