// JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, "HS256"), as Mesos's agent
// mints them for executors (--jwt_secret_key) and checks them on the executor API
// (--authenticate_http_executors): a header {"alg":"HS256","typ":"JWT"}, a payload
// of string claims ({"cid": ..., "eid": ..., "fid": ...}) and the signature, each
// base64url without padding, joined by dots.
//
// Stateless: call from any thread. Errors are values whose message says what is
// wrong with the token, never what the key is.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <plexus/error.hpp>

namespace plexus::auth {

using JwtClaims = std::map<std::string, std::string>;

// A token holding `claims`, signed with `key`.
[[nodiscard]] std::string createJwt(const JwtClaims& claims, std::string_view key);

// The claims of `token` when it is a well-formed HS256 JWT signed with `key` (the
// signature compared in constant time) and not past its "exp" claim, if it has one.
// Claims that are not strings are left out.
[[nodiscard]] Result<JwtClaims> verifyJwt(std::string_view token, std::string_view key);

// `bytes` fresh random bytes from OpenSSL's generator, for a key.
[[nodiscard]] Result<std::string> randomKey(std::size_t bytes);

}  // namespace plexus::auth
