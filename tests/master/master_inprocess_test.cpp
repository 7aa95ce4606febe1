// The master's logic in-process (master_test_harness.hpp): a Master on a
// FakeRuntime with a recording allocator, driven through the calls its HTTP
// endpoints make. What each test checks is what the allocator was told and what
// went down the scheduler's and the agent's streams; time moves only by advance().
#include <gtest/gtest.h>

#include "master_test_harness.hpp"

namespace plexus::master::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;
using Capability = v1::FrameworkInfo::Capability;

// A subscribed framework, a registered agent with cpus:4;mem:1024, and one offer
// of all of it.
struct Offered {
  TestScheduler scheduler;
  TestAgent agent;
  v1::Offer offer;
};

Offered offerEverything(MasterHarness& harness,
                        const v1::FrameworkInfo& info = frameworkInfo("f")) {
  Offered offered;
  offered.scheduler = harness.subscribe(info);
  offered.agent = harness.registerAgent("cpus:4;mem:1024");
  harness.offer(offered.scheduler.id, offered.agent.id, "cpus:4;mem:1024");
  auto event = offered.scheduler.stream->last(Event::OFFERS);
  EXPECT_EQ(event.offers().offers_size(), 1);
  if (event.offers().offers_size() == 1) offered.offer = event.offers().offers(0);
  harness.allocator().clear();
  offered.scheduler.stream->clear();
  offered.agent.stream->clear();
  return offered;
}

// How much of `name` in `resources` is dynamically reserved.
double reservedScalar(const Resources& resources, const std::string& name) {
  google::protobuf::RepeatedPtrField<v1::Resource> wire;
  resources.toWire(&wire);
  double total = 0;
  for (const v1::Resource& resource : wire) {
    if (resource.name() == name && resource.reservations_size() > 0)
      total += resource.scalar().value();
  }
  return total;
}

// Launches task `id` with `text` on the offer; the task is then TASK_STAGING.
void launchTask(MasterHarness& harness, const Offered& offered, const std::string& id,
                const std::string& text) {
  ASSERT_TRUE(harness.accept(offered.scheduler, offered.offer.id(),
                             {launch(id, text, offered.offer.agent_id())}));
  ASSERT_EQ(offered.agent.stream->events(internal::AgentEvent::RUN_TASK).size(), 1u);
}

TEST(MasterInProcessTest, SubscribeIsStoredThenSubscribedAndTheAllocatorAddsAnActiveFramework) {
  MasterHarness harness;
  auto scheduler = harness.subscribe(frameworkInfo("pi"));
  ASSERT_FALSE(scheduler.id.value().empty());
  auto subscribed = scheduler.stream->last(Event::SUBSCRIBED).subscribed();
  EXPECT_EQ(subscribed.heartbeat_interval_seconds(), 15);
  EXPECT_EQ(subscribed.master_info().id(), harness.master().info().id());
  // SUBSCRIBED went out once the registry held the framework.
  ASSERT_EQ(harness.store().registry().frameworks_size(), 1);
  EXPECT_EQ(harness.store().registry().frameworks(0).id().value(), scheduler.id.value());
  auto added = harness.allocator().calls("addFramework");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].framework, scheduler.id);
  EXPECT_TRUE(added[0].flag);
  // A heartbeat at once, and one every heartbeat interval.
  EXPECT_EQ(scheduler.stream->events(Event::HEARTBEAT).size(), 1u);
  harness.runtime().advance(std::chrono::seconds(15));
  EXPECT_EQ(scheduler.stream->events(Event::HEARTBEAT).size(), 2u);
}

