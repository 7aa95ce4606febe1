// Nothing silently ignored, through a real master and agent: a task that uses a field
// Plexus does not honour ends TASK_ERROR with REASON_TASK_INVALID (a task group's:
// REASON_TASK_GROUP_INVALID) and a message naming the field; a scheduler call that
// does gets a 400 naming it. One test per field (docs/compatibility.md lists them).
//
// The master and agent are shared by the suite; each test subscribes its own
// framework, launches on its first offer and tears the framework down.
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;

class RefusedFields {
 public:
  static void start() {
    dir_ = std::make_unique<TempDir>();
    master_ = std::make_unique<Process>(
        "plexus-master",
        std::vector<std::string>{"--port=0", "--work_dir=" + (dir_->path() / "master").string(),
                                 "--allocation_interval=50ms"},
        dir_->path());
    port_ = master_->waitForPort();
    agent_ = std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                 "--work_dir=" + (dir_->path() / "agent").string(),
                                 "--resources=cpus:2;mem:512;disk:1024", "--switch_user=false"},
        dir_->path());
  }
  static void stop() {
    agent_.reset();
    master_.reset();
    dir_.reset();
  }
  static int port() { return port_; }
  static std::string logs() { return master_->err() + agent_->err(); }

 private:
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<Process> master_;
  static inline std::unique_ptr<Process> agent_;
  static inline int port_ = 0;
};

// A framework subscribed to the shared master, holding its first offer.
struct Framework {
  Framework() : scheduler(RefusedFields::port(), Wire::kJson) {
    subscribed = scheduler.subscribe(ClusterFixture::framework()) == 200;
    if (auto event = subscribed ? scheduler.next(Event::OFFERS) : std::nullopt)
      offer = event->offers().offers(0);
  }
  ~Framework() {
    Call teardown;
    teardown.set_type(Call::TEARDOWN);
    scheduler.call(teardown);
  }
  Scheduler scheduler;
  bool subscribed = false;
  v1::Offer offer;
};

// A custom executor (never started: the task is refused first).
v1::ExecutorInfo customExecutor() {
  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("e");
  executor.mutable_command()->set_value("/bin/true");
  ClusterFixture::executorResources(&executor);
  return executor;
}

v1::ExecutorInfo defaultExecutor() {
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  executor.mutable_executor_id()->set_value("default");
  ClusterFixture::executorResources(&executor);
  return executor;
}

struct RefusedTask {
  std::string name;
  std::function<void(v1::TaskInfo&, v1::ExecutorInfo&)> use;  // on the task or group executor
  std::string field;                                          // the path the message must name
  bool group = false;
};

class RefusesTask : public ::testing::TestWithParam<RefusedTask> {
 protected:
  static void SetUpTestSuite() { RefusedFields::start(); }
  static void TearDownTestSuite() { RefusedFields::stop(); }
};

TEST_P(RefusesTask, WithTaskErrorNamingTheField) {
  const RefusedTask& refused = GetParam();
  Framework framework;
  ASSERT_TRUE(framework.subscribed && framework.offer.has_id()) << RefusedFields::logs();
  v1::TaskInfo task = ClusterFixture::commandTask(framework.offer, "t", "sleep 60");
  v1::ExecutorInfo executor = defaultExecutor();
  refused.use(task, executor);
  Call accept = refused.group ? ClusterFixture::launchGroup(framework.offer, executor, {task})
                              : ClusterFixture::launch(framework.offer, {task});
  ASSERT_EQ(framework.scheduler.call(accept).status, 202u);

  auto status = ClusterFixture::nextUpdate(framework.scheduler);
  ASSERT_TRUE(status.has_value()) << RefusedFields::logs();
  EXPECT_EQ(status->task_id().value(), "t");
  EXPECT_EQ(status->state(), v1::TASK_ERROR);
  EXPECT_EQ(status->reason(), refused.group ? v1::TaskStatus::REASON_TASK_GROUP_INVALID
                                            : v1::TaskStatus::REASON_TASK_INVALID)
      << v1::TaskStatus::Reason_Name(status->reason());
  EXPECT_EQ(status->message().find("'" + refused.field + "' is not supported yet: "), 0u)
      << status->message();
}

