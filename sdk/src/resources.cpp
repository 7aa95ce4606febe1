// Resource and Resources: identity, value arithmetic, canonical form and lookups.
// Parsing is in resources_parse.cpp, the wire format and validation in
// resources_wire.cpp, printing in resources_print.cpp, ResourceQuantities in
// resources_quantities.cpp, filters, reservations, allocations and role names in
// resources_roles.cpp.
#include <algorithm>
#include <cmath>
#include <limits>

#include <plexus/resources.hpp>

namespace plexus {

namespace {

const std::string kStarRole = "*";
const std::string kEmptyString;
const std::vector<Reservation> kNoReservations;
const std::optional<std::string> kNoString;

// Saturating add for scalar thousandths: allocators sum many agents.
std::int64_t addMillis(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::numeric_limits<std::int64_t>::max();
  return sum;
}

bool labelsEqual(const std::optional<std::vector<Label>>& a,
                 const std::optional<std::vector<Label>>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->size() == b->size() && std::is_permutation(a->begin(), a->end(), b->begin());
}

// Union of two sorted, coalesced range lists into `out` (cleared first); the
// result is sorted and coalesced (adjacent ranges such as [1-2] and [3-4] become
// [1-4], as in Mesos).
void unionRanges(const std::vector<Range>& a, const std::vector<Range>& b,
                 std::vector<Range>& out) {
  out.clear();
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const Range& next =
        (j == b.size() || (i < a.size() && a[i].begin <= b[j].begin)) ? a[i++] : b[j++];
    if (!out.empty() && (out.back().end == std::numeric_limits<std::uint64_t>::max() ||
                         next.begin <= out.back().end + 1)) {
      out.back().end = std::max(out.back().end, next.end);
    } else {
      out.push_back(next);
    }
  }
}

std::vector<Range> unionRanges(const std::vector<Range>& a, const std::vector<Range>& b) {
  std::vector<Range> out;
  out.reserve(a.size() + b.size());
  unionRanges(a, b, out);
  return out;
}

// a \ b for sorted, coalesced lists, into `out` (cleared first).
void subtractRanges(const std::vector<Range>& a, const std::vector<Range>& b,
                    std::vector<Range>& out) {
  out.clear();
  std::size_t j = 0;
  for (Range current : a) {
    bool alive = true;
    while (j < b.size() && b[j].end < current.begin)
      ++j;
    for (std::size_t k = j; k < b.size() && b[k].begin <= current.end; ++k) {
      if (b[k].begin > current.begin) out.push_back({current.begin, b[k].begin - 1});
      if (b[k].end >= current.end) {
        alive = false;
        break;
      }
      current.begin = b[k].end + 1;
    }
    if (alive) out.push_back(current);
  }
}

// Range arithmetic on an entry goes through a per-thread scratch buffer and is
// copied back, so that steady-state offer/recover cycles reuse the entry's
// capacity instead of allocating a new vector each time.
std::vector<Range>& scratchRanges() {
  thread_local std::vector<Range> scratch;
  return scratch;
}

// b is a subset of a (both sorted, coalesced): each range of b lies in one of a.
bool containsRanges(const std::vector<Range>& a, const std::vector<Range>& b) {
  std::size_t i = 0;
  for (const Range& r : b) {
    while (i < a.size() && a[i].end < r.begin)
      ++i;
    if (i == a.size() || a[i].begin > r.begin || a[i].end < r.end) return false;
  }
  return true;
}

std::vector<std::string> unionItems(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<std::string> subtractItems(const std::vector<std::string>& a,
                                       const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Reservation

Reservation Reservation::makeStatic(std::string role) {
  Reservation r;
  r.type = Type::kStatic;
  r.role = std::move(role);
  return r;
}

Reservation Reservation::makeDynamic(std::string role, std::optional<std::string> principal,
                                     std::optional<std::vector<Label>> labels) {
  Reservation r;
  r.type = Type::kDynamic;
  r.role = std::move(role);
  r.principal = std::move(principal);
  r.labels = std::move(labels);
  return r;
}

bool operator==(const Reservation& left, const Reservation& right) {
  return left.type == right.type && left.role == right.role && left.principal == right.principal &&
         labelsEqual(left.labels, right.labels);
}

// ---------------------------------------------------------------------------
// Resource: construction

Result<Resource> Resource::makeScalar(std::string_view name, double value) {
  if (name.empty()) return fail("invalid resource: empty name");
  if (!std::isfinite(value))
    return fail("invalid resource '" + std::string(name) + "': value is not finite");
  if (value < 0) return fail("invalid resource '" + std::string(name) + "': value is negative");
  if (value > kMaxScalar)
    return fail("invalid resource '" + std::string(name) + "': value is too large");
  Resource r;
  r.name_ = std::string(name);
  r.type_ = ValueType::kScalar;
  r.millis_ = std::llround(value * kScalarScale);
  return r;
}

Result<Resource> Resource::makeRanges(std::string_view name, std::vector<Range> ranges) {
  if (name.empty()) return fail("invalid resource: empty name");
  for (const Range& range : ranges) {
    if (range.begin > range.end) {
      return fail("invalid resource '" + std::string(name) + "': range " +
                  std::to_string(range.begin) + "-" + std::to_string(range.end) +
                  " has begin > end");
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  Resource r;
  r.name_ = std::string(name);
  r.type_ = ValueType::kRanges;
  r.ranges_ = unionRanges(ranges, {});
  return r;
}

Result<Resource> Resource::makeSet(std::string_view name, std::vector<std::string> items) {
  if (name.empty()) return fail("invalid resource: empty name");
  std::sort(items.begin(), items.end());
  auto duplicate = std::adjacent_find(items.begin(), items.end());
  if (duplicate != items.end()) {
    return fail("invalid resource '" + std::string(name) + "': duplicate item '" + *duplicate +
                "' in set");
  }
  Resource r;
  r.name_ = std::string(name);
  r.type_ = ValueType::kSet;
  r.items_ = std::move(items);
  return r;
}

// ---------------------------------------------------------------------------
// Resource: accessors

const std::vector<Reservation>& Resource::reservations() const noexcept {
  return details_ ? details_->reservations : kNoReservations;
}

const std::string& Resource::reservationRole() const noexcept {
  return isReserved() ? details_->reservations.back().role : kStarRole;
}

bool Resource::isDynamicallyReserved() const noexcept {
  return isReserved() && details_->reservations.back().type == Reservation::Type::kDynamic;
}

bool Resource::isAllocatableTo(std::string_view role) const noexcept {
  if (!isReserved()) return true;
  const std::string& reserved = details_->reservations.back().role;
  return role == reserved || Resources::isStrictSubrole(role, reserved);
}

const std::optional<std::string>& Resource::allocationRole() const noexcept {
  return details_ ? details_->allocationRole : kNoString;
}

const std::string& Resource::diskInfo() const noexcept {
  return hasDisk() ? *details_->disk : kEmptyString;
}

const std::optional<std::string>& Resource::providerId() const noexcept {
  return details_ ? details_->providerId : kNoString;
}

// ---------------------------------------------------------------------------
// Resource: identity edits

Resource::Details& Resource::mutableDetails() {
  // Copy on write: other Resource copies may share the current Details.
  auto copy = details_ ? std::make_shared<Details>(*details_) : std::make_shared<Details>();
  Details& ref = *copy;
  details_ = std::move(copy);
  return ref;
}

void Resource::dropDetailsIfEmpty() {
  if (details_ && details_->reservations.empty() && !details_->allocationRole && !details_->disk &&
      !details_->providerId) {
    details_.reset();
  }
}

Result<void> Resource::pushReservation(const Reservation& reservation) {
  if (reservation.role == "*") return fail("invalid reservation: role '*' cannot be reserved");
  if (auto valid = Resources::validateRole(reservation.role); !valid) {
    return fail(valid.error().context("invalid reservation"));
  }
  if (isReserved()) {
    const std::string& current = reservationRole();
    if (reservation.type != Reservation::Type::kDynamic) {
      return fail("invalid refined reservation: a refined reservation cannot be STATIC");
    }
    if (!Resources::isStrictSubrole(reservation.role, current)) {
      return fail("invalid refined reservation: role '" + reservation.role +
                  "' is not a refinement of '" + current + "'");
    }
  }
  mutableDetails().reservations.push_back(reservation);
  return {};
}

Result<void> Resource::popReservation() {
  if (!isReserved())
    return fail("cannot pop a reservation of unreserved resource '" + toString() + "'");
  mutableDetails().reservations.pop_back();
  dropDetailsIfEmpty();
  return {};
}

void Resource::allocate(std::string_view role) {
  if (details_ && details_->allocationRole == role) return;
  mutableDetails().allocationRole = std::string(role);
}

void Resource::unallocate() {
  if (!details_ || !details_->allocationRole) return;
  mutableDetails().allocationRole.reset();
  dropDetailsIfEmpty();
}

void Resource::setRevocable(bool revocable) {
  revocable_ = revocable;
}

// ---------------------------------------------------------------------------
// Resource: comparison and arithmetic

bool Resource::Details::operator==(const Details& other) const {
  return reservations == other.reservations && allocationRole == other.allocationRole &&
         disk == other.disk && providerId == other.providerId;
}

bool operator==(const Resource& left, const Resource& right) noexcept {
  return left.sameIdentity(right) && left.sameValue(right) &&
         left.sharedCount_ == right.sharedCount_;
}

void Resource::addValue(const Resource& other) {
  switch (type_) {
    case ValueType::kScalar:
      millis_ = addMillis(millis_, other.millis_);
      break;
    case ValueType::kRanges: {
      if (other.ranges_.empty()) break;
      std::vector<Range>& scratch = scratchRanges();
      unionRanges(ranges_, other.ranges_, scratch);
      ranges_.assign(scratch.begin(), scratch.end());
      break;
    }
    case ValueType::kSet:
      if (!std::includes(items_.begin(), items_.end(), other.items_.begin(), other.items_.end())) {
        items_ = unionItems(items_, other.items_);
      }
      break;
  }
}

void Resource::subtractValue(const Resource& other) {
  switch (type_) {
    case ValueType::kScalar:
      millis_ = std::max<std::int64_t>(0, millis_ - other.millis_);
      break;
    case ValueType::kRanges: {
      if (other.ranges_.empty()) break;
      std::vector<Range>& scratch = scratchRanges();
      subtractRanges(ranges_, other.ranges_, scratch);
      ranges_.assign(scratch.begin(), scratch.end());
      break;
    }
    case ValueType::kSet:
      items_ = subtractItems(items_, other.items_);
      break;
  }
}

bool Resource::containsValue(const Resource& other) const {
  switch (type_) {
    case ValueType::kScalar:
      return other.millis_ <= millis_;
    case ValueType::kRanges:
      return containsRanges(ranges_, other.ranges_);
    case ValueType::kSet:
      return std::includes(items_.begin(), items_.end(), other.items_.begin(), other.items_.end());
  }
  return false;
}

// ---------------------------------------------------------------------------
// Resources: canonical form

Resource* Resources::findAddable(const Resource& resource) {
  switch (resource.kind()) {
    case Resource::Kind::kDivisible:
      for (Resource& entry : entries_) {
        if (entry.sameIdentity(resource)) return &entry;
      }
      return nullptr;
    case Resource::Kind::kShared:
      for (Resource& entry : entries_) {
        if (entry.sameIdentity(resource) && entry.sameValue(resource)) return &entry;
      }
      return nullptr;
    case Resource::Kind::kIndivisible:
      return nullptr;
  }
  return nullptr;
}

void Resources::addEntry(const Resource& resource) {
  if (resource.empty()) return;
  if (Resource* target = findAddable(resource)) {
    if (resource.shared_) {
      target->sharedCount_ += resource.sharedCount_;
    } else {
      target->addValue(resource);
    }
    return;
  }
  entries_.push_back(resource);
}

void Resources::addEntry(Resource&& resource) {
  if (resource.empty()) return;
  if (Resource* target = findAddable(resource)) {
    if (resource.shared_) {
      target->sharedCount_ += resource.sharedCount_;
    } else {
      target->addValue(resource);
    }
    return;
  }
  entries_.push_back(std::move(resource));
}

void Resources::subtractEntry(const Resource& resource) {
  if (resource.empty()) return;
  const Resource::Kind kind = resource.kind();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!it->sameIdentity(resource)) continue;
    if (kind == Resource::Kind::kDivisible) {
      it->subtractValue(resource);
      if (it->empty()) entries_.erase(it);
      return;
    }
    if (!it->sameValue(resource)) continue;
    if (kind == Resource::Kind::kShared && it->sharedCount_ > resource.sharedCount_) {
      it->sharedCount_ -= resource.sharedCount_;
    } else {
      entries_.erase(it);
    }
    return;
  }
}

bool Resources::containsEntry(const Resource& resource, const Resources& all) const {
  if (resource.empty()) return true;
  switch (resource.kind()) {
    case Resource::Kind::kDivisible:
      for (const Resource& entry : entries_) {
        if (entry.sameIdentity(resource)) return entry.containsValue(resource);
      }
      return false;
    case Resource::Kind::kShared:
      for (const Resource& entry : entries_) {
        if (entry.sameIdentity(resource) && entry.sameValue(resource)) {
          return entry.sharedCount_ >= resource.sharedCount_;
        }
      }
      return false;
    case Resource::Kind::kIndivisible: {
      // Indivisible disks may repeat: compare multiplicities.
      auto count = [&](const std::vector<Resource>& entries) {
        return std::count_if(entries.begin(), entries.end(),
                             [&](const Resource& e) { return e == resource; });
      };
      return count(entries_) >= count(all.entries_);
    }
  }
  return false;
}

void Resources::recanonicalize() {
  if (entries_.size() < 2) return;
  std::vector<Resource> old = std::move(entries_);
  entries_.clear();
  entries_.reserve(old.size());
  for (Resource& resource : old)
    addEntry(std::move(resource));
}

Resources& Resources::operator+=(const Resource& resource) {
  addEntry(resource);
  return *this;
}

Resources& Resources::operator+=(Resource&& resource) {
  addEntry(std::move(resource));
  return *this;
}

Resources& Resources::operator+=(const Resources& other) {
  if (this == &other) {
    Resources copy = other;
    return *this += copy;
  }
  entries_.reserve(entries_.size() + other.entries_.size());
  for (const Resource& resource : other.entries_)
    addEntry(Resource(resource));
  return *this;
}

Resources& Resources::operator-=(const Resource& resource) {
  subtractEntry(resource);
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  if (this == &other) {
    entries_.clear();
    return *this;
  }
  for (const Resource& resource : other.entries_) {
    if (entries_.empty()) break;
    subtractEntry(resource);
  }
  return *this;
}

bool Resources::contains(const Resource& other) const {
  return containsEntry(other, Resources(other));
}

bool Resources::contains(const Resources& other) const {
  for (const Resource& resource : other.entries_) {
    if (!containsEntry(resource, other)) return false;
  }
  return true;
}

bool Resources::contains(const ResourceQuantities& quantities) const {
  for (const auto& quantity : quantities) {
    // Compare in thousandths; ranges and sets count their elements.
    std::int64_t have = 0;
    const std::int64_t want = quantity.millis;
    for (const Resource& resource : entries_) {
      if (have >= want) break;
      if (resource.name() != quantity.name) continue;
      switch (resource.type()) {
        case ValueType::kScalar:
          have = addMillis(have, resource.scalarMillis());
          break;
        case ValueType::kSet:
          have = addMillis(
              have, static_cast<std::int64_t>(resource.set().size()) * Resource::kScalarScale);
          break;
        case ValueType::kRanges:
          for (const Range& range : resource.ranges()) {
            const std::uint64_t length = range.end - range.begin;  // + 1 below, may overflow
            const std::uint64_t cap =
                std::numeric_limits<std::int64_t>::max() / Resource::kScalarScale;
            const std::int64_t count = length >= cap ? static_cast<std::int64_t>(cap)
                                                     : static_cast<std::int64_t>(length + 1);
            have = addMillis(have, count * Resource::kScalarScale);
          }
          break;
      }
    }
    if (have < want) return false;
  }
  return true;
}

bool operator==(const Resources& left, const Resources& right) {
  return left.size() == right.size() && left.contains(right) && right.contains(left);
}

// ---------------------------------------------------------------------------
// Resources: lookups

std::optional<double> Resources::scalar(std::string_view name) const {
  std::optional<std::int64_t> total;
  for (const Resource& resource : entries_) {
    if (resource.type() == ValueType::kScalar && resource.name() == name) {
      total = addMillis(total.value_or(0), resource.scalarMillis());
    }
  }
  if (!total) return std::nullopt;
  return static_cast<double>(*total) / Resource::kScalarScale;
}

std::optional<std::vector<Range>> Resources::ranges(std::string_view name) const {
  std::optional<std::vector<Range>> total;
  for (const Resource& resource : entries_) {
    if (resource.type() == ValueType::kRanges && resource.name() == name) {
      total = total ? unionRanges(*total, resource.ranges()) : resource.ranges();
    }
  }
  return total;
}

std::optional<std::vector<std::string>> Resources::set(std::string_view name) const {
  std::optional<std::vector<std::string>> total;
  for (const Resource& resource : entries_) {
    if (resource.type() == ValueType::kSet && resource.name() == name) {
      total = total ? unionItems(*total, resource.set()) : resource.set();
    }
  }
  return total;
}

std::vector<std::string> Resources::names() const {
  std::vector<std::string> names;
  for (const Resource& resource : entries_)
    names.push_back(resource.name());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

ResourceQuantities Resources::quantities() const {
  ResourceQuantities result;
  result.quantities_.reserve(entries_.size());
  for (const Resource& resource : entries_) {
    if (resource.type() == ValueType::kScalar) result.add(resource.name(), resource.scalarMillis());
  }
  return result;
}

}  // namespace plexus
