// The built-in SandboxLogger (the agent's default ContainerLogger) passes the SDK's
// container logger conformance suite, as every ContainerLogger module must.
#include "agent/sandbox_logger.hpp"

#include <memory>

#include <gtest/gtest.h>

#include <plexus/testing/container_logger_conformance.hpp>

namespace plexus {
namespace {

testing::ContainerLoggerConformanceConfig sandboxLogger() {
  return {.name = "sandbox_logger", .make = []() -> Result<std::shared_ptr<ContainerLogger>> {
            return std::make_shared<agent::SandboxLogger>();
          }};
}

PLEXUS_CONTAINER_LOGGER_CONFORMANCE(BuiltIn, sandboxLogger());

}  // namespace
}  // namespace plexus