using T = v1::TaskInfo;
using E = v1::ExecutorInfo;

v1::ContainerInfo* mesosContainer(T& task) {
  task.mutable_container()->set_type(v1::ContainerInfo::MESOS);
  return task.mutable_container();
}

INSTANTIATE_TEST_SUITE_P(
    Master, RefusesTask,
    ::testing::Values(
        RefusedTask{"HealthCheck",
                    [](T& t, E&) {
                      t.mutable_health_check()->set_type(v1::HealthCheck::TCP);
                      t.mutable_health_check()->mutable_tcp()->set_port(80);
                    },
                    "TaskInfo.health_check"},
        RefusedTask{"Check",
                    [](T& t, E&) {
                      t.mutable_check()->set_type(v1::CheckInfo::TCP);
                      t.mutable_check()->mutable_tcp()->set_port(80);
                    },
                    "TaskInfo.check"},
        RefusedTask{"MaxCompletionTime",
                    [](T& t, E&) { t.mutable_max_completion_time()->set_nanoseconds(1'000'000); },
                    "TaskInfo.max_completion_time"},
        RefusedTask{"Limits", [](T& t, E&) { (*t.mutable_limits())["mem"].set_value(128); },
                    "TaskInfo.limits"},
        RefusedTask{"CommandUris",
                    [](T& t, E&) { t.mutable_command()->add_uris()->set_value("http://x/a.tgz"); },
                    "TaskInfo.command.uris"},
        RefusedTask{"SecretEnvironmentVariable",
                    [](T& t, E&) {
                      auto* v = t.mutable_command()->mutable_environment()->add_variables();
                      v->set_name("TOKEN");
                      v->set_type(v1::Environment::Variable::SECRET);
                      v->mutable_secret()->set_type(v1::Secret::REFERENCE);
                      v->mutable_secret()->mutable_reference()->set_name("token");
                    },
                    "TaskInfo.command.environment.variables"},
        RefusedTask{"DockerContainer",
                    [](T& t, E&) {
                      t.mutable_container()->set_type(v1::ContainerInfo::DOCKER);
                      t.mutable_container()->mutable_docker()->set_image("busybox");
                    },
                    "TaskInfo.container.type"},
        RefusedTask{"MesosContainerImage",
                    [](T& t, E&) {
                      auto* image = mesosContainer(t)->mutable_mesos()->mutable_image();
                      image->set_type(v1::Image::DOCKER);
                      image->mutable_docker()->set_name("busybox");
                    },
                    "TaskInfo.container.mesos.image"},
        RefusedTask{"Volumes",
                    [](T& t, E&) {
                      auto* volume = mesosContainer(t)->add_volumes();
                      volume->set_container_path("/data");
                      volume->set_host_path("/tmp");
                      volume->set_mode(v1::Volume::RW);
                    },
                    "TaskInfo.container.volumes"},
        RefusedTask{"NetworkInfos",
                    [](T& t, E&) { mesosContainer(t)->add_network_infos()->set_name("cni"); },
                    "TaskInfo.container.network_infos"},
        RefusedTask{"Hostname", [](T& t, E&) { mesosContainer(t)->set_hostname("box"); },
                    "TaskInfo.container.hostname"},
        RefusedTask{"TtyInfo", [](T& t, E&) { mesosContainer(t)->mutable_tty_info(); },
                    "TaskInfo.container.tty_info"},
        RefusedTask{"Capabilities",
                    [](T& t, E&) {
                      mesosContainer(t)
                          ->mutable_linux_info()
                          ->mutable_effective_capabilities()
                          ->add_capabilities(v1::CapabilityInfo::NET_ADMIN);
                    },
                    "TaskInfo.container.linux_info.effective_capabilities"},
        RefusedTask{"Seccomp",
                    [](T& t, E&) {
                      mesosContainer(t)->mutable_linux_info()->mutable_seccomp()->set_profile_name(
                          "default.json");
                    },
                    "TaskInfo.container.linux_info.seccomp"},
        RefusedTask{"PrivateIpc",
                    [](T& t, E&) {
                      mesosContainer(t)->mutable_linux_info()->set_ipc_mode(v1::LinuxInfo::PRIVATE);
                    },
                    "TaskInfo.container.linux_info.ipc_mode"},
        RefusedTask{"ShmSize",
                    [](T& t, E&) { mesosContainer(t)->mutable_linux_info()->set_shm_size(64); },
                    "TaskInfo.container.linux_info.shm_size"},
        RefusedTask{"CustomExecutorUris",
                    [](T& t, E&) {
                      t.clear_command();
                      *t.mutable_executor() = customExecutor();
                      t.mutable_executor()->mutable_command()->add_uris()->set_value(
                          "http://x/executor");
                    },
                    "TaskInfo.executor.command.uris"},
        RefusedTask{"CustomExecutorContainerImage",
                    [](T& t, E&) {
                      t.clear_command();
                      *t.mutable_executor() = customExecutor();
                      auto* container = t.mutable_executor()->mutable_container();
                      container->set_type(v1::ContainerInfo::MESOS);
                      container->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
                      container->mutable_mesos()->mutable_image()->mutable_docker()->set_name(
                          "busybox");
                    },
                    "TaskInfo.executor.container.mesos.image"},
        RefusedTask{"GroupTaskRlimits",
                    [](T& t, E&) { mesosContainer(t)->mutable_rlimit_info()->add_rlimits(); },
                    "TaskInfo.container.rlimit_info", true},
        RefusedTask{
            "GroupTaskShareCgroupsFalse",
            [](T& t, E&) { mesosContainer(t)->mutable_linux_info()->set_share_cgroups(false); },
            "TaskInfo.container.linux_info.share_cgroups", true},
        RefusedTask{"GroupTaskOtherUser",
                    [](T& t, E&) { t.mutable_command()->set_user("someone-else"); },
                    "TaskInfo.command.user", true},
        RefusedTask{"GroupExecutorVolumes",
                    [](T&, E& e) {
                      e.mutable_container()->set_type(v1::ContainerInfo::MESOS);
                      auto* volume = e.mutable_container()->add_volumes();
                      volume->set_container_path("/data");
                      volume->set_mode(v1::Volume::RO);
                    },
                    "ExecutorInfo.container.volumes", true}),
    [](const ::testing::TestParamInfo<RefusedTask>& info) { return info.param.name; });

