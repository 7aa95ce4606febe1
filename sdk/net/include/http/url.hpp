// Small pure functions over request targets and URLs: percent-decoding, query
// parsing, splitting a target into path and query, and parsing the URLs a client
// is given ("http://host:port/path", or the protocol-relative "//host:port/path"
// that a Mesos master puts in a redirect's Location).
//
//   auto url = parseUrl("//10.0.0.2:5050/api/v1/scheduler");   // host, port, target
//   auto q = parseQuery("a=1&b=x%20y");                          // {a:"1", b:"x y"}
//
// Pure and thread-safe. Malformed input is reported as an Error, never thrown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <plexus/error.hpp>

#include "http/types.hpp"

namespace plexus::http {

// Decodes %XX escapes; with `plusIsSpace` (query strings) '+' becomes ' '.
// Fails on a '%' not followed by two hex digits.
[[nodiscard]] Result<std::string> percentDecode(std::string_view text, bool plusIsSpace);

// Encodes every byte outside the RFC 3986 unreserved set as %XX.
std::string percentEncode(std::string_view text);

// Parses "a=1&b=2" (no leading '?'). A key without '=' gets an empty value;
// empty pieces are skipped; a repeated key keeps its last value.
[[nodiscard]] Result<QueryParams> parseQuery(std::string_view query);

// A request target split at the first '?': the path decoded, the query parsed.
struct Target {
  std::string path{};
  QueryParams query{};
};

// Accepts origin-form ("/a/b?x=1") and absolute-form ("http://host/a/b?x=1")
// targets; anything else (e.g. "*" or "a/b") is an error.
[[nodiscard]] Result<Target> parseTarget(std::string_view target);

// A URL the client can fetch. `target` is the path and query, at least "/".
struct Url {
  std::string host{};
  std::uint16_t port = 80;
  std::string target = "/";
};

// Parses "http://host[:port][/target]", "//host[:port][/target]" or "host:port[/target]".
// IPv6 literals go in brackets ("[::1]:5050"). Only the http scheme is accepted.
[[nodiscard]] Result<Url> parseUrl(std::string_view url);

}  // namespace plexus::http