TEST(MasterInProcessTest, ResubscribingFailsOverTheOldStreamAndUpdatesTheAllocator) {
  MasterHarness harness;
  auto first = harness.subscribe(frameworkInfo("pi"));
  v1::FrameworkInfo again = frameworkInfo("pi");
  first.id.toWire(again.mutable_id());
  auto second = harness.subscribe(again);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(first.stream->last(Event::ERROR).error().message(), "Framework failed over");
  EXPECT_FALSE(first.stream->isOpen());
  EXPECT_TRUE(second.stream->isOpen());
  EXPECT_EQ(harness.allocator().calls("addFramework").size(), 1u);
  EXPECT_EQ(harness.allocator().calls("updateFramework").size(), 1u);
  // The old stream's calls are no longer the framework's: the endpoint checks this id.
  EXPECT_EQ(harness.master().framework(first.id)->subscription.streamId, second.streamId);
}

TEST(MasterInProcessTest, ResubscribingUnderAnotherPrincipalOrAfterTeardownIsRefused) {
  MasterHarness harness;
  v1::FrameworkInfo info = frameworkInfo("pi");
  info.set_principal("alice");
  auto scheduler = harness.subscribe(info);
  v1::FrameworkInfo other = info;
  scheduler.id.toWire(other.mutable_id());
  other.set_principal("mallory");
  auto refused = harness.subscribe(other);
  EXPECT_TRUE(refused.id.value().empty());
  EXPECT_NE(refused.stream->last(Event::ERROR).error().message().find("different principal"),
            std::string::npos);

  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  ASSERT_TRUE(harness.call(scheduler, teardown));
  v1::FrameworkInfo back = info;
  scheduler.id.toWire(back.mutable_id());
  auto removed = harness.subscribe(back);
  EXPECT_TRUE(removed.id.value().empty());
  EXPECT_NE(removed.stream->last(Event::ERROR).error().message().find("has been removed"),
            std::string::npos);
}

TEST(MasterInProcessTest, AnAgentIsAdmittedInTheRegistryBeforeRegisteredAndTheAllocatorAddsIt) {
  MasterHarness harness;
  auto agent = harness.registerAgent("cpus:4;mem:1024");
  ASSERT_FALSE(agent.id.value().empty());
  ASSERT_EQ(harness.store().registry().admitted_agents_size(), 1);
  EXPECT_EQ(harness.store().registry().admitted_agents(0).id().value(), agent.id.value());
  auto added = harness.allocator().calls("addAgent");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].agent, agent.id);
  EXPECT_EQ(added[0].resources, *Resources::parse("cpus:4;mem:1024"));
  auto registered = agent.stream->last(internal::AgentEvent::REGISTERED).registered();
  EXPECT_EQ(registered.ping_interval_seconds(), 15);
  EXPECT_EQ(registered.max_ping_timeouts(), 5);
}

TEST(MasterInProcessTest, AnOfferCarriesTheAgentAndOffersToAnInactiveFrameworkGoBack) {
  MasterHarness harness;
  auto scheduler = harness.subscribe(frameworkInfo("f", {Capability::MULTI_ROLE}));
  auto agent = harness.registerAgent("cpus:4;mem:1024", "node7");
  harness.offer(scheduler.id, agent.id, "cpus:2;mem:512");
  auto offers = scheduler.stream->last(Event::OFFERS).offers();
  ASSERT_EQ(offers.offers_size(), 1);
  const v1::Offer& offer = offers.offers(0);
  EXPECT_EQ(offer.hostname(), "node7");
  EXPECT_EQ(offer.agent_id().value(), agent.id.value());
  EXPECT_EQ(offer.url().address().ip(), "127.0.0.1");
  EXPECT_EQ(offer.url().address().port(), 5051);
  EXPECT_EQ(offer.allocation_info().role(), "*");
  EXPECT_EQ(*Resources::fromWire(offer.resources()), resources("cpus:2;mem:512"));

  scheduler.stream->disconnect();
  EXPECT_EQ(harness.allocator().calls("deactivateFramework").size(), 1u);
  harness.allocator().clear();
  harness.offer(scheduler.id, agent.id, "cpus:2;mem:512");
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:2;mem:512"));
  EXPECT_FALSE(recovered[0].flag);
}

