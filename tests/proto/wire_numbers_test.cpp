// Checks that the generated wire types keep Mesos v1's field numbers, labels,
// defaults and enum values, and that bytes encoded by hand from the protobuf
// wire-format rules decode into the messages a Mesos client means.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <plexus/v1/containerizer.pb.h>
#include <plexus/v1/executor.pb.h>
#include <plexus/v1/master.pb.h>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/quota.pb.h>
#include <plexus/v1/scheduler.pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace {

namespace pb = google::protobuf;

using Label = pb::FieldDescriptor::Label;

struct FieldSpec {
  const char* name;
  int number;
  Label label;
};

constexpr Label kReq = pb::FieldDescriptor::LABEL_REQUIRED;
constexpr Label kOpt = pb::FieldDescriptor::LABEL_OPTIONAL;
constexpr Label kRep = pb::FieldDescriptor::LABEL_REPEATED;

// Every listed field exists with the given number and label.
void expectFields(const pb::Descriptor* message, std::initializer_list<FieldSpec> fields) {
  ASSERT_NE(message, nullptr);
  for (const FieldSpec& spec : fields) {
    SCOPED_TRACE(message->full_name() + "." + spec.name);
    const pb::FieldDescriptor* field = message->FindFieldByName(spec.name);
    ASSERT_NE(field, nullptr) << "no such field";
    EXPECT_EQ(field->number(), spec.number);
    EXPECT_EQ(field->label(), spec.label);
  }
}

// The enum has exactly these values (no more, no fewer), with these numbers.
void expectEnum(const pb::EnumDescriptor* type,
                std::initializer_list<std::pair<const char*, int>> values) {
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->value_count(), static_cast<int>(values.size())) << type->full_name();
  for (const auto& [name, number] : values) {
    SCOPED_TRACE(type->full_name() + "." + name);
    const pb::EnumValueDescriptor* value = type->FindValueByName(name);
    ASSERT_NE(value, nullptr) << "no such value";
    EXPECT_EQ(value->number(), number);
  }
}

const pb::FieldDescriptor* fieldOf(const pb::Descriptor* message, const char* name) {
  const pb::FieldDescriptor* field = message->FindFieldByName(name);
  EXPECT_NE(field, nullptr) << message->full_name() << "." << name;
  return field;
}

// Builds a byte string from a list of byte values and literal text pieces.
class Bytes {
 public:
  Bytes& b(std::initializer_list<int> values) {
    for (int v : values) data_.push_back(static_cast<char>(static_cast<std::uint8_t>(v)));
    return *this;
  }
  Bytes& s(const std::string& text) {
    data_ += text;
    return *this;
  }
  const std::string& str() const { return data_; }

 private:
  std::string data_;
};

// ---------------------------------------------------------------------------
// Packages and files.
// ---------------------------------------------------------------------------

TEST(WirePackages, NamesFollowPlexusPackages) {
  EXPECT_EQ(plexus::v1::TaskInfo::descriptor()->full_name(), "plexus.v1.TaskInfo");
  EXPECT_EQ(plexus::v1::scheduler::Call::descriptor()->full_name(), "plexus.v1.scheduler.Call");
  EXPECT_EQ(plexus::v1::executor::Call::descriptor()->full_name(), "plexus.v1.executor.Call");
  EXPECT_EQ(plexus::v1::quota::QuotaConfig::descriptor()->full_name(),
            "plexus.v1.quota.QuotaConfig");
  EXPECT_EQ(plexus::v1::ContainerConfig::descriptor()->full_name(), "plexus.v1.ContainerConfig");
  EXPECT_EQ(plexus::v1::scheduler::Call::descriptor()->file()->name(),
            "plexus/v1/scheduler.proto");
  EXPECT_EQ(plexus::v1::scheduler::Call::descriptor()->file()->syntax(),
            pb::FileDescriptor::SYNTAX_PROTO2);
}

// ---------------------------------------------------------------------------
// mesos.v1 enums.
// ---------------------------------------------------------------------------

TEST(WireEnums, TaskStateNumbersAreNotLifecycleOrder) {
  expectEnum(plexus::v1::TaskState_descriptor(),
             {{"TASK_STAGING", 6},
              {"TASK_STARTING", 0},
              {"TASK_RUNNING", 1},
              {"TASK_KILLING", 8},
              {"TASK_FINISHED", 2},
              {"TASK_FAILED", 3},
              {"TASK_KILLED", 4},
              {"TASK_ERROR", 7},
              {"TASK_LOST", 5},
              {"TASK_DROPPED", 9},
              {"TASK_UNREACHABLE", 10},
              {"TASK_GONE", 11},
              {"TASK_GONE_BY_OPERATOR", 12},
              {"TASK_UNKNOWN", 13}});
  // The generated constants agree with the descriptor.
  EXPECT_EQ(plexus::v1::TASK_STAGING, 6);
  EXPECT_EQ(plexus::v1::TASK_STARTING, 0);
  EXPECT_EQ(plexus::v1::TASK_RUNNING, 1);
}

