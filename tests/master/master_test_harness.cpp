#include "master_test_harness.hpp"

#include <gtest/gtest.h>

#include "api/v1_encoding.hpp"

namespace plexus::master::testing {

Result<void> RecordingAllocator::initialize(const AllocatorOptions&, AllocatorCallbacks callbacks,
                                            Runtime&) {
  callbacks_ = std::move(callbacks);
  record("initialize");
  return {};
}

AllocatorCall& RecordingAllocator::record(std::string method) {
  AllocatorCall& call = calls_.emplace_back();
  call.method = std::move(method);
  return call;
}

std::vector<AllocatorCall> RecordingAllocator::calls(const std::string& method) const {
  std::vector<AllocatorCall> found;
  for (const AllocatorCall& call : calls_) {
    if (call.method == method) found.push_back(call);
  }
  return found;
}

void RecordingAllocator::recover(int, const std::map<std::string, Quota>&) {
  record("recover");
}

void RecordingAllocator::addFramework(const FrameworkId& framework, const v1::FrameworkInfo&,
                                      const std::map<AgentId, Resources>&, bool active,
                                      FrameworkOptions) {
  AllocatorCall& call = record("addFramework");
  call.framework = framework;
  call.flag = active;
}

void RecordingAllocator::removeFramework(const FrameworkId& framework) {
  record("removeFramework").framework = framework;
}

void RecordingAllocator::activateFramework(const FrameworkId& framework) {
  record("activateFramework").framework = framework;
}

void RecordingAllocator::deactivateFramework(const FrameworkId& framework) {
  record("deactivateFramework").framework = framework;
}

void RecordingAllocator::updateFramework(const FrameworkId& framework, const v1::FrameworkInfo&,
                                         FrameworkOptions) {
  record("updateFramework").framework = framework;
}

void RecordingAllocator::addAgent(const AgentId& agent, const v1::AgentInfo&,
                                  const std::optional<v1::Unavailability>&, const Resources& total,
                                  const std::map<FrameworkId, Resources>&) {
  AllocatorCall& call = record("addAgent");
  call.agent = agent;
  call.resources = total;
}

void RecordingAllocator::removeAgent(const AgentId& agent) {
  record("removeAgent").agent = agent;
}

void RecordingAllocator::updateAgent(const AgentId& agent, const v1::AgentInfo&,
                                     const std::optional<Resources>&) {
  record("updateAgent").agent = agent;
}

void RecordingAllocator::activateAgent(const AgentId& agent) {
  record("activateAgent").agent = agent;
}

void RecordingAllocator::deactivateAgent(const AgentId& agent) {
  record("deactivateAgent").agent = agent;
}

void RecordingAllocator::updateWhitelist(const std::optional<std::set<std::string>>&) {
  record("updateWhitelist");
}

void RecordingAllocator::requestResources(const FrameworkId& framework,
                                          const std::vector<v1::Request>&) {
  record("requestResources").framework = framework;
}

void RecordingAllocator::updateAllocation(const FrameworkId& framework, const AgentId& agent,
                                          const Resources& offered,
                                          const std::vector<ResourceConversion>&) {
  AllocatorCall& call = record("updateAllocation");
  call.framework = framework;
  call.agent = agent;
  call.resources = offered;
}

Result<void> RecordingAllocator::updateAvailable(const AgentId& agent,
                                                 const std::vector<v1::Offer::Operation>&) {
  record("updateAvailable").agent = agent;
  return {};
}

void RecordingAllocator::updateUnavailability(const AgentId& agent,
                                              const std::optional<v1::Unavailability>&) {
  record("updateUnavailability").agent = agent;
}

void RecordingAllocator::updateInverseOffer(const AgentId& agent, const FrameworkId& framework,
                                            bool, const std::optional<v1::Filters>&) {
  AllocatorCall& call = record("updateInverseOffer");
  call.agent = agent;
  call.framework = framework;
}

void RecordingAllocator::transitionOfferedToAllocated(const AgentId& agent,
                                                      const Resources& resources) {
  AllocatorCall& call = record("transitionOfferedToAllocated");
  call.agent = agent;
  call.resources = resources;
}

void RecordingAllocator::recoverResources(const FrameworkId& framework, const AgentId& agent,
                                          const Resources& resources,
                                          const std::optional<v1::Filters>& filters,
                                          bool isAllocated) {
  AllocatorCall& call = record("recoverResources");
  call.framework = framework;
  call.agent = agent;
  call.resources = resources;
  call.filters = filters;
  call.flag = isAllocated;
}

void RecordingAllocator::suppressOffers(const FrameworkId& framework,
                                        const std::set<std::string>&) {
  record("suppressOffers").framework = framework;
}

void RecordingAllocator::reviveOffers(const FrameworkId& framework, const std::set<std::string>&) {
  record("reviveOffers").framework = framework;
}

void RecordingAllocator::updateQuota(const std::string&, const Quota&) {
  record("updateQuota");
}

void RecordingAllocator::updateWeights(const std::vector<v1::WeightInfo>&) {
  record("updateWeights");
}

void RecordingAllocator::pause() {
  record("pause");
}

void RecordingAllocator::resume() {
  record("resume");
}

Result<void> MemoryRegistryStore::initialize(Runtime& runtime) {
  runtime_ = &runtime;
  return {};
}

void MemoryRegistryStore::read(std::function<void(Result<StoredRegistry>)> done) {
  runtime_->post([done = std::move(done), stored = stored_] { done(stored); });
}

void MemoryRegistryStore::write(const std::string& data, std::int64_t expected,
                                std::function<void(Result<std::int64_t>)> done) {
  if (expected != stored_.version) {
    runtime_->post([done = std::move(done)] { done(fail("the version moved")); });
    return;
  }
  stored_.data = data;
  stored_.version++;
  runtime_->post([done = std::move(done), version = stored_.version] { done(version); });
}

internal::Registry MemoryRegistryStore::registry() const {
  internal::Registry registry;
  if (stored_.data) registry.ParseFromString(*stored_.data);
  return registry;
}

template <typename Event>
bool RecordingStream<Event>::write(std::string bytes) {
  if (!open_) return false;
  auto records = decoder_.decode(bytes);
  EXPECT_TRUE(records.has_value()) << records.error().message();
  if (!records) return false;
  for (const std::string& record : *records) {
    Event event;
    EXPECT_TRUE(event.ParseFromString(record)) << "not a protobuf event";
    events_.push_back(std::move(event));
  }
  return true;
}

template <typename Event>
void RecordingStream<Event>::disconnect() {
  if (!open_) return;
  open_ = false;
  if (onDisconnect_) onDisconnect_();
}

template <typename Event>
std::vector<Event> RecordingStream<Event>::events(typename Event::Type type) const {
  std::vector<Event> found;
  for (const Event& event : events_) {
    if (event.type() == type) found.push_back(event);
  }
  return found;
}

template <typename Event>
Event RecordingStream<Event>::last(typename Event::Type type) const {
  auto found = events(type);
  return found.empty() ? Event() : found.back();
}

template class RecordingStream<v1::scheduler::Event>;
template class RecordingStream<internal::AgentEvent>;

v1::FrameworkInfo frameworkInfo(const std::string& name,
                                std::vector<v1::FrameworkInfo::Capability::Type> capabilities) {
  v1::FrameworkInfo info;
  info.set_name(name);
  info.set_user("nobody");
  info.set_role("*");
  for (auto type : capabilities)
    info.add_capabilities()->set_type(type);
  return info;
}

Resources resources(const std::string& text, const std::string& role) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message();
  if (!parsed) return {};
  v1::Resource::AllocationInfo allocation;
  allocation.set_role(role);
  google::protobuf::RepeatedPtrField<v1::Resource> wire;
  parsed->toWire(&wire);
  for (v1::Resource& resource : wire)
    *resource.mutable_allocation_info() = allocation;
  return *Resources::fromWire(wire);
}

