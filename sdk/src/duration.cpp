#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include <plexus/duration.hpp>

namespace plexus {
namespace {

struct Unit {
  std::string_view name;
  double nanoseconds;
};

// Largest first, so formatting can pick the first unit that fits.
constexpr std::array<Unit, 8> kUnits{{
    {"weeks", 7 * 24 * 3600e9},
    {"days", 24 * 3600e9},
    {"hrs", 3600e9},
    {"mins", 60e9},
    {"secs", 1e9},
    {"ms", 1e6},
    {"us", 1e3},
    {"ns", 1},
}};

constexpr std::string_view kUnitList = "ns, us, ms, secs, mins, hrs, days, weeks";

// Splits "1.5mins" into the number and the unit; false when there is no number.
bool splitNumber(std::string_view text, double* number, std::string_view* unit) {
  size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) {
    ++end;
  }
  if (end == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, *number);
  if (ec != std::errc() || ptr != text.data() + end) return false;
  *unit = text.substr(end);
  return true;
}

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  double number = 0;
  std::string_view unitName;
  if (!splitNumber(text, &number, &unitName)) {
    return fail("invalid duration '" + std::string(text) +
                "': expected a non-negative number followed by a unit (" + std::string(kUnitList) +
                "), e.g. '5secs'");
  }
  for (const Unit& unit : kUnits) {
    if (unit.name != unitName) continue;
    double nanos = number * unit.nanoseconds;
    if (!std::isfinite(nanos) || nanos > static_cast<double>(std::numeric_limits<int64_t>::max())) {
      return fail("invalid duration '" + std::string(text) + "': too large");
    }
    return Duration(static_cast<int64_t>(std::llround(nanos)));
  }
  return fail("invalid duration '" + std::string(text) + "': unknown unit '" +
              std::string(unitName) + "' (use one of " + std::string(kUnitList) + ")");
}

std::string formatDuration(Duration duration) {
  double nanos = static_cast<double>(duration.count());
  if (nanos == 0) return "0ns";
  for (const Unit& unit : kUnits) {
    if (std::fabs(nanos) >= unit.nanoseconds || unit.name == "ns") {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.15g", nanos / unit.nanoseconds);
      return std::string(buffer) + std::string(unit.name);
    }
  }
  return std::to_string(duration.count()) + "ns";
}

Result<std::uint64_t> parseBytes(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9')
    ++end;
  std::uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, number);
  if (end == 0 || ec != std::errc()) {
    return fail("invalid byte size '" + std::string(text) +
                "': expected an integer followed by B, KB, MB, GB or TB, e.g. '64MB'");
  }
  std::string_view unit = text.substr(end);
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "KB")
    shift = 10;
  else if (unit == "MB")
    shift = 20;
  else if (unit == "GB")
    shift = 30;
  else if (unit == "TB")
    shift = 40;
  else {
    return fail("invalid byte size '" + std::string(text) + "': unknown unit '" +
                std::string(unit) + "' (use B, KB, MB, GB or TB)");
  }
  if (shift > 0 && number > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return fail("invalid byte size '" + std::string(text) + "': too large");
  }
  return number << shift;
}

}  // namespace plexus
