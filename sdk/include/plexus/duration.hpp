// Durations in the syntax Mesos operators write: "5secs", "500ms", "1.5mins".
//
// Flags (`--allocation_interval=1secs`), module parameters of type Duration and
// the executor environment (`MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=5secs`) all use
// this syntax. Units: ns, us, ms, secs, mins, hrs, days, weeks; the number may
// have a fraction ("0.5secs") but no sign. Pure functions, safe on any thread.
//
//   auto d = plexus::parseDuration("1.5mins");   // Result<Duration>: 90 s
//   plexus::formatDuration(*d);                  // "1.5mins"
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

using Duration = std::chrono::nanoseconds;

// Parses "<number><unit>". Errors name the input and the units accepted.
PLEXUS_API Result<Duration> parseDuration(std::string_view text);

// Formats with the largest unit whose value is at least 1 ("90secs" -> "1.5mins"),
// the way Mesos prints durations, so formatDuration(parseDuration(x)) re-parses to x.
PLEXUS_API std::string formatDuration(Duration duration);

// Parses a byte size: "<integer><unit>" with unit B, KB, MB, GB or TB (powers of
// 1024, as Mesos's Bytes); a bare integer means bytes.
PLEXUS_API Result<std::uint64_t> parseBytes(std::string_view text);

}  // namespace plexus
