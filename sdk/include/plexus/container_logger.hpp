// ContainerLogger: where a container's stdout and stderr go.
//
// Loaded by the agent (`--container_logger=<module>`; without it, the built-in
// sandbox logger writes the sandbox's `stdout` and `stderr` files, as Mesos's
// SandboxContainerLogger). For each container, after the isolators prepared it
// and before its first process is forked, the agent calls prepare() with the
// container's config (executor info, sandbox directory, user) and wires what it
// returns to the process's descriptors 1 and 2 before exec:
//   - a path: opened by the container's process itself (O_WRONLY|O_CREAT|O_APPEND,
//     mode 0644), so it is written as the container's user;
//   - a file descriptor: handed over to the agent, which dup2()s it in the child
//     and closes its own copy once the child is forked (also when the launch
//     fails). A logger that reads a pipe (to rotate, ship or filter the output)
//     returns the pipe's write end, made O_CLOEXEC, and keeps whatever reads the
//     other end alive on its own: the container may outlive the agent (agent
//     recovery), so a reader inside the agent's process would lose its output.
//
// Threading: prepare() runs on the agent's blocking-work pool, never on its
// event loop, possibly for several containers at once: a logger guards its own
// state. It may block briefly (spawning a helper process). Errors are values:
// an Error fails the container's launch with the logger's message.
//
// Mesos's include/mesos/slave/container_logger.hpp, fitted to std::expected.
#pragma once

#include <string>
#include <utility>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/ids.hpp>
#include <plexus/module.hpp>
#include <plexus/v1/containerizer.pb.h>

namespace plexus {

// One output stream of a container: a path, or a file descriptor handed over.
struct ContainerOutput {
  enum class Type { kPath, kFd };
  Type type = Type::kPath;
  std::string path;  // when kPath: an absolute path
  int fd = -1;       // when kFd: owned by the agent once returned

  static ContainerOutput toPath(std::string path) {
    return {.type = Type::kPath, .path = std::move(path), .fd = -1};
  }
  static ContainerOutput toFd(int fd) { return {.type = Type::kFd, .path = {}, .fd = fd}; }
};

struct ContainerIO {
  ContainerOutput out;  // the process's stdout
  ContainerOutput err;  // the process's stderr
};

class PLEXUS_API ContainerLogger {
 public:
  virtual ~ContainerLogger();

  // Where the output of `container` goes. `config.directory()` is its sandbox
  // (it exists); `config.executor_info()` its executor; `config.user()`, when
  // set, the user it runs as. An Error fails the launch.
  [[nodiscard]] virtual Result<ContainerIO> prepare(const ContainerId& container,
                                                    const v1::ContainerConfig& config) = 0;
};

// The check every logger's prepare() starts with: `config.directory()` is an
// existing directory. The Error names the sandbox and the container.
PLEXUS_API Result<void> checkSandbox(const ContainerId& container,
                                     const v1::ContainerConfig& config);

template <>
struct ModuleKindOf<ContainerLogger> {
  static constexpr const char* kName = "ContainerLogger";
};

}  // namespace plexus