// Scheduler calls: a 400 naming the field, and the offer stays with the framework.
class RefusesCall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RefusedFields::start(); }
  static void TearDownTestSuite() { RefusedFields::stop(); }

  // Sends `accept` (built on the framework's offer) and expects a 400 naming `field`.
  static void expectRefused(const std::function<void(v1::Offer::Operation&)>& use,
                            const std::string& field) {
    Framework framework;
    ASSERT_TRUE(framework.subscribed && framework.offer.has_id()) << RefusedFields::logs();
    Call accept = ClusterFixture::launch(framework.offer, {});
    use(*accept.mutable_accept()->mutable_operations(0));
    auto response = framework.scheduler.call(accept);
    EXPECT_EQ(response.status, 400u);
    EXPECT_NE(response.body.find("accept.operations[0]: '" + field + "' is not supported yet: "),
              std::string::npos)
        << response.body;
  }
};

TEST_F(RefusesCall, AcceptWithAPersistentVolumeOperation) {
  expectRefused(
      [](v1::Offer::Operation& operation) {
        operation.clear_launch();
        operation.set_type(v1::Offer::Operation::CREATE);
        operation.mutable_create();
      },
      "Offer.Operation.type");
}

TEST_F(RefusesCall, AcceptWithAnOperationId) {
  expectRefused([](v1::Offer::Operation& operation) { operation.mutable_id()->set_value("op-1"); },
                "Offer.Operation.id");
}

}  // namespace
}  // namespace plexus::testing
