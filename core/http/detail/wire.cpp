#include "http/detail/wire.hpp"

#include <charconv>

namespace plexus::http::detail {
namespace {

void appendSanitised(std::string& out, std::string_view text) {
  for (char c : text)
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

bool serverOwned(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection");
}

}  // namespace

bool statusHasNoBody(unsigned status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::string serializeHead(const HeadSpec& spec, const Headers& headers) {
  std::string out = spec.version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(spec.status);
  out += ' ';
  out += reasonPhrase(spec.status);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || serverOwned(name)) continue;
    appendSanitised(out, name);
    out += ": ";
    appendSanitised(out, value);
    out += "\r\n";
  }
  switch (spec.framing) {
    case Framing::kLength:
      if (!statusHasNoBody(spec.status)) {
        out += "Content-Length: " + std::to_string(spec.bodyLength) + "\r\n";
      }
      break;
    case Framing::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case Framing::kToClose:
      break;
  }
  if (!spec.keepAlive) {
    out += "Connection: close\r\n";
  } else if (spec.version < 11) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

std::string encodeChunk(std::string_view bytes) {
  char size[20];
  auto end = std::to_chars(size, size + sizeof size, bytes.size(), 16).ptr;
  std::string out;
  out.reserve(static_cast<std::size_t>(end - size) + bytes.size() + 4);
  out.append(size, end);
  out += "\r\n";
  out += bytes;
  out += "\r\n";
  return out;
}

}  // namespace plexus::http::detail
