// base64, standard alphabet with padding (RFC 4648 section 4).
//
// Used for protobuf `bytes` in JSON and for HTTP Basic credentials. Stateless:
// call from any thread. Internal: exported by libplexus_sdk.so for the core and
// this repository's modules only; not installed, not part of the SDK's contract.
#pragma once

#include <string>
#include <string_view>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

// Appends the base64 of `bytes` to *out, with padding.
PLEXUS_INTERNAL_API void appendBase64(std::string_view bytes, std::string* out);
inline std::string encodeBase64(std::string_view bytes) {
  std::string out;
  appendBase64(bytes, &out);
  return out;
}

// Like stout's base64::decode: whitespace is skipped and padding is optional. Unlike
// it, nothing but padding may follow the first '=', and a lone trailing character
// (which carries no whole byte) is an error; the error says at which offset.
PLEXUS_INTERNAL_API Result<std::string> decodeBase64(std::string_view text);

}  // namespace plexus
