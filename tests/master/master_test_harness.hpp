// An in-process master for tests: a Master on a FakeRuntime, with a recording
// allocator, an in-memory registry store and event streams the test reads, driven
// through the same narrow calls (master_calls.hpp) the HTTP endpoints use. No
// socket, no process, no sleep: time moves only when the test advances it.
//
//   MasterHarness harness;                       // elected at once (standalone)
//   auto scheduler = harness.subscribe(frameworkInfo("pi"));
//   auto agent = harness.registerAgent("cpus:4;mem:1024");
//   harness.offer(scheduler.id, agent.id, "cpus:4;mem:1024");
//   v1::scheduler::Event offers = scheduler.stream->last(v1::scheduler::Event::OFFERS);
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <plexus/allocator.hpp>
#include <plexus/recordio.hpp>
#include <plexus/registry_store.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/v1/scheduler.pb.h>

#include "agent_protocol.pb.h"
#include "master/master.hpp"

namespace plexus::master::testing {

// What the master asked of the allocator, one entry per call, in order.
struct AllocatorCall {
  std::string method;  // "addFramework", "recoverResources", ...
  std::optional<FrameworkId> framework;
  std::optional<AgentId> agent;
  Resources resources;                 // recoverResources, transitionOfferedToAllocated, ...
  std::optional<v1::Filters> filters;  // recoverResources
  bool flag = false;                   // addFramework: active; recoverResources: isAllocated
};

// An Allocator that offers nothing by itself and records every call; the test
// makes offers through callbacks().offer (MasterHarness::offer).
class RecordingAllocator final : public Allocator {
 public:
  Result<void> initialize(const AllocatorOptions& options, AllocatorCallbacks callbacks,
                          Runtime& runtime) override;
  void recover(int expectedAgentCount, const std::map<std::string, Quota>& quotas) override;
  void addFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                    const std::map<AgentId, Resources>& used, bool active,
                    FrameworkOptions options) override;
  void removeFramework(const FrameworkId& framework) override;
  void activateFramework(const FrameworkId& framework) override;
  void deactivateFramework(const FrameworkId& framework) override;
  void updateFramework(const FrameworkId& framework, const v1::FrameworkInfo& info,
                       FrameworkOptions options) override;
  void addAgent(const AgentId& agent, const v1::AgentInfo& info,
                const std::optional<v1::Unavailability>& unavailability, const Resources& total,
                const std::map<FrameworkId, Resources>& used) override;
  void removeAgent(const AgentId& agent) override;
  void updateAgent(const AgentId& agent, const v1::AgentInfo& info,
                   const std::optional<Resources>& total) override;
  void activateAgent(const AgentId& agent) override;
  void deactivateAgent(const AgentId& agent) override;
  void updateWhitelist(const std::optional<std::set<std::string>>& hostnames) override;
  void requestResources(const FrameworkId& framework,
                        const std::vector<v1::Request>& requests) override;
  void updateAllocation(const FrameworkId& framework, const AgentId& agent,
                        const Resources& offered,
                        const std::vector<ResourceConversion>& conversions) override;
  Result<void> updateAvailable(const AgentId& agent,
                               const std::vector<v1::Offer::Operation>& operations) override;
  void updateUnavailability(const AgentId& agent,
                            const std::optional<v1::Unavailability>& unavailability) override;
  void updateInverseOffer(const AgentId& agent, const FrameworkId& framework, bool accepted,
                          const std::optional<v1::Filters>& filters) override;
  void transitionOfferedToAllocated(const AgentId& agent, const Resources& resources) override;
  void recoverResources(const FrameworkId& framework, const AgentId& agent,
                        const Resources& resources, const std::optional<v1::Filters>& filters,
                        bool isAllocated) override;
  void suppressOffers(const FrameworkId& framework, const std::set<std::string>& roles) override;
  void reviveOffers(const FrameworkId& framework, const std::set<std::string>& roles) override;
  void updateQuota(const std::string& role, const Quota& quota) override;
  void updateWeights(const std::vector<v1::WeightInfo>& weights) override;
  void pause() override;
  void resume() override;

  AllocatorCallbacks& callbacks() { return callbacks_; }
  const std::vector<AllocatorCall>& calls() const { return calls_; }
  // The calls named `method`, in order.
  std::vector<AllocatorCall> calls(const std::string& method) const;
  void clear() { calls_.clear(); }

 private:
  AllocatorCall& record(std::string method);

  AllocatorCallbacks callbacks_;
  std::vector<AllocatorCall> calls_;
};

