// plexus::redactUrls and plexus::redactFlag: what every printer of a URL or a flag
// shows instead of a secret.
#include <gtest/gtest.h>

#include <plexus/redact.hpp>

namespace plexus {
namespace {

TEST(Redact, UrlPasswordsAreMaskedAndTheRestKept) {
  EXPECT_EQ(redactUrls("zk://ops:s3cret@zk1:2181,zk2:2181/plexus"),
            "zk://ops:***@zk1:2181,zk2:2181/plexus");
  EXPECT_EQ(redactUrls("--master=zk://a:b@h:1/p --zk=zk://c:d:e@h:2/q'"),
            "--master=zk://a:***@h:1/p --zk=zk://c:***@h:2/q'");
  // The user information ends at the last '@' before the path, as Mesos parses it.
  EXPECT_EQ(redactUrls("zk://u:p@ss@h:1/x"), "zk://u:***@h:1/x");
  EXPECT_EQ(redactUrls("http://h:5050/api?x=a@b"), "http://h:5050/api?x=a@b");
  EXPECT_EQ(redactUrls("zk://user@h:1/x"), "zk://user@h:1/x");
  EXPECT_EQ(redactUrls("no url here: a:b@c"), "no url here: a:b@c");
  EXPECT_EQ(redactUrls(""), "");
}

TEST(Redact, FlagsHoldingSecretsAreHiddenWhole) {
  EXPECT_EQ(redactFlag("credentials", R"( {"credentials": [{"principal": "p", "secret": "s"}]})"),
            "(inline JSON, not shown)");
  EXPECT_EQ(redactFlag("credential", "/etc/plexus/credential"), "/etc/plexus/credential");
  EXPECT_EQ(redactFlag("ssl_key_password", "hunter2"), "***");
  EXPECT_EQ(redactFlag("zk_secret", ""), "");
  EXPECT_EQ(redactFlag("master", "zk://u:p@h:1/x"), "zk://u:***@h:1/x");
  EXPECT_EQ(redactFlag("port", "5050"), "5050");
}

}  // namespace
}  // namespace plexus
