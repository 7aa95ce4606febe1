// A framework written before MULTI_ROLE and reservation refinement, through a real
// master and agents, treated as Mesos 1.11 treats it: FrameworkInfo.role (no
// capabilities), offers without allocation_info and with reservations in the
// pre-refinement format (`role` + `reservation`), and RESERVE, LAUNCH and UNRESERVE
// sent back in that format without allocation_info (the master injects the
// offer's). Also: command tasks end without a FAILURE event (only custom executors
// get one, as in Mesos).
#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/resources.hpp>
#include <plexus/task_state.hpp>
#include <plexus/v1/master.pb.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

constexpr const char* kPrincipal = "legacy-principal";

class LegacyFrameworkTest : public ClusterFixture {
 protected:
  static v1::FrameworkInfo legacyFramework() {
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name("legacy");
    info.set_role("eng");
    info.set_principal(kPrincipal);
    return info;
  }

  // An offer on `agent` (any agent when empty) for which `wanted` holds; offers
  // that do not match are kept by the master (not declined).
  std::optional<v1::Offer> offerWhere(Scheduler& scheduler, const std::string& agent,
                                      const std::function<bool(const v1::Offer&)>& wanted) {
    for (int i = 0; i < 100; ++i) {
      auto event = scheduler.next(Event::OFFERS);
      if (!event) return std::nullopt;
      for (const auto& offer : event->offers().offers()) {
        if ((agent.empty() || offer.agent_id().value() == agent) && wanted(offer)) return offer;
      }
    }
    return std::nullopt;
  }

  // The old-format resources of `offer` reserved to "eng".
  static google::protobuf::RepeatedPtrField<v1::Resource> reservedToEng(const v1::Offer& offer) {
    google::protobuf::RepeatedPtrField<v1::Resource> reserved;
    for (const auto& resource : offer.resources()) {
      if (resource.role() == "eng") *reserved.Add() = resource;
    }
    return reserved;
  }

  // Acknowledges updates until a terminal one, which it returns.
  static std::optional<v1::TaskStatus> terminalUpdate(Scheduler& scheduler) {
    std::optional<v1::TaskStatus> status;
    do {
      status = nextUpdate(scheduler);
    } while (status && !isTerminalState(status->state()));
    return status;
  }

  static Call accept(const v1::Offer& offer, v1::Offer::Operation operation) {
    Call call;
    call.set_type(Call::ACCEPT);
    *call.mutable_accept()->add_offer_ids() = offer.id();
    *call.mutable_accept()->add_operations() = std::move(operation);
    call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
    return call;
  }

  v1::master::Response operatorCall(v1::master::Call::Type type) {
    v1::master::Call call;
    call.set_type(type);
    http::Response response =
        post(port_, "/api/v1", "application/json", toJson(call), {{"Accept", "application/json"}});
    EXPECT_EQ(response.status, 200u) << response.body;
    auto parsed = fromJson<v1::master::Response>(response.body);
    EXPECT_TRUE(parsed) << response.body;
    return parsed ? *parsed : v1::master::Response();
  }
};

