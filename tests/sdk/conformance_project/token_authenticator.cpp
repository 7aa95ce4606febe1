// A minimal Authenticator for scripts/check-sdk.sh: lets through requests that
// carry `Authorization: Bearer <token>` as principal "token-holder".
#include <memory>
#include <string>

#include <plexus/authenticator.hpp>
#include <plexus/module.hpp>

namespace {

class TokenAuthenticator final : public plexus::Authenticator {
 public:
  static plexus::Result<std::unique_ptr<TokenAuthenticator>> create(
      const plexus::Parameters& parameters) {
    auto made = std::make_unique<TokenAuthenticator>();
    made->expected_ = "Bearer " + parameters.string("token");
    return made;
  }

  std::string scheme() const override { return "Bearer"; }

  plexus::Result<plexus::AuthenticationResult> authenticate(const plexus::HttpRequestView& request,
                                                            std::string_view realm) override {
    auto header = request.header("Authorization");
    if (header && *header == expected_) return plexus::AuthenticationResult::allow("token-holder");
    return plexus::AuthenticationResult::challenge("Bearer realm=\"" + std::string(realm) + "\"");
  }

 private:
  std::string expected_;
};

constexpr plexus::ParameterSpec kParameters[] = {
    {"token", plexus::ParameterType::String, nullptr, "The bearer token to accept."}};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Authenticator, TokenAuthenticator>(
    {.name = "token_authenticator",
     .version = "1.0.0",
     .author = "Plexus tests",
     .description = "Accepts one bearer token.",
     .parameters = kParameters}));
