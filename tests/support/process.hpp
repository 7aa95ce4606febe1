// Test support: temporary folders and real daemon processes for integration tests.
//
// A Process runs a binary from the build's bin/ folder with stdout and stderr in
// files, and is killed (SIGKILL) and reaped when it goes out of scope, so a failed
// assertion never leaves a daemon behind. A TempDir is removed with its contents.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace plexus::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to path()/name and returns the file's path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& path);
// Runs `command` with /bin/sh; returns its stdout, and its wait status in *status
// (-1 when it cannot be started).
std::string runShell(const std::string& command, int* status);

class Process {
 public:
  // Starts `binary` (a name in PLEXUS_BIN_DIR, or an absolute path) with `args`;
  // the environment is the test's minus PLEXUS_* variables, plus `extraEnv`.
  Process(const std::string& binary, std::vector<std::string> args,
          const std::filesystem::path& dir, std::vector<std::string> extraEnv = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Waits for exit; returns the exit status, or -1 on a signal or timeout.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  void signal(int sig);
  std::string out() const;
  std::string err() const;
  std::string lastErrLine() const;
  // Polls stderr for "listening on http[s]://127.0.0.1:<port>" and returns the port (-1 on
  // timeout).
  int waitForPort(std::chrono::seconds timeout = std::chrono::seconds(30)) const;
  // Polls stderr until it contains `text`.
  bool waitForLog(const std::string& text,
                  std::chrono::seconds timeout = std::chrono::seconds(30)) const;

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::filesystem::path out_;
  std::filesystem::path err_;
};

}  // namespace plexus::testing
