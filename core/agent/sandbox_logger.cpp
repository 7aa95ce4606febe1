#include "agent/sandbox_logger.hpp"

namespace plexus::agent {

Result<ContainerIO> SandboxLogger::prepare(const ContainerId& container,
                                           const v1::ContainerConfig& config) {
  PLEXUS_TRY(checkSandbox(container, config));
  const std::string& sandbox = config.directory();
  return ContainerIO{.out = ContainerOutput::toPath(sandbox + "/stdout"),
                     .err = ContainerOutput::toPath(sandbox + "/stderr")};
}

}  // namespace plexus::agent
