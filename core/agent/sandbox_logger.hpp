// SandboxLogger: the built-in ContainerLogger (the agent's default, as Mesos's
// SandboxContainerLogger): a container's stdout and stderr go to the files
// `stdout` and `stderr` of its sandbox, opened by the container's own process.
// Stateless; safe on any thread.
#pragma once

#include <plexus/container_logger.hpp>

namespace plexus::agent {

class SandboxLogger final : public ContainerLogger {
 public:
  // The sandbox directory must exist (an Error names it otherwise).
  [[nodiscard]] Result<ContainerIO> prepare(const ContainerId& container,
                                            const v1::ContainerConfig& config) override;
};

}  // namespace plexus::agent