TEST(MasterInProcessTest, AnOfferUnansweredForOfferTimeoutIsRescindedAndItsResourcesRecovered) {
  MasterHarness harness(
      [](MasterFlags& flags) { flags.offerTimeoutValue = std::chrono::seconds(30); });
  Offered offered = offerEverything(harness);
  harness.runtime().advance(std::chrono::seconds(29));
  EXPECT_TRUE(offered.scheduler.stream->events(Event::RESCIND).empty());
  harness.runtime().advance(std::chrono::seconds(1));
  auto rescinds = offered.scheduler.stream->events(Event::RESCIND);
  ASSERT_EQ(rescinds.size(), 1u);
  EXPECT_EQ(rescinds[0].rescind().offer_id().value(), offered.offer.id().value());
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:4;mem:1024"));
  // A rescinded offer cannot be accepted: its tasks are lost.
  ASSERT_TRUE(harness.accept(offered.scheduler, offered.offer.id(),
                             {launch("t1", "cpus:1;mem:128", offered.offer.agent_id())}));
  auto lost = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(lost.state(), v1::TASK_LOST);
  EXPECT_EQ(lost.reason(), v1::TaskStatus::REASON_INVALID_OFFERS);
}

TEST(MasterInProcessTest, DeclineHandsItsFiltersOrTheDefaultToTheAllocator) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  Call decline;
  decline.set_type(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offered.offer.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(60);
  ASSERT_TRUE(harness.call(offered.scheduler, decline));
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  ASSERT_TRUE(recovered[0].filters);
  EXPECT_EQ(recovered[0].filters->refuse_seconds(), 60);
  EXPECT_EQ(recovered[0].resources, resources("cpus:4;mem:1024"));

  // Declined again (it is gone): nothing more goes back.
  ASSERT_TRUE(harness.call(offered.scheduler, decline));
  EXPECT_EQ(harness.allocator().calls("recoverResources").size(), 1u);

  harness.offer(offered.scheduler.id, offered.agent.id, "cpus:1");
  auto second = offered.scheduler.stream->last(Event::OFFERS).offers().offers(0);
  decline.mutable_decline()->clear_filters();
  *decline.mutable_decline()->mutable_offer_ids(0) = second.id();
  harness.allocator().clear();
  ASSERT_TRUE(harness.call(offered.scheduler, decline));
  recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  ASSERT_TRUE(recovered[0].filters);  // Mesos's default: refuse_seconds 5
  EXPECT_EQ(recovered[0].filters->refuse_seconds(), 5);
}

TEST(MasterInProcessTest, AcceptWithLaunchRunsTheTaskAndReturnsTheRestWithTheFilters) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  v1::Filters filters;
  filters.set_refuse_seconds(10);
  ASSERT_TRUE(harness.accept(offered.scheduler, offered.offer.id(),
                             {launch("t1", "cpus:1;mem:128", offered.offer.agent_id())}, filters));
  auto runs = offered.agent.stream->events(internal::AgentEvent::RUN_TASK);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_task().task().task_id().value(), "t1");
  EXPECT_EQ(runs[0].run_task().framework_info().id().value(), offered.scheduler.id.value());
  auto allocated = harness.allocator().calls("transitionOfferedToAllocated");
  ASSERT_EQ(allocated.size(), 1u);
  EXPECT_EQ(allocated[0].resources, resources("cpus:1;mem:128"));
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:3;mem:896"));
  ASSERT_TRUE(recovered[0].filters);
  EXPECT_EQ(recovered[0].filters->refuse_seconds(), 10);
  const FrameworkRecord* framework = harness.master().framework(offered.scheduler.id);
  ASSERT_EQ(framework->tasks.active().size(), 1u);
  EXPECT_EQ(framework->tasks.active().begin()->second.task.state(), v1::TASK_STAGING);
  EXPECT_TRUE(framework->offers.empty());
}

