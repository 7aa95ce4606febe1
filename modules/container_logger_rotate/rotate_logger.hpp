// RotateLogger: a ContainerLogger that keeps each container's stdout and stderr
// in its sandbox's `stdout` and `stderr` files, rotated by size with a number of
// kept files (`stdout.1` the newest ... `stdout.N`), as Mesos's
// LogrotateContainerLogger does with logrotate, here in our own code.
//
// prepare() makes a pipe per stream and starts one plexus-logrotate-logger
// (logger_main.cpp) per pipe, reading its end; the container gets the write
// ends. The loggers detach into their own sessions so they outlive an agent
// restart, and end when the container's last process closes the pipe.
// Thread-safe: prepare() keeps no state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <plexus/container_logger.hpp>
#include <plexus/parameters.hpp>

namespace plexus::logrotate {

struct StreamLimits {
  std::uint64_t maxSize;   // bytes the live file may hold
  std::uint32_t maxFiles;  // rotated files kept besides it
};

class RotateLogger final : public ContainerLogger {
 public:
  static Result<std::unique_ptr<RotateLogger>> create(const Parameters& parameters);
  RotateLogger(std::string loggerPath, StreamLimits out, StreamLimits err);

  [[nodiscard]] Result<ContainerIO> prepare(const ContainerId& container,
                                            const v1::ContainerConfig& config) override;

 private:
  // A pipe whose read end a started plexus-logrotate-logger copies to `path`;
  // returns the write end (O_CLOEXEC).
  Result<int> startLogger(const std::string& path, const StreamLimits& limits) const;

  std::string loggerPath_;
  StreamLimits out_;
  StreamLimits err_;
};

}  // namespace plexus::logrotate
