#include "plexus/testing/authenticator_conformance.hpp"

#include <exception>

namespace plexus::testing {

bool linkAuthenticatorConformance() {
  return true;
}

void AuthenticatorConformance::SetUp() {
  auto made = GetParam().make();
  ASSERT_TRUE(made.has_value()) << made.error().message();
  authenticator_ = std::move(*made);
  ASSERT_NE(authenticator_, nullptr);
}

std::optional<AuthenticationResult> AuthenticatorConformance::ask(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpRequestView request{.method = "GET", .path = "/state", .headers = headers};
  try {
    auto answer = authenticator_->authenticate(request, "plexus-conformance");
    if (!answer) {
      EXPECT_FALSE(answer.error().message().empty()) << "an Error without a message";
      return std::nullopt;
    }
    int set = answer->principal.has_value() + answer->unauthorized.has_value() +
              answer->forbidden.has_value();
    EXPECT_EQ(set, 1) << "exactly one of principal, unauthorized and forbidden must be set";
    return *answer;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "authenticate() threw: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "authenticate() threw a non-standard exception";
  }
  return std::nullopt;
}

namespace {
std::string described(const std::optional<AuthenticationResult>& answer) {
  if (!answer) return "an Error";
  if (answer->principal) return "principal '" + *answer->principal + "'";
  if (answer->unauthorized) return "401 '" + *answer->unauthorized + "'";
  return "403 '" + answer->forbidden.value_or("") + "'";
}
}  // namespace

TEST_P(AuthenticatorConformance, NamesItsScheme) {
  const std::string scheme = authenticator_->scheme();
  EXPECT_FALSE(scheme.empty());
  EXPECT_EQ(scheme.find(' '), std::string::npos) << scheme;
}

TEST_P(AuthenticatorConformance, NoCredentialsIsChallenged) {
  auto answer = ask({{"Host", "127.0.0.1:5050"}});
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->unauthorized.has_value()) << "got " << described(answer);
  EXPECT_EQ(answer->unauthorized->rfind(authenticator_->scheme(), 0), 0u)
      << "the challenge '" << *answer->unauthorized << "' does not start with the scheme";
}

TEST_P(AuthenticatorConformance, MalformedCredentialsAreNeverLetThrough) {
  const std::string scheme = authenticator_->scheme();
  const std::vector<std::string> values = {
      "",
      scheme,
      scheme + " ",
      scheme + " !!!not-base64!!!",
      scheme + " " + std::string(64 * 1024, 'A'),
      scheme + std::string(" a\0b", 4),
      "Bearer eyJhbGciOiJub25lIn0.e30.",
      "Negotiate YIIG",
      std::string(8, '\xff'),
  };
  for (const auto& value : values) {
    auto answer = ask({{"Authorization", value}});
    EXPECT_TRUE(!answer || !answer->principal)
        << "let through Authorization '" << value.substr(0, 40) << "' as " << described(answer);
  }
  auto twice = ask({{"Authorization", scheme + " x"}, {"Authorization", scheme + " y"}});
  EXPECT_TRUE(!twice || !twice->principal) << described(twice);
}

TEST_P(AuthenticatorConformance, ValidCredentialsAreLetThrough) {
  if (GetParam().valid.empty()) GTEST_SKIP() << "the config gives no valid credentials";
  for (int i = 0; i < 3; ++i) {
    auto answer = ask(GetParam().valid);
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->principal.has_value()) << "got " << described(answer);
    EXPECT_EQ(*answer->principal, GetParam().validPrincipal);
  }
}

TEST_P(AuthenticatorConformance, AlteredCredentialsAreNotLetThrough) {
  if (GetParam().valid.empty()) GTEST_SKIP() << "the config gives no valid credentials";
  auto headers = GetParam().valid;
  for (auto& [name, value] : headers) {
    if (value.empty()) continue;
    // Change the last byte of each header value.
    char& last = value.back();
    last = last == 'A' ? 'B' : 'A';
  }
  auto answer = ask(headers);
  EXPECT_TRUE(!answer || !answer->principal)
      << "altered credentials let through as " << described(answer);
}

}  // namespace plexus::testing
