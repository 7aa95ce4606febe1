// Printing in Mesos's text style. Resources::parse reads everything printed here
// except disk info and shared markers (see Resource::toString).
#include <sstream>

#include <plexus/resources.hpp>

namespace plexus {

namespace {

void printMillis(std::ostream& out, std::int64_t millis) {
  out << millis / Resource::kScalarScale;
  std::int64_t fraction = millis % Resource::kScalarScale;
  if (fraction == 0) return;
  char digits[4] = {char('0' + fraction / 100), char('0' + fraction / 10 % 10),
                    char('0' + fraction % 10), 0};
  int length = 3;
  while (digits[length - 1] == '0')
    digits[--length] = 0;
  out << '.' << digits;
}

void printLabels(std::ostream& out, const std::vector<Label>& labels) {
  out << '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out << ", ";
    out << labels[i].key;
    if (labels[i].value) out << ": " << *labels[i].value;
  }
  out << '}';
}

}  // namespace

namespace resources_detail {
// Defined in resources_wire.cpp: a short description of serialized DiskInfo.
std::string describeDiskInfo(const std::string& serialized);
}  // namespace resources_detail

std::ostream& operator<<(std::ostream& out, const Resource& resource) {
  out << resource.name();
  if (resource.allocationRole()) out << "(allocated: " << *resource.allocationRole() << ")";
  const auto& reservations = resource.reservations();
  if (reservations.size() == 1 && reservations[0].type == Reservation::Type::kStatic &&
      !reservations[0].principal && !reservations[0].labels) {
    // The agent flag's own syntax, `cpus(role):4`.
    out << "(" << reservations[0].role << ")";
  } else if (!reservations.empty()) {
    out << "(reservations: [";
    for (std::size_t i = 0; i < reservations.size(); ++i) {
      const Reservation& r = reservations[i];
      if (i > 0) out << ",";
      out << "(" << (r.type == Reservation::Type::kStatic ? "STATIC" : "DYNAMIC") << "," << r.role;
      if (r.principal) out << "," << *r.principal;
      if (r.labels) {
        out << ",";
        printLabels(out, *r.labels);
      }
      out << ")";
    }
    out << "])";
  }
  if (resource.hasDisk())
    out << "[" << resources_detail::describeDiskInfo(resource.diskInfo()) << "]";
  if (resource.isRevocable()) out << "{REV}";
  if (resource.isShared()) out << "<SHARED>";
  out << ":";
  switch (resource.type()) {
    case ValueType::kScalar:
      printMillis(out, resource.scalarMillis());
      break;
    case ValueType::kRanges: {
      out << "[";
      const auto& ranges = resource.ranges();
      for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i > 0) out << ", ";
        out << ranges[i].begin << "-" << ranges[i].end;
      }
      out << "]";
      break;
    }
    case ValueType::kSet: {
      out << "{";
      const auto& items = resource.set();
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out << ", ";
        out << items[i];
      }
      out << "}";
      break;
    }
  }
  return out;
}

std::string Resource::toString() const {
  std::ostringstream out;
  out << *this;
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Resources& resources) {
  bool first = true;
  for (const Resource& resource : resources) {
    // A shared entry stands for sharedCount() copies; print each, as toWire does.
    for (std::uint32_t i = 0; i < resource.sharedCount(); ++i) {
      if (!first) out << "; ";
      first = false;
      out << resource;
    }
  }
  return out;
}

std::string Resources::toString() const {
  std::ostringstream out;
  out << *this;
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const ResourceQuantities::Quantity& quantity) {
  out << quantity.name << ":";
  printMillis(out, quantity.millis);
  return out;
}

std::ostream& operator<<(std::ostream& out, const ResourceQuantities& quantities) {
  bool first = true;
  for (const auto& q : quantities) {
    if (!first) out << "; ";
    first = false;
    out << q;
  }
  return out;
}

std::string ResourceQuantities::toString() const {
  std::ostringstream out;
  out << *this;
  return out.str();
}

}  // namespace plexus
