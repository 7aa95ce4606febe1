// The master's soft state: frameworks, agents, offers and tasks, as plain records.
//
// Touched only on the master's event loop. Each record holds the wire message it
// was built from plus the bookkeeping the master needs; the books own the records
// (framework_book.hpp, agent_book.hpp, offer_book.hpp; a framework's TaskBook its
// tasks) and the records refer to each other by ID only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <plexus/ids.hpp>
#include <plexus/offer_constraints.hpp>
#include <plexus/resources.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/scheduler.pb.h>

#include "master/event_stream.hpp"
#include "master/task_book.hpp"

namespace plexus::master {

// How a subscriber asked for its events.
enum class Encoding { kJson, kProtobuf };

// An open event stream (a scheduler's subscription or an agent's registration).
struct Subscription {
  std::shared_ptr<EventStream> stream;
  std::string streamId;
  Encoding encoding = Encoding::kJson;

  bool open() const { return stream != nullptr && stream->isOpen(); }
};

struct FrameworkRecord {
  FrameworkId id;
  v1::FrameworkInfo info;
  Subscription subscription;
  bool active = false;  // connected and receiving offers
  std::set<std::string> suppressedRoles;
  OfferConstraintsFilter offerConstraints;  // SUBSCRIBE / UPDATE_FRAMEWORK
  std::set<OfferId> offers;
  TaskBook tasks;  // active, unreachable and completed
  // Custom executors by agent, with the resources they hold.
  std::map<AgentId, std::map<ExecutorId, v1::ExecutorInfo>> executors;
  std::optional<Runtime::TimerId> heartbeatTimer;
  std::optional<Runtime::TimerId> failoverTimer;
  std::chrono::system_clock::time_point registeredTime;
  std::optional<std::chrono::system_clock::time_point> unregisteredTime;

  bool partitionAware() const;
  bool hasCapability(v1::FrameworkInfo::Capability::Type type) const;
  // FrameworkInfo.roles for MULTI_ROLE frameworks, else {FrameworkInfo.role}.
  std::set<std::string> roles() const;
};

struct AgentRecord {
  AgentId id;
  v1::AgentInfo info;    // with id, resources and attributes
  std::string endpoint;  // "ip:port" of its HTTP server
  std::string version;
  std::vector<v1::AgentInfo::Capability> capabilities;  // as the agent registered them
  Subscription subscription;
  Resources total;
  bool connected = false;
  bool unreachable = false;
  int missedPings = 0;
  std::optional<Runtime::TimerId> pingTimer;
  std::chrono::system_clock::time_point registeredTime;
  std::optional<std::chrono::system_clock::time_point> reregisteredTime;
  // What each framework holds here (tasks and executors), for /state and the allocator.
  std::map<FrameworkId, Resources> used;
  std::set<OfferId> offers;
};

struct OfferRecord {
  v1::Offer offer;
  FrameworkId framework;
  AgentId agent;
  Resources resources;  // allocated to offer.allocation_info().role()
  std::optional<Runtime::TimerId> timeoutTimer;
};

}  // namespace plexus::master