TEST(WireEnums, TaskStatusSourceAndReason) {
  expectEnum(plexus::v1::TaskStatus::Source_descriptor(),
             {{"SOURCE_MASTER", 0}, {"SOURCE_AGENT", 1}, {"SOURCE_EXECUTOR", 2}});
  expectEnum(plexus::v1::TaskStatus::Reason_descriptor(),
             {{"REASON_COMMAND_EXECUTOR_FAILED", 0},
              {"REASON_CONTAINER_LAUNCH_FAILED", 21},
              {"REASON_CONTAINER_LIMITATION", 19},
              {"REASON_CONTAINER_LIMITATION_DISK", 20},
              {"REASON_CONTAINER_LIMITATION_MEMORY", 8},
              {"REASON_CONTAINER_PREEMPTED", 17},
              {"REASON_CONTAINER_UPDATE_FAILED", 22},
              {"REASON_MAX_COMPLETION_TIME_REACHED", 33},
              {"REASON_EXECUTOR_REGISTRATION_TIMEOUT", 23},
              {"REASON_EXECUTOR_REREGISTRATION_TIMEOUT", 24},
              {"REASON_EXECUTOR_TERMINATED", 1},
              {"REASON_EXECUTOR_UNREGISTERED", 2},
              {"REASON_FRAMEWORK_REMOVED", 3},
              {"REASON_GC_ERROR", 4},
              {"REASON_INVALID_FRAMEWORKID", 5},
              {"REASON_INVALID_OFFERS", 6},
              {"REASON_IO_SWITCHBOARD_EXITED", 27},
              {"REASON_MASTER_DISCONNECTED", 7},
              {"REASON_RECONCILIATION", 9},
              {"REASON_RESOURCES_UNKNOWN", 18},
              {"REASON_AGENT_DISCONNECTED", 10},
              {"REASON_AGENT_DRAINING", 34},
              {"REASON_AGENT_REMOVED", 11},
              {"REASON_AGENT_REMOVED_BY_OPERATOR", 31},
              {"REASON_AGENT_REREGISTERED", 32},
              {"REASON_AGENT_RESTARTED", 12},
              {"REASON_AGENT_UNKNOWN", 13},
              {"REASON_TASK_KILLED_DURING_LAUNCH", 30},
              {"REASON_TASK_CHECK_STATUS_UPDATED", 28},
              {"REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", 29},
              {"REASON_TASK_GROUP_INVALID", 25},
              {"REASON_TASK_GROUP_UNAUTHORIZED", 26},
              {"REASON_TASK_INVALID", 14},
              {"REASON_TASK_UNAUTHORIZED", 15},
              {"REASON_TASK_UNKNOWN", 16}});
}

TEST(WireEnums, OfferOperationType) {
  expectEnum(plexus::v1::Offer::Operation::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"LAUNCH", 1},
              {"LAUNCH_GROUP", 6},
              {"RESERVE", 2},
              {"UNRESERVE", 3},
              {"CREATE", 4},
              {"DESTROY", 5},
              {"GROW_VOLUME", 11},
              {"SHRINK_VOLUME", 12},
              {"CREATE_DISK", 13},
              {"DESTROY_DISK", 14}});
}

TEST(WireEnums, CapabilitiesAndSmallEnums) {
  expectEnum(plexus::v1::FrameworkInfo::Capability::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"REVOCABLE_RESOURCES", 1},
              {"TASK_KILLING_STATE", 2},
              {"GPU_RESOURCES", 3},
              {"SHARED_RESOURCES", 4},
              {"PARTITION_AWARE", 5},
              {"MULTI_ROLE", 6},
              {"RESERVATION_REFINEMENT", 7},
              {"REGION_AWARE", 8}});
  expectEnum(plexus::v1::MasterInfo::Capability::Type_descriptor(),
             {{"UNKNOWN", 0}, {"AGENT_UPDATE", 1}, {"AGENT_DRAINING", 2}, {"QUOTA_V2", 3}});
  expectEnum(plexus::v1::AgentInfo::Capability::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"MULTI_ROLE", 1},
              {"HIERARCHICAL_ROLE", 2},
              {"RESERVATION_REFINEMENT", 3},
              {"RESOURCE_PROVIDER", 4},
              {"RESIZE_VOLUME", 5},
              {"AGENT_OPERATION_FEEDBACK", 6},
              {"AGENT_DRAINING", 7},
              {"TASK_RESOURCE_LIMITS", 8}});
  expectEnum(plexus::v1::Value::Type_descriptor(),
             {{"SCALAR", 0}, {"RANGES", 1}, {"SET", 2}, {"TEXT", 3}});
  expectEnum(plexus::v1::Resource::ReservationInfo::Type_descriptor(),
             {{"UNKNOWN", 0}, {"STATIC", 1}, {"DYNAMIC", 2}});
  expectEnum(plexus::v1::OperationState_descriptor(),
             {{"OPERATION_UNSUPPORTED", 0},
              {"OPERATION_PENDING", 1},
              {"OPERATION_FINISHED", 2},
              {"OPERATION_FAILED", 3},
              {"OPERATION_ERROR", 4},
              {"OPERATION_DROPPED", 5},
              {"OPERATION_UNREACHABLE", 6},
              {"OPERATION_GONE_BY_OPERATOR", 7},
              {"OPERATION_RECOVERING", 8},
              {"OPERATION_UNKNOWN", 9}});
  expectEnum(plexus::v1::ContainerInfo::Type_descriptor(), {{"DOCKER", 1}, {"MESOS", 2}});
  expectEnum(plexus::v1::ContainerInfo::DockerInfo::Network_descriptor(),
             {{"HOST", 1}, {"BRIDGE", 2}, {"NONE", 3}, {"USER", 4}});
  expectEnum(plexus::v1::ExecutorInfo::Type_descriptor(),
             {{"UNKNOWN", 0}, {"DEFAULT", 1}, {"CUSTOM", 2}});
  expectEnum(plexus::v1::DiscoveryInfo::Visibility_descriptor(),
             {{"FRAMEWORK", 0}, {"CLUSTER", 1}, {"EXTERNAL", 2}});
  expectEnum(plexus::v1::NetworkInfo::Protocol_descriptor(), {{"IPv4", 1}, {"IPv6", 2}});
  expectEnum(plexus::v1::DrainState_descriptor(),
             {{"UNKNOWN", 0}, {"DRAINING", 1}, {"DRAINED", 2}});
  expectEnum(plexus::v1::ContainerClass_descriptor(), {{"DEFAULT", 1}, {"DEBUG", 2}});
  const pb::EnumDescriptor* caps = plexus::v1::CapabilityInfo::Capability_descriptor();
  EXPECT_EQ(caps->FindValueByName("CHOWN")->number(), 1000);
  EXPECT_EQ(caps->FindValueByName("SYS_ADMIN")->number(), 1021);
  EXPECT_EQ(caps->FindValueByName("CHECKPOINT_RESTORE")->number(), 1040);
}

