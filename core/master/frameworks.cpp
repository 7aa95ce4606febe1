// Frameworks: subscription, failover, heartbeats, disconnection and removal.
#include <plexus/logging.hpp>

#include "api/v1_encoding.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace plexus::master {
namespace {

using v1::scheduler::Event;

api::Encoding apiEncoding(Encoding encoding) {
  return encoding == Encoding::kJson ? api::Encoding::kJson : api::Encoding::kProtobuf;
}

}  // namespace

bool FrameworkRecord::hasCapability(v1::FrameworkInfo::Capability::Type type) const {
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == type) return true;
  }
  return false;
}

bool FrameworkRecord::partitionAware() const {
  return hasCapability(v1::FrameworkInfo::Capability::PARTITION_AWARE);
}

std::set<std::string> FrameworkRecord::roles() const {
  if (hasCapability(v1::FrameworkInfo::Capability::MULTI_ROLE)) {
    return {info.roles().begin(), info.roles().end()};
  }
  return {info.role()};
}

FrameworkRecord* Master::findFramework(const FrameworkId& id) {
  return frameworks_.find(id);
}

Result<void> Master::validateFrameworkInfo(const v1::FrameworkInfo& info) const {
  bool multiRole = false;
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == v1::FrameworkInfo::Capability::MULTI_ROLE) multiRole = true;
  }
  if (multiRole && info.has_role()) {
    return fail("'FrameworkInfo.role' must not be set with the MULTI_ROLE capability; use 'roles'");
  }
  if (!multiRole && info.roles_size() > 0) {
    return fail("'FrameworkInfo.roles' needs the MULTI_ROLE capability");
  }
  std::set<std::string> seen;
  for (const auto& role : multiRole
                              ? std::vector<std::string>(info.roles().begin(), info.roles().end())
                              : std::vector<std::string>{info.role()}) {
    if (auto valid = Resources::validateRole(role); !valid) {
      return fail("invalid role '" + role + "': " + valid.error().message());
    }
    if (!seen.insert(role).second) return fail("role '" + role + "' is listed twice");
  }
  if (info.failover_timeout() < 0) return fail("'failover_timeout' must not be negative");
  return {};
}

Result<FrameworkId> Master::subscribe(const v1::scheduler::Call::Subscribe& call,
                                      Subscription subscription) {
  v1::FrameworkInfo info = call.framework_info();
  if (auto refused = refuseSubscription(info)) return fail(*refused);
  if (!info.has_id()) frameworks_.mint(info_.id()).toWire(info.mutable_id());
  FrameworkId id = FrameworkId::fromWire(info.id());
  // SUBSCRIBED goes out once the registry holds the framework (at once when it
  // already holds this FrameworkInfo), so a new leader knows it and its failover
  // timeout whatever happens next.
  auto alive = alive_;
  persistFramework(info, [this, alive, call, info, subscription = std::move(subscription)] {
    if (*alive) completeSubscription(call, info, subscription);
  });
  return id;
}

std::optional<std::string> Master::refuseSubscription(const v1::FrameworkInfo& info) const {
  if (!info.has_id()) return std::nullopt;
  FrameworkId id = FrameworkId::fromWire(info.id());
  if (frameworks_.isCompleted(id))
    return "Framework " + id.value() + " has been removed; subscribe without an id";
  const FrameworkRecord* known = frameworks_.find(id);
  if (known != nullptr && known->info.principal() != info.principal())
    return "Framework " + id.value() + " re-subscribed with a different principal";
  return std::nullopt;
}

void Master::completeSubscription(const v1::scheduler::Call::Subscribe& call,
                                  v1::FrameworkInfo info, Subscription subscription) {
  FrameworkId id = FrameworkId::fromWire(info.id());
  FrameworkRecord* framework = findFramework(id);
  if (!subscription.open()) {
    // The scheduler went away while the registry was written.
    PLEXUS_LOG(Info) << "Framework " << id << " (" << info.name()
                     << ") disconnected before its subscription completed";
    if (framework == nullptr) forgetFramework(id);
    return;
  }
  // Torn down or re-subscribed under another principal while the registry was written.
  if (auto refused = refuseSubscription(info)) {
    Event error;
    error.set_type(Event::ERROR);
    error.mutable_error()->set_message(*refused);
    subscription.stream->write(api::encodeRecord(error, apiEncoding(subscription.encoding)));
    subscription.stream->close();
    return;
  }
  bool failover = framework != nullptr;
  if (framework == nullptr) framework = &frameworks_.add(id, context_.runtime.wallNow());
  replaceSubscription(*framework, std::move(subscription));
  FrameworkOptions options;
  options.suppressedRoles = {call.suppressed_roles().begin(), call.suppressed_roles().end()};
  framework->suppressedRoles = options.suppressedRoles;
  // Validated before the subscription began (SchedulerApi::subscribe).
  options.offerConstraints = validation::offerConstraints(call.offer_constraints(), info)
                                 .value_or(OfferConstraintsFilter());
  framework->offerConstraints = options.offerConstraints;
  if (failover) {
    failOverFramework(*framework, std::move(info), options);
  } else {
    addFramework(*framework, std::move(info), options);
  }
  framework->active = true;
  std::string streamId = framework->subscription.streamId;
  framework->subscription.stream->onDisconnect(
      [this, id, streamId] { frameworkDisconnected(id, streamId); });
  sendSubscribed(*framework);
  heartbeat(id);
}