TEST(MasterInProcessTest, ATaskAskingMoreThanOfferedIsTaskErrorAndNothingIsAllocated) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  ASSERT_TRUE(harness.accept(offered.scheduler, offered.offer.id(),
                             {launch("big", "cpus:8;mem:128", offered.offer.agent_id())}));
  auto status = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(status.task_id().value(), "big");
  EXPECT_EQ(status.state(), v1::TASK_ERROR);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_TASK_INVALID);
  EXPECT_NE(status.message().find("more resources"), std::string::npos);
  EXPECT_TRUE(offered.agent.stream->events(internal::AgentEvent::RUN_TASK).empty());
  EXPECT_TRUE(harness.allocator().calls("transitionOfferedToAllocated").empty());
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:4;mem:1024"));
}

TEST(MasterInProcessTest, AcceptOfAnotherFrameworksOfferDropsTheTasksOfAPartitionAwareFramework) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  auto other = harness.subscribe(frameworkInfo("other", {Capability::PARTITION_AWARE}));
  ASSERT_TRUE(harness.accept(other, offered.offer.id(),
                             {launch("t1", "cpus:1;mem:128", offered.offer.agent_id())}));
  auto status = other.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(status.state(), v1::TASK_DROPPED);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_INVALID_OFFERS);
  EXPECT_EQ(status.message(),
            "Offer " + offered.offer.id().value() + " belongs to another framework");
  // The offer is still the first framework's.
  EXPECT_EQ(harness.master().framework(offered.scheduler.id)->offers.size(), 1u);
}

TEST(MasterInProcessTest, AcceptWithReserveUpdatesTheAllocationAndCheckpointsOnTheAgent) {
  MasterHarness harness;
  v1::FrameworkInfo info = frameworkInfo("f", {Capability::MULTI_ROLE});
  info.clear_role();
  info.add_roles("eng");
  info.set_principal("ops");
  auto scheduler = harness.subscribe(info);
  auto agent = harness.registerAgent("cpus:4;mem:1024");
  harness.offer(scheduler.id, agent.id, "cpus:4;mem:1024", "eng");
  auto offer = scheduler.stream->last(Event::OFFERS).offers().offers(0);
  v1::Offer::Operation reserve;
  reserve.set_type(v1::Offer::Operation::RESERVE);
  v1::Resource* cpus = reserve.mutable_reserve()->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(2);
  v1::Resource::ReservationInfo* reservation = cpus->add_reservations();
  reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role("eng");
  reservation->set_principal("ops");
  harness.allocator().clear();
  ASSERT_TRUE(harness.accept(scheduler, offer.id(), {reserve}));
  auto updated = harness.allocator().calls("updateAllocation");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].agent, agent.id);
  auto checkpoints = agent.stream->events(internal::AgentEvent::CHECKPOINT_RESOURCES);
  ASSERT_EQ(checkpoints.size(), 1u);
  // The reserved cpus go back to the allocator with the rest.
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(reservedScalar(recovered[0].resources, "cpus"), 2);
  EXPECT_EQ(reservedScalar(harness.master().agent(agent.id)->total, "cpus"), 2);
  EXPECT_EQ(reservedScalar(harness.master().agent(agent.id)->total, "mem"), 0);
}

TEST(MasterInProcessTest, StatusUpdatesReachTheSchedulerAndAcknowledgementsTheAgent) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.statusUpdate(offered.agent, offered.scheduler.id, "t1", v1::TASK_RUNNING);
  auto update = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(update.task_id().value(), "t1");
  EXPECT_EQ(update.state(), v1::TASK_RUNNING);
  EXPECT_EQ(update.uuid(), "0123456789abcdef");
  const FrameworkRecord* framework = harness.master().framework(offered.scheduler.id);
  EXPECT_EQ(framework->tasks.active().at(TaskId("t1")).task.state(), v1::TASK_RUNNING);

  Call ack;
  ack.set_type(Call::ACKNOWLEDGE);
  *ack.mutable_acknowledge()->mutable_agent_id() = offered.offer.agent_id();
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid("0123456789abcdef");
  ASSERT_TRUE(harness.call(offered.scheduler, ack));
  auto acks = offered.agent.stream->events(internal::AgentEvent::ACKNOWLEDGE);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].acknowledge().task_id().value(), "t1");
  EXPECT_EQ(acks[0].acknowledge().uuid(), "0123456789abcdef");
  EXPECT_EQ(acks[0].acknowledge().framework_id().value(), offered.scheduler.id.value());
}

