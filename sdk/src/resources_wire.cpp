// Resource <-> v1::Resource: Mesos's validation rules (`Resources::validate` in
// src/v1/resources.cpp) and its two reservation formats. The in-memory form is
// always "post-reservation-refinement": one stack of reservations.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include <google/protobuf/repeated_ptr_field.h>

#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

// Reading and writing the deprecated `role`/`reservation` fields is the point of
// the pre-refinement compatibility code here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace plexus {

namespace {

using WireReservation = v1::Resource::ReservationInfo;

std::vector<Label> labelsFromWire(const v1::Labels& labels) {
  std::vector<Label> out;
  out.reserve(labels.labels_size());
  for (const v1::Label& label : labels.labels()) {
    Label l;
    l.key = label.key();
    if (label.has_value()) l.value = label.value();
    out.push_back(std::move(l));
  }
  return out;
}

void labelsToWire(const std::vector<Label>& labels, v1::Labels* wire) {
  for (const Label& label : labels) {
    v1::Label* l = wire->add_labels();
    l->set_key(label.key);
    if (label.value) l->set_value(*label.value);
  }
}

Result<Reservation> reservationFromWire(const WireReservation& wire) {
  if (!wire.has_type()) return fail("invalid reservation: 'type' must be set");
  if (!wire.has_role()) return fail("invalid reservation: 'role' must be set");
  Reservation r;
  switch (wire.type()) {
    case WireReservation::STATIC:
      r.type = Reservation::Type::kStatic;
      break;
    case WireReservation::DYNAMIC:
      r.type = Reservation::Type::kDynamic;
      break;
    default:
      return fail("invalid reservation: unsupported type " + std::to_string(wire.type()));
  }
  if (wire.role() == "*") return fail("invalid reservation: role '*' cannot be reserved");
  if (auto valid = Resources::validateRole(wire.role()); !valid) return fail(valid.error());
  r.role = wire.role();
  if (wire.has_principal()) r.principal = wire.principal();
  if (wire.has_labels()) r.labels = labelsFromWire(wire.labels());
  return r;
}

// Mesos's reservation rules for both formats, returning the post-refinement stack.
Result<std::vector<Reservation>> reservationsFromWire(const v1::Resource& wire) {
  std::vector<Reservation> stack;
  if (wire.reservations_size() == 0) {
    // Pre-reservation-refinement format: `role` (default "*") and `reservation`.
    if (auto valid = Resources::validateRole(wire.role()); !valid) return fail(valid.error());
    if (wire.has_reservation()) {
      if (wire.reservation().has_type()) {
        return fail("'reservation.type' must not be set for the deprecated 'reservation' field");
      }
      if (wire.reservation().has_role()) {
        return fail("'reservation.role' must not be set for the deprecated 'reservation' field");
      }
      if (wire.role() == "*")
        return fail("invalid reservation: role '*' cannot be dynamically reserved");
    }
    if (wire.role() != "*") {
      Reservation r;
      r.role = wire.role();
      r.type = wire.has_reservation() ? Reservation::Type::kDynamic : Reservation::Type::kStatic;
      if (wire.has_reservation()) {
        if (wire.reservation().has_principal()) r.principal = wire.reservation().principal();
        if (wire.reservation().has_labels()) r.labels = labelsFromWire(wire.reservation().labels());
      }
      stack.push_back(std::move(r));
    }
    return stack;
  }

  for (const WireReservation& reservation : wire.reservations()) {
    auto r = reservationFromWire(reservation);
    if (!r) return fail(r.error());
    if (!stack.empty()) {
      if (r->type == Reservation::Type::kStatic) {
        return fail("invalid refined reservation: a refined reservation cannot be STATIC");
      }
      if (!Resources::isStrictSubrole(r->role, stack.back().role)) {
        return fail("invalid refined reservation: role '" + r->role + "' is not a refinement of '" +
                    stack.back().role + "'");
      }
    }
    stack.push_back(std::move(*r));
  }

  // The deprecated fields may accompany a single reservation if they agree.
  if (stack.size() == 1) {
    const Reservation& only = stack[0];
    if (wire.has_role() && wire.role() != only.role) {
      return fail("'role' is '" + wire.role() + "' but 'reservations' reserve to '" + only.role +
                  "'");
    }
    if (only.type == Reservation::Type::kStatic && wire.has_reservation()) {
      return fail("'reservation' must not be set when the single reservation is STATIC");
    }
    if (only.type == Reservation::Type::kDynamic) {
      if (wire.has_role() != wire.has_reservation()) {
        return fail(
            "'role' and 'reservation' must both be set or both be unset when the single "
            "reservation is DYNAMIC");
      }
      if (wire.has_reservation()) {
        const auto& legacy = wire.reservation();
        std::optional<std::string> principal;
        if (legacy.has_principal()) principal = legacy.principal();
        std::optional<std::vector<Label>> labels;
        if (legacy.has_labels()) labels = labelsFromWire(legacy.labels());
        if (!(Reservation::makeDynamic(only.role, principal, labels) == only)) {
          return fail("'reservation' does not match the reservation in 'reservations'");
        }
      }
    }
  } else {
    if (wire.has_role())
      return fail("'role' must not be set when there is more than one reservation");
    if (wire.has_reservation()) {
      return fail("'reservation' must not be set when there is more than one reservation");
    }
  }
  return stack;
}

std::string formatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

namespace resources_detail {

std::string describeDiskInfo(const std::string& serialized) {
  v1::Resource::DiskInfo disk;
  if (!disk.ParseFromString(serialized)) return "?";
  std::string out;
  if (disk.has_source()) {
    out += v1::Resource::DiskInfo::Source::Type_Name(disk.source().type());
    if (disk.source().has_path() && disk.source().path().has_root())
      out += "(" + disk.source().path().root() + ")";
    if (disk.source().has_mount() && disk.source().mount().has_root()) {
      out += "(" + disk.source().mount().root() + ")";
    }
    if (disk.source().has_id()) out += "(" + disk.source().id() + ")";
  }
  if (disk.has_persistence()) {
    if (!out.empty()) out += ",";
    out += disk.persistence().id();
  }
  if (disk.has_volume()) out += ":" + disk.volume().container_path();
  return out;
}

}  // namespace resources_detail

Result<Resource> Resource::fromWire(const v1::Resource& wire) {
  auto resource = convertWire(wire);
  if (!resource) {
    return fail(resource.error().context(wire.name().empty()
                                             ? std::string("invalid resource")
                                             : "invalid resource '" + wire.name() + "'"));
  }
  return resource;
}

Result<Resource> Resource::convertWire(const v1::Resource& wire) {
  if (!wire.has_name() || wire.name().empty()) return fail("empty name");

  Resource r;
  r.name_ = wire.name();
  const bool scalar = wire.has_scalar(), ranges = wire.has_ranges(), set = wire.has_set();
  switch (wire.type()) {
    case v1::Value::SCALAR: {
      if (!scalar || ranges || set) return fail("a SCALAR resource must have (only) 'scalar' set");
      const double value = wire.scalar().value();
      if (!std::isfinite(value))
        return fail("scalar value " + formatNumber(value) + " is not finite");
      if (value < 0) return fail("scalar value " + formatNumber(value) + " is negative");
      if (value > kMaxScalar) return fail("scalar value " + formatNumber(value) + " is too large");
      r.type_ = ValueType::kScalar;
      r.millis_ = std::llround(value * kScalarScale);
      break;
    }
    case v1::Value::RANGES: {
      if (scalar || !ranges || set) return fail("a RANGES resource must have (only) 'ranges' set");
      std::vector<Range> values;
      values.reserve(wire.ranges().range_size());
      for (const v1::Value::Range& range : wire.ranges().range()) {
        if (range.begin() > range.end()) {
          return fail("range " + std::to_string(range.begin()) + "-" + std::to_string(range.end()) +
                      " has begin > end");
        }
        values.push_back({range.begin(), range.end()});
      }
      std::sort(values.begin(), values.end(),
                [](const Range& a, const Range& b) { return a.begin < b.begin; });
      for (std::size_t i = 1; i < values.size(); ++i) {
        if (values[i].begin <= values[i - 1].end) {
          return fail("ranges " + std::to_string(values[i - 1].begin) + "-" +
                      std::to_string(values[i - 1].end) + " and " +
                      std::to_string(values[i].begin) + "-" + std::to_string(values[i].end) +
                      " overlap");
        }
      }
      auto made = makeRanges(r.name_, std::move(values));  // coalesces adjacent ranges
      r.type_ = ValueType::kRanges;
      r.ranges_ = std::move(made->ranges_);
      break;
    }
    case v1::Value::SET: {
      if (scalar || ranges || !set) return fail("a SET resource must have (only) 'set' set");
      std::vector<std::string> items(wire.set().item().begin(), wire.set().item().end());
      std::sort(items.begin(), items.end());
      auto duplicate = std::adjacent_find(items.begin(), items.end());
      if (duplicate != items.end()) return fail("duplicate item '" + *duplicate + "' in set");
      r.type_ = ValueType::kSet;
      r.items_ = std::move(items);
      break;
    }
    default:
      return fail("unsupported type " + v1::Value::Type_Name(wire.type()) +
                  " (expected SCALAR, RANGES or SET)");
  }

  auto reservations = reservationsFromWire(wire);
  if (!reservations) return fail(reservations.error());

  Details details;
  details.reservations = std::move(*reservations);
  if (wire.has_allocation_info()) {
    // Role "*" is valid here: it is the role of frameworks that name none.
    if (!wire.allocation_info().has_role()) return fail("'allocation_info.role' must be set");
    if (auto valid = Resources::validateRole(wire.allocation_info().role()); !valid) {
      return fail(valid.error().context("allocation_info"));
    }
    details.allocationRole = wire.allocation_info().role();
  }
  if (wire.has_disk()) {
    if (wire.name() != "disk") return fail("'disk' info is only valid for the 'disk' resource");
    if (r.type_ != ValueType::kScalar) return fail("a disk resource must be a SCALAR");
    const auto& disk = wire.disk();
    if (disk.has_source() && disk.source().type() == v1::Resource::DiskInfo::Source::UNKNOWN) {
      return fail("disk source type must be set");
    }
    r.persistent_ = disk.has_persistence();
    r.exclusiveDisk_ =
        disk.has_source() && (disk.source().type() == v1::Resource::DiskInfo::Source::MOUNT ||
                              disk.source().type() == v1::Resource::DiskInfo::Source::BLOCK);
    std::string bytes;
    disk.SerializeToString(&bytes);
    details.disk = std::move(bytes);
  }
  if (wire.has_provider_id()) details.providerId = wire.provider_id().value();
  r.revocable_ = wire.has_revocable();
  r.shared_ = wire.has_shared();
  if (r.shared_ && !r.persistent_) return fail("only persistent volumes can be shared");
  if (r.persistent_ && details.reservations.empty()) {
    return fail("persistent volumes cannot be created from unreserved resources");
  }

  if (!details.reservations.empty() || details.allocationRole || details.disk ||
      details.providerId) {
    r.details_ = std::make_shared<const Details>(std::move(details));
  }
  return r;
}

void Resource::toWire(v1::Resource* wire, WireFormat format) const {
  wire->Clear();
  wire->set_name(name_);
  switch (type_) {
    case ValueType::kScalar:
      wire->set_type(v1::Value::SCALAR);
      wire->mutable_scalar()->set_value(scalar());
      break;
    case ValueType::kRanges: {
      wire->set_type(v1::Value::RANGES);
      auto* ranges = wire->mutable_ranges();
      for (const Range& range : ranges_) {
        auto* r = ranges->add_range();
        r->set_begin(range.begin);
        r->set_end(range.end);
      }
      break;
    }
    case ValueType::kSet: {
      wire->set_type(v1::Value::SET);
      auto* set = wire->mutable_set();
      for (const std::string& item : items_)
        set->add_item(item);
      break;
    }
  }
  if (details_) {
    for (const Reservation& reservation : details_->reservations) {
      WireReservation* r = wire->add_reservations();
      r->set_type(reservation.type == Reservation::Type::kStatic ? WireReservation::STATIC
                                                                 : WireReservation::DYNAMIC);
      r->set_role(reservation.role);
      if (reservation.principal) r->set_principal(*reservation.principal);
      if (reservation.labels) labelsToWire(*reservation.labels, r->mutable_labels());
    }
    if (format == WireFormat::kEndpoint && details_->reservations.size() == 1) {
      const Reservation& only = details_->reservations[0];
      wire->set_role(only.role);
      if (only.type == Reservation::Type::kDynamic) {
        auto* legacy = wire->mutable_reservation();
        if (only.principal) legacy->set_principal(*only.principal);
        if (only.labels) labelsToWire(*only.labels, legacy->mutable_labels());
      }
    }
    if (details_->allocationRole)
      wire->mutable_allocation_info()->set_role(*details_->allocationRole);
    if (details_->disk) wire->mutable_disk()->ParseFromString(*details_->disk);
    if (details_->providerId) wire->mutable_provider_id()->set_value(*details_->providerId);
  }
  if (revocable_) wire->mutable_revocable();
  if (shared_) wire->mutable_shared();
}

Result<Resources> Resources::fromWire(
    const google::protobuf::RepeatedPtrField<v1::Resource>& wire) {
  Resources result;
  result.entries_.reserve(wire.size());
  for (int i = 0; i < wire.size(); ++i) {
    auto resource = Resource::fromWire(wire.Get(i));
    if (!resource) return fail(resource.error().context("resource #" + std::to_string(i)));
    result.addEntry(std::move(*resource));
  }
  return result;
}

void Resources::toWire(google::protobuf::RepeatedPtrField<v1::Resource>* wire,
                       WireFormat format) const {
  wire->Clear();
  for (const Resource& resource : entries_) {
    for (std::uint32_t i = 0; i < resource.sharedCount(); ++i)
      resource.toWire(wire->Add(), format);
  }
}

}  // namespace plexus
