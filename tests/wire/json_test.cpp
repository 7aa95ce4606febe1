#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <plexus/json.hpp>

#include "json_test.pb.h"

namespace plexus {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using test::AllTypes;
using test::Call;
using test::Defaults;
using test::Recursive;
using test::RequiredFields;
using ::testing::HasSubstr;

// Parses `json` into a T, failing the test on error.
template <typename T>
T parse(std::string_view json) {
  auto parsed = fromJson<T>(json);
  EXPECT_TRUE(parsed.has_value()) << json << "\n  -> " << parsed.error().message();
  return parsed ? *parsed : T();
}

// The error fromJson gives for `json` read as a T ("" if it succeeds).
template <typename T = AllTypes>
std::string parseError(std::string_view json) {
  T message;
  auto parsed = fromJson(json, &message);
  if (parsed) return "";
  EXPECT_EQ(message.ByteSizeLong(), 0u) << "a failed parse leaves the message cleared";
  return parsed.error().message();
}

AllTypes everyKind() {
  AllTypes m;
  m.set_i32(-2147483647 - 1);
  m.set_i64(std::numeric_limits<std::int64_t>::min());
  m.set_u32(4294967295u);
  m.set_u64(std::numeric_limits<std::uint64_t>::max());
  m.set_s32(-5);
  m.set_s64(-9007199254740993);
  m.set_fx32(7);
  m.set_fx64(9007199254740993u);
  m.set_sfx32(-8);
  m.set_sfx64(-9);
  m.set_d(0.1);
  m.set_f(0.1f);
  m.set_b(true);
  m.set_s("h\xc3\xa9llo \"quoted\" \\ \n\t\x01 \xe2\x82\xac \xf0\x9f\x98\x80");
  m.set_by(std::string("\0\x01\xff\n=", 5));
  m.set_color(test::BLUE);
  m.mutable_inner()->set_name("in");
  m.mutable_inner()->set_value(3);
  m.add_r_i32(1);
  m.add_r_i32(-1);
  m.add_r_i64(1234567890123456789);
  m.add_r_u64(18446744073709551615u);
  m.add_r_d(1e300);
  m.add_r_d(-2.5e-300);
  m.add_r_d(std::numeric_limits<double>::infinity());
  m.add_r_d(-std::numeric_limits<double>::infinity());
  m.add_r_d(std::numeric_limits<double>::denorm_min());
  m.add_r_f(std::numeric_limits<float>::max());
  m.add_r_f(1.5f);
  m.add_r_b(false);
  m.add_r_b(true);
  m.add_r_s("");
  m.add_r_s("x");
  m.add_r_by("");
  m.add_r_by("ab");
  m.add_r_color(test::RED);
  m.add_r_color(test::GREEN);
  m.add_r_inner()->set_name("a");
  m.add_r_inner();
  m.add_r_s64(-1);
  (*m.mutable_m_str_i32())["b"] = 2;
  (*m.mutable_m_str_i32())["a"] = 1;
  (*m.mutable_m_str_inner())["k"].set_value(5);
  (*m.mutable_m_i32_str())[-3] = "minus three";
  (*m.mutable_m_i32_str())[10] = "ten";
  (*m.mutable_m_i32_str())[2] = "two";
  (*m.mutable_m_u64_color())[18446744073709551615u] = test::RED;
  (*m.mutable_m_bool_str())[true] = "yes";
  (*m.mutable_m_bool_str())[false] = "no";
  (*m.mutable_m_s64_d())[-9007199254740993] = 0.5;
  m.mutable_o_inner()->set_name("oneof");
  return m;
}

void expectRoundTrip(const google::protobuf::Message& original) {
  const std::string json = toJson(original);
  std::unique_ptr<google::protobuf::Message> back(original.New());
  auto parsed = fromJson(json, back.get());
  ASSERT_TRUE(parsed) << json << "\n  -> " << parsed.error().message();
  EXPECT_TRUE(MessageDifferencer::Equals(original, *back)) << json << "\n  vs\n" << toJson(*back);
  EXPECT_EQ(toJson(*back), json);
}

// --- Writing ---------------------------------------------------------------

TEST(JsonWrite, EmptyMessageIsAnEmptyObject) {
  EXPECT_EQ(toJson(AllTypes()), "{}");
  EXPECT_EQ(toJson(Recursive()), "{}");
}

TEST(JsonWrite, UnsetFieldsWithExplicitDefaultsAreWritten) {
  // plain (no default), deprecated_default (deprecated), oneof_default (in a oneof)
  // and inner (a message) are left out.
  EXPECT_EQ(toJson(Defaults()),
            "{\"with_default\":42,\"str_default\":\"hi\",\"color_default\":\"GREEN\","
            "\"d_default\":5.0,\"b_default\":true,\"bytes_default\":\"AQI=\","
            "\"big_default\":9007199254740993,\"f_default\":0.1}");
}

TEST(JsonWrite, SetFieldsAreWrittenEvenWhenDeprecatedOrInAOneof) {
  Defaults m;
  m.set_plain(0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  m.set_deprecated_default(9);
#pragma GCC diagnostic pop
  m.set_oneof_default(3);
  m.set_with_default(-1);
  EXPECT_EQ(toJson(m),
            "{\"plain\":0,\"with_default\":-1,\"str_default\":\"hi\",\"color_default\":\"GREEN\","
            "\"d_default\":5.0,\"b_default\":true,\"deprecated_default\":9,"
            "\"bytes_default\":\"AQI=\",\"big_default\":9007199254740993,\"f_default\":0.1,"
            "\"oneof_default\":3}");
}

TEST(JsonWrite, FieldsFollowDeclarationOrder) {
  test::Ordered m;
  m.set_first(1);
  m.set_second(2);
  m.set_third(3);
  EXPECT_EQ(toJson(m), "{\"second\":2,\"first\":1,\"third\":3}");
}

TEST(JsonWrite, SixtyFourBitIntegersAreExactNumbers) {
  AllTypes m;
  m.set_i64(9007199254740993);
  m.set_u64(18446744073709551615u);
  m.set_s64(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(toJson(m),
            "{\"i64\":9007199254740993,\"u64\":18446744073709551615,"
            "\"s64\":-9223372036854775808}");
}

TEST(JsonWrite, Doubles) {
  const auto json = [](double d) {
    AllTypes m;
    m.set_d(d);
    return toJson(m);
  };
  EXPECT_EQ(json(1.0), "{\"d\":1.0}");
  EXPECT_EQ(json(0.1), "{\"d\":0.1}");
  EXPECT_EQ(json(0.0), "{\"d\":0.0}");
  EXPECT_EQ(json(-0.0), "{\"d\":-0.0}");
  EXPECT_EQ(json(100000.0), "{\"d\":100000.0}");
  EXPECT_EQ(json(1048576.5), "{\"d\":1048576.5}");
  EXPECT_EQ(json(1e20), "{\"d\":100000000000000000000.0}");
  EXPECT_EQ(json(1e21), "{\"d\":1e+21}");
  EXPECT_EQ(json(1e-7), "{\"d\":0.0000001}");
  EXPECT_EQ(json(1.5e-8), "{\"d\":1.5e-08}");
  EXPECT_EQ(json(std::numeric_limits<double>::infinity()), "{\"d\":\"Infinity\"}");
  EXPECT_EQ(json(-std::numeric_limits<double>::infinity()), "{\"d\":\"-Infinity\"}");
  EXPECT_EQ(json(std::nan("")), "{\"d\":\"NaN\"}");

  AllTypes f;
  f.set_f(0.1f);
  EXPECT_EQ(toJson(f), "{\"f\":0.1}");  // the float's shortest digits, not 0.100000001490116
}

TEST(JsonWrite, StringsAreEscapedAndBytesAreBase64) {
  AllTypes m;
  m.set_s(std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f \xc3\xa9", 17));
  m.set_by("any carnal pleas");
  m.add_r_by("a");
  m.add_r_by("ab");
  m.add_r_by("abc");
  EXPECT_EQ(toJson(m),
            "{\"s\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f \xc3\xa9\","
            "\"by\":\"YW55IGNhcm5hbCBwbGVhcw==\",\"r_by\":[\"YQ==\",\"YWI=\",\"YWJj\"]}");
}

TEST(JsonWrite, InvalidUtf8IsReplaced) {
  AllTypes m;
  m.set_s(
      "a\xff"
      "b\xc3"
      "c\xed\xa0\x80"
      "d\xf4\x90\x80\x80");
  EXPECT_EQ(toJson(m),
            "{\"s\":\"a\xef\xbf\xbd"
            "b\xef\xbf\xbd"
            "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
            "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
}

TEST(JsonWrite, EnumsAreNamesAndRepeatedAreArrays) {
  AllTypes m;
  m.set_color(test::UNKNOWN_COLOR);
  m.add_r_color(test::RED);
  m.add_r_color(test::BLUE);
  m.add_r_inner()->set_value(1);
  m.add_r_inner();
  EXPECT_EQ(toJson(m),
            "{\"color\":\"UNKNOWN_COLOR\",\"r_color\":[\"RED\",\"BLUE\"],"
            "\"r_inner\":[{\"value\":1},{}]}");
}

TEST(JsonWrite, MapsAreObjectsSortedByKey) {
  AllTypes m;
  (*m.mutable_m_i32_str())[10] = "ten";
  (*m.mutable_m_i32_str())[-3] = "minus three";
  (*m.mutable_m_i32_str())[2] = "two";
  (*m.mutable_m_str_i32())["b"] = 2;
  (*m.mutable_m_str_i32())["a"] = 1;
  (*m.mutable_m_bool_str())[true] = "yes";
  (*m.mutable_m_bool_str())[false] = "no";
  (*m.mutable_m_u64_color())[5] = test::GREEN;
  EXPECT_EQ(
      toJson(m),
      "{\"m_str_i32\":{\"a\":1,\"b\":2},"
      "\"m_i32_str\":{\"-3\":\"minus three\",\"2\":\"two\",\"10\":\"ten\"},"
      "\"m_u64_color\":{\"5\":\"GREEN\"},\"m_bool_str\":{\"false\":\"no\",\"true\":\"yes\"}}");
}

TEST(JsonWrite, OneofMemberIsWrittenWhenSet) {
  AllTypes m;
  EXPECT_EQ(toJson(m), "{}");  // o_i32's default is not written: it is in a oneof
  m.set_o_str("x");
  EXPECT_EQ(toJson(m), "{\"o_str\":\"x\"}");
}

TEST(JsonWrite, AppendJsonAppends) {
  test::Inner m;
  m.set_value(1);
  std::string out = "[";
  appendJson(m, &out);
  out += ",";
  appendJson(m, &out);
  EXPECT_EQ(out, "[{\"value\":1},{\"value\":1}");
}

// --- Round trips -----------------------------------------------------------

TEST(JsonRoundTrip, EveryFieldKind) {
  expectRoundTrip(everyKind());
}

// Writing an unset field's default makes it set when read back (as in Mesos): the
// values and the JSON survive, the has_ bits do not.
TEST(JsonRoundTrip, DefaultsComeBackSet) {
  Defaults written;
  written.set_other("the oneof's other member");
  const std::string json = toJson(written);
  const Defaults read = parse<Defaults>(json);
  EXPECT_EQ(toJson(read), json);
  EXPECT_TRUE(read.has_with_default());
  EXPECT_EQ(read.with_default(), 42);
  EXPECT_EQ(read.big_default(), 9007199254740993);
  EXPECT_EQ(read.f_default(), 0.1f);
  EXPECT_FALSE(read.has_deprecated_default());
  EXPECT_FALSE(read.has_plain());
  EXPECT_EQ(read.other(), "the oneof's other member");

  Defaults allSet = read;
  allSet.set_oneof_default(0);
  allSet.set_plain(0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  allSet.set_deprecated_default(1);
#pragma GCC diagnostic pop
  expectRoundTrip(allSet);
}

TEST(JsonRoundTrip, Oneofs) {
  AllTypes m;
  m.set_o_i32(7);
  expectRoundTrip(m);
  m.mutable_o_inner();
  expectRoundTrip(m);
}

TEST(JsonRoundTrip, DoublesReadBackBitForBit) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    const double d = std::bit_cast<double>(rng());
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    AllTypes m;
    m.set_d(d);
    m.set_f(f);
    const std::string json = toJson(m);
    auto back = fromJson<AllTypes>(json);
    ASSERT_TRUE(back) << json << ": " << back.error().message();
    if (std::isnan(d)) {
      EXPECT_TRUE(std::isnan(back->d())) << json;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(back->d()), std::bit_cast<std::uint64_t>(d)) << json;
    }
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(back->f())) << json;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(back->f()), std::bit_cast<std::uint32_t>(f)) << json;
    }
  }
}