TEST(MasterInProcessTest, ATerminalUpdateCompletesTheTaskAndRecoversItsResourcesAsAllocated) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.allocator().clear();
  harness.statusUpdate(offered.agent, offered.scheduler.id, "t1", v1::TASK_FINISHED);
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:1;mem:128"));
  EXPECT_TRUE(recovered[0].flag);
  const FrameworkRecord* framework = harness.master().framework(offered.scheduler.id);
  EXPECT_TRUE(framework->tasks.active().empty());
  ASSERT_EQ(framework->tasks.completed().count(TaskId("t1")), 1u);
  EXPECT_TRUE(harness.master().agent(offered.agent.id)->used.empty());
  // A duplicate terminal update is forwarded but frees nothing twice.
  harness.statusUpdate(offered.agent, offered.scheduler.id, "t1", v1::TASK_FINISHED);
  EXPECT_EQ(harness.allocator().calls("recoverResources").size(), 1u);
}

TEST(MasterInProcessTest, AnAgentMissingItsPingsIsUnreachableAndItsTasksAreLost) {
  MasterHarness harness([](MasterFlags& flags) {
    flags.agentPingTimeoutValue = std::chrono::seconds(1);
    flags.maxAgentPingTimeoutsValue = 2;
  });
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.runtime().advance(std::chrono::seconds(2));
  EXPECT_EQ(offered.agent.stream->events(internal::AgentEvent::PING).size(), 2u);
  EXPECT_TRUE(harness.allocator().calls("removeAgent").empty());
  harness.runtime().advance(std::chrono::seconds(1));
  ASSERT_EQ(harness.allocator().calls("removeAgent").size(), 1u);
  EXPECT_TRUE(harness.master().agent(offered.agent.id)->unreachable);
  ASSERT_EQ(harness.store().registry().unreachable_agents_size(), 1);
  auto lost = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(lost.task_id().value(), "t1");
  EXPECT_EQ(lost.state(), v1::TASK_LOST);
  EXPECT_EQ(lost.reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
  const FrameworkRecord* framework = harness.master().framework(offered.scheduler.id);
  EXPECT_TRUE(framework->tasks.active().empty());
  EXPECT_EQ(framework->tasks.unreachable().count(TaskId("t1")), 1u);
}

TEST(MasterInProcessTest, APongKeepsTheAgentReachable) {
  MasterHarness harness([](MasterFlags& flags) {
    flags.agentPingTimeoutValue = std::chrono::seconds(1);
    flags.maxAgentPingTimeoutsValue = 2;
  });
  auto agent = harness.registerAgent("cpus:1");
  for (int i = 0; i < 5; ++i) {
    harness.runtime().advance(std::chrono::seconds(1));
    internal::AgentCall pong;
    pong.set_type(internal::AgentCall::PONG);
    harness.agentCall(agent, pong);
  }
  EXPECT_TRUE(harness.allocator().calls("removeAgent").empty());
  EXPECT_FALSE(harness.master().agent(agent.id)->unreachable);
}

TEST(MasterInProcessTest, TeardownShutsTheFrameworkDownOnItsAgentsAndRecoversWhatItUsed) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.allocator().clear();
  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  ASSERT_TRUE(harness.call(offered.scheduler, teardown));
  auto shutdowns = offered.agent.stream->events(internal::AgentEvent::SHUTDOWN_FRAMEWORK);
  ASSERT_EQ(shutdowns.size(), 1u);
  EXPECT_EQ(shutdowns[0].shutdown_framework().framework_id().value(), offered.scheduler.id.value());
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:1;mem:128"));
  EXPECT_TRUE(recovered[0].flag);
  EXPECT_EQ(harness.allocator().calls("removeFramework").size(), 1u);
  EXPECT_EQ(harness.master().framework(offered.scheduler.id), nullptr);
  EXPECT_FALSE(offered.scheduler.stream->isOpen());
  EXPECT_EQ(harness.store().registry().frameworks_size(), 0);
}

