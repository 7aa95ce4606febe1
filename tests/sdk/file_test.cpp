// plexus::readFile and readFileIfExists (sdk/include/plexus/file.hpp).
#include <plexus/file.hpp>

#include <gtest/gtest.h>

#include "process.hpp"

namespace plexus {
namespace {

TEST(ReadFile, ReadsTheWholeFileEvenPastOneBuffer) {
  testing::TempDir dir;
  std::string big(200'000, 'x');
  big[123'456] = '\0';  // bytes, not text
  std::string path = dir.write("big", big);
  auto text = readFile(path);
  ASSERT_TRUE(text.has_value()) << text.error().message();
  EXPECT_EQ(*text, big);
  auto maybe = readFileIfExists(path);
  ASSERT_TRUE(maybe.has_value() && maybe->has_value());
  EXPECT_EQ(**maybe, big);
  EXPECT_EQ(readFile(dir.write("empty", "")).value_or("not empty"), "");
}

TEST(ReadFile, AnAbsentFileIsNulloptOrAnErrorSayingWhy) {
  testing::TempDir dir;
  std::string path = (dir.path() / "absent").string();
  auto maybe = readFileIfExists(path);
  ASSERT_TRUE(maybe.has_value()) << maybe.error().message();
  EXPECT_FALSE(maybe->has_value());
  auto text = readFile(path);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message(), "No such file or directory");
}

TEST(ReadFile, AFolderIsAnErrorNotAnException) {
  testing::TempDir dir;
  auto text = readFile(dir.path().string());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message(), "Is a directory");
  EXPECT_FALSE(readFileIfExists(dir.path().string()).has_value());
}

}  // namespace
}  // namespace plexus
