#include "command_runner.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace plexus::hooks {
namespace {

std::string errnoText(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Reads what is there, handing complete lines to onLine; false at end of file.
bool drain(int fd, std::string& pending, const std::function<void(std::string_view)>& onLine) {
  char buffer[4096];
  ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got < 0) return errno == EINTR || errno == EAGAIN;
  if (got == 0) return false;
  pending.append(buffer, static_cast<std::size_t>(got));
  for (std::size_t newline = pending.find('\n'); newline != std::string::npos;
       newline = pending.find('\n')) {
    onLine(std::string_view(pending).substr(0, newline));
    pending.erase(0, newline + 1);
  }
  return true;
}

}  // namespace

Result<CommandOutcome> runCommand(const std::string& command,
                                  const std::map<std::string, std::string>& environment,
                                  Duration timeout,
                                  const std::function<void(std::string_view line)>& onLine) {
  // Everything the child needs is built before it exists: posix_spawn is safe in a
  // process with threads.
  std::vector<std::string> envText;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (!environment.contains(std::string(text.substr(0, text.find('=')))))
      envText.emplace_back(text);
  }
  for (const auto& [name, value] : environment)
    envText.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& text : envText)
    envp.push_back(text.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dashC = "-c", body = command;
  char* argv[] = {shell.data(), dashC.data(), body.data(), nullptr};

  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) return fail(errnoText("pipe", errno));
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
  ::posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
  ::posix_spawnattr_init(&attributes);
  ::posix_spawnattr_setflags(
      &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  ::posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  pid_t pid = -1;
  int spawned = ::posix_spawn(&pid, shell.c_str(), &actions, &attributes, argv, envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  ::close(pipeFds[1]);
  if (spawned != 0) {
    ::close(pipeFds[0]);
    return fail(errnoText("posix_spawn /bin/sh", spawned));
  }

  CommandOutcome outcome;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string pending;
  bool open = true;
  while (open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timedOut = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd readable{pipeFds[0], POLLIN, 0};
    int ready = ::poll(&readable, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready > 0) open = drain(pipeFds[0], pending, onLine);
  }
  ::close(pipeFds[0]);
  if (!pending.empty()) onLine(pending);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the shell left running in its group goes with it.
  ::kill(-pid, SIGKILL);
  if (WIFEXITED(status)) outcome.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

}  // namespace plexus::hooks