void Master::replaceSubscription(FrameworkRecord& framework, Subscription subscription) {
  // A new subscription replaces the old one: the old stream ends.
  if (framework.subscription.open()) {
    Event error;
    error.set_type(Event::ERROR);
    error.mutable_error()->set_message("Framework failed over");
    sendEvent(framework, error);
    framework.subscription.stream->close();
  }
  if (framework.heartbeatTimer) context_.runtime.cancel(*framework.heartbeatTimer);
  if (framework.failoverTimer) context_.runtime.cancel(*framework.failoverTimer);
  framework.heartbeatTimer.reset();
  framework.failoverTimer.reset();
  framework.subscription = std::move(subscription);
  framework.unregisteredTime.reset();
}

void Master::addFramework(FrameworkRecord& framework, v1::FrameworkInfo info,
                          const FrameworkOptions& options) {
  framework.info = std::move(info);
  std::map<AgentId, Resources> used;
  for (const auto& [agentId, agent] : agents_.all()) {
    if (auto it = agent->used.find(framework.id); it != agent->used.end())
      used[agentId] = it->second;
  }
  allocator_.addFramework(framework.id, framework.info, used, true, options);
  std::string roles;
  for (const auto& role : framework.roles())
    roles += (roles.empty() ? "" : ",") + role;
  PLEXUS_LOG(Info) << "Framework " << framework.id << " (" << framework.info.name()
                   << ") subscribed with roles " << roles;
}

void Master::failOverFramework(FrameworkRecord& framework, v1::FrameworkInfo info,
                               const FrameworkOptions& options) {
  bool wasActive = framework.active;
  info.mutable_id()->CopyFrom(framework.info.id());
  framework.info = std::move(info);
  allocator_.updateFramework(framework.id, framework.info, options);
  if (!wasActive) allocator_.activateFramework(framework.id);
  PLEXUS_LOG(Info) << "Framework " << framework.id << " (" << framework.info.name()
                   << ") re-subscribed";
}

void Master::sendSubscribed(FrameworkRecord& framework) {
  Event subscribed;
  subscribed.set_type(Event::SUBSCRIBED);
  framework.id.toWire(subscribed.mutable_subscribed()->mutable_framework_id());
  subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(
      std::chrono::duration<double>(flags_.heartbeatInterval).count());
  *subscribed.mutable_subscribed()->mutable_master_info() = info_;
  sendEvent(framework, subscribed);
}

void Master::recoverFramework(const v1::FrameworkInfo& info, const std::string& source) {
  if (!info.has_id()) return;
  FrameworkId id = FrameworkId::fromWire(info.id());
  if (findFramework(id) != nullptr || frameworks_.isCompleted(id)) return;
  FrameworkRecord& framework = frameworks_.add(id, context_.runtime.wallNow());
  framework.info = info;
  framework.unregisteredTime = framework.registeredTime;
  allocator_.addFramework(id, info, {}, false, FrameworkOptions{});
  // As after a disconnection it has its failover timeout to re-subscribe, but at
  // least --agent_reregister_timeout: the scheduler may still be looking for the
  // new leader, and a zero failover_timeout must not remove it at once.
  auto timeout = std::max(
      flags_.agentReregisterTimeoutValue,
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(info.failover_timeout())));
  framework.failoverTimer =
      context_.runtime.schedule(timeout, [this, id] { failoverTimedOut(id); });
  PLEXUS_LOG(Info) << "Recovered framework " << id << " (" << info.name() << ") from " << source
                   << "; inactive until it re-subscribes";
}

void Master::sendEvent(FrameworkRecord& framework, const v1::scheduler::Event& event) {
  if (!framework.subscription.open()) {
    metrics_.droppedMessages++;
    return;
  }
  framework.subscription.stream->write(
      api::encodeRecord(event, apiEncoding(framework.subscription.encoding)));
}

void Master::heartbeat(const FrameworkId& id) {
  FrameworkRecord* framework = findFramework(id);
  if (framework == nullptr || !framework->subscription.open()) return;
  Event event;
  event.set_type(Event::HEARTBEAT);
  sendEvent(*framework, event);
  framework->heartbeatTimer =
      context_.runtime.schedule(flags_.heartbeatInterval, [this, id] { heartbeat(id); });
}

