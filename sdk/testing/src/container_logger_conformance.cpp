#include "plexus/testing/container_logger_conformance.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace plexus::testing {

namespace fs = std::filesystem;

bool linkContainerLoggerConformance() {
  return true;
}

namespace {

using namespace std::chrono_literals;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

v1::ContainerConfig configFor(const std::string& sandbox) {
  v1::ContainerConfig config;
  config.set_directory(sandbox);
  config.mutable_command_info()->set_value("true");
  config.mutable_executor_info()->mutable_executor_id()->set_value("conformance-executor");
  config.mutable_executor_info()->mutable_framework_id()->set_value("conformance-framework");
  return config;
}

// The descriptor the child gets for `output` (async-signal-safe).
int openOutput(const ContainerOutput& output, const char* path) {
  if (output.type == ContainerOutput::Type::kFd) return output.fd;
  return ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

void writeAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Runs a process wired to `io` as the containerizer wires it: it writes `out`
// `repeat` times then `last` to stdout, and `err` to stderr. Closes the
// caller's descriptors once forked, then waits for it. Returns its exit code.
int runContainer(const ContainerIO& io, const std::string& out, int repeat, const std::string& last,
                 const std::string& err) {
  std::string outPath = io.out.path, errPath = io.err.path;
  pid_t pid = ::fork();
  if (pid == 0) {
    int o = openOutput(io.out, outPath.c_str());
    int e = openOutput(io.err, errPath.c_str());
    if (o < 0 || e < 0) ::_exit(3);
    ::dup2(o, 1);
    ::dup2(e, 2);
    for (int i = 0; i < repeat; ++i)
      writeAll(1, out.data(), out.size());
    writeAll(1, last.data(), last.size());
    writeAll(2, err.data(), err.size());
    ::_exit(0);
  }
  for (const ContainerOutput* output : {&io.out, &io.err}) {
    if (output->type == ContainerOutput::Type::kFd) ::close(output->fd);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void closeIO(const ContainerIO& io) {
  for (const ContainerOutput* output : {&io.out, &io.err}) {
    if (output->type == ContainerOutput::Type::kFd && output->fd >= 0) ::close(output->fd);
  }
}

std::size_t openDescriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

}  // namespace

void ContainerLoggerConformance::SetUp() {
  char pattern[] = "/tmp/plexus-logger-conformance-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  root_ = pattern;
  auto made = GetParam().make();
  ASSERT_TRUE(made.has_value()) << made.error().message();
  logger_ = std::move(*made);
  ASSERT_NE(logger_, nullptr);
}

void ContainerLoggerConformance::TearDown() {
  logger_.reset();
  std::error_code ignored;
  if (!root_.empty()) fs::remove_all(root_, ignored);
}

std::string ContainerLoggerConformance::makeSandbox(const std::string& name) {
  fs::path sandbox = fs::path(root_) / name;
  fs::create_directories(sandbox);
  return sandbox.string();
}

TEST_P(ContainerLoggerConformance, OutputsArePathsOrWritableCloseOnExecDescriptors) {
  std::string sandbox = makeSandbox("wiring");
  auto io = logger_->prepare(ContainerId("wiring"), configFor(sandbox));
  ASSERT_TRUE(io.has_value()) << io.error().message();
  for (const ContainerOutput* output : {&io->out, &io->err}) {
    if (output->type == ContainerOutput::Type::kPath) {
      EXPECT_TRUE(fs::path(output->path).is_absolute()) << output->path;
      continue;
    }
    ASSERT_GE(output->fd, 0);
    int fdFlags = ::fcntl(output->fd, F_GETFD);
    ASSERT_GE(fdFlags, 0) << "descriptor " << output->fd << " is not open";
    EXPECT_TRUE(fdFlags & FD_CLOEXEC) << "descriptor " << output->fd << " is not close-on-exec";
    int statusFlags = ::fcntl(output->fd, F_GETFL);
    EXPECT_TRUE((statusFlags & O_ACCMODE) == O_WRONLY || (statusFlags & O_ACCMODE) == O_RDWR)
        << "descriptor " << output->fd << " is not writable";
  }
  closeIO(*io);
}

TEST_P(ContainerLoggerConformance, OutputReachesTheSandbox) {
  if (!GetParam().writesSandboxFiles) GTEST_SKIP() << "the logger does not write the sandbox";
  std::string sandbox = makeSandbox("output");
  auto io = logger_->prepare(ContainerId("output"), configFor(sandbox));
  ASSERT_TRUE(io.has_value()) << io.error().message();
  ASSERT_EQ(runContainer(*io, "hello stdout\n", 3, "last stdout line\n", "hello stderr\n"), 0);
  const std::string expectedOut = "hello stdout\nhello stdout\nhello stdout\nlast stdout line\n";
  EXPECT_TRUE(waitFor([&] { return slurp(fs::path(sandbox) / "stdout") == expectedOut; },
                      GetParam().outputTimeout))
      << "stdout holds '" << slurp(fs::path(sandbox) / "stdout") << "'";
  EXPECT_TRUE(waitFor([&] { return slurp(fs::path(sandbox) / "stderr") == "hello stderr\n"; },
                      GetParam().outputTimeout))
      << "stderr holds '" << slurp(fs::path(sandbox) / "stderr") << "'";
}

TEST_P(ContainerLoggerConformance, AMissingSandboxIsAnError) {
  auto io = logger_->prepare(ContainerId("missing"),
                             configFor((fs::path(root_) / "no" / "such" / "sandbox").string()));
  ASSERT_FALSE(io.has_value()) << "prepare() accepted a sandbox that does not exist";
  EXPECT_FALSE(io.error().message().empty());
}

TEST_P(ContainerLoggerConformance, PreparingManyContainersLeaksNoDescriptor) {
  std::size_t before = openDescriptors();
  for (int i = 0; i < 20; ++i) {
    std::string name = "many-" + std::to_string(i);
    auto io = logger_->prepare(ContainerId(name), configFor(makeSandbox(name)));
    ASSERT_TRUE(io.has_value()) << io.error().message();
    closeIO(*io);
  }
  EXPECT_EQ(openDescriptors(), before);
}

TEST_P(ContainerLoggerConformance, ChattyContainerStaysWithinTheLimit) {
  const std::uint64_t limit = GetParam().maxStdoutBytes;
  if (limit == 0) GTEST_SKIP() << "the logger sets no limit";
  std::string sandbox = makeSandbox("chatty");
  auto io = logger_->prepare(ContainerId("chatty"), configFor(sandbox));
  ASSERT_TRUE(io.has_value()) << io.error().message();
  const std::string line = "a chatty line of output, over and over again, 64 bytes long....\n";
  int repeat = static_cast<int>(8 * limit / line.size()) + 1;
  ASSERT_EQ(runContainer(*io, line, repeat, "THE END\n", ""), 0);
  EXPECT_TRUE(waitFor(
      [&] {
        std::string out = slurp(fs::path(sandbox) / "stdout");
        return out.size() >= 8 && out.ends_with("THE END\n");
      },
      GetParam().outputTimeout))
      << "the last line never reached stdout";
  for (const auto& entry : fs::directory_iterator(sandbox)) {
    std::string name = entry.path().filename().string();
    if (name != "stdout" && !name.starts_with("stdout.")) continue;
    EXPECT_LE(fs::file_size(entry.path()), limit) << name << " is past the limit";
  }
}

}  // namespace plexus::testing
