#include "process.hpp"

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace plexus::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "plexus-test-XXXXXX").string();
  path_ = ::mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  std::ofstream(path_ / name) << text;
  return (path_ / name).string();
}

std::string runShell(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    out += buffer;
  *status = ::pclose(pipe);
  return out;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

Process::Process(const std::string& binary, std::vector<std::string> args, const fs::path& dir,
                 std::vector<std::string> extraEnv) {
  std::string name = fs::path(binary).filename().string();
  int serial = 0;
  do {
    out_ = dir / (name + (serial ? "." + std::to_string(serial) : "") + ".out");
    err_ = dir / (name + (serial ? "." + std::to_string(serial) : "") + ".err");
    ++serial;
  } while (fs::exists(err_));
  std::vector<std::string> argv{
      binary.starts_with("/") ? binary : std::string(PLEXUS_BIN_DIR) + "/" + binary};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env(extraEnv);
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("PLEXUS_", 0) != 0) env.emplace_back(*e);
  }
  std::vector<char*> cenv;
  for (auto& e : env)
    cenv.push_back(e.data());
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (posix_spawn(&pid_, cargv[0], &actions, nullptr, cargv.data(), cenv.data()) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

Process::~Process() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int Process::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void Process::signal(int sig) {
  ::kill(pid_, sig);
}
std::string Process::out() const {
  return readFile(out_);
}
std::string Process::err() const {
  return readFile(err_);
}

std::string Process::lastErrLine() const {
  std::string text = err();
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  auto at = text.rfind('\n');
  return text.substr(at == std::string::npos ? 0 : at + 1);
}

int Process::waitForPort(std::chrono::seconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = err();
    for (const std::string marker :
         {"listening on http://127.0.0.1:", "listening on https://127.0.0.1:"}) {
      if (auto at = text.find(marker); at != std::string::npos)
        return std::stoi(text.substr(at + marker.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

bool Process::waitForLog(const std::string& text, std::chrono::seconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace plexus::testing