// ---------------------------------------------------------------------------
// mesos.v1 messages.
// ---------------------------------------------------------------------------

TEST(WireFields, Resource) {
  expectFields(plexus::v1::Resource::descriptor(),
               {{"provider_id", 12, kOpt},
                {"name", 1, kReq},
                {"type", 2, kReq},
                {"scalar", 3, kOpt},
                {"ranges", 4, kOpt},
                {"set", 5, kOpt},
                {"role", 6, kOpt},
                {"allocation_info", 11, kOpt},
                {"reservation", 8, kOpt},
                {"reservations", 13, kRep},
                {"disk", 7, kOpt},
                {"revocable", 9, kOpt},
                {"shared", 10, kOpt}});
  expectFields(plexus::v1::Resource::ReservationInfo::descriptor(),
               {{"type", 4, kOpt}, {"role", 3, kOpt}, {"principal", 1, kOpt}, {"labels", 2, kOpt}});
  expectFields(plexus::v1::Resource::DiskInfo::descriptor(),
               {{"persistence", 1, kOpt}, {"volume", 2, kOpt}, {"source", 3, kOpt}});
  expectFields(plexus::v1::Resource::DiskInfo::Persistence::descriptor(),
               {{"id", 1, kReq}, {"principal", 2, kOpt}});
  // Attribute differs from Resource: set is 6 and text is 5.
  expectFields(plexus::v1::Attribute::descriptor(),
               {{"name", 1, kReq}, {"type", 2, kReq}, {"set", 6, kOpt}, {"text", 5, kOpt}});
  expectFields(plexus::v1::Value::Range::descriptor(), {{"begin", 1, kReq}, {"end", 2, kReq}});
  expectFields(plexus::v1::Value::Set::descriptor(), {{"item", 1, kRep}});
}

TEST(WireFields, FrameworkInfoAndOffer) {
  expectFields(plexus::v1::FrameworkInfo::descriptor(),
               {{"user", 1, kReq},
                {"name", 2, kReq},
                {"id", 3, kOpt},
                {"failover_timeout", 4, kOpt},
                {"checkpoint", 5, kOpt},
                {"role", 6, kOpt},
                {"roles", 12, kRep},
                {"hostname", 7, kOpt},
                {"principal", 8, kOpt},
                {"webui_url", 9, kOpt},
                {"capabilities", 10, kRep},
                {"labels", 11, kOpt},
                {"offer_filters", 13, kRep}});
  EXPECT_TRUE(fieldOf(plexus::v1::FrameworkInfo::descriptor(), "offer_filters")->is_map());

  expectFields(plexus::v1::Offer::descriptor(),
               {{"id", 1, kReq},
                {"framework_id", 2, kReq},
                {"agent_id", 3, kReq},
                {"hostname", 4, kReq},
                {"url", 8, kOpt},
                {"domain", 11, kOpt},
                {"resources", 5, kRep},
                {"attributes", 7, kRep},
                {"executor_ids", 6, kRep},
                {"unavailability", 9, kOpt},
                {"allocation_info", 10, kOpt}});
  expectFields(plexus::v1::Offer::Operation::descriptor(),
               {{"type", 1, kOpt},
                {"id", 12, kOpt},
                {"launch", 2, kOpt},
                {"launch_group", 7, kOpt},
                {"reserve", 3, kOpt},
                {"unreserve", 4, kOpt},
                {"create", 5, kOpt},
                {"destroy", 6, kOpt},
                {"grow_volume", 13, kOpt},
                {"shrink_volume", 14, kOpt},
                {"create_disk", 15, kOpt},
                {"destroy_disk", 16, kOpt}});
  expectFields(plexus::v1::Offer::Operation::Reserve::descriptor(),
               {{"source", 2, kRep}, {"resources", 1, kRep}});
  expectFields(plexus::v1::InverseOffer::descriptor(),
               {{"id", 1, kReq}, {"url", 2, kOpt}, {"framework_id", 3, kReq},
                {"agent_id", 4, kOpt}, {"unavailability", 5, kReq}, {"resources", 6, kRep}});
}

