#include "cgroup_fs.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <plexus/file.hpp>

namespace plexus::cgroups {

namespace {

std::vector<std::string_view> splitFields(std::string_view text, char separator) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t stop = text.find(separator, start);
    if (stop == std::string_view::npos) stop = text.size();
    if (stop > start) fields.push_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return fields;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> toNumber(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// mountinfo escapes spaces and such as \040.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      bool octal = true;
      for (std::size_t j = 1; j <= 3 && octal; ++j) {
        char c = text[i + j];
        octal = c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

Mounts parseMountInfo(std::string_view text) {
  Mounts mounts;
  for (std::string_view line : splitFields(text, '\n')) {
    auto fields = splitFields(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
    // id parent major:minor root mount-point options [optional...] - type source super-options
    if (dash == fields.end() || fields.size() < 5 || fields.end() - dash < 2) continue;
    std::string_view type = *(dash + 1);
    std::string_view superOptions = fields.end() - dash >= 4 ? *(dash + 3) : "";
    fs::path mountPoint = unescape(fields[4]);
    if (type == "cgroup2") {
      if (!mounts.unified) mounts.unified = mountPoint;
    } else if (type == "cgroup") {
      for (std::string_view option : splitFields(superOptions, ',')) {
        if (option == "rw" || option == "ro" || option.find('=') != std::string_view::npos ||
            option == "clone_children" || option == "noprefix" || option == "xattr") {
          continue;
        }
        mounts.legacy.emplace(std::string(option), mountPoint);
      }
    }
  }
  return mounts;
}

Mounts readMounts() {
  auto text = readFile("/proc/self/mountinfo");
  return text ? parseMountInfo(*text) : Mounts{};
}

Result<std::string> readFile(const fs::path& path) {
  auto text = plexus::readFile(path.string());
  if (!text) return fail("cannot read " + path.string() + ": " + text.error().message());
  return text;
}

Result<void> writeFile(const fs::path& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot open " + path.string() + ": " + std::strerror(errno));
  // Plain folders (tests) need the old contents gone; cgroup files ignore this.
  [[maybe_unused]] int ignored = ::ftruncate(fd, 0);
  ssize_t written = ::write(fd, value.data(), value.size());
  int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    return fail("cannot write '" + std::string(value) + "' to " + path.string() + ": " +
                std::strerror(written < 0 ? error : EIO));
  }
  return {};
}

Result<std::optional<std::uint64_t>> readNumber(const fs::path& path) {
  auto text = readFile(path);
  if (!text) return fail(text.error());
  std::string_view value = trim(*text);
  if (value == "max") return std::optional<std::uint64_t>();
  auto number = toNumber(value);
  if (!number) return fail(path.string() + ": '" + std::string(value) + "' is not a number");
  return std::optional<std::uint64_t>(*number);
}

std::map<std::string, std::uint64_t> parseKeyValues(std::string_view text) {
  std::map<std::string, std::uint64_t> values;
  for (std::string_view line : splitFields(text, '\n')) {
    auto fields = splitFields(trim(line), ' ');
    if (fields.size() != 2) continue;
    if (auto number = toNumber(fields[1])) values[std::string(fields[0])] = *number;
  }
  return values;
}

std::vector<pid_t> parsePids(std::string_view text) {
  std::vector<pid_t> pids;
  for (std::string_view line : splitFields(text, '\n')) {
    if (auto number = toNumber(trim(line)); number && *number > 0)
      pids.push_back(static_cast<pid_t>(*number));
  }
  return pids;
}

std::vector<std::string> parseControllers(std::string_view text) {
  std::vector<std::string> names;
  for (std::string_view line : splitFields(text, '\n')) {
    for (std::string_view name : splitFields(line, ' ')) {
      name = trim(name);
      if (!name.empty()) names.emplace_back(name);
    }
  }
  return names;
}

std::uint64_t cpuShares(double cpus) {
  return std::max<std::uint64_t>(2, static_cast<std::uint64_t>(std::llround(cpus * 1024)));
}

std::uint64_t cpuWeight(double cpus) {
  auto weight = static_cast<std::int64_t>(std::llround(cpus * 100));
  return static_cast<std::uint64_t>(std::clamp<std::int64_t>(weight, 1, 10000));
}

std::uint64_t cfsQuotaUs(double cpus) {
  return std::max<std::uint64_t>(
      1000, static_cast<std::uint64_t>(std::llround(cpus * static_cast<double>(kCfsPeriodUs))));
}

std::string cpuMax(double cpus) {
  return std::to_string(cfsQuotaUs(cpus)) + " " + std::to_string(kCfsPeriodUs);
}

std::uint64_t memoryLimitBytes(double megabytes) {
  auto bytes = static_cast<std::uint64_t>(std::llround(megabytes * 1024 * 1024));
  return std::max(bytes, kMinMemoryBytes);
}

std::string memoryLimitMessage(std::uint64_t limitBytes, std::uint64_t usedBytes) {
  constexpr std::uint64_t kMegabyte = 1 << 20;
  auto mb = [](std::uint64_t bytes) {
    return std::to_string((bytes + kMegabyte - 1) / kMegabyte) + "MB";
  };
  return "Memory limit exceeded: Requested: " + mb(limitBytes) + " Maximum Used: " + mb(usedBytes);
}

bool isSafeName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

Result<void> removeCgroup(const fs::path& path) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    // EBUSY: tasks still exiting; retry for about a second.
    if (errno != EBUSY || attempt >= 100) {
      return fail("cannot remove cgroup " + path.string() + ": " + std::strerror(errno));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<std::string> childCgroups(const fs::path& path) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_directory(error)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace plexus::cgroups
