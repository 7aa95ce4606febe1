#include "agent/resources_detection.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/statvfs.h>
#include <unistd.h>

namespace plexus::agent {

namespace {

constexpr double kMb = 1024.0 * 1024.0;
constexpr double kGb = 1024.0 * kMb;

double totalMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double value = 0;
  std::string unit;
  while (meminfo >> key >> value >> unit) {
    if (key == "MemTotal:") return value * 1024.0;
  }
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0;
}

double filesystemBytes(const std::string& workDir) {
  // The work dir may not exist yet: measure its nearest existing ancestor.
  std::filesystem::path path = workDir.empty() ? "." : workDir;
  std::error_code ignored;
  while (!std::filesystem::exists(path, ignored) && path.has_parent_path() &&
         path != path.parent_path()) {
    path = path.parent_path();
  }
  struct statvfs stats {};
  if (::statvfs(path.c_str(), &stats) != 0) return 0;
  return static_cast<double>(stats.f_blocks) * static_cast<double>(stats.f_frsize);
}

std::string trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos) return "";
  std::size_t end = text.find_last_not_of(" \t\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

Result<void> parseRanges(const std::string& name, const std::string& value,
                         v1::Value::Ranges* out) {
  std::string inner = value.substr(1, value.size() - 2);
  std::stringstream items(inner);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    std::size_t dash = item.find('-');
    if (dash == std::string::npos)
      return fail("attribute '" + name + "': bad range '" + item + "'");
    auto begin = number(trim(item.substr(0, dash)));
    auto end = number(trim(item.substr(dash + 1)));
    if (!begin || !end || *begin < 0 || *end < *begin) {
      return fail("attribute '" + name + "': bad range '" + item + "'");
    }
    auto* range = out->add_range();
    range->set_begin(static_cast<std::uint64_t>(*begin));
    range->set_end(static_cast<std::uint64_t>(*end));
  }
  return {};
}

}  // namespace

MachineResources detectMachine(const std::string& workDir) {
  MachineResources machine;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  machine.cpus = cpus > 0 ? static_cast<double>(cpus) : 1.0;

  double mem = totalMemoryBytes();
  mem = mem >= 2 * kGb ? mem - kGb : mem / 2;
  machine.memMb = std::floor(mem / kMb);

  double disk = filesystemBytes(workDir);
  disk = disk >= 10 * kGb ? disk - 5 * kGb : disk / 2;
  machine.diskMb = std::floor(disk / kMb);
  return machine;
}

Result<Resources> detectResources(const std::string& workDir, const std::string& resourcesFlag,
                                  const std::string& defaultRole) {
  Resources given;
  if (!trim(resourcesFlag).empty()) {
    auto parsed = Resources::parse(resourcesFlag, defaultRole);
    if (!parsed) return fail(parsed.error().context("--resources"));
    given = std::move(*parsed);
  }
  auto names = given.names();
  auto has = [&names](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  MachineResources machine = detectMachine(workDir);
  Resources total = given;
  if (!has("cpus")) total += *Resource::makeScalar("cpus", machine.cpus);
  if (!has("mem")) total += *Resource::makeScalar("mem", machine.memMb);
  if (!has("disk")) total += *Resource::makeScalar("disk", machine.diskMb);
  if (!has("ports")) total += *Resource::makeRanges("ports", {Range{31000, 32000}});
  return total;
}

Result<std::vector<v1::Attribute>> parseAttributes(const std::string& text) {
  std::vector<v1::Attribute> attributes;
  std::stringstream tokens(text);
  std::string token;
  while (std::getline(tokens, token, ';')) {
    token = trim(token);
    if (token.empty()) continue;
    std::size_t colon = token.find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail("--attributes: expected name:value, got '" + token + "'");
    }
    v1::Attribute attribute;
    attribute.set_name(trim(token.substr(0, colon)));
    std::string value = trim(token.substr(colon + 1));
    if (value.empty())
      return fail("--attributes: attribute '" + attribute.name() + "' has no value");
    if (auto scalar = number(value)) {
      attribute.set_type(v1::Value::SCALAR);
      attribute.mutable_scalar()->set_value(*scalar);
    } else if (value.front() == '[' && value.back() == ']') {
      attribute.set_type(v1::Value::RANGES);
      PLEXUS_TRY(parseRanges(attribute.name(), value, attribute.mutable_ranges()));
    } else if (value.front() == '{' && value.back() == '}') {
      attribute.set_type(v1::Value::SET);
      std::stringstream items(value.substr(1, value.size() - 2));
      std::string item;
      while (std::getline(items, item, ',')) {
        if (!trim(item).empty()) attribute.mutable_set()->add_item(trim(item));
      }
    } else {
      attribute.set_type(v1::Value::TEXT);
      attribute.mutable_text()->set_value(value);
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

}  // namespace plexus::agent
