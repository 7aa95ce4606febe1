// Loads libplexus_container_logger_rotate.so with the SDK's loadModule (the checks
// the agent's loader makes for --container_logger=container_logger_rotate) and
// runs the SDK's container logger conformance suite on it, with a small limit.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <plexus/container_logger.hpp>
#include <plexus/testing/container_logger_conformance.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_ROTATE_MODULE_DIR;

Result<std::shared_ptr<ContainerLogger>> loadRotate(const testing::ModuleParameters& parameters) {
  return testing::loadModule<ContainerLogger>(kModuleDir / "libplexus_container_logger_rotate.so",
                                              "container_logger_rotate", parameters);
}

testing::ContainerLoggerConformanceConfig rotating() {
  return {.name = "container_logger_rotate",
          .make =
              [] {
                return loadRotate({{"max_stdout_size", "16KB"}, {"max_stdout_files", "3"}});
              },
          .maxStdoutBytes = 16 * 1024};
}

PLEXUS_CONTAINER_LOGGER_CONFORMANCE(RotateModule, rotating());

TEST(ContainerLoggerRotateModule, RefusesBadParameters) {
  auto small = loadRotate({{"max_stdout_size", "10B"}});
  ASSERT_FALSE(small.has_value());
  EXPECT_NE(small.error().message().find("max_stdout_size must be at least 1KB"), std::string::npos)
      << small.error().message();
  EXPECT_FALSE(loadRotate({{"max_stderr_files", "-1"}}).has_value());
  // Mesos's logrotate options are not honoured: refused, not ignored.
  EXPECT_FALSE(loadRotate({{"logrotate_stdout_options", "rotate 9"}}).has_value());
  auto launcher = loadRotate({{"launcher_dir", "/nonexistent"}});
  ASSERT_FALSE(launcher.has_value());
  EXPECT_NE(launcher.error().message().find("plexus-logrotate-logger"), std::string::npos)
      << launcher.error().message();
}

}  // namespace
}  // namespace plexus
