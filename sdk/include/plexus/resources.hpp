// Resources: what an agent offers and what a task consumes, with Mesos's rules.
//
// A `Resources` is a bag of `Resource` entries (cpus, mem, disk, ports, gpus or any
// custom name). Scalars are fixed point with three decimals (0.1 + 0.2 == 0.3),
// ranges are sorted, coalesced [begin, end] intervals, sets are sorted unique
// strings. An entry's identity is its name, type, reservation stack, allocation
// role, revocable/shared markers, disk info and resource provider; entries with
// the same identity merge on `+`. The master, the agents and the allocators use it
// for offers, tasks and accounting; `Resources::parse` reads the agent's
// `--resources` flag (Mesos text or JSON).
// Thread-safety: a plain value type, not synchronized. Copies are cheap (no protobuf
// inside) and independent; use one object from one thread at a time.
// Errors: parsing and wire conversion return `Result<...>` with a message that names
// the bad token. Arithmetic never fails: subtraction floors at zero.
//
//   auto agent = plexus::Resources::parse("cpus:4;mem:8192;ports:[31000-32000]");
//   auto task = plexus::Resources::parse("cpus:1;mem:512");
//   if (agent && task && agent->contains(*task)) *agent -= *task;
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace google::protobuf {
template <typename Element>
class RepeatedPtrField;
}  // namespace google::protobuf

namespace plexus::v1 {
class Resource;
}  // namespace plexus::v1

namespace plexus {

// The value kinds a resource can have; numbers equal `v1::Value::Type`. TEXT is
// not a valid resource type (Mesos rejects it too).
enum class ValueType : std::uint8_t { kScalar = 0, kRanges = 1, kSet = 2 };

// One closed interval [begin, end] of a RANGES value; begin <= end.
struct Range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  friend bool operator==(const Range&, const Range&) = default;
};

// One `v1::Label`: a key and an optional value.
struct Label {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const Label&, const Label&) = default;
};

// One entry of a resource's reservation stack (`v1::Resource.ReservationInfo`).
// The first entry may be STATIC (from the agent's flags) or DYNAMIC; every later
// entry is a DYNAMIC refinement to a strict sub-role of the one before.
struct PLEXUS_API Reservation {
  enum class Type : std::uint8_t { kStatic = 1, kDynamic = 2 };

  Type type = Type::kStatic;
  std::string role;
  std::optional<std::string> principal;
  std::optional<std::vector<Label>> labels;

  static Reservation makeStatic(std::string role);
  static Reservation makeDynamic(std::string role,
                                 std::optional<std::string> principal = std::nullopt,
                                 std::optional<std::vector<Label>> labels = std::nullopt);

  // Equal type, role, principal (presence included) and labels (as a multiset).
  friend PLEXUS_API bool operator==(const Reservation& left, const Reservation& right);
};

// How `toWire` writes reservations. kPostRefinement writes only `reservations`
// (what Plexus and Mesos >= 1.4 read). kEndpoint also fills the deprecated
// `role`/`reservation` fields when there is exactly one reservation, as Mesos does
// for its HTTP endpoints and for clients that predate reservation refinement.
enum class WireFormat : std::uint8_t { kPostRefinement, kEndpoint };

// A single resource entry: an identity and a non-negative value. Obtained from the
// factories, from parsing, from the wire, or by iterating a `Resources`.
// Invariant: valid by Mesos's rules (non-empty name, value matching the type,
// well-formed reservation stack, valid role names).
class PLEXUS_API Resource {
 public:
  // Scalars are stored in thousandths; this is the scale.
  static constexpr std::int64_t kScalarScale = 1000;
  // The largest scalar value accepted from input (sums saturate above it).
  static constexpr double kMaxScalar = 9e15;

  // Unreserved, unallocated resources. Expects a non-empty name; a scalar that is
  // finite, >= 0 and <= kMaxScalar (rounded to the nearest thousandth); ranges
  // with begin <= end (any order, overlaps coalesced); set items without
  // duplicates. Returns an error naming the offending value otherwise.
  [[nodiscard]] static Result<Resource> makeScalar(std::string_view name, double value);
  [[nodiscard]] static Result<Resource> makeRanges(std::string_view name,
                                                   std::vector<Range> ranges);
  [[nodiscard]] static Result<Resource> makeSet(std::string_view name,
                                                std::vector<std::string> items);

