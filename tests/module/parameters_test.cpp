#include <gtest/gtest.h>

#include <plexus/duration.hpp>
#include <plexus/parameters.hpp>

namespace plexus {
namespace {

constexpr ParameterSpec kSpecs[] = {
    {"name", ParameterType::String, "x", "a string"},
    {"count", ParameterType::Int, "3", "an int"},
    {"ratio", ParameterType::Double, "0.5", "a double"},
    {"on", ParameterType::Bool, "false", "a bool"},
    {"every", ParameterType::Duration, "1secs", "a duration"},
    {"size", ParameterType::Bytes, "64MB", "a byte size"},
    {"must", ParameterType::String, nullptr, "required"},
};

TEST(Parameters, DefaultsAndGivenValues) {
  auto p = Parameters::validate(kSpecs, {{"must", "m"}, {"count", "-12"}, {"on", "true"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->string("name"), "x");
  EXPECT_EQ(p->integer("count"), -12);
  EXPECT_DOUBLE_EQ(p->real("ratio"), 0.5);
  EXPECT_TRUE(p->boolean("on"));
  EXPECT_EQ(p->duration("every"), std::chrono::seconds(1));
  EXPECT_EQ(p->bytes("size"), 64u << 20);
  EXPECT_TRUE(p->given("count"));
  EXPECT_FALSE(p->given("ratio"));
  EXPECT_EQ(p->entries().size(), 7u);
  EXPECT_EQ(p->entries()[1], (std::pair<std::string, std::string>("count", "-12")));
}

TEST(Parameters, Refusals) {
  auto unknown = Parameters::validate(kSpecs, {{"must", "m"}, {"nope", "1"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(),
            "unknown parameter 'nope' (declared: name, count, ratio, on, every, size, must)");

  auto twice = Parameters::validate(kSpecs, {{"must", "m"}, {"must", "n"}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message(), "parameter 'must' is given more than once");

  auto missing = Parameters::validate(kSpecs, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "missing required parameter 'must' (string: required)");

  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"count", "1.5"},
                                                        {"count", ""},
                                                        {"ratio", "inf"},
                                                        {"on", "maybe"},
                                                        {"every", "3"},
                                                        {"size", "12XB"},
                                                        {"count", "99999999999999999999"}}) {
    auto bad = Parameters::validate(kSpecs, {{"must", "m"}, {key, value}});
    ASSERT_FALSE(bad) << key << "=" << value;
    EXPECT_EQ(bad.error().message().rfind("parameter '" + key + "' must be ", 0), 0u)
        << bad.error().message();
  }
}

TEST(Parameters, UndeclaredOrMistypedReadThrows) {
  auto p = Parameters::validate(kSpecs, {{"must", "m"}});
  ASSERT_TRUE(p);
  EXPECT_THROW(p->string("undeclared"), std::invalid_argument);
  EXPECT_THROW(p->integer("name"), std::invalid_argument);
}

TEST(Duration, ParsesAndFormatsMesosSyntax) {
  EXPECT_EQ(*parseDuration("5secs"), std::chrono::seconds(5));
  EXPECT_EQ(*parseDuration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parseDuration("1.5mins"), std::chrono::seconds(90));
  EXPECT_EQ(*parseDuration("2weeks"), std::chrono::hours(24 * 14));
  EXPECT_EQ(*parseDuration("10ns"), std::chrono::nanoseconds(10));
  EXPECT_EQ(formatDuration(std::chrono::seconds(5)), "5secs");
  EXPECT_EQ(formatDuration(std::chrono::seconds(90)), "1.5mins");
  EXPECT_EQ(formatDuration(std::chrono::minutes(15)), "15mins");
  EXPECT_EQ(formatDuration(std::chrono::milliseconds(500)), "500ms");
  EXPECT_EQ(formatDuration(std::chrono::nanoseconds(0)), "0ns");
  for (auto d : {std::chrono::nanoseconds(1), std::chrono::nanoseconds(123456789),
                 std::chrono::nanoseconds(std::chrono::hours(49))}) {
    EXPECT_EQ(*parseDuration(formatDuration(d)), d) << formatDuration(d);
  }
  EXPECT_FALSE(parseDuration("5"));
  EXPECT_FALSE(parseDuration("-5secs"));
  EXPECT_FALSE(parseDuration("secs"));
  EXPECT_FALSE(parseDuration("5 secs"));
  EXPECT_EQ(parseDuration("5s").error().message(),
            "invalid duration '5s': unknown unit 's' (use one of ns, us, ms, secs, mins, hrs, "
            "days, weeks)");
}

TEST(Bytes, ParsesMesosUnits) {
  EXPECT_EQ(*parseBytes("0"), 0u);
  EXPECT_EQ(*parseBytes("512B"), 512u);
  EXPECT_EQ(*parseBytes("4KB"), 4096u);
  EXPECT_EQ(*parseBytes("2GB"), 2ull << 30);
  EXPECT_FALSE(parseBytes("1.5GB"));
  EXPECT_FALSE(parseBytes("99999999999TB"));
}

}  // namespace
}  // namespace plexus