TEST(MasterInProcessTest, ADisconnectedFrameworkIsRemovedAfterItsFailoverTimeout) {
  MasterHarness harness;
  v1::FrameworkInfo info = frameworkInfo("f");
  info.set_failover_timeout(60);
  Offered offered = offerEverything(harness, info);
  offered.scheduler.stream->disconnect();
  EXPECT_EQ(harness.allocator().calls("deactivateFramework").size(), 1u);
  // Its offer is withdrawn without a rescind (nobody to tell).
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(offered.scheduler.stream->events(Event::RESCIND).empty());
  harness.runtime().advance(std::chrono::seconds(59));
  EXPECT_TRUE(harness.allocator().calls("removeFramework").empty());
  harness.runtime().advance(std::chrono::seconds(1));
  EXPECT_EQ(harness.allocator().calls("removeFramework").size(), 1u);
  EXPECT_EQ(harness.master().framework(offered.scheduler.id), nullptr);
}

TEST(MasterInProcessTest,
     KillOfAnUnknownTaskAnswersAsReconciliationAndKillOfAKnownOneGoesToTheAgent) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  Call kill;
  kill.set_type(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("nope");
  ASSERT_TRUE(harness.call(offered.scheduler, kill));
  auto status = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(status.state(), v1::TASK_LOST);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_RECONCILIATION);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  ASSERT_TRUE(harness.call(offered.scheduler, kill));
  auto kills = offered.agent.stream->events(internal::AgentEvent::KILL_TASK);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].kill_task().task_id().value(), "t1");
}

TEST(MasterInProcessTest, AnUnreachableAgentReregisteringBringsItsTasksBackAndAnnouncesThem) {
  MasterHarness harness([](MasterFlags& flags) {
    flags.agentPingTimeoutValue = std::chrono::seconds(1);
    flags.maxAgentPingTimeoutsValue = 1;
  });
  Offered offered = offerEverything(harness, frameworkInfo("f", {Capability::PARTITION_AWARE}));
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.statusUpdate(offered.agent, offered.scheduler.id, "t1", v1::TASK_RUNNING);
  harness.runtime().advance(std::chrono::seconds(2));
  auto unreachable = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(unreachable.state(), v1::TASK_UNREACHABLE);
  const FrameworkRecord* framework = harness.master().framework(offered.scheduler.id);
  ASSERT_EQ(framework->tasks.unreachable().count(TaskId("t1")), 1u);

  // The agent comes back on a new stream with its task still running.
  auto stream = std::make_shared<AgentStream>();
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REREGISTER);
  v1::AgentInfo* info = call.mutable_reregister()->mutable_agent_info();
  info->set_hostname("agent1");
  offered.agent.id.toWire(info->mutable_id());
  Resources::parse("cpus:4;mem:1024")->toWire(info->mutable_resources());
  call.mutable_reregister()->set_endpoint("127.0.0.1:5051");
  *call.mutable_reregister()->add_frameworks() = framework->info;
  v1::Task* task = call.mutable_reregister()->add_tasks();
  *task = framework->tasks.unreachable().at(TaskId("t1")).task;
  task->set_state(v1::TASK_RUNNING);
  Subscription subscription{stream, harness.master().newAgentStreamId(), Encoding::kProtobuf};
  ASSERT_TRUE(harness.master().registerAgent(call, subscription));
  harness.runtime().runPosted();
  ASSERT_EQ(stream->events(internal::AgentEvent::REGISTERED).size(), 1u);
  EXPECT_FALSE(harness.master().agent(offered.agent.id)->unreachable);
  EXPECT_TRUE(framework->tasks.unreachable().empty());
  ASSERT_EQ(framework->tasks.active().count(TaskId("t1")), 1u);
  auto announced = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(announced.task_id().value(), "t1");
  EXPECT_EQ(announced.state(), v1::TASK_RUNNING);
  EXPECT_EQ(announced.reason(), v1::TaskStatus::REASON_AGENT_REREGISTERED);
  EXPECT_EQ(announced.message(), "Unreachable agent re-reregistered");
  // The allocator knows the agent again with what the task uses.
  EXPECT_EQ(harness.allocator().calls("addAgent").size(), 1u);
}