  // Validates a wire resource with Mesos's rules (`Resources::validate`) and
  // converts it. Accepts both reservation formats: the deprecated `role` (with or
  // without `reservation`) becomes a one-entry reservation stack, STATIC unless
  // `reservation` is set. Scalars are rounded to the nearest thousandth.
  [[nodiscard]] static Result<Resource> fromWire(const v1::Resource& wire);

  // Overwrites `*wire` with this resource (one copy, even if shared count > 1).
  void toWire(v1::Resource* wire, WireFormat format = WireFormat::kPostRefinement) const;

  const std::string& name() const noexcept { return name_; }
  ValueType type() const noexcept { return type_; }
  // The scalar value (0 unless type() is kScalar), exact to three decimals.
  double scalar() const noexcept { return static_cast<double>(millis_) / kScalarScale; }
  std::int64_t scalarMillis() const noexcept { return millis_; }
  // Sorted, coalesced (no two ranges overlap or touch); empty unless kRanges.
  const std::vector<Range>& ranges() const noexcept { return ranges_; }
  // Sorted, unique; empty unless kSet.
  const std::vector<std::string>& set() const noexcept { return items_; }
  // True when the value is zero / has no ranges / has no items.
  bool empty() const noexcept;

  // The reservation stack, oldest first; empty when unreserved.
  const std::vector<Reservation>& reservations() const noexcept;
  bool isReserved() const noexcept { return details_ && !details_->reservations.empty(); }
  // The role the resource is reserved to (the last reservation's), "*" if unreserved.
  const std::string& reservationRole() const noexcept;
  // True when the last reservation is DYNAMIC.
  bool isDynamicallyReserved() const noexcept;
  // Unreserved, or reserved to `role` or to an ancestor of it ("eng" for "eng/web").
  bool isAllocatableTo(std::string_view role) const noexcept;

  // `allocation_info.role`: the role this resource is allocated (offered) to.
  const std::optional<std::string>& allocationRole() const noexcept;
  bool isRevocable() const noexcept { return revocable_; }
  bool isShared() const noexcept { return shared_; }
  // How many copies of a shared resource this entry stands for (1 if not shared).
  std::uint32_t sharedCount() const noexcept { return sharedCount_; }
  bool hasDisk() const noexcept { return details_ && details_->disk.has_value(); }
  // The serialized `v1::Resource.DiskInfo`, empty when hasDisk() is false.
  const std::string& diskInfo() const noexcept;
  // A disk with `disk.persistence` set.
  bool isPersistentVolume() const noexcept { return persistent_; }
  // `provider_id.value` when the resource comes from a resource provider.
  const std::optional<std::string>& providerId() const noexcept;

  // Identity edits. Each keeps the value and validates like fromWire:
  // pushReservation expects a valid role other than "*" and, if the resource is
  // already reserved, a DYNAMIC reservation to a strict sub-role of the current
  // role; popReservation expects a reserved resource.
  [[nodiscard]] Result<void> pushReservation(const Reservation& reservation);
  [[nodiscard]] Result<void> popReservation();
  void allocate(std::string_view role);
  void unallocate();
  void setRevocable(bool revocable);

  // Same identity: entries that would merge on `+` (for non-shared, divisible ones).
  bool sameIdentity(const Resource& other) const noexcept;
  // Same identity, value and shared count.
  friend PLEXUS_API bool operator==(const Resource& left, const Resource& right) noexcept;

  // Mesos's text style, e.g. `cpus(eng):4`, `ports:[1-10, 20-30]`,
  // `cpus(allocated: web)(reservations: [(STATIC,eng),(DYNAMIC,eng/web,alice)]){REV}:0.5`.
  // Round-trips through Resources::parse unless the resource has disk info, is
  // shared, or has labels or a principal with text-format punctuation.
  std::string toString() const;
  friend PLEXUS_API std::ostream& operator<<(std::ostream& stream, const Resource& resource);

