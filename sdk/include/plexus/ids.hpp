// Strongly typed identifiers: FrameworkId, AgentId, OfferId, TaskId, ExecutorId,
// ContainerId, OperationId.
//
// Each wraps the string the wire types carry (v1::FrameworkID{value} and so on)
// and differs in type, so an AgentId is never passed where a FrameworkId is
// meant. They order, hash and print as their string, so they work as keys of
// std::map and std::unordered_map. Plain values; not synchronized.
//
//   plexus::FrameworkId id = plexus::FrameworkId::fromWire(call.framework_id());
//   call.mutable_framework_id()->set_value(id.value());
#pragma once

#include <compare>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace plexus {

template <typename Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  // Reads any wire ID message (they all have one `value` field).
  template <typename WireId>
  static Id fromWire(const WireId& wire) {
    return Id(wire.value());
  }

  // Writes into any wire ID message.
  template <typename WireId>
  void toWire(WireId* wire) const {
    wire->set_value(value_);
  }

  const std::string& value() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Id& id) { return out << id.value_; }

 private:
  std::string value_;
};

using FrameworkId = Id<struct FrameworkIdTag>;
using AgentId = Id<struct AgentIdTag>;
using OfferId = Id<struct OfferIdTag>;
using TaskId = Id<struct TaskIdTag>;
using ExecutorId = Id<struct ExecutorIdTag>;
using ContainerId = Id<struct ContainerIdTag>;
using OperationId = Id<struct OperationIdTag>;

}  // namespace plexus

template <typename Tag>
struct std::hash<plexus::Id<Tag>> {
  size_t operator()(const plexus::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