// A registry store in memory; answers are posted to the runtime, as a real store's.
class MemoryRegistryStore final : public RegistryStore {
 public:
  Result<void> initialize(Runtime& runtime) override;
  void read(std::function<void(Result<StoredRegistry>)> done) override;
  void write(const std::string& data, std::int64_t expected,
             std::function<void(Result<std::int64_t>)> done) override;
  std::string describe() const override { return "memory"; }

  internal::Registry registry() const;

 private:
  Runtime* runtime_ = nullptr;
  StoredRegistry stored_;
};

// The events the master wrote on one stream, decoded (protobuf encoding).
template <typename Event>
class RecordingStream final : public EventStream {
 public:
  bool write(std::string bytes) override;
  void close() override { open_ = false; }
  bool isOpen() const override { return open_; }
  void onDisconnect(std::function<void()> callback) override {
    onDisconnect_ = std::move(callback);
  }

  // The subscriber goes away: the stream closes and the master hears of it.
  void disconnect();

  const std::vector<Event>& events() const { return events_; }
  // The events of `type`, in order; the last one (a default Event if none).
  std::vector<Event> events(typename Event::Type type) const;
  Event last(typename Event::Type type) const;
  void clear() { events_.clear(); }

 private:
  bool open_ = true;
  std::function<void()> onDisconnect_;
  RecordIODecoder decoder_;
  std::vector<Event> events_;
};

using SchedulerStream = RecordingStream<v1::scheduler::Event>;
using AgentStream = RecordingStream<internal::AgentEvent>;

struct TestScheduler {
  FrameworkId id;
  std::string streamId;
  std::shared_ptr<SchedulerStream> stream;
};

struct TestAgent {
  AgentId id;
  std::string streamId;
  std::shared_ptr<AgentStream> stream;
};

// A FrameworkInfo named `name` in role "*", with `capabilities`.
v1::FrameworkInfo frameworkInfo(const std::string& name,
                                std::vector<v1::FrameworkInfo::Capability::Type> capabilities = {});
// `text` (Resources::parse), allocated to `role`.
Resources resources(const std::string& text, const std::string& role = "*");

class MasterHarness {
 public:
  // The master is built, initialized and elected (standalone) with `flags`.
  explicit MasterHarness(std::function<void(MasterFlags&)> configure = nullptr);
  ~MasterHarness();

  Master& master() { return *master_; }
  plexus::testing::FakeRuntime& runtime() { return runtime_; }
  RecordingAllocator& allocator() { return allocator_; }
  MemoryRegistryStore& store() { return *store_; }
  // The status the master asked the daemon to exit with, if it did.
  std::optional<int> stopped() const { return stopped_; }

  // SUBSCRIBE with `info` on a new stream; the id SUBSCRIBED gave (empty if none).
  TestScheduler subscribe(const v1::FrameworkInfo& info);
  // A call of `scheduler`'s framework (framework_id set here); its answer.
  Result<void> call(const TestScheduler& scheduler, v1::scheduler::Call call);

  // REGISTER with `total` on a new stream; the id REGISTERED gave.
  TestAgent registerAgent(const std::string& total, const std::string& hostname = "agent1");
  // An agent call from `agent` (agent_id set here).
  void agentCall(const TestAgent& agent, internal::AgentCall call);
  // The agent reports `state` for `task` of `framework` (uuid set when `uuid`).
  void statusUpdate(const TestAgent& agent, const FrameworkId& framework, const std::string& task,
                    v1::TaskState state, const std::string& uuid = "0123456789abcdef");

  // The allocator offers `text` on `agent` to `framework`'s role `role`.
  void offer(const FrameworkId& framework, const AgentId& agent, const std::string& text,
             const std::string& role = "*");
  // ACCEPT of `offer` with `operations` (and `filters` when given).
  Result<void> accept(const TestScheduler& scheduler, const v1::OfferID& offer,
                      std::vector<v1::Offer::Operation> operations,
                      std::optional<v1::Filters> filters = std::nullopt);

 private:
  plexus::testing::FakeRuntime runtime_;
  Flags allFlags_{"plexus-master", ""};
  MasterFlags flags_;
  RecordingAllocator allocator_;
  std::shared_ptr<MemoryRegistryStore> store_ = std::make_shared<MemoryRegistryStore>();
  std::optional<int> stopped_;
  std::unique_ptr<Master> master_;
  int streams_ = 0;
};

// A LAUNCH of one command task `id` using `text`.
v1::Offer::Operation launch(const std::string& id, const std::string& text,
                            const v1::AgentID& agent);

}  // namespace plexus::master::testing