 private:
  friend class Resources;

  // Only the factories make Resources: an empty name would break the invariant.
  Resource() = default;

  // The rarely-set parts of the identity. Immutable once shared between copies,
  // so copying a Resource copies a pointer, and identical identities often
  // compare by address.
  struct Details {
    std::vector<Reservation> reservations;
    std::optional<std::string> allocationRole;
    std::optional<std::string> disk;
    std::optional<std::string> providerId;
    bool operator==(const Details&) const;
  };

  // How entries combine. Shared volumes count copies; non-shared persistent
  // volumes and MOUNT/BLOCK disks never merge or split; everything else does.
  enum class Kind : std::uint8_t { kDivisible, kShared, kIndivisible };
  Kind kind() const noexcept;

  // fromWire without the "invalid resource 'name': " prefix on errors.
  static Result<Resource> convertWire(const v1::Resource& wire);
  Details& mutableDetails();
  void dropDetailsIfEmpty();
  bool sameValue(const Resource& other) const noexcept;
  // Value arithmetic for entries of the same identity.
  void addValue(const Resource& other);
  void subtractValue(const Resource& other);
  bool containsValue(const Resource& other) const;

  std::string name_;
  ValueType type_ = ValueType::kScalar;
  bool revocable_ = false;
  bool shared_ = false;
  bool persistent_ = false;
  bool exclusiveDisk_ = false;
  std::uint32_t sharedCount_ = 1;
  std::int64_t millis_ = 0;
  std::vector<Range> ranges_;
  std::vector<std::string> items_;
  std::shared_ptr<const Details> details_;
};

// Scalar quantities per name, reservations and other identity ignored: what the
// allocator's sorters, quota and `--min_allocatable_resources` work with. Kept
// sorted by name; zero quantities are dropped. A plain value type like Resources.
class PLEXUS_API ResourceQuantities {
 public:
  struct Quantity {
    std::string name;
    std::int64_t millis = 0;
    double value() const noexcept { return static_cast<double>(millis) / Resource::kScalarScale; }
    friend bool operator==(const Quantity&, const Quantity&) = default;
    friend PLEXUS_API std::ostream& operator<<(std::ostream& stream, const Quantity& quantity);
  };
  using const_iterator = std::vector<Quantity>::const_iterator;

  // Parses `cpus:0.01;mem:32` (scalars only, >= 0; zeros dropped).
  [[nodiscard]] static Result<ResourceQuantities> parse(std::string_view text);

  // The quantity of `name`, 0 when absent.
  double get(std::string_view name) const noexcept;
  std::int64_t getMillis(std::string_view name) const noexcept;
  // Adds `millis` thousandths (>= 0) of `name`.
  void add(std::string_view name, std::int64_t millis);

  bool empty() const noexcept { return quantities_.empty(); }
  std::size_t size() const noexcept { return quantities_.size(); }
  const_iterator begin() const noexcept { return quantities_.begin(); }
  const_iterator end() const noexcept { return quantities_.end(); }

  // Every quantity of `other` is <= the same quantity here.
  bool contains(const ResourceQuantities& other) const noexcept;
  ResourceQuantities& operator+=(const ResourceQuantities& other);
  // Floors at zero and drops zero entries.
  ResourceQuantities& operator-=(const ResourceQuantities& other);
  friend ResourceQuantities operator+(ResourceQuantities left, const ResourceQuantities& right) {
    return left += right;
  }
  friend ResourceQuantities operator-(ResourceQuantities left, const ResourceQuantities& right) {
    return left -= right;
  }
  friend bool operator==(const ResourceQuantities&, const ResourceQuantities&) = default;

  // `cpus:1.5; mem:32`, names in order.
  std::string toString() const;
  friend PLEXUS_API std::ostream& operator<<(std::ostream& stream,
                                             const ResourceQuantities& quantities);

 private:
  friend class Resources;
  std::vector<Quantity> quantities_;
};

// A bag of resources in canonical form: no empty entries, and at most one entry
// per identity (except that indivisible disks repeat and shared volumes keep one
// entry per value with a count). Insertion order is kept for printing.
class PLEXUS_API Resources {
 public:
  using const_iterator = std::vector<Resource>::const_iterator;