TEST(MasterInProcessTest, AnExecutorsExitIsAFailureAndFreesWhatTheExecutorHeld) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  v1::Offer::Operation operation = launch("t1", "cpus:1;mem:128", offered.offer.agent_id());
  v1::TaskInfo* task = operation.mutable_launch()->mutable_task_infos(0);
  task->clear_command();
  v1::ExecutorInfo* executor = task->mutable_executor();
  executor->mutable_executor_id()->set_value("e1");
  executor->mutable_command()->set_value("./executor");
  Resources::parse("cpus:0.5;mem:64")->toWire(executor->mutable_resources());
  ASSERT_TRUE(harness.accept(offered.scheduler, offered.offer.id(), {operation}));
  auto allocated = harness.allocator().calls("transitionOfferedToAllocated");
  ASSERT_EQ(allocated.size(), 1u);
  EXPECT_EQ(allocated[0].resources, resources("cpus:1.5;mem:192"));
  harness.allocator().clear();

  internal::AgentCall exited;
  exited.set_type(internal::AgentCall::EXECUTOR_EXITED);
  offered.scheduler.id.toWire(exited.mutable_executor_exited()->mutable_framework_id());
  exited.mutable_executor_exited()->mutable_executor_id()->set_value("e1");
  exited.mutable_executor_exited()->set_status(9);
  harness.agentCall(offered.agent, exited);
  auto failure = offered.scheduler.stream->last(Event::FAILURE).failure();
  EXPECT_EQ(failure.executor_id().value(), "e1");
  EXPECT_EQ(failure.agent_id().value(), offered.agent.id.value());
  EXPECT_EQ(failure.status(), 9);
  auto recovered = harness.allocator().calls("recoverResources");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].resources, resources("cpus:0.5;mem:64"));
  EXPECT_TRUE(recovered[0].flag);
  // An executor the master does not know (a command task's) is not reported.
  harness.agentCall(offered.agent, exited);
  EXPECT_EQ(offered.scheduler.stream->events(Event::FAILURE).size(), 1u);
}

TEST(MasterInProcessTest, ReconciliationReportsKnownTasksAndAnswersForUnknownOnes) {
  MasterHarness harness;
  Offered offered = offerEverything(harness);
  launchTask(harness, offered, "t1", "cpus:1;mem:128");
  harness.statusUpdate(offered.agent, offered.scheduler.id, "t1", v1::TASK_RUNNING);
  offered.scheduler.stream->clear();
  Call reconcile;
  reconcile.set_type(Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_TRUE(harness.call(offered.scheduler, reconcile));
  auto implicit = offered.scheduler.stream->events(Event::UPDATE);
  ASSERT_EQ(implicit.size(), 1u);
  EXPECT_EQ(implicit[0].update().status().task_id().value(), "t1");
  EXPECT_EQ(implicit[0].update().status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(implicit[0].update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_FALSE(implicit[0].update().status().has_uuid());  // never acknowledged

  offered.scheduler.stream->clear();
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("ghost");
  ASSERT_TRUE(harness.call(offered.scheduler, reconcile));
  auto ghost = offered.scheduler.stream->last(Event::UPDATE).update().status();
  EXPECT_EQ(ghost.task_id().value(), "ghost");
  EXPECT_EQ(ghost.state(), v1::TASK_LOST);
  EXPECT_EQ(ghost.message(), "Reconciliation: task is unknown");
}

}  // namespace
}  // namespace plexus::master::testing