TEST(WireFields, TasksAndStatuses) {
  expectFields(plexus::v1::TaskInfo::descriptor(),
               {{"name", 1, kReq},
                {"task_id", 2, kReq},
                {"agent_id", 3, kReq},
                {"resources", 4, kRep},
                {"executor", 5, kOpt},
                {"command", 7, kOpt},
                {"container", 9, kOpt},
                {"health_check", 8, kOpt},
                {"check", 13, kOpt},
                {"kill_policy", 12, kOpt},
                {"data", 6, kOpt},
                {"labels", 10, kOpt},
                {"discovery", 11, kOpt},
                {"max_completion_time", 14, kOpt},
                {"limits", 15, kRep}});
  EXPECT_TRUE(fieldOf(plexus::v1::TaskInfo::descriptor(), "limits")->is_map());
  EXPECT_TRUE(fieldOf(plexus::v1::Task::descriptor(), "limits")->is_map());
  EXPECT_EQ(fieldOf(plexus::v1::Task::descriptor(), "limits")->number(), 17);

  expectFields(plexus::v1::TaskStatus::descriptor(),
               {{"task_id", 1, kReq},
                {"state", 2, kReq},
                {"message", 4, kOpt},
                {"source", 9, kOpt},
                {"reason", 10, kOpt},
                {"data", 3, kOpt},
                {"agent_id", 5, kOpt},
                {"executor_id", 7, kOpt},
                {"timestamp", 6, kOpt},
                {"uuid", 11, kOpt},
                {"healthy", 8, kOpt},
                {"check_status", 15, kOpt},
                {"labels", 12, kOpt},
                {"container_status", 13, kOpt},
                {"unreachable_time", 14, kOpt},
                {"limitation", 16, kOpt}});
  expectFields(plexus::v1::ContainerStatus::descriptor(),
               {{"container_id", 4, kOpt}, {"network_infos", 1, kRep},
                {"cgroup_info", 2, kOpt}, {"executor_pid", 3, kOpt}});
  expectFields(plexus::v1::CheckStatusInfo::descriptor(),
               {{"type", 1, kOpt}, {"command", 2, kOpt}, {"http", 3, kOpt}, {"tcp", 4, kOpt}});
  expectFields(plexus::v1::ExecutorInfo::descriptor(),
               {{"type", 15, kOpt}, {"executor_id", 1, kReq}, {"framework_id", 8, kOpt},
                {"command", 7, kOpt}, {"container", 11, kOpt}, {"resources", 5, kRep},
                {"shutdown_grace_period", 13, kOpt}});
  expectFields(plexus::v1::Parameters::descriptor(), {{"parameter", 1, kRep}});
  expectFields(plexus::v1::Credentials::descriptor(), {{"credentials", 1, kRep}});
}

TEST(WireFields, StatisticsAndModules) {
  expectFields(plexus::v1::ResourceStatistics::descriptor(),
               {{"timestamp", 1, kReq},
                {"processes", 30, kOpt},
                {"cpus_user_time_secs", 2, kOpt},
                {"cpus_limit", 4, kOpt},
                {"cpus_soft_limit", 45, kOpt},
                {"mem_rss_bytes", 5, kOpt},
                {"mem_limit_bytes", 6, kOpt},
                {"mem_total_bytes", 36, kOpt},
                {"disk_statistics", 43, kRep},
                {"blkio_statistics", 44, kOpt},
                {"net_snmp_statistics", 42, kOpt}});
  expectFields(plexus::v1::ResourceUsage::Executor::descriptor(),
               {{"executor_info", 1, kReq}, {"allocated", 2, kRep}, {"statistics", 3, kOpt},
                {"container_id", 4, kReq}, {"tasks", 5, kRep}});
  expectFields(plexus::v1::Modules::descriptor(), {{"libraries", 1, kRep}});
  expectFields(plexus::v1::Modules::Library::descriptor(),
               {{"file", 1, kOpt}, {"name", 2, kOpt}, {"modules", 3, kRep}});
  expectFields(plexus::v1::Modules::Library::Module::descriptor(),
               {{"name", 1, kOpt}, {"parameters", 2, kRep}});
}

