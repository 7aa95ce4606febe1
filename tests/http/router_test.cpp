// Routing by longest path prefix on segment boundaries (Mesos/libprocess rules).
#include "http/router.hpp"

#include <gtest/gtest.h>

namespace plexus::http {
namespace {

// Test suites are named http* so that `ctest -R http` selects them.
class httpRouter : public ::testing::Test {
 protected:
  // Registers a handler that records `name` when it is matched.
  void add(std::string_view path, std::string name) {
    ASSERT_TRUE(router.add(path, [name](Request, Responder) {}).has_value());
    names.emplace(router.match(path), std::move(name));
  }
  std::string matched(std::string_view path) {
    const Handler* handler = router.match(path);
    if (handler == nullptr) return "none";
    return names.at(handler);
  }

  Router router;
  std::map<const Handler*, std::string> names;
};

TEST_F(httpRouter, ExactMatchWins) {
  add("/api/v1", "operator");
  add("/api/v1/scheduler", "scheduler");
  EXPECT_EQ(matched("/api/v1/scheduler"), "scheduler");
  EXPECT_EQ(matched("/api/v1"), "operator");
}

TEST_F(httpRouter, LongestPrefixOnSegmentBoundary) {
  add("/api/v1", "operator");
  add("/api", "api");
  EXPECT_EQ(matched("/api/v1/operator"), "operator");
  EXPECT_EQ(matched("/api/v1/a/b/c"), "operator");
  EXPECT_EQ(matched("/api/v1/"), "operator");
  EXPECT_EQ(matched("/api/v1x"), "api");
  EXPECT_EQ(matched("/api/v2"), "api");
  EXPECT_EQ(matched("/apix"), "none");
  EXPECT_EQ(matched("/"), "none");
}

TEST_F(httpRouter, RootIsCatchAllOnlyIfRegistered) {
  add("/state", "state");
  EXPECT_EQ(matched("/other"), "none");
  add("/", "root");
  EXPECT_EQ(matched("/other"), "root");
  EXPECT_EQ(matched("/"), "root");
  EXPECT_EQ(matched("/state"), "state");
  EXPECT_EQ(matched("/statex"), "root");
}

TEST_F(httpRouter, TrailingSlashIsNormalised) {
  add("/master/", "master");
  EXPECT_EQ(matched("/master"), "master");
  EXPECT_EQ(matched("/master/state"), "master");
  EXPECT_TRUE(router.remove("/master"));
  EXPECT_EQ(matched("/master"), "none");
  EXPECT_FALSE(router.remove("/master"));
}

TEST_F(httpRouter, RejectsBadRoutesAndPaths) {
  EXPECT_FALSE(router.add("api", [](Request, Responder) {}).has_value());
  EXPECT_FALSE(router.add("", [](Request, Responder) {}).has_value());
  EXPECT_FALSE(router.add("/x", Handler()).has_value());
  add("/", "root");
  EXPECT_EQ(matched(""), "none");
  EXPECT_EQ(matched("*"), "none");
}

}  // namespace
}  // namespace plexus::http
