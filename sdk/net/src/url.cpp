#include "http/url.hpp"

#include <charconv>

namespace plexus::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

Result<std::uint16_t> parsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535) {
    return fail("invalid port '" + std::string(text) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "host[:port]" (host may be a bracketed IPv6 literal) into `url`.
Result<void> parseAuthority(std::string_view authority, Url& url) {
  if (authority.empty()) return fail("empty host");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated '[' in host");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("unexpected text after ']'");
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return fail("empty host");
  url.host = std::string(host);
  if (!port.empty() || authority.back() == ':') {
    auto parsed = parsePort(port);
    if (!parsed) return fail(parsed.error());
    url.port = *parsed;
  }
  return {};
}

}  // namespace

Result<std::string> percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? hexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return fail("malformed percent-encoding in '" + std::string(text) + "'");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<QueryParams> parseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    auto key = percentDecode(piece.substr(0, eq), true);
    if (!key) return fail(key.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = percentDecode(piece.substr(eq + 1), true);
      if (!decoded) return fail(decoded.error());
      value = std::move(*decoded);
    }
    params.insert_or_assign(std::move(*key), std::move(value));
  }
  return params;
}

Result<Target> parseTarget(std::string_view target) {
  // Absolute-form: drop "http://authority" and keep what follows.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    auto authorityStart = target.find("//") + 2;
    auto pathStart = target.find_first_of("/?", authorityStart);
    target = pathStart == std::string_view::npos ? std::string_view("/") : target.substr(pathStart);
    if (target.front() == '?') return fail("request target has a query but no path");
  }
  if (target.empty() || target.front() != '/') {
    return fail("request target must start with '/'");
  }
  target = target.substr(0, target.find('#'));
  auto question = target.find('?');
  Target out;
  auto path = percentDecode(target.substr(0, question), false);
  if (!path) return fail(path.error());
  out.path = std::move(*path);
  if (question != std::string_view::npos) {
    auto query = parseQuery(target.substr(question + 1));
    if (!query) return fail(query.error());
    out.query = std::move(*query);
  }
  return out;
}

Result<Url> parseUrl(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    // TLS itself follows the process's LIBPROCESS_SSL_* environment (http/tls.hpp).
    rest.remove_prefix(8);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  } else if (rest.find("://") != std::string_view::npos) {
    return fail("unsupported URL scheme in '" + std::string(text) + "'");
  }
  Url url;
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  if (auto parsed = parseAuthority(authority, url); !parsed) {
    return fail(parsed.error().context("invalid URL '" + std::string(text) + "'"));
  }
  if (slash != std::string_view::npos) {
    url.target = std::string(rest.substr(slash));
    if (url.target.front() == '?') url.target.insert(0, "/");
  }
  return url;
}

}  // namespace plexus::http
