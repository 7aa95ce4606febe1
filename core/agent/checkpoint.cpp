#include "agent/checkpoint.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <boost/crc.hpp>

#include "agent/paths.hpp"

namespace plexus::agent::checkpoint {

namespace {

constexpr char kMagic[4] = {'P', 'X', 'C', 'K'};
constexpr std::size_t kHeader = 12;

void putBigEndian(std::uint32_t value, char* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

std::uint32_t getBigEndian(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

Result<void> writeAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return fail("cannot write " + path + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// fsync of the folder, so that the rename itself survives a crash.
void syncFolder(const std::string& path) {
  int fd = ::open(std::filesystem::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string bootIdPath(const std::string& workDir) {
  return workDir + "/meta/boot_id";
}

std::string latestAgentLink(const std::string& workDir) {
  return workDir + "/meta/slaves/latest";
}

std::string agentDir(const std::string& workDir, const AgentId& agent) {
  return workDir + "/meta/slaves/" + agent.value();
}

std::string agentInfoPath(const std::string& workDir, const AgentId& agent) {
  return agentDir(workDir, agent) + "/slave.info";
}

std::string frameworkDir(const std::string& workDir, const AgentId& agent,
                         const FrameworkId& framework) {
  return agentDir(workDir, agent) + "/frameworks/" + framework.value();
}

std::string frameworkInfoPath(const std::string& workDir, const AgentId& agent,
                              const FrameworkId& framework) {
  return frameworkDir(workDir, agent, framework) + "/framework.info";
}

std::string executorDir(const std::string& workDir, const AgentId& agent,
                        const FrameworkId& framework, const ExecutorId& executor) {
  return frameworkDir(workDir, agent, framework) + "/executors/" + executor.value();
}

std::string executorInfoPath(const std::string& workDir, const AgentId& agent,
                             const FrameworkId& framework, const ExecutorId& executor) {
  return executorDir(workDir, agent, framework, executor) + "/executor.info";
}

std::string runDir(const std::string& workDir, const AgentId& agent, const FrameworkId& framework,
                   const ExecutorId& executor, const ContainerId& container) {
  return executorDir(workDir, agent, framework, executor) + "/runs/" + container.value();
}

std::string taskDir(const std::string& runDir, const TaskId& task) {
  return runDir + "/tasks/" + task.value();
}

Result<void> write(const std::string& path, internal::AgentCheckpoint checkpoint) {
  checkpoint.set_version(kVersion);
  std::string payload = checkpoint.SerializeAsString();
  std::string bytes(kHeader, '\0');
  std::memcpy(bytes.data(), kMagic, 4);
  putBigEndian(static_cast<std::uint32_t>(payload.size()), bytes.data() + 4);
  putBigEndian(crc32(payload), bytes.data() + 8);
  bytes += payload;

  PLEXUS_TRY(paths::createDirectories(std::filesystem::path(path).parent_path().string()));
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create " + temporary + ": " + std::strerror(errno));
  auto written = writeAll(fd, bytes, temporary);
  if (written && ::fsync(fd) != 0)
    written = fail("cannot fsync " + temporary + ": " + std::strerror(errno));
  ::close(fd);
  if (!written) return written;
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    return fail("cannot rename " + temporary + " to " + path + ": " + std::strerror(errno));
  syncFolder(path);
  return {};
}

Result<internal::AgentCheckpoint> read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read checkpoint " + path + ": " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 4) != 0)
    return fail("checkpoint " + path + " is truncated or not a Plexus checkpoint");
  std::uint32_t length = getBigEndian(bytes.data() + 4);
  std::string_view payload = std::string_view(bytes).substr(kHeader);
  if (payload.size() != length) {
    return fail("checkpoint " + path + " is truncated: " + std::to_string(payload.size()) + " of " +
                std::to_string(length) + " bytes");
  }
  if (crc32(payload) != getBigEndian(bytes.data() + 8))
    return fail("checkpoint " + path + " is corrupt: its checksum does not match");
  internal::AgentCheckpoint checkpoint;
  if (!checkpoint.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return fail("checkpoint " + path + " is corrupt: it does not parse");
  if (checkpoint.version() > kVersion) {
    return fail("checkpoint " + path + " was written by a newer agent (version " +
                std::to_string(checkpoint.version()) + ", this agent reads up to " +
                std::to_string(kVersion) + ")");
  }
  return checkpoint;
}

Result<void> pointLink(const std::string& link, const std::string& target) {
  PLEXUS_TRY(paths::createDirectories(std::filesystem::path(link).parent_path().string()));
  std::string temporary = link + ".tmp";
  ::unlink(temporary.c_str());
  if (::symlink(target.c_str(), temporary.c_str()) != 0)
    return fail("cannot create symlink " + temporary + ": " + std::strerror(errno));
  if (::rename(temporary.c_str(), link.c_str()) != 0)
    return fail("cannot rename " + temporary + " to " + link + ": " + std::strerror(errno));
  syncFolder(link);
  return {};
}

Result<std::string> currentBootId() {
  if (const char* forced = std::getenv("PLEXUS_BOOT_ID"); forced != nullptr && *forced != '\0')
    return std::string(forced);
  const char* path = "/proc/sys/kernel/random/boot_id";
  std::ifstream in(path);
  std::string id;
  if (!(in >> id)) return fail(std::string("cannot read the boot id from ") + path);
  return id;
}

std::uint64_t processStartTicks(pid_t pid) {
  if (pid <= 0) return 0;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::array<char, 1024> buffer{};
  ssize_t got = ::read(fd, buffer.data(), buffer.size() - 1);
  ::close(fd);
  if (got <= 0) return 0;
  std::string line(buffer.data(), static_cast<std::size_t>(got));
  std::size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  // After "(comm)": field 3 (state) onwards; starttime is field 22.
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (int index = 3; index < 22; ++index) {
    if (!(fields >> field)) return 0;
    if (index == 3 && field == "Z") return 0;  // a zombie is gone
  }
  std::uint64_t ticks = 0;
  fields >> ticks;
  return ticks;
}

}  // namespace plexus::agent::checkpoint
