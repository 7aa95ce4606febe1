#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

#include <plexus/logging.hpp>
#include <plexus/rotating_file.hpp>

namespace plexus {
namespace {

std::atomic<LogLevel> gMinLevel{LogLevel::Info};

// The --log_dir file, when set; lines from any thread go through the mutex.
std::mutex gFileMutex;
std::unique_ptr<RotatingFile> gFile;

char levelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return 'D';
    case LogLevel::Info:
      return 'I';
    case LogLevel::Warning:
      return 'W';
    case LogLevel::Error:
      return 'E';
    case LogLevel::Fatal:
      return 'F';
  }
  return '?';
}

const char* baseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

}  // namespace

void setMinLogLevel(LogLevel level) noexcept {
  gMinLevel.store(level);
}
LogLevel minLogLevel() noexcept {
  return gMinLevel.load(std::memory_order_relaxed);
}

bool parseLogLevel(std::string_view text, LogLevel* level) noexcept {
  if (text == "debug" || text == "DEBUG")
    *level = LogLevel::Debug;
  else if (text == "info" || text == "INFO")
    *level = LogLevel::Info;
  else if (text == "warning" || text == "WARNING")
    *level = LogLevel::Warning;
  else if (text == "error" || text == "ERROR")
    *level = LogLevel::Error;
  else
    return false;
  return true;
}

Result<void> setLogFile(const std::string& path, std::uint64_t maxBytes, std::uint32_t maxFiles) {
  auto file = RotatingFile::open(path, maxBytes, maxFiles);
  if (!file) return fail(file.error());
  std::lock_guard lock(gFileMutex);
  gFile = std::make_unique<RotatingFile>(std::move(*file));
  return {};
}

void writeLogLine(LogLevel level, const char* file, int line, std::string_view message) noexcept {
  try {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000;
    std::tm tm{};
    localtime_r(&seconds, &tm);
    char prefix[96];
    int n = std::snprintf(prefix, sizeof prefix, "%c%02d%02d %02d:%02d:%02d.%06lld %ld %s:%d] ",
                          levelLetter(level), tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec, static_cast<long long>(micros),
                          static_cast<long>(::syscall(SYS_gettid)), baseName(file), line);
    std::string out(prefix, n > 0 ? static_cast<size_t>(n) : 0);
    out.append(message);
    out.push_back('\n');
    size_t written = 0;
    while (written < out.size()) {
      ssize_t w = ::write(STDERR_FILENO, out.data() + written, out.size() - written);
      if (w <= 0) break;
      written += static_cast<size_t>(w);
    }
    std::lock_guard lock(gFileMutex);
    // A line lost to a full disk is acceptable; stderr has it.
    if (gFile) (void)gFile->write(out);
  } catch (...) {
    // Logging must never throw; a line lost to an allocation failure is acceptable.
  }
  if (level == LogLevel::Fatal) std::abort();
}

}  // namespace plexus