TEST(WireFields, ContainerizerAndQuota) {
  expectFields(plexus::v1::ContainerConfig::descriptor(),
               {{"executor_info", 8, kOpt},
                {"task_info", 9, kOpt},
                {"command_info", 11, kReq},
                {"container_info", 12, kOpt},
                {"resources", 13, kRep},
                {"limits", 16, kRep},
                {"container_class", 14, kOpt},
                {"directory", 3, kReq},
                {"ephemeral_volumes", 15, kRep},
                {"user", 4, kOpt},
                {"rootfs", 5, kOpt}});
  expectFields(plexus::v1::ContainerLimitation::descriptor(),
               {{"resources", 1, kRep}, {"message", 2, kOpt}, {"reason", 3, kOpt}});
  expectFields(plexus::v1::ContainerState::descriptor(),
               {{"executor_info", 1, kOpt}, {"container_info", 6, kOpt},
                {"container_id", 2, kReq}, {"pid", 3, kReq}, {"directory", 4, kReq}});
  expectFields(plexus::v1::ContainerLaunchInfo::descriptor(),
               {{"environment", 2, kOpt},
                {"clone_namespaces", 4, kRep},
                {"enter_namespaces", 9, kRep},
                {"command", 5, kOpt},
                {"mounts", 17, kRep},
                {"seccomp_profile", 18, kOpt},
                {"no_new_privileges", 23, kOpt}});
  expectFields(plexus::v1::quota::QuotaConfig::descriptor(),
               {{"role", 1, kReq}, {"guarantees", 2, kRep}, {"limits", 3, kRep}});
  EXPECT_TRUE(fieldOf(plexus::v1::quota::QuotaConfig::descriptor(), "limits")->is_map());
}

TEST(WireDefaults, ProtoTwoDefaultsMatchMesos) {
  EXPECT_EQ(plexus::v1::MasterInfo::default_instance().port(), 5050u);
  EXPECT_EQ(plexus::v1::AgentInfo::default_instance().port(), 5051);
  EXPECT_DOUBLE_EQ(plexus::v1::Filters::default_instance().refuse_seconds(), 5.0);
  EXPECT_TRUE(plexus::v1::CommandInfo::default_instance().shell());
  EXPECT_TRUE(plexus::v1::CommandInfo::URI::default_instance().extract());
  EXPECT_TRUE(plexus::v1::Image::default_instance().cached());
  EXPECT_TRUE(plexus::v1::LinuxInfo::default_instance().share_cgroups());
  EXPECT_EQ(plexus::v1::ContainerInfo::DockerInfo::default_instance().network(),
            plexus::v1::ContainerInfo::DockerInfo::HOST);
  EXPECT_EQ(plexus::v1::Environment::Variable::default_instance().type(),
            plexus::v1::Environment::Variable::VALUE);
  EXPECT_EQ(plexus::v1::NetworkInfo::IPAddress::default_instance().protocol(),
            plexus::v1::NetworkInfo::IPv4);

  const plexus::v1::HealthCheck& health = plexus::v1::HealthCheck::default_instance();
  EXPECT_DOUBLE_EQ(health.delay_seconds(), 15.0);
  EXPECT_DOUBLE_EQ(health.interval_seconds(), 10.0);
  EXPECT_DOUBLE_EQ(health.timeout_seconds(), 20.0);
  EXPECT_EQ(health.consecutive_failures(), 3u);
  EXPECT_DOUBLE_EQ(health.grace_period_seconds(), 10.0);

  // The deprecated single-role fields still default to "*".
  const pb::FieldDescriptor* resourceRole = fieldOf(plexus::v1::Resource::descriptor(), "role");
  EXPECT_TRUE(resourceRole->options().deprecated());
  EXPECT_EQ(resourceRole->default_value_string(), "*");
  // Read through reflection: the generated accessors are marked deprecated.
  const plexus::v1::Resource& resource = plexus::v1::Resource::default_instance();
  EXPECT_EQ(resource.GetReflection()->GetString(resource, resourceRole), "*");
  const pb::FieldDescriptor* frameworkRole =
      fieldOf(plexus::v1::FrameworkInfo::descriptor(), "role");
  EXPECT_TRUE(frameworkRole->options().deprecated());
  EXPECT_EQ(frameworkRole->default_value_string(), "*");
  const plexus::v1::FrameworkInfo& framework = plexus::v1::FrameworkInfo::default_instance();
  EXPECT_EQ(framework.GetReflection()->GetString(framework, frameworkRole), "*");
  EXPECT_FALSE(framework.checkpoint());
  EXPECT_DOUBLE_EQ(framework.failover_timeout(), 0.0);
}

// ---------------------------------------------------------------------------
// Scheduler and executor APIs.
// ---------------------------------------------------------------------------

TEST(WireScheduler, CallAndEventTypes) {
  expectEnum(plexus::v1::scheduler::Call::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"SUBSCRIBE", 1},
              {"TEARDOWN", 2},
              {"ACCEPT", 3},
              {"DECLINE", 4},
              {"ACCEPT_INVERSE_OFFERS", 13},
              {"DECLINE_INVERSE_OFFERS", 14},
              {"REVIVE", 5},
              {"KILL", 6},
              {"SHUTDOWN", 7},
              {"ACKNOWLEDGE", 8},
              {"ACKNOWLEDGE_OPERATION_STATUS", 15},
              {"RECONCILE", 9},
              {"RECONCILE_OPERATIONS", 16},
              {"MESSAGE", 10},
              {"REQUEST", 11},
              {"SUPPRESS", 12},
              {"UPDATE_FRAMEWORK", 17}});
  expectEnum(plexus::v1::scheduler::Event::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"SUBSCRIBED", 1},
              {"OFFERS", 2},
              {"INVERSE_OFFERS", 9},
              {"RESCIND", 3},
              {"RESCIND_INVERSE_OFFER", 10},
              {"UPDATE", 4},
              {"UPDATE_OPERATION_STATUS", 11},
              {"MESSAGE", 5},
              {"FAILURE", 6},
              {"ERROR", 7},
              {"HEARTBEAT", 8}});
}

