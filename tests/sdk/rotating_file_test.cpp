// RotatingFile: the size limit, the kept-file count and the numbering.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/rotating_file.hpp>

namespace plexus {
namespace {

namespace fs = std::filesystem;

class RotatingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/plexus-rotating-file-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  fs::path dir_;
};

TEST_F(RotatingFileTest, RotatesBySizeKeepingTheNewestFiles) {
  auto file = RotatingFile::open((dir_ / "stdout").string(), 10, 2);
  ASSERT_TRUE(file.has_value()) << file.error().message();
  for (char c : std::string("abcde")) {
    ASSERT_TRUE(file->write(std::string(4, c) + "\n"));  // 5 bytes each: two per file
  }
  EXPECT_EQ(read("stdout"), "eeee\n");
  EXPECT_EQ(read("stdout.1"), "cccc\ndddd\n");
  EXPECT_EQ(read("stdout.2"), "aaaa\nbbbb\n");
  EXPECT_FALSE(fs::exists(dir_ / "stdout.3"));
  ASSERT_TRUE(file->write("ffff\ngggg\n"));
  EXPECT_EQ(read("stdout"), "ffff\ngggg\n");  // kept whole in a new file
  EXPECT_EQ(read("stdout.1"), "eeee\n");
  EXPECT_EQ(read("stdout.2"), "cccc\ndddd\n");
  EXPECT_FALSE(fs::exists(dir_ / "stdout.3"));
}

TEST_F(RotatingFileTest, AWriteLongerThanTheLimitIsSplit) {
  auto file = RotatingFile::open((dir_ / "out").string(), 4, 5);
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(file->write("0123456789"));
  EXPECT_EQ(read("out"), "89");
  EXPECT_EQ(read("out.1"), "4567");
  EXPECT_EQ(read("out.2"), "0123");
}

TEST_F(RotatingFileTest, NoKeptFilesEmptiesTheFile) {
  auto file = RotatingFile::open((dir_ / "out").string(), 6, 0);
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(file->write("abc\n"));
  ASSERT_TRUE(file->write("def\n"));
  EXPECT_EQ(read("out"), "def\n");
  EXPECT_FALSE(fs::exists(dir_ / "out.1"));
}

TEST_F(RotatingFileTest, AnExistingFileCountsAgainstTheLimit) {
  std::ofstream(dir_ / "out") << "12345678";
  auto file = RotatingFile::open((dir_ / "out").string(), 10, 1);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->size(), 8u);
  ASSERT_TRUE(file->write("abc"));
  EXPECT_EQ(read("out"), "abc");
  EXPECT_EQ(read("out.1"), "12345678");
}

TEST_F(RotatingFileTest, AFileThatCannotBeOpenedIsNamed) {
  auto file = RotatingFile::open((dir_ / "missing" / "out").string(), 10, 1);
  ASSERT_FALSE(file.has_value());
  EXPECT_NE(file.error().message().find("missing/out"), std::string::npos)
      << file.error().message();
}

}  // namespace
}  // namespace plexus
