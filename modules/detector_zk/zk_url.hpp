// ZkUrl: where the ZooKeeper group of the masters lives, parsed from the `zk`
// parameter the way Mesos parses `--zk` and `--master`
// (include/mesos/zookeeper/url.hpp).
//
//   zk://host1:port1,host2:port2/path
//   zk://user:pass@host1:port1/path     digest authentication as user:pass
//   file:///etc/plexus/zk               the file holds one zk:// URL
//
// The path starts at the first '/' after the server list (default "/"); a trailing
// '/' is dropped. Credentials end at the last '@' before the path. Errors say what
// is wrong with the text. Pure functions, safe on any thread; resolveZkUrl reads
// the file of a file:// URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/parameters.hpp>

namespace plexus::detector_zk {

struct ZkUrl {
  // "host1:port1,host2:port2", as zookeeper_init takes it.
  std::string servers;
  // The group znode: absolute, no trailing '/' unless it is "/".
  std::string path;
  // "user:pass" for the digest scheme, if the URL carries credentials.
  std::optional<std::string> credentials;

  // The user part of the credentials, for messages (never the password).
  std::string user() const;
  // The URL without the password, for logs: "zk://user:***@h:p/path".
  std::string redacted() const;
};

// Parses a zk:// URL (surrounding whitespace ignored).
[[nodiscard]] Result<ZkUrl> parseZkUrl(std::string_view text);

// Parses a zk:// URL, or reads the file a file:// URL names and parses its content
// (which must be a zk:// URL).
[[nodiscard]] Result<ZkUrl> resolveZkUrl(std::string_view text);

// The two modules' parameters, checked: `zk` (resolved) and `session_timeout`.
struct ZkOptions {
  ZkUrl url;
  Duration sessionTimeout;
};
[[nodiscard]] Result<ZkOptions> zkOptions(const Parameters& parameters);

// The znode path of `name` under the group `path` ("/" + name when path is "/").
std::string childPath(const std::string& path, std::string_view name);

}  // namespace plexus::detector_zk