TEST(WireScheduler, CallFields) {
  expectFields(plexus::v1::scheduler::Call::descriptor(),
               {{"framework_id", 1, kOpt},
                {"type", 2, kOpt},
                {"subscribe", 3, kOpt},
                {"accept", 4, kOpt},
                {"decline", 5, kOpt},
                {"accept_inverse_offers", 13, kOpt},
                {"decline_inverse_offers", 14, kOpt},
                {"revive", 15, kOpt},
                {"kill", 6, kOpt},
                {"shutdown", 7, kOpt},
                {"acknowledge", 8, kOpt},
                {"acknowledge_operation_status", 17, kOpt},
                {"reconcile", 9, kOpt},
                {"reconcile_operations", 18, kOpt},
                {"message", 10, kOpt},
                {"request", 11, kOpt},
                {"suppress", 16, kOpt},
                {"update_framework", 19, kOpt}});
  expectFields(plexus::v1::scheduler::Call::Subscribe::descriptor(),
               {{"framework_info", 1, kReq}, {"suppressed_roles", 2, kRep},
                {"offer_constraints", 3, kOpt}});
  expectFields(plexus::v1::scheduler::Call::Acknowledge::descriptor(),
               {{"agent_id", 1, kReq}, {"task_id", 2, kReq}, {"uuid", 3, kReq}});
  expectFields(plexus::v1::scheduler::Event::descriptor(),
               {{"type", 1, kOpt}, {"subscribed", 2, kOpt}, {"offers", 3, kOpt},
                {"inverse_offers", 9, kOpt}, {"rescind", 4, kOpt},
                {"rescind_inverse_offer", 10, kOpt}, {"update", 5, kOpt},
                {"update_operation_status", 11, kOpt}, {"message", 6, kOpt},
                {"failure", 7, kOpt}, {"error", 8, kOpt}});
  expectFields(plexus::v1::scheduler::Event::Subscribed::descriptor(),
               {{"framework_id", 1, kReq}, {"heartbeat_interval_seconds", 2, kOpt},
                {"master_info", 3, kOpt}});

  const pb::Descriptor* selector = plexus::v1::scheduler::AttributeConstraint::Selector::descriptor();
  ASSERT_NE(fieldOf(selector, "attribute_name"), nullptr);
  EXPECT_EQ(fieldOf(selector, "attribute_name")->number(), 2);
  EXPECT_NE(fieldOf(selector, "attribute_name")->containing_oneof(), nullptr);
  EXPECT_TRUE(fieldOf(plexus::v1::scheduler::OfferConstraints::descriptor(), "role_constraints")
                  ->is_map());
}

TEST(WireExecutor, CallAndEvent) {
  expectEnum(plexus::v1::executor::Call::Type_descriptor(),
             {{"UNKNOWN", 0}, {"SUBSCRIBE", 1}, {"UPDATE", 2}, {"MESSAGE", 3}, {"HEARTBEAT", 4}});
  expectEnum(plexus::v1::executor::Event::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"SUBSCRIBED", 1},
              {"LAUNCH", 2},
              {"LAUNCH_GROUP", 8},
              {"KILL", 3},
              {"ACKNOWLEDGED", 4},
              {"MESSAGE", 5},
              {"ERROR", 6},
              {"SHUTDOWN", 7},
              {"HEARTBEAT", 9}});
  expectFields(plexus::v1::executor::Call::descriptor(),
               {{"executor_id", 1, kReq}, {"framework_id", 2, kReq}, {"type", 3, kOpt},
                {"subscribe", 4, kOpt}, {"update", 5, kOpt}, {"message", 6, kOpt}});
  // Mesos numbers the executor message's data 2, not 1.
  expectFields(plexus::v1::executor::Call::Message::descriptor(), {{"data", 2, kReq}});
  expectFields(plexus::v1::executor::Event::descriptor(),
               {{"type", 1, kOpt}, {"subscribed", 2, kOpt}, {"acknowledged", 3, kOpt},
                {"launch", 4, kOpt}, {"launch_group", 8, kOpt}, {"kill", 5, kOpt},
                {"message", 6, kOpt}, {"error", 7, kOpt}});
  expectFields(plexus::v1::executor::Event::Subscribed::descriptor(),
               {{"executor_info", 1, kReq}, {"framework_info", 2, kReq},
                {"agent_info", 3, kReq}, {"container_id", 4, kOpt}});
}

