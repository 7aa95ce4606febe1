#include "basic_authenticator.hpp"

#include <plexus/internal/base64.hpp>
#include <plexus/internal/credentials.hpp>

namespace plexus::auth {

Result<std::unique_ptr<BasicAuthenticator>> BasicAuthenticator::create(
    const Parameters& parameters) {
  std::vector<v1::Credential> configured;
  if (!parameters.string("credentials").empty()) {
    auto loaded = loadCredentials(parameters.string("credentials"));
    if (!loaded) return fail(loaded.error().context("credentials"));
    configured = std::move(*loaded);
  }
  return std::make_unique<BasicAuthenticator>(std::move(configured));
}

Result<void> BasicAuthenticator::initialize(const std::vector<v1::Credential>& credentials) {
  const auto& chosen = credentials.empty() ? configured_ : credentials;
  if (chosen.empty()) {
    return fail(
        "no credentials: give the daemon's --credentials, or the module's 'credentials' "
        "parameter");
  }
  secrets_.clear();
  for (const v1::Credential& credential : chosen)
    secrets_[credential.principal()] = credential.secret();
  return {};
}

Result<AuthenticationResult> BasicAuthenticator::authenticate(const HttpRequestView& request,
                                                              std::string_view realm) {
  const std::string challenge = "Basic realm=\"" + std::string(realm) + "\"";
  auto header = request.header("Authorization");
  if (!header) return AuthenticationResult::challenge(challenge);
  std::string_view value = *header;
  constexpr std::string_view kScheme = "basic ";
  if (value.size() < kScheme.size()) return AuthenticationResult::challenge(challenge);
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i])
      return AuthenticationResult::challenge(challenge);
  }
  auto decoded = decodeBase64(value.substr(kScheme.size()));
  if (!decoded) return AuthenticationResult::challenge(challenge);
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return AuthenticationResult::challenge(challenge);
  std::string principal = decoded->substr(0, colon);
  std::string_view secret = std::string_view(*decoded).substr(colon + 1);
  auto known = secrets_.find(principal);
  // An unknown principal is compared against a secret of the same length, so that
  // timing does not tell which principals exist.
  std::string stand_in(secret.size(), '\0');
  bool equal = secretsEqual(secret, known == secrets_.end() ? stand_in : known->second);
  if (known == secrets_.end() || !equal) return AuthenticationResult::challenge(challenge);
  return AuthenticationResult::allow(std::move(principal));
}

}  // namespace plexus::auth
