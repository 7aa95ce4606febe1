#include "rotate_logger.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace plexus::logrotate {

namespace {

constexpr const char* kLoggerName = "plexus-logrotate-logger";

// The folder this module's library was loaded from: the logger binary is shipped
// beside it.
std::string moduleDir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&moduleDir), &info) == 0 || info.dli_fname == nullptr)
    return ".";
  return std::filesystem::path(info.dli_fname).parent_path().string();
}

Result<StreamLimits> limits(const Parameters& parameters, const std::string& stream) {
  std::uint64_t size = parameters.bytes("max_" + stream + "_size");
  std::int64_t files = parameters.integer("max_" + stream + "_files");
  if (size < 1024) return fail("max_" + stream + "_size must be at least 1KB");
  if (files < 0 || files > 1000) return fail("max_" + stream + "_files must be 0 to 1000");
  return StreamLimits{size, static_cast<std::uint32_t>(files)};
}

}  // namespace

Result<std::unique_ptr<RotateLogger>> RotateLogger::create(const Parameters& parameters) {
  auto out = limits(parameters, "stdout");
  if (!out) return fail(out.error());
  auto err = limits(parameters, "stderr");
  if (!err) return fail(err.error());
  std::string dir = parameters.string("launcher_dir");
  if (dir.empty()) dir = moduleDir();
  std::string path = dir + "/" + kLoggerName;
  if (::access(path.c_str(), X_OK) != 0) {
    return fail("cannot run " + path + ": " + std::strerror(errno) +
                " (set launcher_dir to the folder holding " + kLoggerName + ")");
  }
  return std::make_unique<RotateLogger>(std::move(path), *out, *err);
}

RotateLogger::RotateLogger(std::string loggerPath, StreamLimits out, StreamLimits err)
    : loggerPath_(std::move(loggerPath)), out_(out), err_(err) {}

Result<ContainerIO> RotateLogger::prepare(const ContainerId& container,
                                          const v1::ContainerConfig& config) {
  PLEXUS_TRY(checkSandbox(container, config));
  const std::string& sandbox = config.directory();
  auto out = startLogger(sandbox + "/stdout", out_);
  if (!out) return fail(out.error());
  auto err = startLogger(sandbox + "/stderr", err_);
  if (!err) {
    ::close(*out);  // its logger sees the end of its input and exits
    return fail(err.error());
  }
  return ContainerIO{.out = ContainerOutput::toFd(*out), .err = ContainerOutput::toFd(*err)};
}

Result<int> RotateLogger::startLogger(const std::string& path, const StreamLimits& limits) const {
  // Fail here, naming the file, rather than in the detached logger.
  int probe = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (probe < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  ::close(probe);

  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> args = {kLoggerName, "--log_filename=" + path,
                                   "--max_size=" + std::to_string(limits.maxSize),
                                   "--max_files=" + std::to_string(limits.maxFiles)};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, pipe[0], STDIN_FILENO);
  ::posix_spawnattr_init(&attributes);
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int spawned =
      ::posix_spawn(&pid, loggerPath_.c_str(), &actions, &attributes, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  ::close(pipe[0]);
  if (spawned != 0) {
    ::close(pipe[1]);
    return fail("cannot start " + loggerPath_ + ": " + std::strerror(spawned));
  }
  // It forks the logger that stays and exits at once.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ::close(pipe[1]);
    return fail(loggerPath_ + " failed to start for " + path);
  }
  return pipe[1];
}

}  // namespace plexus::logrotate
