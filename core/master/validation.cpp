#include "master/validation.hpp"

#include <algorithm>

namespace plexus::master::validation {
namespace {

using v1::Offer;
using v1::scheduler::Call;

std::string joined(std::string_view path, std::string_view field) {
  return std::string(path) + "." + std::string(field);
}

// The refusal every check here makes: the field, then what Plexus would not do.
std::unexpected<Error> unsupported(std::string_view field, std::string_view why) {
  return fail("'" + std::string(field) + "' is not supported yet: " + std::string(why));
}

Result<void> linuxInfoSupported(const v1::LinuxInfo& info, std::string_view path) {
  // Every container runs in the agent's namespaces, cgroup and capabilities; a value
  // that asks for just that is honoured, anything else is refused.
  if (info.has_capability_info() || info.has_bounding_capabilities() ||
      info.has_effective_capabilities()) {
    const char* field = info.has_capability_info()         ? "capability_info"
                        : info.has_bounding_capabilities() ? "bounding_capabilities"
                                                           : "effective_capabilities";
    return unsupported(joined(path, field),
                       "containers keep the capabilities of the agent's user (no "
                       "linux/capabilities isolation)");
  }
  if (info.has_seccomp() && !(info.seccomp().unconfined() && !info.seccomp().has_profile_name()))
    return unsupported(joined(path, "seccomp"), "no seccomp filter is installed");
  if (info.ipc_mode() == v1::LinuxInfo::PRIVATE)
    return unsupported(joined(path, "ipc_mode"),
                       "PRIVATE: containers share the agent's IPC namespace");
  if (info.has_shm_size())
    return unsupported(joined(path, "shm_size"), "containers share the agent's /dev/shm");
  if (info.has_share_cgroups() && !info.share_cgroups())
    return unsupported(joined(path, "share_cgroups"),
                       "false: the tasks of a group share their executor's cgroups");
  return {};
}

}  // namespace

Result<void> commandSupported(const v1::CommandInfo& command, std::string_view path) {
  if (command.uris_size() > 0) {
    return unsupported(joined(path, "uris"), "there is no fetcher, so '" + command.uris(0).value() +
                                                 "' would not be downloaded into the sandbox");
  }
  for (const auto& variable : command.environment().variables()) {
    if (variable.type() == v1::Environment::Variable::SECRET || variable.has_secret()) {
      return unsupported(joined(path, "environment.variables"),
                         "'" + variable.name() + "' is a SECRET, and no secret resolver runs");
    }
  }
  return {};
}

Result<void> containerSupported(const v1::ContainerInfo& container, std::string_view path,
                                bool nested) {
  if (container.type() == v1::ContainerInfo::DOCKER || container.has_docker()) {
    return unsupported(joined(path, "type"),
                       "DOCKER: there is no Docker containerizer (use type MESOS without an "
                       "image)");
  }
  if (container.mesos().has_image()) {
    return unsupported(joined(path, "mesos.image"),
                       "containers run on the agent's root filesystem (no image provisioner)");
  }
  if (container.volumes_size() > 0) {
    return unsupported(joined(path, "volumes"), "nothing would be mounted at '" +
                                                    container.volumes(0).container_path() + "'");
  }
  if (container.network_infos_size() > 0) {
    return unsupported(joined(path, "network_infos"),
                       "containers share the agent's network (no CNI networks)");
  }
  if (container.has_hostname()) {
    return unsupported(joined(path, "hostname"),
                       "containers share the agent's hostname (no UTS namespace)");
  }
  if (container.has_tty_info())
    return unsupported(joined(path, "tty_info"), "containers get no terminal");
  if (container.has_linux_info())
    PLEXUS_TRY(linuxInfoSupported(container.linux_info(), joined(path, "linux_info")));
  if (nested && container.has_rlimit_info()) {
    return unsupported(joined(path, "rlimit_info"),
                       "a task of a task group runs in its executor's container: set rlimits "
                       "on the executor's ContainerInfo");
  }
  return {};
}

Result<void> executorSupported(const v1::ExecutorInfo& executor, std::string_view path) {
  if (executor.has_command())
    PLEXUS_TRY(commandSupported(executor.command(), joined(path, "command")));
  if (executor.has_container())
    PLEXUS_TRY(containerSupported(executor.container(), joined(path, "container")));
  return {};
}

Result<void> taskSupported(const v1::TaskInfo& task, bool inGroup, std::string_view executorUser) {
  if (task.has_health_check()) {
    return unsupported("TaskInfo.health_check",
                       "no health checks run, so the task would never be reported healthy, "
                       "nor killed when unhealthy");
  }
  if (task.has_check())
    return unsupported("TaskInfo.check", "no checks run, so no check result would be reported");
  if (task.has_max_completion_time()) {
    return unsupported("TaskInfo.max_completion_time",
                       "the task would not be killed when it is reached");
  }
  if (!task.limits().empty()) {
    return unsupported("TaskInfo.limits",
                       "containers are held to the task's resources, not to limits above them "
                       "('" +
                           task.limits().begin()->first + "')");
  }
  if (task.has_command()) PLEXUS_TRY(commandSupported(task.command(), "TaskInfo.command"));
  if (task.has_container())
    PLEXUS_TRY(containerSupported(task.container(), "TaskInfo.container", inGroup));
  if (!inGroup && task.has_executor())
    PLEXUS_TRY(executorSupported(task.executor(), "TaskInfo.executor"));
  if (inGroup && task.command().has_user() && task.command().user() != executorUser) {
    return unsupported("TaskInfo.command.user",
                       "the tasks of a group run as their executor's user ('" +
                           std::string(executorUser) + "'), not as '" + task.command().user() +
                           "'");
  }
  return {};
}

Result<void> operationSupported(const Offer::Operation& operation) {
  if (operation.has_id()) {
    return unsupported("Offer.Operation.id",
                       "there is no operation feedback (no UPDATE_OPERATION_STATUS events)");
  }
  switch (operation.type()) {
    case Offer::Operation::LAUNCH:
    case Offer::Operation::LAUNCH_GROUP:
    case Offer::Operation::RESERVE:
    case Offer::Operation::UNRESERVE:
      return {};
    case Offer::Operation::CREATE:
    case Offer::Operation::DESTROY:
    case Offer::Operation::GROW_VOLUME:
    case Offer::Operation::SHRINK_VOLUME:
      return unsupported("Offer.Operation.type", Offer::Operation::Type_Name(operation.type()) +
                                                     ": there are no persistent volumes");
    case Offer::Operation::CREATE_DISK:
    case Offer::Operation::DESTROY_DISK:
      return unsupported("Offer.Operation.type", Offer::Operation::Type_Name(operation.type()) +
                                                     ": there are no resource providers");
    case Offer::Operation::UNKNOWN:
      break;
  }
  return fail("'Offer.Operation.type' is missing or unknown");
}

Result<OfferConstraintsFilter> offerConstraints(const v1::scheduler::OfferConstraints& constraints,
                                                const v1::FrameworkInfo& info) {
  bool multiRole = false;
  for (const auto& capability : info.capabilities())
    multiRole = multiRole || capability.type() == v1::FrameworkInfo::Capability::MULTI_ROLE;
  for (const auto& [role, unused] : constraints.role_constraints()) {
    const auto& roles = info.roles();
    const bool subscribed = multiRole ? std::find(roles.begin(), roles.end(), role) != roles.end()
                                      : role == info.role();
    if (!subscribed) {
      return fail("'offer_constraints' name role '" + role +
                  "', which the framework does not subscribe to");
    }
  }
  auto filter = OfferConstraintsFilter::create(constraints);
  if (!filter) return fail(filter.error().context("invalid 'offer_constraints'"));
  return filter;
}

Result<void> callSupported(const Call& call) {
  switch (call.type()) {
    case Call::ACCEPT:
      for (int i = 0; i < call.accept().operations_size(); ++i) {
        if (auto supported = operationSupported(call.accept().operations(i)); !supported)
          return fail(supported.error().context("accept.operations[" + std::to_string(i) + "]"));
      }
      return {};
    default:
      return {};
  }
}

}  // namespace plexus::master::validation