TEST_F(LegacyFrameworkTest, RoleAndOldReservationFormatWithoutAllocationInfo) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(legacyFramework()), 200u) << logs();

  // /state and GET_FRAMEWORKS show the singular role, as Mesos does.
  boost::json::value state = masterJson("/state");
  ASSERT_TRUE(state.is_object());
  const auto& framework = state.at("frameworks").at(0).as_object();
  EXPECT_EQ(framework.at("role").as_string(), "eng");
  EXPECT_FALSE(framework.contains("roles"));
  auto frameworks = operatorCall(v1::master::Call::GET_FRAMEWORKS).get_frameworks();
  ASSERT_EQ(frameworks.frameworks_size(), 1);
  EXPECT_EQ(frameworks.frameworks(0).framework_info().role(), "eng");
  EXPECT_EQ(frameworks.frameworks(0).framework_info().roles_size(), 0);

  // Offers as a pre-MULTI_ROLE, pre-refinement framework reads them.
  auto offer = offerWhere(scheduler, "", [](const v1::Offer&) { return true; });
  ASSERT_TRUE(offer) << logs();
  EXPECT_FALSE(offer->has_allocation_info());
  for (const auto& resource : offer->resources()) {
    EXPECT_FALSE(resource.has_allocation_info()) << toJson(resource);
    EXPECT_EQ(resource.reservations_size(), 0) << toJson(resource);
    EXPECT_TRUE(resource.has_role() && resource.role() == "*") << toJson(resource);
  }
  const std::string agent = offer->agent_id().value();

  // RESERVE in the old format, without allocation_info.
  v1::Offer::Operation reserve;
  reserve.set_type(v1::Offer::Operation::RESERVE);
  Resources::parse("cpus:1;mem:128")->toWire(reserve.mutable_reserve()->mutable_resources());
  for (auto& resource : *reserve.mutable_reserve()->mutable_resources()) {
    resource.set_role("eng");
    resource.mutable_reservation()->set_principal(kPrincipal);
  }
  ASSERT_EQ(scheduler.call(accept(*offer, reserve)).status, 202u);

  // The reservation comes back in the old format.
  auto reserved = offerWhere(
      scheduler, agent, [](const v1::Offer& offer) { return reservedToEng(offer).size() == 2; });
  ASSERT_TRUE(reserved) << "no offer with the reservation\n" << logs();
  for (const auto& resource : reservedToEng(*reserved)) {
    EXPECT_FALSE(resource.has_allocation_info()) << toJson(resource);
    EXPECT_EQ(resource.reservations_size(), 0) << toJson(resource);
    EXPECT_EQ(resource.reservation().principal(), kPrincipal) << toJson(resource);
  }

  // LAUNCH on the reserved resources exactly as offered (old format, no allocation_info).
  v1::Offer::Operation launch;
  launch.set_type(v1::Offer::Operation::LAUNCH);
  v1::TaskInfo* task = launch.mutable_launch()->add_task_infos();
  task->set_name("legacy-task");
  task->mutable_task_id()->set_value("legacy-task");
  *task->mutable_agent_id() = reserved->agent_id();
  task->mutable_command()->set_value("true");
  *task->mutable_resources() = reservedToEng(*reserved);
  ASSERT_EQ(scheduler.call(accept(*reserved, launch)).status, 202u);
  std::optional<v1::TaskStatus> status = terminalUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();
  state = masterJson("/state");
  const auto& completed = state.at("frameworks").at(0).at("completed_tasks").at(0).as_object();
  EXPECT_EQ(completed.at("role").as_string(), "eng");

  // UNRESERVE in the old format, without allocation_info: the agent's total has
  // no reservation left.
  auto again = offerWhere(scheduler, agent,
                          [](const v1::Offer& offer) { return reservedToEng(offer).size() == 2; });
  ASSERT_TRUE(again) << logs();
  v1::Offer::Operation unreserve;
  unreserve.set_type(v1::Offer::Operation::UNRESERVE);
  *unreserve.mutable_unreserve()->mutable_resources() = reservedToEng(*again);
  ASSERT_EQ(scheduler.call(accept(*again, unreserve)).status, 202u);
  EXPECT_TRUE(eventually([&] {
    boost::json::value now = masterJson("/state");
    if (!now.is_object()) return false;
    for (const auto& slave : now.at("slaves").as_array()) {
      if (slave.at("id").as_string() == agent)
        return slave.at("reserved_resources").as_object().empty();
    }
    return false;
  })) << masterJson("/state");
}

// LAUNCH_GROUP: neither the tasks' nor the executor's resources carry
// allocation_info; the master adds the offer's to both.
TEST_F(LegacyFrameworkTest, LaunchGroupWithoutAllocationInfo) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(legacyFramework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  executor.mutable_executor_id()->set_value("group");
  Resources::parse("cpus:0.1;mem:32")->toWire(executor.mutable_resources());
  v1::TaskInfo task = commandTask(offers[0], "in-group", "true");
  for (auto& resource : *task.mutable_resources())
    resource.clear_allocation_info();
  ASSERT_EQ(scheduler.call(launchGroup(offers[0], executor, {task})).status, 202u);
  std::optional<v1::TaskStatus> status = terminalUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();
}

// Mesos sends FAILURE only for the framework's own executors: a command task's
// executor (made by the agent) exits without one, a custom executor's exit is one.
TEST_F(LegacyFrameworkTest, CommandTasksEndWithoutFailureEvent) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(legacyFramework()), 200u);
  auto offers = offersFromEveryAgent(scheduler);
  ASSERT_EQ(offers.size(), 2u) << logs();
  v1::TaskInfo command = commandTask(offers[0], "command", "true");
  for (auto& resource : *command.mutable_resources())
    resource.clear_allocation_info();
  ASSERT_EQ(scheduler.call(launch(offers[0], {command})).status, 202u);
  std::optional<v1::TaskStatus> status = terminalUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message();
  // A custom executor on the other agent, then shut down: its exit, well after the
  // command task's executor ended, is the first FAILURE the framework hears of.
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::CUSTOM);
  executor.mutable_executor_id()->set_value("custom");
  executor.mutable_command()->set_shell(false);
  executor.mutable_command()->set_value(CLUSTER_TEST_EXECUTOR);
  executor.mutable_command()->add_arguments("cluster-test-executor");
  executor.mutable_command()->add_arguments("json");
  Resources::parse("cpus:0.1;mem:32")->toWire(executor.mutable_resources());
  v1::TaskInfo task = commandTask(offers[1], "on-custom", "");
  task.clear_command();
  for (auto& resource : *task.mutable_resources())
    resource.clear_allocation_info();
  *task.mutable_executor() = executor;
  ASSERT_EQ(scheduler.call(launch(offers[1], {task})).status, 202u);
  status = nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_RUNNING) << status->message();
  Call shutdown;
  shutdown.set_type(Call::SHUTDOWN);
  shutdown.mutable_shutdown()->mutable_executor_id()->set_value("custom");
  *shutdown.mutable_shutdown()->mutable_agent_id() = offers[1].agent_id();
  ASSERT_EQ(scheduler.call(shutdown).status, 202u);
  auto failure = scheduler.next(Event::FAILURE);
  ASSERT_TRUE(failure) << logs();
  EXPECT_EQ(failure->failure().executor_id().value(), "custom")
      << "a FAILURE came for the command task's executor";
}

}  // namespace
}  // namespace plexus::testing
