// Authorisation end to end: a master with --acls (no authentication, so the
// framework's own principal is the subject, as in Mesos), and calls it refuses.
#include "auth/acls.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

constexpr const char* kAcls = R"({
  "permissive": true,
  "register_frameworks": [
    {"principals": {"values": ["web"]}, "roles": {"values": ["dev", "*"]}},
    {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}],
  "run_tasks": [{"principals": {"type": "ANY"}, "users": {"values": ["root"]}},
                {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}],
  "update_weights": [{"principals": {"type": "ANY"}, "roles": {"values": ["dev"]}},
                     {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}],
  "view_flags": [{"principals": {"type": "ANY"}, "flags": {"type": "NONE"}}]
})";

class AclTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--acls=" + dir_.write("acls.json", kAcls)};
  }

  static v1::FrameworkInfo inRole(const std::string& role, const std::string& principal) {
    v1::FrameworkInfo info = framework();
    info.set_role(role);
    info.set_principal(principal);
    return info;
  }
};

TEST_F(AclTest, ADeniedRoleCannotSubscribeAndNothingLaunches) {
  Scheduler denied(port_, Wire::kJson);
  EXPECT_EQ(denied.subscribe(inRole("prod", "web")), 403u);
  Scheduler stranger(port_, Wire::kJson);
  EXPECT_EQ(stranger.subscribe(inRole("dev", "mallory")), 403u);
  auto refused = post(port_, "/api/v1/scheduler", "application/json",
                      R"({"type": "SUBSCRIBE", "subscribe": {"framework_info":
                          {"user": "nobody", "name": "x", "role": "prod", "principal": "web"}}})");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_NE(refused.body.find("refused by ACL register_frameworks[1]"), std::string::npos)
      << refused.body;
  EXPECT_NE(refused.body.find("principal 'web' may not register_frameworks 'prod'"),
            std::string::npos)
      << refused.body;

  auto state = masterJson("/state");
  EXPECT_TRUE(state.at("frameworks").as_array().empty()) << boost::json::serialize(state);
  for (size_t i = 0; i < agents_.size(); ++i)
    EXPECT_TRUE(findInAgent(i, "stdout").empty()) << "a container ran on agent " << i;
}

TEST_F(AclTest, AnAllowedRoleSubscribesButTasksAsADeniedUserAreUnauthorized) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(inRole("dev", "web")), 200u) << master_->err();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  // framework() runs as "nobody", which run_tasks denies.
  ASSERT_EQ(scheduler.call(launch(offer, {commandTask(offer, "t1", "echo never")})).status, 202u);
  auto status = nextUpdate(scheduler);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_ERROR);
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_TASK_UNAUTHORIZED);
  EXPECT_NE(status->message().find("may not run_tasks 'nobody' (refused by ACL run_tasks[1]"),
            std::string::npos)
      << status->message();
  for (size_t i = 0; i < agents_.size(); ++i)
    EXPECT_TRUE(findInAgent(i, "stdout").empty()) << "a container ran on agent " << i;
}

TEST_F(AclTest, OperatorCallsAndEndpointsAreRefusedWith403) {
  auto refused = post(port_, "/api/v1", "application/json",
                      R"({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [
                           {"role": "dev", "weight": 2}, {"role": "prod", "weight": 3}]}})");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_NE(refused.body.find("an unauthenticated caller may not update_weights 'prod' (refused "
                              "by ACL update_weights[1]"),
            std::string::npos)
      << refused.body;
  // Nothing it asked for happened, not even the allowed half.
  auto weights = masterJson("/weights");
  EXPECT_EQ(boost::json::serialize(weights).find("dev"), std::string::npos)
      << boost::json::serialize(weights);

  auto flags =
      http::fetch("127.0.0.1", static_cast<uint16_t>(port_), {.method = "GET", .target = "/flags"});
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->status, 403u);
  EXPECT_NE(flags->body.find("refused by ACL view_flags[0]"), std::string::npos) << flags->body;
  EXPECT_EQ(masterJson("/state").is_null(), false);
}

// run_tasks allows only `nobody`: every user a launch can run as is checked, the
// executor's as well as the task's.
class RunTasksAclTest : public ClusterFixture {
 protected:
  std::vector<std::string> masterFlags() const override {
    return {"--acls=" + dir_.write("acls.json", R"({"permissive": false,
      "register_frameworks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}],
      "run_tasks": [{"principals": {"type": "ANY"}, "users": {"values": ["nobody"]}}]})")};
  }

  static v1::ExecutorInfo executorAs(v1::ExecutorInfo::Type type, const std::string& user) {
    v1::ExecutorInfo info;
    info.set_type(type);
    info.mutable_executor_id()->set_value("as-" + user);
    if (type == v1::ExecutorInfo::CUSTOM) info.mutable_command()->set_value("id -un");
    info.mutable_command()->set_user(user);
    executorResources(&info);
    return info;
  }

  // The first update of `task`, past none.
  static std::optional<v1::TaskStatus> updateOf(Scheduler& scheduler, const std::string& task) {
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status || status->task_id().value() == task) return status;
    }
  }
};

