// The zk parameter's parser: Mesos's URL rules, and errors that name what is wrong.
#include "zk_url.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include <plexus/parameters.hpp>

namespace plexus::detector_zk {
namespace {

TEST(ZkUrl, ParsesServersAndPath) {
  auto url = parseZkUrl("zk://h1:2181,h2:2182,10.0.0.3:2183/mesos");
  ASSERT_TRUE(url.has_value()) << url.error().message();
  EXPECT_EQ(url->servers, "h1:2181,h2:2182,10.0.0.3:2183");
  EXPECT_EQ(url->path, "/mesos");
  EXPECT_FALSE(url->credentials.has_value());
  EXPECT_EQ(url->redacted(), "zk://h1:2181,h2:2182,10.0.0.3:2183/mesos");
}

TEST(ZkUrl, PathDefaultsToRootAndLosesTrailingSlash) {
  EXPECT_EQ(parseZkUrl("zk://h:1")->path, "/");
  EXPECT_EQ(parseZkUrl("zk://h:1/")->path, "/");
  EXPECT_EQ(parseZkUrl("zk://h:1/a/b/")->path, "/a/b");
  EXPECT_EQ(parseZkUrl("  zk://h:1/a/b/c\n")->path, "/a/b/c");
}

TEST(ZkUrl, CredentialsEndAtTheLastAt) {
  auto url = parseZkUrl("zk://jane:p@ss@h1:2181,h2:2181/plexus");
  ASSERT_TRUE(url.has_value()) << url.error().message();
  EXPECT_EQ(url->credentials, "jane:p@ss");
  EXPECT_EQ(url->user(), "jane");
  EXPECT_EQ(url->servers, "h1:2181,h2:2181");
  EXPECT_EQ(url->redacted(), "zk://jane:***@h1:2181,h2:2181/plexus");
}

void expectError(std::string_view text, std::string_view expected) {
  auto url = parseZkUrl(text);
  ASSERT_FALSE(url.has_value()) << text;
  EXPECT_NE(url.error().message().find(expected), std::string::npos)
      << text << " -> " << url.error().message();
}

TEST(ZkUrl, RefusesWhatIsNotAZkUrl) {
  expectError("http://h:1/x", "expected 'zk://'");
  expectError("h1:2181/x", "expected 'zk://'");
  expectError("zk:///x", "no ZooKeeper servers");
  expectError("zk://u:p@/x", "no ZooKeeper servers");
  expectError("zk://h1/x", "server 'h1' has no port");
  expectError("zk://h1:21x81/x", "bad port '21x81'");
  expectError("zk://h1:0/x", "bad port '0'");
  expectError("zk://h1:70000/x", "bad port '70000'");
  expectError("zk://:2181/x", "server ':2181' has no host");
  expectError("zk://h1:2181,,h2:2181/x", "empty server");
  expectError("zk://h1:2181,/x", "empty server");
  expectError("zk://nouser@h:1/x", "credentials must be 'user:password'");
  expectError("zk://:pass@h:1/x", "credentials must be 'user:password'");
  expectError("zk://h:1/a//b", "empty component");
  expectError("zk://h:1/a/../b", "'..' component");
}

TEST(ZkUrl, FileUrlReadsTheUrlFromTheFile) {
  auto file =
      std::filesystem::temp_directory_path() / ("plexus-zk-url-" + std::to_string(::getpid()));
  std::ofstream(file) << "zk://u:p@h:2181/from/file\n";
  auto url = resolveZkUrl("file://" + file.string());
  std::filesystem::remove(file);
  ASSERT_TRUE(url.has_value()) << url.error().message();
  EXPECT_EQ(url->servers, "h:2181");
  EXPECT_EQ(url->path, "/from/file");
  EXPECT_EQ(url->credentials, "u:p");
  // A plain zk:// URL passes through resolveZkUrl unchanged.
  EXPECT_EQ(resolveZkUrl("zk://h:1/x")->path, "/x");
}

TEST(ZkUrl, FileUrlErrorsNameTheFile) {
  auto missing = resolveZkUrl("file:///nonexistent/plexus-zk");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("cannot read '/nonexistent/plexus-zk'"),
            std::string::npos)
      << missing.error().message();

  auto file =
      std::filesystem::temp_directory_path() / ("plexus-zk-url-bad-" + std::to_string(::getpid()));
  std::ofstream(file) << "file:///elsewhere\n";
  auto nested = resolveZkUrl("file://" + file.string());
  std::filesystem::remove(file);
  ASSERT_FALSE(nested.has_value());
  EXPECT_NE(nested.error().message().find("in '" + file.string() + "': expected 'zk://'"),
            std::string::npos)
      << nested.error().message();

  auto relative = resolveZkUrl("file://relative/path");
  ASSERT_FALSE(relative.has_value());
  EXPECT_NE(relative.error().message().find("absolute path"), std::string::npos);
}

TEST(ZkUrl, ChildPathUnderRootAndGroup) {
  EXPECT_EQ(childPath("/", "json.info_"), "/json.info_");
  EXPECT_EQ(childPath("/plexus", "json.info_"), "/plexus/json.info_");
}

}  // namespace
}  // namespace plexus::detector_zk
