#include "rlimits.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <sys/resource.h>

namespace plexus::posix {

namespace {

using Type = v1::RLimitInfo::RLimit::Type;

struct Known {
  Type type;
  const char* name;
  int resource;
};

constexpr Known kKnown[] = {
    {v1::RLimitInfo::RLimit::RLMT_AS, "AS", RLIMIT_AS},
    {v1::RLimitInfo::RLimit::RLMT_CORE, "CORE", RLIMIT_CORE},
    {v1::RLimitInfo::RLimit::RLMT_CPU, "CPU", RLIMIT_CPU},
    {v1::RLimitInfo::RLimit::RLMT_DATA, "DATA", RLIMIT_DATA},
    {v1::RLimitInfo::RLimit::RLMT_FSIZE, "FSIZE", RLIMIT_FSIZE},
    {v1::RLimitInfo::RLimit::RLMT_LOCKS, "LOCKS", RLIMIT_LOCKS},
    {v1::RLimitInfo::RLimit::RLMT_MEMLOCK, "MEMLOCK", RLIMIT_MEMLOCK},
    {v1::RLimitInfo::RLimit::RLMT_MSGQUEUE, "MSGQUEUE", RLIMIT_MSGQUEUE},
    {v1::RLimitInfo::RLimit::RLMT_NICE, "NICE", RLIMIT_NICE},
    {v1::RLimitInfo::RLimit::RLMT_NOFILE, "NOFILE", RLIMIT_NOFILE},
    {v1::RLimitInfo::RLimit::RLMT_NPROC, "NPROC", RLIMIT_NPROC},
    {v1::RLimitInfo::RLimit::RLMT_RSS, "RSS", RLIMIT_RSS},
    {v1::RLimitInfo::RLimit::RLMT_RTPRIO, "RTPRIO", RLIMIT_RTPRIO},
    {v1::RLimitInfo::RLimit::RLMT_RTTIME, "RTTIME", RLIMIT_RTTIME},
    {v1::RLimitInfo::RLimit::RLMT_SIGPENDING, "SIGPENDING", RLIMIT_SIGPENDING},
    {v1::RLimitInfo::RLimit::RLMT_STACK, "STACK", RLIMIT_STACK},
};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// nullopt = unlimited.
Result<std::optional<std::uint64_t>> parseBound(std::string_view text, std::string_view entry) {
  text = trim(text);
  if (upper(text) == "UNLIMITED" || upper(text) == "INFINITY") return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return fail("rlimit '" + std::string(entry) + "': '" + std::string(text) +
                "' is neither a non-negative integer nor 'unlimited'");
  }
  return value;
}

const Known* findKnown(Type type) {
  for (const Known& known : kKnown) {
    if (known.type == type) return &known;
  }
  return nullptr;
}

}  // namespace

std::string_view rlimitName(Type type) {
  const Known* known = findKnown(type);
  return known != nullptr ? known->name : "UNKNOWN";
}

Result<RLimits> parseRLimits(std::string_view text) {
  RLimits limits;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t stop = text.find_first_of(";,", start);
    if (stop == std::string_view::npos) stop = text.size();
    std::string_view entry = trim(text.substr(start, stop - start));
    start = stop + 1;
    if (entry.empty()) continue;
    std::size_t equals = entry.find('=');
    if (equals == std::string_view::npos) {
      return fail("rlimit '" + std::string(entry) + "': expected NAME=SOFT[:HARD]");
    }
    std::string name = upper(trim(entry.substr(0, equals)));
    if (name.starts_with("RLMT_")) name = name.substr(5);
    if (name.starts_with("RLIMIT_")) name = name.substr(7);
    const Known* known = nullptr;
    for (const Known& k : kKnown) {
      if (name == k.name) known = &k;
    }
    if (known == nullptr) {
      return fail("rlimit '" + std::string(entry) + "': unknown limit '" + name + "'");
    }
    std::string_view values = entry.substr(equals + 1);
    std::size_t colon = values.find(':');
    auto soft = parseBound(values.substr(0, colon), entry);
    if (!soft) return fail(soft.error());
    auto hard =
        colon == std::string_view::npos ? soft : parseBound(values.substr(colon + 1), entry);
    if (!hard) return fail(hard.error());
    if (*soft && *hard && **soft > **hard) {
      return fail("rlimit '" + std::string(entry) + "': the soft limit exceeds the hard limit");
    }
    if (!*soft && *hard) {
      return fail("rlimit '" + std::string(entry) +
                  "': an unlimited soft limit needs an "
                  "unlimited hard limit");
    }
    if (limits.contains(known->type)) {
      return fail("rlimit '" + std::string(entry) + "': " + known->name + " given twice");
    }
    limits[known->type] = RLimitValue{*soft, *hard};
  }
  return limits;
}

Result<RLimits> fromRLimitInfo(const v1::RLimitInfo& info) {
  RLimits limits;
  for (const auto& limit : info.rlimits()) {
    const Known* known = findKnown(limit.type());
    if (known == nullptr) return fail("rlimit_info: a limit of unknown type");
    if (limit.has_soft() != limit.has_hard()) {
      return fail(std::string("rlimit_info ") + known->name +
                  ": set both soft and hard, or neither (unlimited)");
    }
    if (limit.has_soft() && limit.soft() > limit.hard()) {
      return fail(std::string("rlimit_info ") + known->name +
                  ": the soft limit exceeds the hard limit");
    }
    if (limits.contains(known->type)) {
      return fail(std::string("rlimit_info ") + known->name + " given twice");
    }
    RLimitValue value;
    if (limit.has_soft()) value = {limit.soft(), limit.hard()};
    limits[known->type] = value;
  }
  return limits;
}

Result<void> applyRLimits(pid_t pid, const RLimits& limits) {
  for (const auto& [type, value] : limits) {
    const Known* known = findKnown(type);
    if (known == nullptr) continue;
    rlimit limit{};
    limit.rlim_cur = value.soft ? static_cast<rlim_t>(*value.soft) : RLIM_INFINITY;
    limit.rlim_max = value.hard ? static_cast<rlim_t>(*value.hard) : RLIM_INFINITY;
    if (::prlimit(pid, static_cast<__rlimit_resource>(known->resource), &limit, nullptr) != 0) {
      return fail(std::string("setting rlimit ") + known->name + " of pid " + std::to_string(pid) +
                  ": " + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace plexus::posix
