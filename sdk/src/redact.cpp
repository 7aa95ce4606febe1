#include <plexus/redact.hpp>

namespace plexus {

namespace {

// Where a URL's authority ends: its path, query or fragment, or the end of the
// word the URL sits in (logs put URLs between spaces and quotes).
bool endsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
         c == '"' || c == '\'';
}

bool isSecretName(std::string_view name) {
  return name.ends_with("password") || name.ends_with("secret");
}

}  // namespace

std::string redactUrls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;
  std::size_t scheme = text.find("://");
  while (scheme != std::string_view::npos) {
    std::size_t start = scheme + 3;
    std::size_t end = start;
    while (end < text.size() && !endsAuthority(text[end]))
      ++end;
    std::string_view authority = text.substr(start, end - start);
    // As in Mesos's zk:// URLs, the user information ends at the last '@'.
    std::size_t at = authority.rfind('@');
    std::size_t colon = at == std::string_view::npos ? at : authority.substr(0, at).find(':');
    if (colon != std::string_view::npos) {
      out.append(text.substr(done, start + colon + 1 - done));
      out.append(kRedacted);
      done = start + at;
    }
    scheme = text.find("://", end);
  }
  out.append(text.substr(done));
  return out;
}

std::string redactFlag(std::string_view name, std::string_view value) {
  if (isSecretName(name) && !value.empty()) return std::string(kRedacted);
  if (name == "credential" || name == "credentials") {
    auto first = value.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && value[first] == '{') return "(inline JSON, not shown)";
  }
  return redactUrls(value);
}

}  // namespace plexus