// --- Reading ---------------------------------------------------------------

TEST(JsonRead, IgnoresUnknownKeysAndCamelCaseNames) {
  const AllTypes m = parse<AllTypes>(
      R"({"unknown":{"deep":[1,2,{"x":null}]},"i32":5,"rI32":[1],"inner":{"nope":1,"value":2}})");
  EXPECT_EQ(m.i32(), 5);
  EXPECT_EQ(m.r_i32_size(), 0);
  EXPECT_EQ(m.inner().value(), 2);
}

TEST(JsonRead, NullMeansUnset) {
  const AllTypes m = parse<AllTypes>(
      R"({"i32":null,"inner":null,"r_s":["a",null,"b"],"m_str_i32":{"x":null,"y":1}})");
  EXPECT_FALSE(m.has_i32());
  EXPECT_FALSE(m.has_inner());
  EXPECT_THAT(m.r_s(), testing::ElementsAre("a", "b"));
  EXPECT_EQ(m.m_str_i32().size(), 1u);
  EXPECT_EQ(m.m_str_i32().at("y"), 1);
}

TEST(JsonRead, WhitespaceAroundTheDocumentIsFine) {
  EXPECT_EQ(parse<AllTypes>(" \n\t{ \"i32\" : 1 }\r\n ").i32(), 1);
}

