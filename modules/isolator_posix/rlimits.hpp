// Resource limits (setrlimit(2)) for a container: from the `rlimits` parameter and
// from ContainerInfo.rlimit_info, in Mesos's RLimitInfo terms.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include <plexus/error.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::posix {

// One limit; both unset means unlimited (RLIM_INFINITY).
struct RLimitValue {
  std::optional<std::uint64_t> soft;
  std::optional<std::uint64_t> hard;
};

using RLimits = std::map<v1::RLimitInfo::RLimit::Type, RLimitValue>;

// Parses the `rlimits` parameter: entries separated by ';' or ',', each
// `NAME=SOFT[:HARD]` where NAME is an RLimitInfo type with or without its RLMT_
// prefix (NOFILE, RLMT_CORE, ...), case-insensitive, and SOFT/HARD are integers or
// `unlimited`; a lone value sets both. Empty text: no limits.
[[nodiscard]] Result<RLimits> parseRLimits(std::string_view text);

// Reads and checks ContainerInfo.rlimit_info (as Mesos: both bounds or neither,
// soft <= hard, no UNKNOWN type, no type twice).
[[nodiscard]] Result<RLimits> fromRLimitInfo(const v1::RLimitInfo& info);

// "NOFILE" for RLMT_NOFILE.
std::string_view rlimitName(v1::RLimitInfo::RLimit::Type type);

// Applies `limits` to process `pid` with prlimit(2). The error names the limit.
[[nodiscard]] Result<void> applyRLimits(pid_t pid, const RLimits& limits);

}  // namespace plexus::posix
