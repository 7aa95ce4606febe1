#include "assignments.hpp"

#include <set>

namespace plexus::hooks {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

Result<Assignments> parseAssignments(std::string_view text, std::string_view what) {
  Assignments result;
  std::set<std::string, std::less<>> seen;
  while (!trim(text).empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (trim(item).empty()) continue;
    std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      return fail(std::string(what) + ": '" + std::string(item) + "' is not key=value");
    }
    std::string key(trim(item.substr(0, equals)));
    if (key.empty()) {
      return fail(std::string(what) + ": '" + std::string(item) + "' has an empty key");
    }
    if (!seen.insert(key).second) {
      return fail(std::string(what) + ": '" + key + "' is given twice");
    }
    result.emplace_back(std::move(key), std::string(item.substr(equals + 1)));
  }
  return result;
}

Result<std::vector<std::string>> placeholders(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", at)) {
    std::size_t end = text.find('}', at);
    if (end == std::string_view::npos) {
      return fail("'" + std::string(text) + "': '${' at offset " + std::to_string(at) +
                  " has no closing '}'");
    }
    names.emplace_back(text.substr(at + 2, end - at - 2));
    at = end + 1;
  }
  return names;
}

std::string substitute(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", from)) {
    std::size_t end = text.find('}', at);
    if (end == std::string_view::npos) break;
    out.append(text.substr(from, at - from));
    if (auto value = values.find(std::string(text.substr(at + 2, end - at - 2)));
        value != values.end())
      out += value->second;
    from = end + 1;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace plexus::hooks