MasterHarness::MasterHarness(std::function<void(MasterFlags&)> configure) {
  flags_.heartbeatInterval = std::chrono::seconds(15);
  if (configure) configure(flags_);
  MasterContext context{.runtime = runtime_,
                        .ip = "127.0.0.1",
                        .port = 5050,
                        .hostname = "master1",
                        .workDir = "",
                        .allFlags = allFlags_,
                        .stop = [this](int status) { stopped_ = status; }};
  master_ = std::make_unique<Master>(std::move(context), flags_, allocator_, hooks::HookChain(),
                                     nullptr, Election{}, store_);
  auto initialized = master_->initialize();
  EXPECT_TRUE(initialized.has_value()) << initialized.error().message();
  auto started = master_->startElection();
  EXPECT_TRUE(started.has_value()) << started.error().message();
  runtime_.runPosted();
  EXPECT_TRUE(master_->elected());
}

MasterHarness::~MasterHarness() {
  master_.reset();
}

TestScheduler MasterHarness::subscribe(const v1::FrameworkInfo& info) {
  TestScheduler scheduler;
  scheduler.stream = std::make_shared<SchedulerStream>();
  scheduler.streamId = "scheduler-stream-" + std::to_string(++streams_);
  Subscription subscription{scheduler.stream, scheduler.streamId, Encoding::kProtobuf};
  v1::scheduler::Call::Subscribe call;
  *call.mutable_framework_info() = info;
  auto subscribed = master_->subscribe(call, subscription);
  if (!subscribed) {
    v1::scheduler::Event error;
    error.set_type(v1::scheduler::Event::ERROR);
    error.mutable_error()->set_message(subscribed.error().message());
    scheduler.stream->write(api::encodeRecord(error, api::Encoding::kProtobuf));
    return scheduler;
  }
  runtime_.runPosted();
  auto event = scheduler.stream->last(v1::scheduler::Event::SUBSCRIBED);
  if (event.has_subscribed())
    scheduler.id = FrameworkId::fromWire(event.subscribed().framework_id());
  return scheduler;
}