void Master::frameworkDisconnected(const FrameworkId& id, const std::string& streamId) {
  FrameworkRecord* framework = findFramework(id);
  if (framework == nullptr || framework->subscription.streamId != streamId) return;
  PLEXUS_LOG(Info) << "Framework " << id << " (" << framework->info.name()
                   << ") disconnected; failover timeout "
                   << formatDuration(std::chrono::duration_cast<Duration>(
                          std::chrono::duration<double>(framework->info.failover_timeout())));
  framework->subscription.stream.reset();
  framework->unregisteredTime = context_.runtime.wallNow();
  if (framework->heartbeatTimer) context_.runtime.cancel(*framework->heartbeatTimer);
  framework->heartbeatTimer.reset();
  framework->active = false;
  allocator_.deactivateFramework(id);
  for (OfferId offer : std::set<OfferId>(framework->offers))
    removeOffer(offer, false);
  auto timeout = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(framework->info.failover_timeout()));
  framework->failoverTimer =
      context_.runtime.schedule(timeout, [this, id] { failoverTimedOut(id); });
}

void Master::failoverTimedOut(const FrameworkId& id) {
  FrameworkRecord* framework = findFramework(id);
  if (framework == nullptr || framework->subscription.open()) return;
  framework->failoverTimer.reset();
  removeFramework(id, "its failover timeout expired");
}

void Master::removeFramework(const FrameworkId& id, const std::string& why) {
  FrameworkRecord* found = findFramework(id);
  if (found == nullptr) return;
  FrameworkRecord& framework = *found;
  PLEXUS_LOG(Info) << "Removing framework " << id << " (" << framework.info.name() << "): " << why;
  for (OfferId offer : std::set<OfferId>(framework.offers))
    removeOffer(offer, false);
  // Tell every agent it runs on to kill its tasks and executors and forget it.
  std::set<AgentId> agentIds;
  for (const auto& [taskId, task] : framework.tasks.active()) {
    agentIds.insert(AgentId::fromWire(task.task.agent_id()));
  }
  for (const auto& [agentId, executors] : framework.executors)
    agentIds.insert(agentId);
  for (const AgentId& agentId : agentIds) {
    AgentRecord* agent = findAgent(agentId);
    if (agent == nullptr) continue;
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::SHUTDOWN_FRAMEWORK);
    id.toWire(event.mutable_shutdown_framework()->mutable_framework_id());
    sendToAgent(*agent, event);
    if (auto used = agent->used.find(id); used != agent->used.end()) {
      allocator_.recoverResources(id, agentId, used->second, std::nullopt, true);
      agent->used.erase(used);
    }
  }
  framework.tasks.killAll();
  if (framework.heartbeatTimer) context_.runtime.cancel(*framework.heartbeatTimer);
  if (framework.failoverTimer) context_.runtime.cancel(*framework.failoverTimer);
  if (framework.subscription.open()) framework.subscription.stream->close();
  framework.subscription.stream.reset();
  framework.active = false;
  framework.unregisteredTime = context_.runtime.wallNow();
  allocator_.removeFramework(id);
  forgetFramework(id);
  frameworks_.complete(id);
}

Result<void> Master::updateFramework(FrameworkRecord& framework,
                                     const v1::scheduler::Call::UpdateFramework& update) {
  const v1::FrameworkInfo& info = update.framework_info();
  PLEXUS_TRY(validateFrameworkInfo(info));
  auto constraints = validation::offerConstraints(update.offer_constraints(), info);
  if (!constraints) return fail(constraints.error());
  if (info.principal() != framework.info.principal()) {
    return fail("Updating 'FrameworkInfo.principal' is unsupported");
  }
  if (info.user() != framework.info.user())
    return fail("Updating 'FrameworkInfo.user' is unsupported");
  if (info.checkpoint() != framework.info.checkpoint()) {
    return fail("Updating 'FrameworkInfo.checkpoint' is unsupported");
  }
  framework.info = info;
  persistFramework(framework.info, nullptr);
  FrameworkOptions options;
  options.suppressedRoles = {update.suppressed_roles().begin(), update.suppressed_roles().end()};
  framework.suppressedRoles = options.suppressedRoles;
  options.offerConstraints = *constraints;
  framework.offerConstraints = *constraints;
  allocator_.updateFramework(framework.id, framework.info, options);
  for (const auto& [agentId, agent] : agents_.all()) {
    if (agent->used.count(framework.id) == 0) continue;
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::UPDATE_FRAMEWORK);
    *event.mutable_update_framework()->mutable_framework_info() = framework.info;
    sendToAgent(*agent, event);
  }
  PLEXUS_LOG(Info) << "Framework " << framework.id << " updated its FrameworkInfo";
  return {};
}

}  // namespace plexus::master