TEST_F(RunTasksAclTest, AnExecutorAsADeniedUserIsRefusedWhateverItsTasksUser) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u) << master_->err();
  v1::Offer offer;
  // Each launch uses an offer of its own (a refused one gives its resources back).
  auto nextOffer = [&] {
    auto offers = scheduler.next(Event::OFFERS);
    if (offers) offer = offers->offers().offers(0);
    return offers.has_value();
  };

  // LAUNCH_GROUP: a default executor as root, its task as nobody.
  ASSERT_TRUE(nextOffer()) << logs();
  v1::TaskInfo grouped = commandTask(offer, "grouped", "id -un");
  grouped.mutable_command()->set_user("nobody");
  ASSERT_EQ(
      scheduler.call(launchGroup(offer, executorAs(v1::ExecutorInfo::DEFAULT, "root"), {grouped}))
          .status,
      202u);
  auto status = updateOf(scheduler, "grouped");
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_ERROR);
  // As Mesos, a task group refused by an ACL is REASON_TASK_GROUP_UNAUTHORIZED.
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_TASK_GROUP_UNAUTHORIZED)
      << v1::TaskStatus::Reason_Name(status->reason());
  EXPECT_NE(status->message().find("may not run_tasks 'root' (refused by the ACLs' default "
                                   "(permissive: false) of --acls): 'root' is the user of executor "
                                   "'as-root'"),
            std::string::npos)
      << status->message();

  // LAUNCH: a custom executor as root.
  ASSERT_TRUE(nextOffer()) << logs();
  v1::TaskInfo custom = commandTask(offer, "custom", "");
  custom.clear_command();
  *custom.mutable_executor() = executorAs(v1::ExecutorInfo::CUSTOM, "root");
  ASSERT_EQ(scheduler.call(launch(offer, {custom})).status, 202u);
  status = updateOf(scheduler, "custom");
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_ERROR);
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_TASK_UNAUTHORIZED)
      << v1::TaskStatus::Reason_Name(status->reason());
  EXPECT_NE(status->message().find("may not run_tasks 'root'"), std::string::npos)
      << status->message();

  // A group whose task asks for root under an executor as nobody: refused too.
  ASSERT_TRUE(nextOffer()) << logs();
  v1::TaskInfo rootTask = commandTask(offer, "root-task", "id -un");
  rootTask.mutable_command()->set_user("root");
  ASSERT_EQ(
      scheduler
          .call(launchGroup(offer, executorAs(v1::ExecutorInfo::DEFAULT, "nobody"), {rootTask}))
          .status,
      202u);
  status = updateOf(scheduler, "root-task");
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_TASK_GROUP_UNAUTHORIZED);
  EXPECT_NE(status->message().find("may not run_tasks 'root'"), std::string::npos)
      << status->message();

  for (size_t i = 0; i < agents_.size(); ++i)
    EXPECT_TRUE(findInAgent(i, "stdout").empty()) << "a container ran on agent " << i;

  // Everything as nobody (the executor's user defaulting to the framework's) runs.
  ASSERT_TRUE(nextOffer()) << logs();
  v1::TaskInfo allowed = commandTask(offer, "allowed", "sleep 30");
  allowed.mutable_command()->set_user("nobody");
  v1::ExecutorInfo defaultExecutor = executorAs(v1::ExecutorInfo::DEFAULT, "nobody");
  defaultExecutor.mutable_command()->clear_user();
  ASSERT_EQ(scheduler.call(launchGroup(offer, defaultExecutor, {allowed})).status, 202u);
  status = updateOf(scheduler, "allowed");
  ASSERT_TRUE(status) << logs();
  EXPECT_NE(status->state(), v1::TASK_ERROR) << status->message();
}

TEST(Acls, DecideAsMesossLocalAuthorizer) {
  auto acls = auth::Acls::parse(R"({"permissive": false,
    "register_frameworks": [{"principals": {"values": ["a"]}, "roles": {"type": "ANY"}},
                            {"principals": {"type": "ANY"}, "roles": {"values": ["shared"]}}]})");
  ASSERT_TRUE(acls) << acls.error().message();
  EXPECT_TRUE(acls->authorize("register_frameworks", "a", "anything").allowed);
  EXPECT_TRUE(acls->authorize("register_frameworks", "b", "shared").allowed);
  EXPECT_FALSE(acls->authorize("register_frameworks", "b", "other").allowed);
  EXPECT_EQ(acls->authorize("register_frameworks", "b", "other").by,
            "the ACLs' default (permissive: false)");
  // An unauthenticated caller matches only ANY subjects.
  EXPECT_TRUE(acls->authorize("register_frameworks", std::nullopt, "shared").allowed);
  EXPECT_FALSE(acls->authorize("register_frameworks", std::nullopt, "other").allowed);
  EXPECT_FALSE(acls->authorize("run_tasks", "a", "root").allowed);  // no rules: permissive
}

TEST(Acls, RefuseWhatTheyCannotEnforce) {
  EXPECT_NE(auth::Acls::parse(R"({"view_frameworks": []})")
                .error()
                .message()
                .find("'view_frameworks' is not an action Plexus enforces"),
            std::string::npos);
  EXPECT_EQ(
      auth::Acls::parse(R"({"run_tasks": [{"principals": {"type": "ANY"}}]})").error().message(),
      "run_tasks[0]: needs both 'principals' and 'users'");
  EXPECT_EQ(auth::Acls::parse(R"({"run_tasks": [{"principals": {"type": "ALL"}, "users": {}}]})")
                .error()
                .message(),
            "run_tasks[0].principals.type: 'ALL' is not ANY, NONE or SOME");
  EXPECT_FALSE(auth::Acls::parse("{"));
}

}  // namespace
}  // namespace plexus::testing