  Resources() = default;
  explicit Resources(const Resource& resource) { *this += resource; }

  // Parses the agent's `--resources` flag: JSON when the text is a JSON array of
  // v1 Resource objects, Mesos's text format otherwise (`cpus:4;mem:8192;
  // ports:[31000-32000];disk(role1):100;foo:{a,b}`, role `*` meaning unreserved;
  // plus the annotations toString() prints). Resources without an explicit role
  // get a STATIC reservation to `defaultRole` unless it is "*". Empty entries are
  // dropped. The error names the bad token, e.g.
  // `invalid resource 'cpus:abc': 'abc' is not a number`.
  [[nodiscard]] static Result<Resources> parse(std::string_view text,
                                               std::string_view defaultRole = "*");
  [[nodiscard]] static Result<Resources> parseText(std::string_view text,
                                                   std::string_view defaultRole = "*");
  [[nodiscard]] static Result<Resources> parseJson(std::string_view text,
                                                   std::string_view defaultRole = "*");

  // Validates and converts every entry (see Resource::fromWire); the error says
  // which entry failed.
  [[nodiscard]] static Result<Resources> fromWire(
      const google::protobuf::RepeatedPtrField<v1::Resource>& wire);
  // Replaces `*wire` with these resources, a shared entry once per copy held, so
  // that fromWire(toWire(r)) == r.
  void toWire(google::protobuf::RepeatedPtrField<v1::Resource>* wire,
              WireFormat format = WireFormat::kPostRefinement) const;

