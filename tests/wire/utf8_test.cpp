// plexus/utf8.hpp: which byte sequences are UTF-8, and the path of the first string
// field of a message that is not.
#include <gtest/gtest.h>

#include <plexus/utf8.hpp>

#include "json_test.pb.h"

namespace plexus {
namespace {

TEST(Utf8, ValidAndInvalidSequences) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(isValidUtf8("caf\xc3"));                                   // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));                                      // stray continuation
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));                                  // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));                              // overlong, 3 bytes
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));                              // surrogate U+D800
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xff"));
}

TEST(Utf8, TheFirstInvalidFieldIsNamedWithItsPath) {
  test::AllTypes message;
  message.set_s("fine");
  message.mutable_inner()->set_name("\xc3\xa9");
  message.set_by("\xff\xfe");  // bytes are not text
  EXPECT_EQ(invalidUtf8Field(message), std::nullopt);

  message.add_r_inner()->set_name("ok");
  message.add_r_inner()->set_name("bad\xff");
  EXPECT_EQ(invalidUtf8Field(message), "r_inner[1].name");

  message.clear_r_inner();
  message.add_r_s("ok");
  message.add_r_s("\xed\xa0\x80");
  EXPECT_EQ(invalidUtf8Field(message), "r_s[1]");

  message.clear_r_s();
  (*message.mutable_m_str_inner())["key"].set_name("\x80");
  EXPECT_EQ(invalidUtf8Field(message), "m_str_inner[0].value.name");
  message.clear_m_str_inner();
  (*message.mutable_m_str_i32())["\xc3"] = 1;
  EXPECT_EQ(invalidUtf8Field(message), "m_str_i32[0].key");

  message.clear_m_str_i32();
  message.set_o_str("\xff");
  EXPECT_EQ(invalidUtf8Field(message), "o_str");
}

}  // namespace
}  // namespace plexus
