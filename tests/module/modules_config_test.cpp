#include "module/modules_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace plexus::module {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "plexus-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  fs::path path_;
};

TEST(ModulesConfig, ParsesMesosFormat) {
  auto config = parseModulesJson(R"({
    "libraries": [
      {"file": "/opt/libx.so", "modules": [
        {"name": "x_allocator", "parameters": [{"key": "k", "value": "v"}, {"key": "n", "value": "2"}]},
        {"name": "x_hook"}]},
      {"name": "y", "modules": [{"name": "y_isolator"}], "unknown_key": [1, 2, 3]}
    ]})",
                                 "test.json");
  ASSERT_TRUE(config) << config.error().message();
  ASSERT_EQ(config->libraries.size(), 2u);
  EXPECT_EQ(config->libraries[0].file, "/opt/libx.so");
  EXPECT_EQ(config->libraries[0].source, "test.json");
  ASSERT_EQ(config->libraries[0].modules.size(), 2u);
  EXPECT_EQ(config->libraries[0].modules[0].name, "x_allocator");
  ASSERT_EQ(config->libraries[0].modules[0].parameters.size(), 2u);
  EXPECT_EQ(config->libraries[0].modules[0].parameters[1].first, "n");
  EXPECT_EQ(config->libraries[0].modules[0].parameters[1].second, "2");
  EXPECT_EQ(config->libraries[1].name, "y");
}

TEST(ModulesConfig, MalformedJsonNamesLineAndColumn) {
  auto config = parseModulesJson("{\"libraries\": [\n  {\"file\": \"x\",\n   oops}]}", "m.json");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message().rfind("m.json: malformed JSON at line 3, column 4: ", 0), 0u)
      << config.error().message();
}

TEST(ModulesConfig, TruncatedJsonIsMalformed) {
  auto config = parseModulesJson("{\"libraries\": [", "m.json");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message().find("malformed JSON at line 1"), std::string::npos);
}

TEST(ModulesConfig, SchemaErrorsNameThePath) {
  auto noName =
      parseModulesJson(R"({"libraries":[{"file":"a","modules":[{"parameters":[]}]}]})", "s");
  ASSERT_FALSE(noName);
  EXPECT_EQ(noName.error().message(), "s: libraries[0].modules[0]: module name not provided");

  auto noLibrary = parseModulesJson(R"({"libraries":[{"modules":[]}]})", "s");
  ASSERT_FALSE(noLibrary);
  EXPECT_NE(noLibrary.error().message().find("library name or path not provided"),
            std::string::npos);

  auto badType = parseModulesJson(R"({"libraries":{"file":"a"}})", "s");
  ASSERT_FALSE(badType);
  EXPECT_EQ(badType.error().message(), "s: libraries: expected an array");

  auto noValue = parseModulesJson(
      R"({"libraries":[{"file":"a","modules":[{"name":"m","parameters":[{"key":"k"}]}]}]})", "s");
  ASSERT_FALSE(noValue);
  EXPECT_NE(noValue.error().message().find("parameter 'k' has no value"), std::string::npos);
}

TEST(ModulesConfig, FlagAcceptsInlinePathAndFileUrl) {
  TempDir dir;
  fs::path file = dir.write("m.json", R"({"libraries":[{"name":"a","modules":[{"name":"m"}]}]})");
  for (const std::string& value : {file.string(), "file://" + file.string()}) {
    auto config = readModulesFlag(value);
    ASSERT_TRUE(config) << config.error().message();
    EXPECT_EQ(config->libraries.at(0).source, file.string());
  }
  auto inline_ = readModulesFlag(R"(  {"libraries":[]})");
  ASSERT_TRUE(inline_);
  EXPECT_TRUE(inline_->libraries.empty());

  auto missing = readModulesFlag((dir.path() / "nope.json").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("nope.json"), std::string::npos);
}

TEST(ModulesConfig, DirectoryIsReadInSortedOrder) {
  TempDir dir;
  dir.write("b.json", R"({"libraries":[{"name":"second","modules":[]}]})");
  dir.write("a.json", R"({"libraries":[{"name":"first","modules":[]}]})");
  dir.write("c.txt", "not json, and ignored");
  auto config = readModulesDir(dir.path());
  ASSERT_TRUE(config) << config.error().message();
  ASSERT_EQ(config->libraries.size(), 2u);
  EXPECT_EQ(config->libraries[0].name, "first");
  EXPECT_EQ(config->libraries[1].name, "second");

  dir.write("d.json", "{");
  auto broken = readModulesDir(dir.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("d.json: malformed JSON"), std::string::npos);
}

}  // namespace
}  // namespace plexus::module
