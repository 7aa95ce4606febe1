// Filters, reservations, allocations and role names: the parts of Resources that
// follow Mesos's (hierarchical) role semantics.
#include <memory>

#include <plexus/resources.hpp>

namespace plexus {

// ---------------------------------------------------------------------------
// Resources: filters

Resources Resources::named(std::string_view name) const {
  return filter([&](const Resource& r) { return r.name() == name; });
}
Resources Resources::scalars() const {
  return filter([](const Resource& r) { return r.type() == ValueType::kScalar; });
}
Resources Resources::reserved() const {
  return filter([](const Resource& r) { return r.isReserved(); });
}
Resources Resources::reserved(std::string_view role) const {
  return filter([&](const Resource& r) { return r.isReserved() && r.reservationRole() == role; });
}
Resources Resources::unreserved() const {
  return filter([](const Resource& r) { return !r.isReserved(); });
}
Resources Resources::allocatableTo(std::string_view role) const {
  return filter([&](const Resource& r) { return r.isAllocatableTo(role); });
}
Resources Resources::revocable() const {
  return filter([](const Resource& r) { return r.isRevocable(); });
}
Resources Resources::nonRevocable() const {
  return filter([](const Resource& r) { return !r.isRevocable(); });
}
Resources Resources::shared() const {
  return filter([](const Resource& r) { return r.isShared(); });
}
Resources Resources::nonShared() const {
  return filter([](const Resource& r) { return !r.isShared(); });
}
Resources Resources::persistentVolumes() const {
  return filter([](const Resource& r) { return r.isPersistentVolume(); });
}
Resources Resources::allocatedTo(std::string_view role) const {
  return filter([&](const Resource& r) { return r.allocationRole() == role; });
}
Resources Resources::unallocated() const {
  return filter([](const Resource& r) { return !r.allocationRole().has_value(); });
}

std::map<std::string, Resources> Resources::reservations() const {
  std::map<std::string, Resources> result;
  for (const Resource& resource : entries_) {
    if (resource.isReserved()) result[resource.reservationRole()].entries_.push_back(resource);
  }
  return result;
}

std::map<std::string, Resources> Resources::allocations() const {
  std::map<std::string, Resources> result;
  for (const Resource& resource : entries_) {
    if (resource.allocationRole()) result[*resource.allocationRole()].entries_.push_back(resource);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Resources: identity edits

void Resources::allocate(std::string_view role) {
  // Entries that differed only in their allocation role now merge; entries that
  // all had the same one (typically none) cannot.
  bool mayMerge = false;
  for (std::size_t i = 1; i < entries_.size() && !mayMerge; ++i) {
    mayMerge = entries_[i].allocationRole() != entries_[0].allocationRole();
  }
  std::shared_ptr<const Resource::Details> allocatedPlain;  // shared by plain entries
  for (Resource& resource : entries_) {
    if (resource.details_) {
      resource.allocate(role);
      continue;
    }
    if (!allocatedPlain) {
      auto details = std::make_shared<Resource::Details>();
      details->allocationRole = std::string(role);
      allocatedPlain = std::move(details);
    }
    resource.details_ = allocatedPlain;
  }
  if (mayMerge) recanonicalize();
}

void Resources::unallocate() {
  bool any = false;
  for (Resource& resource : entries_) {
    if (resource.allocationRole()) {
      resource.unallocate();
      any = true;
    }
  }
  if (any) recanonicalize();
}

Resources Resources::toUnreserved() const {
  Resources result;
  result.entries_.reserve(entries_.size());
  for (const Resource& resource : entries_) {
    Resource copy = resource;
    if (copy.isReserved()) {
      copy.mutableDetails().reservations.clear();
      copy.dropDetailsIfEmpty();
    }
    result.addEntry(std::move(copy));
  }
  return result;
}

Result<Resources> Resources::pushReservation(const Reservation& reservation) const {
  // Pushing the same reservation on distinct identities keeps them distinct.
  Resources result = *this;
  for (Resource& resource : result.entries_) {
    if (auto pushed = resource.pushReservation(reservation); !pushed) {
      return fail(pushed.error().context("cannot reserve '" + resource.toString() + "'"));
    }
  }
  return result;
}

Result<Resources> Resources::popReservation() const {
  Resources result = *this;
  for (Resource& resource : result.entries_)
    PLEXUS_TRY(resource.popReservation());
  result.recanonicalize();
  return result;
}

// ---------------------------------------------------------------------------
// Roles

Result<void> Resources::validateRole(std::string_view role) {
  if (role == "*") return {};
  const std::string quoted = "'" + std::string(role) + "'";
  if (role.empty()) return fail("invalid role: the role name is empty");
  if (role.front() == '/') return fail("invalid role " + quoted + ": it starts with a slash");
  if (role.back() == '/') return fail("invalid role " + quoted + ": it ends with a slash");
  std::size_t start = 0;
  while (start <= role.size()) {
    std::size_t slash = role.find('/', start);
    if (slash == std::string_view::npos) slash = role.size();
    const std::string_view component = role.substr(start, slash - start);
    if (component.empty())
      return fail("invalid role " + quoted + ": it contains two adjacent slashes");
    if (component == "." || component == "..") {
      return fail("invalid role " + quoted + ": '" + std::string(component) +
                  "' is not a valid component");
    }
    if (component == "*") return fail("invalid role " + quoted + ": '*' is not a valid component");
    if (component.front() == '-') {
      return fail("invalid role " + quoted + ": component '" + std::string(component) +
                  "' starts with '-'");
    }
    for (char c : component) {
      if (c == ' ' || (c >= '\t' && c <= '\r') || c == '\x7f') {
        return fail("invalid role " + quoted + ": it contains whitespace, backspace or DEL");
      }
    }
    start = slash + 1;
  }
  return {};
}

bool Resources::isStrictSubrole(std::string_view role, std::string_view ancestor) noexcept {
  return role.size() > ancestor.size() && role[ancestor.size()] == '/' &&
         role.starts_with(ancestor);
}

}  // namespace plexus
