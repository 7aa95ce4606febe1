// master/validation: every field Plexus does not honour is refused, naming it; what it
// honours passes.
#include "master/validation.hpp"

#include <gtest/gtest.h>

namespace plexus::master::validation {
namespace {

using v1::Offer;
using v1::scheduler::Call;

v1::TaskInfo commandTask() {
  v1::TaskInfo task;
  task.set_name("t");
  task.mutable_task_id()->set_value("t");
  task.mutable_agent_id()->set_value("a");
  task.mutable_command()->set_value("true");
  return task;
}

// The refusal's message, or "" when the input is accepted.
std::string refusal(const Result<void>& result) {
  return result ? "" : result.error().message();
}

void expectRefused(const Result<void>& result, const std::string& field) {
  std::string message = refusal(result);
  EXPECT_EQ(message.rfind("'" + field + "' is not supported yet: ", 0), 0u) << message;
}

TEST(Validation, APlainCommandTaskIsSupported) {
  v1::TaskInfo task = commandTask();
  task.mutable_command()->mutable_environment()->add_variables()->set_name("A");
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(1);
  task.mutable_labels()->add_labels()->set_key("k");
  task.mutable_discovery()->set_visibility(v1::DiscoveryInfo::FRAMEWORK);
  task.set_data("x");
  task.mutable_container()->set_type(v1::ContainerInfo::MESOS);
  task.mutable_container()->mutable_rlimit_info()->add_rlimits()->set_type(
      v1::RLimitInfo::RLimit::RLMT_NOFILE);
  task.mutable_container()->mutable_linux_info()->set_share_pid_namespace(true);
  task.mutable_container()->mutable_linux_info()->set_ipc_mode(v1::LinuxInfo::SHARE_PARENT);
  task.mutable_container()->mutable_linux_info()->mutable_seccomp()->set_unconfined(true);
  EXPECT_EQ(refusal(taskSupported(task)), "");
}

TEST(Validation, TaskFieldsThatAreNotHonouredAreRefused) {
  auto with = [](auto change) {
    v1::TaskInfo task = commandTask();
    change(task);
    return taskSupported(task);
  };
  expectRefused(
      with([](v1::TaskInfo& t) { t.mutable_health_check()->set_type(v1::HealthCheck::TCP); }),
      "TaskInfo.health_check");
  expectRefused(with([](v1::TaskInfo& t) { t.mutable_check()->set_type(v1::CheckInfo::TCP); }),
                "TaskInfo.check");
  expectRefused(with([](v1::TaskInfo& t) { t.mutable_max_completion_time()->set_nanoseconds(1); }),
                "TaskInfo.max_completion_time");
  expectRefused(with([](v1::TaskInfo& t) { (*t.mutable_limits())["cpus"].set_value(2); }),
                "TaskInfo.limits");
  expectRefused(
      with([](v1::TaskInfo& t) { t.mutable_command()->add_uris()->set_value("http://x"); }),
      "TaskInfo.command.uris");
  expectRefused(with([](v1::TaskInfo& t) {
                  auto* v = t.mutable_command()->mutable_environment()->add_variables();
                  v->set_name("S");
                  v->set_type(v1::Environment::Variable::SECRET);
                }),
                "TaskInfo.command.environment.variables");
}

TEST(Validation, ContainerFieldsThatAreNotHonouredAreRefused) {
  auto with = [](auto change, bool nested = false) {
    v1::ContainerInfo container;
    container.set_type(v1::ContainerInfo::MESOS);
    change(container);
    return containerSupported(container, "C", nested);
  };
  using C = v1::ContainerInfo;
  expectRefused(with([](C& c) {
                  c.set_type(C::DOCKER);
                  c.mutable_docker()->set_image("busybox");
                }),
                "C.type");
  expectRefused(with([](C& c) {
                  c.mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
                  c.mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox");
                }),
                "C.mesos.image");
  expectRefused(with([](C& c) {
                  auto* volume = c.add_volumes();
                  volume->set_container_path("/data");
                  volume->set_mode(v1::Volume::RW);
                }),
                "C.volumes");
  expectRefused(with([](C& c) { c.add_network_infos()->set_name("net"); }), "C.network_infos");
  expectRefused(with([](C& c) { c.set_hostname("h"); }), "C.hostname");
  expectRefused(with([](C& c) { c.mutable_tty_info(); }), "C.tty_info");
  expectRefused(with([](C& c) {
                  c.mutable_linux_info()->mutable_effective_capabilities()->add_capabilities(
                      v1::CapabilityInfo::NET_ADMIN);
                }),
                "C.linux_info.effective_capabilities");
  expectRefused(with([](C& c) { c.mutable_linux_info()->mutable_bounding_capabilities(); }),
                "C.linux_info.bounding_capabilities");
  expectRefused(with([](C& c) {
                  c.mutable_linux_info()->mutable_seccomp()->set_profile_name("default.json");
                }),
                "C.linux_info.seccomp");
  expectRefused(with([](C& c) { c.mutable_linux_info()->set_ipc_mode(v1::LinuxInfo::PRIVATE); }),
                "C.linux_info.ipc_mode");
  expectRefused(with([](C& c) { c.mutable_linux_info()->set_shm_size(64); }),
                "C.linux_info.shm_size");
  expectRefused(with([](C& c) { c.mutable_linux_info()->set_share_cgroups(false); }),
                "C.linux_info.share_cgroups");
  // rlimits apply to a top-level container (isolator_posix), not to a task of a group.
  auto rlimits = [](C& c) { c.mutable_rlimit_info()->add_rlimits(); };
  EXPECT_EQ(refusal(with(rlimits)), "");
  expectRefused(with(rlimits, true), "C.rlimit_info");
}

TEST(Validation, ExecutorsAreCheckedWhereTheyArrive) {
  v1::TaskInfo task = commandTask();
  task.clear_command();
  task.mutable_executor()->mutable_executor_id()->set_value("e");
  task.mutable_executor()->mutable_command()->add_uris()->set_value("http://x/e.tgz");
  expectRefused(taskSupported(task), "TaskInfo.executor.command.uris");
  EXPECT_NE(refusal(taskSupported(task)).find("'http://x/e.tgz'"), std::string::npos);

  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("e");
  executor.mutable_container()->set_type(v1::ContainerInfo::MESOS);
  executor.mutable_container()->add_network_infos();
  expectRefused(executorSupported(executor), "ExecutorInfo.container.network_infos");
}

TEST(Validation, ATaskOfAGroupRunsAsItsExecutorsUser) {
  v1::TaskInfo task = commandTask();
  task.mutable_command()->set_user("alice");
  EXPECT_EQ(refusal(taskSupported(task, true, "alice")), "");
  expectRefused(taskSupported(task, true, "bob"), "TaskInfo.command.user");
  EXPECT_EQ(refusal(taskSupported(task)), "");  // a command task runs as its own user
}

TEST(Validation, OfferOperations) {
  for (auto type : {Offer::Operation::LAUNCH, Offer::Operation::LAUNCH_GROUP,
                    Offer::Operation::RESERVE, Offer::Operation::UNRESERVE}) {
    Offer::Operation operation;
    operation.set_type(type);
    EXPECT_EQ(refusal(operationSupported(operation)), "") << Offer::Operation::Type_Name(type);
    operation.mutable_id()->set_value("op");
    expectRefused(operationSupported(operation), "Offer.Operation.id");
  }
  for (auto type : {Offer::Operation::CREATE, Offer::Operation::DESTROY,
                    Offer::Operation::GROW_VOLUME, Offer::Operation::SHRINK_VOLUME,
                    Offer::Operation::CREATE_DISK, Offer::Operation::DESTROY_DISK}) {
    Offer::Operation operation;
    operation.set_type(type);
    expectRefused(operationSupported(operation), "Offer.Operation.type");
    EXPECT_NE(refusal(operationSupported(operation)).find(Offer::Operation::Type_Name(type)),
              std::string::npos);
  }
  EXPECT_EQ(refusal(operationSupported(Offer::Operation())),
            "'Offer.Operation.type' is missing or unknown");
}

TEST(Validation, CallsNameTheOperationTheyRefuse) {
  Call call;
  call.set_type(Call::ACCEPT);
  call.mutable_accept()->add_operations()->set_type(Offer::Operation::LAUNCH);
  EXPECT_EQ(refusal(callSupported(call)), "");
  call.mutable_accept()->add_operations()->set_type(Offer::Operation::CREATE);
  EXPECT_EQ(refusal(callSupported(call)).rfind("accept.operations[1]: 'Offer.Operation.type'", 0),
            0u)
      << refusal(callSupported(call));
}

}  // namespace
}  // namespace plexus::master::validation
