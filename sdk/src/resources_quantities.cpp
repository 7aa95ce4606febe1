// ResourceQuantities: scalar sums per name, kept sorted by name.
#include <algorithm>
#include <limits>

#include <plexus/resources.hpp>

namespace plexus {

namespace {

// Saturating, like Resources' own scalar arithmetic.
std::int64_t addMillis(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::numeric_limits<std::int64_t>::max();
  return sum;
}

}  // namespace

Result<ResourceQuantities> ResourceQuantities::parse(std::string_view text) {
  auto resources = Resources::parseText(text);
  if (!resources) return fail(resources.error());
  ResourceQuantities result;
  for (const Resource& resource : *resources) {
    if (resource.type() != ValueType::kScalar) {
      return fail("invalid quantity '" + resource.toString() + "': only scalar values are allowed");
    }
    if (resource.isReserved()) {
      return fail("invalid quantity '" + resource.toString() + "': quantities have no role");
    }
    result.add(resource.name(), resource.scalarMillis());
  }
  return result;
}

double ResourceQuantities::get(std::string_view name) const noexcept {
  return static_cast<double>(getMillis(name)) / Resource::kScalarScale;
}

std::int64_t ResourceQuantities::getMillis(std::string_view name) const noexcept {
  for (const Quantity& q : quantities_) {
    if (q.name == name) return q.millis;
    if (q.name > name) break;
  }
  return 0;
}

void ResourceQuantities::add(std::string_view name, std::int64_t millis) {
  if (millis <= 0) return;
  auto it = std::lower_bound(quantities_.begin(), quantities_.end(), name,
                             [](const Quantity& q, std::string_view n) { return q.name < n; });
  if (it != quantities_.end() && it->name == name) {
    it->millis = addMillis(it->millis, millis);
  } else {
    quantities_.insert(it, Quantity{std::string(name), millis});
  }
}

bool ResourceQuantities::contains(const ResourceQuantities& other) const noexcept {
  for (const Quantity& q : other.quantities_) {
    if (getMillis(q.name) < q.millis) return false;
  }
  return true;
}

ResourceQuantities& ResourceQuantities::operator+=(const ResourceQuantities& other) {
  if (this == &other) {
    for (Quantity& q : quantities_)
      q.millis = addMillis(q.millis, q.millis);
    return *this;
  }
  for (const Quantity& q : other.quantities_)
    add(q.name, q.millis);
  return *this;
}

ResourceQuantities& ResourceQuantities::operator-=(const ResourceQuantities& other) {
  if (this == &other) {
    quantities_.clear();
    return *this;
  }
  for (const Quantity& q : other.quantities_) {
    auto it = std::lower_bound(quantities_.begin(), quantities_.end(), q.name,
                               [](const Quantity& a, std::string_view n) { return a.name < n; });
    if (it == quantities_.end() || it->name != q.name) continue;
    if (it->millis <= q.millis) {
      quantities_.erase(it);
    } else {
      it->millis -= q.millis;
    }
  }
  return *this;
}

}  // namespace plexus
