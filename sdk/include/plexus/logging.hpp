// Logging: one process-wide log shared by the core and every loaded module.
//
// Lines go to stderr as `I1121 06:09:12.345678 12345 file.cpp:42] message`, the
// glog layout Mesos operators already grep. The sink lives in libplexus_sdk.so,
// so a module's lines and the daemon's interleave in one stream. Safe to call
// from any thread; each line is written with one write(2).
//
//   PLEXUS_LOG(Info) << "loaded module " << name;
//   PLEXUS_LOG(Warning) << "agent " << id << " missed a ping";
//
// setMinLogLevel() hides lines below a level (default Info). setLogFile() also
// writes every line to a file rotated by size (the daemons' --log_dir).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3, Fatal = 4 };

PLEXUS_API void setMinLogLevel(LogLevel level) noexcept;
PLEXUS_API LogLevel minLogLevel() noexcept;
PLEXUS_API bool parseLogLevel(std::string_view text, LogLevel* level) noexcept;

// From now on, every line shown on stderr is also appended to `path`, which is
// rotated past `maxBytes` into `path`.1 ... `path`.`maxFiles` (RotatingFile). The
// error names the file when it cannot be opened. Call once, at start-up.
PLEXUS_API Result<void> setLogFile(const std::string& path, std::uint64_t maxBytes,
                                   std::uint32_t maxFiles);

// Writes one formatted line; used by PLEXUS_LOG. A Fatal line aborts after writing.
PLEXUS_API void writeLogLine(LogLevel level, const char* file, int line,
                             std::string_view message) noexcept;

namespace detail {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line)
      : level_(level), file_(file), line_(line) {}
  ~LogMessage() { writeLogLine(level_, file_, line_, stream_.view()); }
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace plexus

#define PLEXUS_LOG(level)                                    \
  if (::plexus::LogLevel::level < ::plexus::minLogLevel()) { \
  } else                                                     \
    ::plexus::detail::LogMessage(::plexus::LogLevel::level, __FILE__, __LINE__).stream()

// Checks an invariant; on failure logs the condition and aborts. For bugs, not input errors.
#define PLEXUS_CHECK(condition)                                                          \
  if (condition) {                                                                       \
  } else                                                                                 \
    ::plexus::detail::LogMessage(::plexus::LogLevel::Fatal, __FILE__, __LINE__).stream() \
        << "Check failed: " #condition " "
