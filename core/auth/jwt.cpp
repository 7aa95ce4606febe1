#include "auth/jwt.hpp"

#include <chrono>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/json.hpp>

#include <plexus/internal/base64.hpp>

namespace plexus::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string base64Url(std::string_view bytes) {
  std::string text = encodeBase64(bytes);
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

Result<std::string> fromBase64Url(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
      return fail("not base64url");
  }
  return decodeBase64(standard);
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

Result<json::object> objectOf(std::string_view part, const char* what) {
  auto decoded = fromBase64Url(part);
  if (!decoded) return fail(std::string("its ") + what + " is not base64url");
  boost::system::error_code error;
  json::value value = json::parse(*decoded, error);
  if (error || !value.is_object())
    return fail(std::string("its ") + what + " is not a JSON object");
  return value.as_object();
}

}  // namespace

std::string createJwt(const JwtClaims& claims, std::string_view key) {
  json::object payload;
  for (const auto& [name, value] : claims)
    payload[name] = value;
  std::string signingInput = base64Url(kHeader) + "." + base64Url(json::serialize(payload));
  return signingInput + "." + base64Url(hmacSha256(key, signingInput));
}

Result<JwtClaims> verifyJwt(std::string_view token, std::string_view key) {
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return fail("the token is not three dot-separated parts");
  auto header = objectOf(token.substr(0, first), "header");
  if (!header) return fail(header.error());
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256")
    return fail("the token is not signed with HS256");
  auto signature = fromBase64Url(token.substr(second + 1));
  const std::string expected = hmacSha256(key, token.substr(0, second));
  if (!signature || signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
    return fail("the token's signature does not match");
  auto payload = objectOf(token.substr(first + 1, second - first - 1), "payload");
  if (!payload) return fail(payload.error());
  if (const json::value* exp = payload->if_contains("exp"); exp != nullptr) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (!exp->is_number() || exp->to_number<double>() <= static_cast<double>(now))
      return fail("the token has expired");
  }
  JwtClaims claims;
  for (const auto& [name, value] : *payload) {
    if (value.is_string()) claims.emplace(name, value.as_string());
  }
  return claims;
}

Result<std::string> randomKey(std::size_t bytes) {
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1)
    return fail("OpenSSL's random generator failed");
  return key;
}

}  // namespace plexus::auth