TEST(WireMaster, OperatorCallResponseAndEvent) {
  const pb::EnumDescriptor* call = plexus::v1::master::Call::Type_descriptor();
  EXPECT_EQ(call->value_count(), 40);
  for (const auto& [name, number] : std::initializer_list<std::pair<const char*, int>>{
           {"GET_HEALTH", 1}, {"GET_STATE", 9}, {"GET_OPERATIONS", 33}, {"SUBSCRIBE", 18},
           {"GROW_VOLUME", 34}, {"UPDATE_QUOTA", 36}, {"DRAIN_AGENT", 37},
           {"REACTIVATE_AGENT", 39}, {"MARK_AGENT_GONE", 32}}) {
    SCOPED_TRACE(name);
    ASSERT_NE(call->FindValueByName(name), nullptr);
    EXPECT_EQ(call->FindValueByName(name)->number(), number);
  }
  const pb::EnumDescriptor* response = plexus::v1::master::Response::Type_descriptor();
  EXPECT_EQ(response->FindValueByName("GET_STATE")->number(), 8);
  EXPECT_EQ(response->FindValueByName("GET_OPERATIONS")->number(), 19);
  EXPECT_EQ(response->FindValueByName("GET_QUOTA")->number(), 18);
  expectEnum(plexus::v1::master::Event::Type_descriptor(),
             {{"UNKNOWN", 0},
              {"SUBSCRIBED", 1},
              {"TASK_ADDED", 2},
              {"TASK_UPDATED", 3},
              {"AGENT_ADDED", 4},
              {"AGENT_REMOVED", 5},
              {"FRAMEWORK_ADDED", 6},
              {"FRAMEWORK_UPDATED", 7},
              {"FRAMEWORK_REMOVED", 8},
              {"HEARTBEAT", 9}});
  expectFields(plexus::v1::master::Call::descriptor(),
               {{"type", 1, kOpt}, {"drain_agent", 21, kOpt}, {"update_quota", 20, kOpt},
                {"set_quota", 14, kOpt}, {"remove_quota", 15, kOpt}});
  EXPECT_TRUE(fieldOf(plexus::v1::master::Call::descriptor(), "set_quota")->options().deprecated());
  const pb::FieldDescriptor* grace =
      fieldOf(plexus::v1::master::Call::DrainAgent::descriptor(), "max_grace_period");
  EXPECT_EQ(grace->message_type()->full_name(), "google.protobuf.Duration");
  expectFields(plexus::v1::master::Response::GetAgents::Agent::descriptor(),
               {{"agent_info", 1, kReq}, {"active", 2, kReq}, {"deactivated", 12, kOpt},
                {"capabilities", 10, kRep}, {"drain_info", 13, kOpt},
                {"estimated_drain_start_time", 14, kOpt}});
  expectFields(plexus::v1::master::Response::GetFrameworks::Framework::descriptor(),
               {{"framework_info", 1, kReq}, {"recovered", 11, kReq},
                {"offer_constraints", 12, kOpt}});
  expectEnum(plexus::v1::master::InverseOfferStatus::Status_descriptor(),
             {{"UNKNOWN", 1}, {"ACCEPT", 2}, {"DECLINE", 3}});
}

// ---------------------------------------------------------------------------
// Hand-encoded bytes.
//
// A key byte is (field_number << 3) | wire_type, where wire type 0 is a
// varint, 1 a little-endian 64-bit value and 2 a length-prefixed payload.
// ---------------------------------------------------------------------------

TEST(WireBytes, SchedulerSubscribeCallDecodes) {
  // FrameworkInfo: user (1, LEN) = "root", name (2, LEN) = "test".
  Bytes framework;
  framework.b({0x0a, 0x04}).s("root").b({0x12, 0x04}).s("test");
  ASSERT_EQ(framework.str().size(), 12u);
  // Call.Subscribe: framework_info (1, LEN).
  Bytes subscribe;
  subscribe.b({0x0a, 0x0c}).s(framework.str());
  // Call: type (2, varint) = SUBSCRIBE (1); subscribe (3, LEN).
  Bytes call;
  call.b({0x10, 0x01, 0x1a, 0x0e}).s(subscribe.str());
  ASSERT_EQ(call.str().size(), 18u);

  plexus::v1::scheduler::Call parsed;
  ASSERT_TRUE(parsed.ParseFromString(call.str()));
  EXPECT_TRUE(parsed.IsInitialized());
  EXPECT_EQ(parsed.type(), plexus::v1::scheduler::Call::SUBSCRIBE);
  EXPECT_FALSE(parsed.has_framework_id());
  ASSERT_TRUE(parsed.has_subscribe());
  EXPECT_EQ(parsed.subscribe().framework_info().user(), "root");
  EXPECT_EQ(parsed.subscribe().framework_info().name(), "test");
  const pb::FieldDescriptor* role = fieldOf(plexus::v1::FrameworkInfo::descriptor(), "role");
  const plexus::v1::FrameworkInfo& info = parsed.subscribe().framework_info();
  EXPECT_FALSE(info.GetReflection()->HasField(info, role));

  // Serialization emits fields in number order, so it reproduces the bytes.
  EXPECT_EQ(parsed.SerializeAsString(), call.str());
}

