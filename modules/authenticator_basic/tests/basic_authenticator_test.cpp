// authenticator_basic's logic: credentials from the flag or the parameter, the
// Basic header, challenges and refusals.
#include "basic_authenticator.hpp"

#include <gtest/gtest.h>

#include <plexus/internal/base64.hpp>
#include <plexus/internal/credentials.hpp>

#include "process.hpp"

namespace plexus::auth {
namespace {

constexpr ParameterSpec kSpecs[] = {{"credentials", ParameterType::String, "", ""}};

std::unique_ptr<BasicAuthenticator> make(const std::string& credentials) {
  auto parameters = Parameters::validate(kSpecs, {{"credentials", credentials}});
  EXPECT_TRUE(parameters);
  auto made = BasicAuthenticator::create(*parameters);
  EXPECT_TRUE(made) << made.error().message();
  return std::move(*made);
}

HttpRequestView withAuthorization(const std::string& value) {
  return HttpRequestView{"POST", "/api/v1/scheduler", {{"authorization", value}}};
}

TEST(BasicAuthenticator, AcceptsAKnownPrincipalWithItsSecret) {
  auto authenticator =
      make(R"({"credentials": [{"principal": "web", "secret": "s3cret:with colon"}]})");
  ASSERT_TRUE(authenticator->initialize({}));
  auto result = authenticator->authenticate(
      withAuthorization("Basic " + encodeBase64("web:s3cret:with colon")), "realm-a");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->principal, "web");
  EXPECT_FALSE(result->unauthorized);
  // The scheme is case-insensitive (RFC 7617).
  result = authenticator->authenticate(
      withAuthorization("basic " + encodeBase64("web:s3cret:with colon")), "realm-a");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->principal, "web");
}

TEST(BasicAuthenticator, ChallengesEverythingElse) {
  auto authenticator = make(R"({"credentials": [{"principal": "web", "secret": "s3cret"}]})");
  ASSERT_TRUE(authenticator->initialize({}));
  const std::string challenge = "Basic realm=\"plexus-master-scheduler\"";
  for (const HttpRequestView& request :
       {HttpRequestView{"GET", "/state", {}},
        withAuthorization("Basic " + encodeBase64("web:wrong")),
        withAuthorization("Basic " + encodeBase64("web:s3cre")),
        withAuthorization("Basic " + encodeBase64("nobody:s3cret")),
        withAuthorization("Basic " + encodeBase64("no colon")), withAuthorization("Basic !!!"),
        withAuthorization("Bearer " + encodeBase64("web:s3cret"))}) {
    auto result = authenticator->authenticate(request, "plexus-master-scheduler");
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->principal) << *result->principal;
    EXPECT_EQ(result->unauthorized, challenge);
  }
}

TEST(BasicAuthenticator, TheDaemonsCredentialsWinOverTheParameter) {
  auto authenticator = make(R"({"credentials": [{"principal": "web", "secret": "param"}]})");
  v1::Credential flag;
  flag.set_principal("ops");
  flag.set_secret("flag");
  ASSERT_TRUE(authenticator->initialize({flag}));
  auto ops = authenticator->authenticate(withAuthorization(basicAuthorization(flag)), "r");
  EXPECT_EQ(ops->principal, "ops");
  auto web =
      authenticator->authenticate(withAuthorization("Basic " + encodeBase64("web:param")), "r");
  EXPECT_FALSE(web->principal);
}

TEST(BasicAuthenticator, RefusesToStartWithoutCredentials) {
  auto authenticator = make("");
  auto ready = authenticator->initialize({});
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message().find("no credentials"), std::string::npos);
}

TEST(Credentials, ReadsMesosFormatsFromFilesAndInline) {
  testing::TempDir dir;
  auto json = loadCredentials(dir.write(
      "creds.json", R"({"credentials": [{"principal": "a", "secret": "1"}, {"principal": "b"}]})"));
  ASSERT_TRUE(json) << json.error().message();
  ASSERT_EQ(json->size(), 2u);
  EXPECT_EQ((*json)[1].principal(), "b");
  auto text = loadCredentials("file://" + dir.write("creds.txt", "a 1\n\nb two words\n"));
  ASSERT_TRUE(text) << text.error().message();
  ASSERT_EQ(text->size(), 2u);
  EXPECT_EQ((*text)[1].secret(), "two words");
  auto one = loadCredential(R"({"principal": "agent", "secret": "x"})");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->principal(), "agent");
  auto line = loadCredential(dir.write("credential", "agent x\n"));
  ASSERT_TRUE(line);
  EXPECT_EQ(line->secret(), "x");
}

TEST(Credentials, ErrorsNameTheSourceAndTheProblem) {
  testing::TempDir dir;
  auto twice = loadCredentials(
      R"({"credentials": [{"principal": "a", "secret": "1"}, {"principal": "a", "secret": "2"}]})");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message(), "credentials inline JSON: principal 'a' is given twice");
  auto missing = loadCredentials((dir.path() / "none").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("cannot read credentials file"), std::string::npos);
  auto bad = loadCredentials(dir.write("bad", "justaprincipal\n"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("line 1: expected 'principal secret'"), std::string::npos)
      << bad.error().message();
  EXPECT_FALSE(loadCredential(dir.write("two", "a 1\nb 2\n")));
}

TEST(Credentials, SecretsEqualComparesWholeStrings) {
  EXPECT_TRUE(secretsEqual("abc", "abc"));
  EXPECT_FALSE(secretsEqual("abd", "abc"));
  EXPECT_FALSE(secretsEqual("ab", "abc"));
  EXPECT_FALSE(secretsEqual("abcabc", "abc"));
  EXPECT_FALSE(secretsEqual("x", ""));
  EXPECT_TRUE(secretsEqual("", ""));
}

}  // namespace
}  // namespace plexus::auth
