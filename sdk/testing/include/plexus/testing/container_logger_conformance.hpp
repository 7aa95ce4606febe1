// The container logger conformance suite: what every ContainerLogger module must
// do, as GoogleTest tests an author instantiates for their own module.
//
// Each test makes a fresh logger with the config's `make`, prepares containers in
// temporary sandboxes and wires what prepare() returns to real child processes
// the way the agent's containerizer does (dup2 a descriptor, or open the path, as
// descriptors 1 and 2). It checks that
//   - a path is absolute; a descriptor is open, writable and close-on-exec;
//   - the agent's copies of the descriptors are all it needs to close: preparing
//     and closing many containers leaks no descriptor in the agent;
//   - a sandbox that does not exist is an Error with a message, not a crash;
//   - for a logger that writes the sandbox (`writesSandboxFiles`), what the
//     process wrote to stdout and stderr arrives in the sandbox's `stdout` and
//     `stderr` files, also once the process has exited;
//   - for a logger with a size limit (`maxStdoutBytes`), a chatty process that
//     writes eight times the limit leaves `stdout` and every rotated `stdout.*`
//     within the limit, and its last line in `stdout`.
//
//   #include <plexus/testing/container_logger_conformance.hpp>
//   plexus::testing::ContainerLoggerConformanceConfig myConfig() {
//     return {.name = "my_logger", .make = [] {
//       return plexus::testing::loadModule<plexus::ContainerLogger>("/path/libmy_logger.so",
//                                                                   "my_logger", {});
//     }};
//   }
//   PLEXUS_CONTAINER_LOGGER_CONFORMANCE(MyLogger, myConfig());
//
// Link `plexus_container_logger_conformance` (Plexus::container_logger_conformance)
// and GoogleTest. The tests fork, so they must run in a test binary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/container_logger.hpp>
#include <plexus/error.hpp>

namespace plexus::testing {

struct ContainerLoggerConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh logger; called once per test, destroyed at its end.
  std::function<Result<std::shared_ptr<ContainerLogger>>()> make;
  // Whether the output lands in the sandbox's `stdout` and `stderr` files.
  bool writesSandboxFiles = true;
  // The most bytes the logger keeps in the sandbox's `stdout` (and in each rotated
  // `stdout.*`); 0: unbounded (ChattyContainerStaysWithinTheLimit is skipped).
  std::uint64_t maxStdoutBytes = 0;
  // How long output may take to reach the files (a logger process copies it).
  std::chrono::milliseconds outputTimeout{10000};
};

inline void PrintTo(const ContainerLoggerConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class ContainerLoggerConformance
    : public ::testing::TestWithParam<ContainerLoggerConformanceConfig> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A fresh sandbox directory under the test's temporary folder.
  std::string makeSandbox(const std::string& name);

  std::shared_ptr<ContainerLogger> logger_;
  std::string root_;
};

// Referenced by PLEXUS_CONTAINER_LOGGER_CONFORMANCE so the linker keeps the tests.
bool linkContainerLoggerConformance();

struct ContainerLoggerConformanceName {
  std::string operator()(
      const ::testing::TestParamInfo<ContainerLoggerConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite: tests named `<prefix>/ContainerLoggerConformance.<Test>/<name>`.
#define PLEXUS_CONTAINER_LOGGER_CONFORMANCE(prefix, ...)                                       \
  using ContainerLoggerConformance = ::plexus::testing::ContainerLoggerConformance;            \
  INSTANTIATE_TEST_SUITE_P(prefix, ContainerLoggerConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::ContainerLoggerConformanceName());               \
  [[maybe_unused]] static const bool plexus_container_logger_conformance_linked_##prefix =     \
      ::plexus::testing::linkContainerLoggerConformance()