TEST(WireBytes, SchedulerDeclineWithFiltersDecodes) {
  // Call: framework_id (1, LEN) {value = "fw"}; type (2) = DECLINE (4);
  // decline (5, LEN) {offer_ids (1, LEN) {value = "o1"}; filters (2, LEN)
  // {refuse_seconds (1, I64) = 10.0}}.
  Bytes filters;
  filters.b({0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x40});  // 10.0 as an IEEE double.
  Bytes offer;
  offer.b({0x0a, 0x02}).s("o1");
  Bytes decline;
  decline.b({0x0a, static_cast<int>(offer.str().size())}).s(offer.str());
  decline.b({0x12, static_cast<int>(filters.str().size())}).s(filters.str());
  Bytes call;
  call.b({0x0a, 0x04, 0x0a, 0x02}).s("fw");
  call.b({0x10, 0x04});
  call.b({0x2a, static_cast<int>(decline.str().size())}).s(decline.str());

  plexus::v1::scheduler::Call parsed;
  ASSERT_TRUE(parsed.ParseFromString(call.str()));
  EXPECT_EQ(parsed.framework_id().value(), "fw");
  EXPECT_EQ(parsed.type(), plexus::v1::scheduler::Call::DECLINE);
  ASSERT_EQ(parsed.decline().offer_ids_size(), 1);
  EXPECT_EQ(parsed.decline().offer_ids(0).value(), "o1");
  EXPECT_DOUBLE_EQ(parsed.decline().filters().refuse_seconds(), 10.0);
  EXPECT_EQ(parsed.SerializeAsString(), call.str());
}

TEST(WireBytes, ExecutorMessageCallDecodes) {
  // Call: executor_id (1) {"e"}; framework_id (2) {"f"}; type (3) = MESSAGE (3);
  // message (6, LEN) {data (2, LEN) = "hi"}.
  Bytes call;
  call.b({0x0a, 0x03, 0x0a, 0x01}).s("e");
  call.b({0x12, 0x03, 0x0a, 0x01}).s("f");
  call.b({0x18, 0x03});
  call.b({0x32, 0x04, 0x12, 0x02}).s("hi");

  plexus::v1::executor::Call parsed;
  ASSERT_TRUE(parsed.ParseFromString(call.str()));
  EXPECT_TRUE(parsed.IsInitialized());
  EXPECT_EQ(parsed.executor_id().value(), "e");
  EXPECT_EQ(parsed.framework_id().value(), "f");
  EXPECT_EQ(parsed.type(), plexus::v1::executor::Call::MESSAGE);
  EXPECT_EQ(parsed.message().data(), "hi");
  EXPECT_EQ(parsed.SerializeAsString(), call.str());
}

TEST(WireBytes, TaskStatusStateSixIsStaging) {
  // TaskStatus: task_id (1) {"t"}; state (2, varint) = 6.
  Bytes status;
  status.b({0x0a, 0x03, 0x0a, 0x01}).s("t").b({0x10, 0x06});
  plexus::v1::TaskStatus parsed;
  ASSERT_TRUE(parsed.ParseFromString(status.str()));
  EXPECT_EQ(parsed.task_id().value(), "t");
  EXPECT_EQ(parsed.state(), plexus::v1::TASK_STAGING);
}

TEST(WireBytes, MissingRequiredFieldIsReported) {
  // Call.Subscribe without its required framework_info.
  Bytes call;
  call.b({0x10, 0x01, 0x1a, 0x00});
  plexus::v1::scheduler::Call parsed;
  EXPECT_FALSE(parsed.ParseFromString(call.str()));
  EXPECT_TRUE(parsed.ParsePartialFromString(call.str()));
  EXPECT_FALSE(parsed.IsInitialized());
}

TEST(WireJson, SchedulerSubscribeFromMesosJson) {
  // What a v1 JSON client (e.g. pymesos) posts: snake_case names, enum names.
  const std::string json = R"({
    "type": "SUBSCRIBE",
    "subscribe": {
      "framework_info": {
        "user": "root",
        "name": "test",
        "roles": ["a", "b"],
        "capabilities": [{"type": "MULTI_ROLE"}, {"type": "PARTITION_AWARE"}],
        "offer_filters": {"a": {"min_allocatable_resources": {
          "quantities": [{"quantities": {"cpus": {"value": 1.5}}}]}}}
      }
    }
  })";
  plexus::v1::scheduler::Call call;
  ASSERT_TRUE(pb::util::JsonStringToMessage(json, &call).ok());
  EXPECT_EQ(call.type(), plexus::v1::scheduler::Call::SUBSCRIBE);
  const plexus::v1::FrameworkInfo& info = call.subscribe().framework_info();
  ASSERT_EQ(info.roles_size(), 2);
  ASSERT_EQ(info.capabilities_size(), 2);
  EXPECT_EQ(info.capabilities(0).type(), plexus::v1::FrameworkInfo::Capability::MULTI_ROLE);
  const auto& filter = info.offer_filters().at("a");
  EXPECT_DOUBLE_EQ(
      filter.min_allocatable_resources().quantities(0).quantities().at("cpus").value(), 1.5);
}

}  // namespace
