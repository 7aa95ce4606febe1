#include "zk_url.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <plexus/redact.hpp>

namespace plexus::detector_zk {
namespace {

constexpr std::string_view kZkScheme = "zk://";
constexpr std::string_view kFileScheme = "file://";

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

Result<void> checkServer(std::string_view server) {
  if (server.empty()) return fail("empty server in the server list");
  auto colon = server.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("server '" + std::string(server) + "' has no port (expected host:port)");
  }
  std::string_view host = server.substr(0, colon);
  std::string_view port = server.substr(colon + 1);
  if (host.empty()) return fail("server '" + std::string(server) + "' has no host");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return fail("server '" + std::string(server) + "' has a bad port '" + std::string(port) +
                "' (expected 1-65535)");
  }
  return {};
}

Result<std::string> checkPath(std::string_view path) {
  // ZooKeeper refuses empty components, "." and ".."; say so before it does.
  std::string result(path);
  while (result.size() > 1 && result.back() == '/')
    result.pop_back();
  if (result == "/") return result;
  std::size_t start = 1;
  while (start <= result.size()) {
    auto end = result.find('/', start);
    if (end == std::string::npos) end = result.size();
    std::string_view component(result.data() + start, end - start);
    if (component.empty()) return fail("path '" + std::string(path) + "' has an empty component");
    if (component == "." || component == "..") {
      return fail("path '" + std::string(path) + "' has a '" + std::string(component) +
                  "' component");
    }
    start = end + 1;
  }
  return result;
}

}  // namespace

std::string ZkUrl::user() const {
  if (!credentials) return {};
  return credentials->substr(0, credentials->find(':'));
}

std::string ZkUrl::redacted() const {
  std::string out(kZkScheme);
  if (credentials) out += user() + ":" + std::string(kRedacted) + "@";
  return out + servers + path;
}

Result<ZkUrl> parseZkUrl(std::string_view text) {
  std::string_view s = trim(text);
  if (!s.starts_with(kZkScheme)) {
    return fail("expected 'zk://' at the start of the URL, got '" + redactUrls(s) + "'");
  }
  s.remove_prefix(kZkScheme.size());

  ZkUrl url;
  auto slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  auto path = checkPath(slash == std::string_view::npos ? "/" : s.substr(slash));
  if (!path) return fail(path.error());
  url.path = *path;

  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view credentials = authority.substr(0, at);
    auto colon = credentials.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("credentials must be 'user:password' before the '@'");
    }
    url.credentials = std::string(credentials);
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return fail("no ZooKeeper servers in the URL");
  std::size_t start = 0;
  while (true) {
    auto comma = authority.find(',', start);
    PLEXUS_TRY(checkServer(authority.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  url.servers = std::string(authority);
  return url;
}

Result<ZkUrl> resolveZkUrl(std::string_view text) {
  std::string_view s = trim(text);
  if (!s.starts_with(kFileScheme)) return parseZkUrl(s);
  std::string file(s.substr(kFileScheme.size()));
  if (file.empty() || file[0] != '/') {
    return fail("file URL '" + std::string(s) + "' must name an absolute path (file:///path)");
  }
  std::ifstream in(file);
  if (!in) {
    return fail("cannot read '" + file + "' (from the file:// URL): " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  auto url = parseZkUrl(content.str());
  if (!url) return fail(url.error().context("in '" + file + "'"));
  return url;
}

Result<ZkOptions> zkOptions(const Parameters& parameters) {
  auto url = resolveZkUrl(parameters.string("zk"));
  if (!url) return fail(url.error().context("parameter 'zk'"));
  Duration timeout = parameters.duration("session_timeout");
  // zookeeper_init takes an int of milliseconds; the server clamps it further.
  if (timeout < std::chrono::milliseconds(1) || timeout > std::chrono::hours(24)) {
    return fail("parameter 'session_timeout': must be between 1ms and 1days, got '" +
                formatDuration(timeout) + "'");
  }
  return ZkOptions{*url, timeout};
}

std::string childPath(const std::string& path, std::string_view name) {
  if (path == "/") return "/" + std::string(name);
  return path + "/" + std::string(name);
}

}  // namespace plexus::detector_zk