TEST(JsonRead, SixtyFourBitIntegersExactly) {
  const AllTypes m = parse<AllTypes>(
      R"({"i64":-9223372036854775808,"u64":18446744073709551615,"s64":9007199254740993,"fx64":9007199254740993})");
  EXPECT_EQ(m.i64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(m.u64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(m.s64(), 9007199254740993);
  EXPECT_EQ(m.fx64(), 9007199254740993u);
}

TEST(JsonRead, NumbersAndBooleansGivenAsStrings) {
  // Mesos reads these (protobuf's own JSON writes 64-bit integers as strings).
  const AllTypes m = parse<AllTypes>(
      R"({"i64":"9007199254740993","u64":"18446744073709551615","i32":"-7","d":"2.5","f":"1e3","b":"true","r_b":["false",true]})");
  EXPECT_EQ(m.i64(), 9007199254740993);
  EXPECT_EQ(m.u64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(m.i32(), -7);
  EXPECT_EQ(m.d(), 2.5);
  EXPECT_EQ(m.f(), 1000.0f);
  EXPECT_TRUE(m.b());
  EXPECT_THAT(m.r_b(), testing::ElementsAre(false, true));
}

TEST(JsonRead, NonFiniteDoublesAsStrings) {
  const AllTypes m =
      parse<AllTypes>(R"({"d":"Infinity","f":"-Infinity","r_d":["NaN","-Infinity",1]})");
  EXPECT_EQ(m.d(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(m.f(), -std::numeric_limits<float>::infinity());
  ASSERT_EQ(m.r_d_size(), 3);
  EXPECT_TRUE(std::isnan(m.r_d(0)));
  EXPECT_EQ(m.r_d(1), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(m.r_d(2), 1.0);
  EXPECT_THAT(parseError(R"({"i32":"Infinity"})"),
              HasSubstr("i32: expected an integer (int32), got the string \"Infinity\""));
  EXPECT_THAT(parseError(R"({"d":"infinity"})"),
              HasSubstr("d: expected a number (double), got the string"));
}

TEST(JsonRead, IntegersWrittenAsWholeDoublesAreAccepted) {
  const AllTypes m = parse<AllTypes>(R"({"i32":1.0,"u64":1e3,"i64":-2E2,"s32":-0.0})");
  EXPECT_EQ(m.i32(), 1);
  EXPECT_EQ(m.u64(), 1000u);
  EXPECT_EQ(m.i64(), -200);
  EXPECT_EQ(m.s32(), 0);
}

TEST(JsonRead, FractionsForIntegersAreErrors) {
  EXPECT_EQ(parseError(R"({"i32":1.5})"), "i32: expected an integer (int32), got 1.5");
  EXPECT_EQ(parseError(R"({"r_i64":[1,2,0.25]})"),
            "r_i64[2]: expected an integer (int64), got 0.25");
  EXPECT_EQ(parseError(R"({"u32":"2.5"})"), "u32: expected an integer (uint32), got 2.5");
}

TEST(JsonRead, OutOfRangeIntegersAreErrors) {
  EXPECT_EQ(parseError(R"({"i32":2147483648})"), "i32: 2147483648 is out of range for int32");
  EXPECT_EQ(parseError(R"({"i32":-2147483649})"), "i32: -2147483649 is out of range for int32");
  EXPECT_EQ(parseError(R"({"sfx32":3000000000})"),
            "sfx32: 3000000000 is out of range for sfixed32");
  EXPECT_EQ(parseError(R"({"u32":-1})"), "u32: -1 is out of range for uint32");
  EXPECT_EQ(parseError(R"({"u64":-1})"), "u64: -1 is out of range for uint64");
  EXPECT_EQ(parseError(R"({"fx32":4294967296})"), "fx32: 4294967296 is out of range for fixed32");
  EXPECT_EQ(parseError(R"({"i64":9223372036854775808})"),
            "i64: 9223372036854775808 is out of range for int64");
  EXPECT_EQ(parseError(R"({"u64":18446744073709551616})"),
            "u64: 18446744073709551616.0 is out of range for uint64");
  EXPECT_EQ(parseError(R"({"i64":1e19})"), "i64: 10000000000000000000.0 is out of range for int64");
  EXPECT_EQ(parseError(R"({"u64":"-5"})"), "u64: -5 is out of range for uint64");
  EXPECT_THAT(parseError(R"({"i64":123456789012345678901234567890})"),
              HasSubstr("is out of range for int64"));
}

TEST(JsonRead, FloatRange) {
  EXPECT_EQ(parse<AllTypes>(R"({"f":3.4028235e38})").f(), std::numeric_limits<float>::max());
  EXPECT_EQ(parse<AllTypes>(R"({"f":-3.40282356e38})").f(),
            std::numeric_limits<float>::lowest());         // rounds to the largest float
  EXPECT_EQ(parseError(R"({"f":3.4028235677973366e38})"),  // halfway: rounds to infinity
            "f: 3.4028235677973366e+38 is out of range for float");
  EXPECT_EQ(parseError(R"({"f":1e39})"), "f: 1e+39 is out of range for float");
  EXPECT_EQ(parse<AllTypes>(R"({"f":1e-50})").f(), 0.0f);  // underflow is rounding, not range
}

TEST(JsonRead, NumbersBeyondDoubleRangeAreMalformed) {
  EXPECT_EQ(parseError(R"({"d":1e400})"), "invalid JSON at line 1, column 6: number out of range");
  EXPECT_THAT(parseError(R"({"d":"1e400"})"),
              HasSubstr("d: expected a number (double), got the string"));
}

TEST(JsonRead, WrongTypesNameTheFieldPath) {
  EXPECT_EQ(parseError<Call>(
                R"({"subscribe":{"framework_info":{"user":"u","name":"n","roles":["a","b",3]}}})"),
            "subscribe.framework_info.roles[2]: expected a string, got a number");
  EXPECT_EQ(parseError(R"({"i32":true})"), "i32: expected an integer (int32), got a boolean");
  EXPECT_EQ(parseError(R"({"s":{}})"), "s: expected a string, got an object");
  EXPECT_EQ(parseError(R"({"b":1})"), "b: expected a boolean, got a number");
  EXPECT_EQ(parseError(R"({"b":"yes"})"), "b: expected a boolean, got a string");
  EXPECT_EQ(parseError(R"({"inner":[]})"), "inner: expected an object, got an array");
  EXPECT_EQ(parseError(R"({"inner":"x"})"), "inner: expected an object, got a string");
  EXPECT_EQ(parseError(R"({"r_inner":[{},{"value":"x"}]})"),
            "r_inner[1].value: expected an integer (int32), got the string \"x\"");
  EXPECT_EQ(parseError(R"({"r_i32":[[1]]})"),
            "r_i32[0]: expected an integer (int32), got an array");
  EXPECT_EQ(parseError(R"({"m_str_inner":{"k":{"value":[]}}})"),
            "m_str_inner[\"k\"].value: expected an integer (int32), got an array");
  EXPECT_EQ(parseError(R"({"m_str_i32":1})"), "m_str_i32: expected an object, got a number");
  EXPECT_EQ(parseError(R"({"m_str_i32":[{"a":1},1]})"),
            "m_str_i32[1]: expected an object, got a number");
  EXPECT_EQ(parseError(R"({"color":1})"), "color: expected a plexus.test.Color name, got a number");
  EXPECT_EQ(parseError(R"({"by":5})"), "by: expected a base64 string, got a number");
}

TEST(JsonRead, TopLevelMustBeAnObject) {
  EXPECT_EQ(parseError("[]"), "expected a JSON object for plexus.test.AllTypes, got an array");
  EXPECT_EQ(parseError("\"x\""), "expected a JSON object for plexus.test.AllTypes, got a string");
  EXPECT_EQ(parseError("null"), "expected a JSON object for plexus.test.AllTypes, got null");
}

TEST(JsonRead, RepeatedFieldTakesASingleValueAsMesosDoes) {
  const AllTypes m = parse<AllTypes>(R"({"r_s":"only","r_inner":{"value":1},"r_color":"RED"})");
  EXPECT_THAT(m.r_s(), testing::ElementsAre("only"));
  ASSERT_EQ(m.r_inner_size(), 1);
  EXPECT_EQ(m.r_inner(0).value(), 1);
  EXPECT_THAT(m.r_color(), testing::ElementsAre(test::RED));
}

TEST(JsonRead, UnknownEnumNames) {
  // Optional: dropped, the field stays unset.
  RequiredFields m = parse<RequiredFields>(R"({"name":"n","color":"RED","maybe":"PURPLE"})");
  EXPECT_FALSE(m.has_maybe());
  // Repeated and map: the element is dropped.
  m = parse<RequiredFields>(
      R"({"name":"n","color":"RED","colors":["BLUE","PURPLE","GREEN"],"by_name":{"a":"PURPLE","b":"BLUE"}})");
  EXPECT_THAT(m.colors(), testing::ElementsAre(test::BLUE, test::GREEN));
  EXPECT_EQ(m.by_name().size(), 1u);
  EXPECT_EQ(m.by_name().at("b"), test::BLUE);
  // Required: an error.
  EXPECT_EQ(parseError<RequiredFields>(R"({"name":"n","color":"PURPLE"})"),
            "color: unknown plexus.test.Color value \"PURPLE\"");
  // Names are case-sensitive.
  EXPECT_THAT(parseError<RequiredFields>(R"({"name":"n","color":"red"})"), HasSubstr("unknown"));
}

TEST(JsonRead, MissingRequiredFieldsAreNamed) {
  EXPECT_EQ(parseError<Call>(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}})"),
            "missing required field(s): subscribe.framework_info.user");
  EXPECT_EQ(parseError<RequiredFields>("{}"), "missing required field(s): name, color");
  EXPECT_EQ(parseError<RequiredFields>(R"({"name":null,"color":"RED"})"),
            "missing required field(s): name");
  EXPECT_TRUE(fromJson<Call>(R"({"type":"TEARDOWN"})"));  // optional sub-message left unset
}

TEST(JsonRead, Maps) {
  const AllTypes m = parse<AllTypes>(
      R"({"m_i32_str":{"-3":"a","7":"b"},"m_u64_color":{"18446744073709551615":"RED"},)"
      R"("m_bool_str":{"true":"t","false":"f"},"m_s64_d":{"-9007199254740993":"Infinity"},)"
      R"("m_str_inner":{"k":{"name":"n"}}})");
  EXPECT_EQ(m.m_i32_str().at(-3), "a");
  EXPECT_EQ(m.m_i32_str().at(7), "b");
  EXPECT_EQ(m.m_u64_color().at(18446744073709551615u), test::RED);
  EXPECT_EQ(m.m_bool_str().at(true), "t");
  EXPECT_EQ(m.m_bool_str().at(false), "f");
  EXPECT_EQ(m.m_s64_d().at(-9007199254740993), std::numeric_limits<double>::infinity());
  EXPECT_EQ(m.m_str_inner().at("k").name(), "n");

  EXPECT_EQ(parseError(R"({"m_i32_str":{"x":"a"}})"),
            "m_i32_str[\"x\"]: expected a map key holding an integer (int32)");
  EXPECT_EQ(parseError(R"({"m_i32_str":{"2147483648":"a"}})"),
            "m_i32_str[\"2147483648\"]: 2147483648 is out of range for int32");
  EXPECT_EQ(parseError(R"({"m_u64_color":{"-1":"RED"}})"),
            "m_u64_color[\"-1\"]: -1 is out of range for uint64");
  EXPECT_EQ(parseError(R"({"m_bool_str":{"1":"a"}})"),
            "m_bool_str[\"1\"]: expected a map key \"true\" or \"false\"");
  EXPECT_EQ(parseError(R"({"m_str_i32":{"a":"b"}})"),
            "m_str_i32[\"a\"]: expected an integer (int32), got the string \"b\"");
}

TEST(JsonRead, Base64) {
  EXPECT_EQ(parse<AllTypes>(R"({"by":"YW55IGNhcm5hbCBwbGVhcw=="})").by(), "any carnal pleas");
  EXPECT_EQ(parse<AllTypes>(R"({"by":"YW55IGNhcm5hbCBwbGVhcw"})").by(), "any carnal pleas");
  EXPECT_EQ(parse<AllTypes>(R"({"by":"YW55IGNh\ncm5hbCBwbGVhc3U="})").by(), "any carnal pleasu");
  EXPECT_EQ(parse<AllTypes>(R"({"by":""})").by(), "");
  EXPECT_EQ(parse<AllTypes>(R"({"by":"+/+/"})").by(), "\xfb\xff\xbf");
  EXPECT_EQ(parseError(R"({"by":"YW55*"})"),
            "by: invalid base64: unexpected character at offset 4");
  EXPECT_EQ(parseError(R"({"by":"-_-_"})"), "by: invalid base64: unexpected character at offset 0");
  EXPECT_EQ(parseError(R"({"r_by":["YQ==","YWJjZ"]})"),
            "r_by[1]: invalid base64: truncated (a lone final character)");
  EXPECT_EQ(parseError(R"({"by":"YQ==YQ=="})"),
            "by: invalid base64: unexpected character after padding at offset 4");
}

TEST(JsonRead, OneofLastMemberWins) {
  const AllTypes m = parse<AllTypes>(R"({"o_str":"x","o_i32":3})");
  EXPECT_EQ(m.choice_case(), AllTypes::kOI32);
  EXPECT_EQ(m.o_i32(), 3);
}

TEST(JsonRead, ReplacesThePreviousContents) {
  AllTypes m;
  m.set_i32(1);
  m.add_r_s("old");
  ASSERT_TRUE(fromJson(R"({"r_s":["new"]})", &m));
  EXPECT_FALSE(m.has_i32());
  EXPECT_THAT(m.r_s(), testing::ElementsAre("new"));
}

// --- Malformed input -------------------------------------------------------

TEST(JsonMalformed, ReportsLineAndColumn) {
  EXPECT_EQ(parseError("{\n  \"i32\": 1,\n  \"i64\": ]\n}"),
            "invalid JSON at line 3, column 10: syntax error");
  EXPECT_EQ(parseError("{\"i32\": 1,}"), "invalid JSON at line 1, column 11: syntax error");
  EXPECT_THAT(parseError("{'i32': 1}"), HasSubstr("line 1, column 2"));
}

TEST(JsonMalformed, TruncatedInput) {
  EXPECT_THAT(parseError("{\"i32\": 1"), HasSubstr("invalid JSON at line 1, column 10"));
  EXPECT_THAT(parseError("{\"s\": \"abc"), HasSubstr("invalid JSON at line 1, column 11"));
  EXPECT_THAT(parseError(""), HasSubstr("invalid JSON at line 1, column 1"));
  EXPECT_THAT(parseError("   \n  "), HasSubstr("invalid JSON at line 2, column 3"));
  const std::string full = toJson(everyKind());
  for (std::size_t size = 0; size < full.size(); ++size) {
    EXPECT_THAT(parseError(full.substr(0, size)), HasSubstr("invalid JSON")) << size;
  }
}

TEST(JsonMalformed, TextAfterTheValue) {
  EXPECT_EQ(parseError("{} x"),
            "invalid JSON at line 1, column 4: unexpected text after the JSON value");
  EXPECT_THAT(parseError("{}{}"), HasSubstr("column 3"));
}

TEST(JsonMalformed, InvalidUtf8AndLoneSurrogates) {
  EXPECT_THAT(parseError("{\"s\":\"\xff\"}"), HasSubstr("invalid JSON at line 1"));
  EXPECT_THAT(parseError(R"({"s":"\ud800"})"), HasSubstr("invalid JSON at line 1"));
  EXPECT_EQ(parse<AllTypes>(R"({"s":"\u00e9\ud83d\ude00\u0000"})").s(),
            std::string("\xc3\xa9\xf0\x9f\x98\x80\0", 7));
}

TEST(JsonMalformed, DepthLimit) {
  // kJsonMaxDepth nested objects are fine; one more is refused.
  std::string json;
  for (std::size_t i = 1; i < kJsonMaxDepth; ++i)
    json += "{\"child\":";
  json += "{\"value\":1}" + std::string(kJsonMaxDepth - 1, '}');
  const Recursive deep = parse<Recursive>(json);
  const Recursive* leaf = &deep;
  for (std::size_t i = 1; i < kJsonMaxDepth; ++i)
    leaf = &leaf->child();
  EXPECT_EQ(leaf->value(), 1);
  EXPECT_EQ(toJson(deep), json);

  EXPECT_THAT(parseError<Recursive>("{\"child\":" + json + "}"),
              HasSubstr("nested deeper than 64 arrays and objects"));
}

TEST(JsonMalformed, DepthBombsDoNotCrash) {
  EXPECT_THAT(parseError(std::string(100000, '[') + std::string(100000, ']')),
              HasSubstr("invalid JSON at line 1, column 65: nested deeper than 64"));
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"child\":";
  EXPECT_THAT(parseError<Recursive>(objects), HasSubstr("nested deeper than 64"));
  EXPECT_THAT(parseError(std::string(100000, '[')), HasSubstr("nested deeper than 64"));
}

// --- Hostile input ---------------------------------------------------------

// Random bytes, and random damage to valid documents, never crash fromJson; what it
// accepts converts back to JSON that it accepts again.
TEST(JsonFuzz, RandomInputNeverCrashes) {
  std::mt19937 rng(99);
  const std::string seeds[] = {
      toJson(everyKind()),
      toJson(Defaults()),
      R"({"r_s":"x","m_i32_str":{"1":"a"},"d":"NaN","u64":"18446744073709551615"})",
      R"({"child":{"child":{"children":[{"value":1},{}]}}})",
  };
  const std::string tokens[] = {"{",     "}", "[",   "]",    "\"",      ":",   ",",       "null",
                                "1e999", "-", "\\u", "\xff", "\"i32\"", "0.5", "\"RED\"", " "};
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    if (round % 4 == 0) {
      input.resize(rng() % 64);
      for (char& c : input)
        c = static_cast<char>(rng());
    } else {
      input = seeds[rng() % std::size(seeds)];
      for (int edits = 1 + rng() % 4; edits > 0; --edits) {
        const std::size_t at = input.empty() ? 0 : rng() % input.size();
        switch (rng() % 3) {
          case 0:
            if (!input.empty()) input.erase(at, 1 + rng() % 8);
            break;
          case 1:
            input.insert(at, tokens[rng() % std::size(tokens)]);
            break;
          default:
            if (!input.empty()) input[at] = static_cast<char>(rng());
            break;
        }
      }
    }
    AllTypes all;
    if (fromJson(input, &all)) {
      EXPECT_TRUE(fromJson<AllTypes>(toJson(all))) << input;
    }
    Recursive recursive;
    if (fromJson(input, &recursive)) {
      EXPECT_TRUE(fromJson<Recursive>(toJson(recursive))) << input;
    }
  }
}

}  // namespace
}  // namespace plexus