  bool empty() const noexcept { return entries_.empty(); }
  // The number of entries (not of names: reserved and unreserved cpus are two).
  std::size_t size() const noexcept { return entries_.size(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }

  // Everything in `other` is here: for each identity, a scalar at least as large,
  // a superset of ranges or items; shared volumes by count; indivisible disks
  // by exact match (with multiplicity).
  bool contains(const Resources& other) const;
  bool contains(const Resource& other) const;
  // For each name, the sum over entries of scalars, range lengths or set sizes
  // is at least the quantity (Mesos's `contains(ResourceQuantities)`).
  bool contains(const ResourceQuantities& quantities) const;
  // Same multiset of entries, whatever the order.
  friend PLEXUS_API bool operator==(const Resources& left, const Resources& right);

  // Adds, merging with an entry of the same identity. Adding an empty resource
  // does nothing. Scalars saturate instead of overflowing.
  Resources& operator+=(const Resource& resource);
  Resources& operator+=(Resource&& resource);
  Resources& operator+=(const Resources& other);
  // Removes what is there: scalars floor at zero and drop when zero, ranges and
  // items are removed if present; an entry without a same-identity counterpart
  // (or, for indivisible disks and shared volumes, an equal one) is ignored.
  Resources& operator-=(const Resource& resource);
  Resources& operator-=(const Resources& other);
  friend Resources operator+(Resources left, const Resources& right) { return left += right; }
  friend Resources operator+(Resources left, const Resource& right) { return left += right; }
  friend Resources operator-(Resources left, const Resources& right) { return left -= right; }
  friend Resources operator-(Resources left, const Resource& right) { return left -= right; }

  // Lookups by name, summed over every entry with that name (all reservations,
  // allocations, ...); std::nullopt when no entry of that name and type exists.
  std::optional<double> scalar(std::string_view name) const;
  std::optional<std::vector<Range>> ranges(std::string_view name) const;
  std::optional<std::vector<std::string>> set(std::string_view name) const;
  std::optional<double> cpus() const { return scalar("cpus"); }
  std::optional<double> mem() const { return scalar("mem"); }
  std::optional<double> disk() const { return scalar("disk"); }
  std::optional<double> gpus() const { return scalar("gpus"); }
  std::optional<std::vector<Range>> ports() const { return ranges("ports"); }
  // The distinct names, sorted.
  std::vector<std::string> names() const;
  // Scalar sums per name (ranges and sets are not counted), for allocators.
  ResourceQuantities quantities() const;

  // The entries for which `predicate(const Resource&)` is true.
  template <typename Predicate>
  Resources filter(Predicate&& predicate) const {
    Resources result;
    result.entries_.reserve(entries_.size());
    for (const Resource& resource : entries_) {
      if (predicate(resource)) result.entries_.push_back(resource);
    }
    return result;
  }
  Resources named(std::string_view name) const;
  Resources scalars() const;
  // Reserved to anyone / to exactly `role` (the last reservation's role).
  Resources reserved() const;
  Resources reserved(std::string_view role) const;
  Resources unreserved() const;
  // Unreserved, or reserved to `role` or one of its ancestors (Mesos semantics).
  Resources allocatableTo(std::string_view role) const;
  Resources revocable() const;
  Resources nonRevocable() const;
  Resources shared() const;
  Resources nonShared() const;
  Resources persistentVolumes() const;
  // Entries whose allocation role is exactly `role`.
  Resources allocatedTo(std::string_view role) const;
  Resources unallocated() const;
  // The reserved entries grouped by reservation role / allocated entries by
  // allocation role.
  std::map<std::string, Resources> reservations() const;
  std::map<std::string, Resources> allocations() const;

  // Sets / clears `allocation_info.role` on every entry (merging entries that
  // become identical).
  void allocate(std::string_view role);
  void unallocate();
  // Every entry with its reservation stack cleared, merged.
  Resources toUnreserved() const;
  // Pushes `reservation` on every entry (see Resource::pushReservation); fails
  // without changing anything if any entry rejects it.
  [[nodiscard]] Result<Resources> pushReservation(const Reservation& reservation) const;
  // Pops the last reservation of every entry; fails if any entry is unreserved.
  [[nodiscard]] Result<Resources> popReservation() const;

  // Entries joined by "; " in Mesos's style; "" when empty. See Resource::toString.
  std::string toString() const;
  friend PLEXUS_API std::ostream& operator<<(std::ostream& stream, const Resources& resources);

  // Validates a role name with Mesos's rules for hierarchical roles: "*", or
  // '/'-separated components that are non-empty, not "." or "..", not "*", do not
  // start with '-' and contain no whitespace, backspace or DEL.
  [[nodiscard]] static Result<void> validateRole(std::string_view role);
  // True when `role` is below `ancestor` in the hierarchy ("eng/web" under "eng").
  static bool isStrictSubrole(std::string_view role, std::string_view ancestor) noexcept;

 private:
  // The entry `resource` merges into on `+`, or nullptr when it must be appended.
  Resource* findAddable(const Resource& resource);
  void addEntry(const Resource& resource);
  void addEntry(Resource&& resource);
  void subtractEntry(const Resource& resource);
  bool containsEntry(const Resource& resource, const Resources& all) const;
  // Rebuilds canonical form after identities of entries changed.
  void recanonicalize();

  std::vector<Resource> entries_;
};

// ---------------------------------------------------------------------------
// Inline definitions of the hot paths (allocators call them millions of times).

inline bool Resource::empty() const noexcept {
  switch (type_) {
    case ValueType::kScalar:
      return millis_ == 0;
    case ValueType::kRanges:
      return ranges_.empty();
    case ValueType::kSet:
      return items_.empty();
  }
  return true;
}

inline Resource::Kind Resource::kind() const noexcept {
  if (shared_) return Kind::kShared;
  if (persistent_ || exclusiveDisk_) return Kind::kIndivisible;
  return Kind::kDivisible;
}

inline bool Resource::sameIdentity(const Resource& other) const noexcept {
  if (type_ != other.type_ || revocable_ != other.revocable_ || shared_ != other.shared_ ||
      name_ != other.name_) {
    return false;
  }
  if (details_ == other.details_) return true;
  if (!details_ || !other.details_) return false;
  return *details_ == *other.details_;
}

inline bool Resource::sameValue(const Resource& other) const noexcept {
  switch (type_) {
    case ValueType::kScalar:
      return millis_ == other.millis_;
    case ValueType::kRanges:
      return ranges_ == other.ranges_;
    case ValueType::kSet:
      return items_ == other.items_;
  }
  return false;
}

}  // namespace plexus
