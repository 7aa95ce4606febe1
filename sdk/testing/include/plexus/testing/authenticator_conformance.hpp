// The authenticator conformance suite: what every Authenticator module must do,
// as GoogleTest tests an author instantiates for their own module.
//
// Each test makes a fresh authenticator with the config's `make` and sends it
// requests as the daemons' HTTP servers do. It checks that
//   - scheme() names a scheme (non-empty, no spaces);
//   - every answer sets exactly one of principal, unauthorized and forbidden,
//     and an Error carries a message; nothing throws;
//   - a request without credentials is never let through, and is answered 401
//     with a challenge that names the scheme;
//   - malformed or foreign credentials (another scheme, bad encoding, empty,
//     64 KiB long, NUL bytes) are never let through;
//   - when the config gives a valid request (`valid`), it is let through as
//     `validPrincipal`, repeatedly, and the same request with its credentials
//     changed by one byte is not.
//
//   #include <plexus/testing/authenticator_conformance.hpp>
//   plexus::testing::AuthenticatorConformanceConfig myConfig() {
//     return {.name = "my_authenticator",
//             .make = [] { return plexus::testing::loadModule<plexus::Authenticator>(
//                              "/path/libmy_authenticator.so", "my_authenticator",
//                              {{"credentials", "/path/credentials.json"}}); },
//             .valid = {{"Authorization", "Basic dTE6cDE="}},
//             .validPrincipal = "u1"};
//   }
//   PLEXUS_AUTHENTICATOR_CONFORMANCE(MyAuthenticator, myConfig());
//
// Link `plexus_authenticator_conformance` (Plexus::authenticator_conformance) and
// GoogleTest, or use plexus_add_conformance_test(... KIND authenticator ...).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/authenticator.hpp>
#include <plexus/error.hpp>
#include <plexus/testing/load_module.hpp>

namespace plexus::testing {

struct AuthenticatorConformanceConfig {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;
  // Makes a fresh authenticator; called once per test.
  std::function<Result<std::shared_ptr<Authenticator>>()> make;
  // Headers of a request the module must let through, and as whom; empty skips
  // the tests that need valid credentials.
  std::vector<std::pair<std::string, std::string>> valid = {};
  std::string validPrincipal = {};
};

inline void PrintTo(const AuthenticatorConformanceConfig& config, std::ostream* out) {
  *out << config.name;
}

class AuthenticatorConformance : public ::testing::TestWithParam<AuthenticatorConformanceConfig> {
 protected:
  void SetUp() override;
  // Authenticates a GET of /state with these headers; checks the answer's shape.
  std::optional<AuthenticationResult> ask(
      const std::vector<std::pair<std::string, std::string>>& headers);

  std::shared_ptr<Authenticator> authenticator_;
};

// Referenced by PLEXUS_AUTHENTICATOR_CONFORMANCE so the linker keeps the tests.
bool linkAuthenticatorConformance();

struct AuthenticatorConformanceName {
  std::string operator()(
      const ::testing::TestParamInfo<AuthenticatorConformanceConfig>& info) const {
    return info.param.name;
  }
};

}  // namespace plexus::testing

// Instantiates the suite: tests named `<prefix>/AuthenticatorConformance.<Test>/<name>`.
#define PLEXUS_AUTHENTICATOR_CONFORMANCE(prefix, ...)                                        \
  using AuthenticatorConformance = ::plexus::testing::AuthenticatorConformance;              \
  INSTANTIATE_TEST_SUITE_P(prefix, AuthenticatorConformance, ::testing::Values(__VA_ARGS__), \
                           ::plexus::testing::AuthenticatorConformanceName());               \
  [[maybe_unused]] static const bool plexus_authenticator_conformance_linked_##prefix =      \
      ::plexus::testing::linkAuthenticatorConformance()