Result<void> MasterHarness::call(const TestScheduler& scheduler, v1::scheduler::Call call) {
  scheduler.id.toWire(call.mutable_framework_id());
  master_->countCall(call.type());
  auto done = master_->call(call);
  runtime_.runPosted();
  return done;
}

TestAgent MasterHarness::registerAgent(const std::string& total, const std::string& hostname) {
  TestAgent agent;
  agent.stream = std::make_shared<AgentStream>();
  agent.streamId = master_->newAgentStreamId();
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  v1::AgentInfo* info = call.mutable_register_()->mutable_agent_info();
  info->set_hostname(hostname);
  info->set_port(5051);
  auto parsed = Resources::parse(total);
  EXPECT_TRUE(parsed.has_value());
  if (parsed) parsed->toWire(info->mutable_resources());
  call.mutable_register_()->set_endpoint("127.0.0.1:5051");
  Subscription subscription{agent.stream, agent.streamId, Encoding::kProtobuf};
  auto registered = master_->registerAgent(call, subscription);
  EXPECT_TRUE(registered.has_value()) << registered.error().message();
  runtime_.runPosted();
  auto event = agent.stream->last(internal::AgentEvent::REGISTERED);
  if (event.has_registered()) agent.id = AgentId::fromWire(event.registered().agent_id());
  return agent;
}

void MasterHarness::agentCall(const TestAgent& agent, internal::AgentCall call) {
  agent.id.toWire(call.mutable_agent_id());
  master_->agentCall(call);
  runtime_.runPosted();
}

void MasterHarness::statusUpdate(const TestAgent& agent, const FrameworkId& framework,
                                 const std::string& task, v1::TaskState state,
                                 const std::string& uuid) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::UPDATE);
  framework.toWire(call.mutable_update()->mutable_framework_id());
  v1::TaskStatus* status = call.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value(task);
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  if (!uuid.empty()) status->set_uuid(uuid);
  agent.id.toWire(status->mutable_agent_id());
  agentCall(agent, std::move(call));
}

void MasterHarness::offer(const FrameworkId& framework, const AgentId& agent,
                          const std::string& text, const std::string& role) {
  OfferedResources offered;
  offered[role][agent] = resources(text, role);
  allocator_.callbacks().offer(framework, offered);
  runtime_.runPosted();
}

Result<void> MasterHarness::accept(const TestScheduler& scheduler, const v1::OfferID& offer,
                                   std::vector<v1::Offer::Operation> operations,
                                   std::optional<v1::Filters> filters) {
  v1::scheduler::Call call;
  call.set_type(v1::scheduler::Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer;
  for (auto& operation : operations)
    *call.mutable_accept()->add_operations() = std::move(operation);
  if (filters) *call.mutable_accept()->mutable_filters() = *filters;
  return this->call(scheduler, std::move(call));
}

v1::Offer::Operation launch(const std::string& id, const std::string& text,
                            const v1::AgentID& agent) {
  v1::Offer::Operation operation;
  operation.set_type(v1::Offer::Operation::LAUNCH);
  v1::TaskInfo* task = operation.mutable_launch()->add_task_infos();
  task->set_name(id);
  task->mutable_task_id()->set_value(id);
  *task->mutable_agent_id() = agent;
  task->mutable_command()->set_value("sleep 1000");
  Resources::parse(text)->toWire(task->mutable_resources());
  return operation;
}

}  // namespace plexus::master::testing
