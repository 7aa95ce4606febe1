// Internal: bytes on the wire for the server's responses (status line, headers,
// chunk framing). Only the server connection uses it. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/types.hpp"

namespace plexus::http::detail {

// How the body of a response is framed.
enum class Framing {
  kLength,   // Content-Length: <bodyLength> (omitted for 1xx, 204 and 304)
  kChunked,  // Transfer-Encoding: chunked
  kToClose,  // no length: the body runs until the connection closes (HTTP/1.0 streams)
};

struct HeadSpec {
  unsigned status = 200;
  unsigned version = 11;  // the request's version: 10 or 11
  bool keepAlive = true;  // false adds `Connection: close`
  Framing framing = Framing::kLength;
  std::uint64_t bodyLength = 0;
};

// "HTTP/1.x <status> <reason>\r\n<fields>\r\n". Fields the server owns
// (Content-Length, Transfer-Encoding, Connection) are taken from `spec`, not
// `headers`; CR and LF in a handler's names or values are replaced by spaces, so a
// header can't split the response.
std::string serializeHead(const HeadSpec& spec, const Headers& headers);

// True if a response with this status never has a body.
bool statusHasNoBody(unsigned status);

// "<hex size>\r\n<bytes>\r\n"; the caller never passes an empty chunk.
std::string encodeChunk(std::string_view bytes);

inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace plexus::http::detail
