#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <plexus/recordio.hpp>

namespace plexus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Decodes `stream` fed as the given chunks, then checks for a clean end.
std::vector<std::string> decodeChunks(const std::vector<std::string>& chunks) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  for (const std::string& chunk : chunks) {
    auto decoded = decoder.decode(chunk);
    EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
    if (!decoded) return records;
    records.insert(records.end(), decoded->begin(), decoded->end());
  }
  EXPECT_FALSE(decoder.hasPartial());
  EXPECT_TRUE(decoder.finish().has_value());
  return records;
}

std::string decodeError(std::string_view stream,
                        std::size_t maxRecordSize = kDefaultMaxRecordSize) {
  RecordIODecoder decoder(maxRecordSize);
  auto decoded = decoder.decode(stream);
  if (decoded) return "";
  EXPECT_TRUE(decoder.failed());
  return decoded.error().message();
}

TEST(RecordIOEncode, FramesWithDecimalLengthAndNewline) {
  EXPECT_EQ(encodeRecord("hello"), "5\nhello");
  EXPECT_EQ(encodeRecord(std::string(1234, 'x')), "1234\n" + std::string(1234, 'x'));
  std::string out = "1\na";
  appendRecord("{\"type\":\"HEARTBEAT\"}", &out);
  EXPECT_EQ(out, "1\na20\n{\"type\":\"HEARTBEAT\"}");
}

TEST(RecordIOEncodeDeathTest, EmptyRecordIsACallerBug) {
  EXPECT_DEATH((void)encodeRecord(""), "never empty");
}

TEST(RecordIODecode, SingleRecord) {
  EXPECT_THAT(decodeChunks({"5\nhello"}), ElementsAre("hello"));
}

TEST(RecordIODecode, MultipleRecordsInOneChunk) {
  EXPECT_THAT(decodeChunks({"1\na2\nbc3\ndef"}), ElementsAre("a", "bc", "def"));
}

TEST(RecordIODecode, EmptyChunksChangeNothing) {
  EXPECT_THAT(decodeChunks({"", "3\n", "", "abc", ""}), ElementsAre("abc"));
}

TEST(RecordIODecode, LeadingZerosInTheLengthAreAccepted) {
  EXPECT_THAT(decodeChunks({"003\nabc"}), ElementsAre("abc"));
}

TEST(RecordIODecode, BinaryDataWithNewlinesAndDigitsInsideRecords) {
  const std::string binary("\n12\n\0\xff\n3\n", 9);
  std::string stream = encodeRecord(binary) + encodeRecord("\n") + encodeRecord(binary);
  EXPECT_THAT(decodeChunks({stream}), ElementsAre(binary, "\n", binary));
}

// Every way of cutting a multi-record stream gives the same records.
TEST(RecordIODecode, EverySplitGivesTheSameRecords) {
  const std::vector<std::string> expected = {"a", std::string("\n\0\n", 3), "{\"x\":1}",
                                             std::string(300, 'z'), "9\n"};
  std::string stream;
  for (const std::string& record : expected)
    appendRecord(record, &stream);

  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    EXPECT_EQ(decodeChunks({stream.substr(0, cut), stream.substr(cut)}), expected);
  }
  for (std::size_t first = 0; first <= stream.size(); first += 7) {
    for (std::size_t second = first; second <= stream.size(); second += 5) {
      EXPECT_EQ(decodeChunks({stream.substr(0, first), stream.substr(first, second - first),
                              stream.substr(second)}),
                expected);
    }
  }
  std::vector<std::string> bytes;
  for (char c : stream)
    bytes.emplace_back(1, c);
  EXPECT_EQ(decodeChunks(bytes), expected);
}

TEST(RecordIODecode, RandomChunkingGivesTheSameRecords) {
  std::mt19937 rng(7);
  std::vector<std::string> expected;
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    std::string record(1 + rng() % 200, '\0');
    for (char& c : record)
      c = static_cast<char>(rng());
    appendRecord(record, &stream);
    expected.push_back(record);
  }
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> chunks;
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t size = std::min<std::size_t>(rng() % 64, stream.size() - at);
      chunks.push_back(stream.substr(at, size));
      at += size;
    }
    EXPECT_EQ(decodeChunks(chunks), expected);
  }
}

TEST(RecordIODecode, OverloadKeepsRecordsBeforeAnError) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  auto result = decoder.decode("1\na2\nbcx\n", &records);
  ASSERT_FALSE(result);
  EXPECT_THAT(records, ElementsAre("a", "bc"));
}

TEST(RecordIODecode, MalformedPrefixes) {
  EXPECT_THAT(decodeError("\nabc"), HasSubstr("empty length prefix"));
  EXPECT_THAT(decodeError("+5\nhello"), HasSubstr("unexpected '+' in a length prefix"));
  EXPECT_THAT(decodeError("-5\nhello"), HasSubstr("unexpected '-'"));
  EXPECT_THAT(decodeError(" 5\nhello"), HasSubstr("unexpected ' '"));
  EXPECT_THAT(decodeError("5\r\nhello"), HasSubstr("unexpected byte 0x0d"));
  EXPECT_THAT(decodeError("0x10\n"), HasSubstr("unexpected 'x'"));
  EXPECT_THAT(decodeError("abc"), HasSubstr("at byte 0"));
  EXPECT_THAT(decodeError("1\na12a"),
              HasSubstr("malformed RecordIO stream at byte 5: unexpected 'a'"));
  EXPECT_THAT(decodeError("0\n"), HasSubstr("record length 0"));
  EXPECT_THAT(decodeError("000\n"), HasSubstr("record length 0"));
  EXPECT_THAT(decodeError(std::string(21, '1')), HasSubstr("longer than 20 digits"));
  EXPECT_THAT(decodeError("99999999999999999999\n"), HasSubstr("does not fit in 64 bits"));
}

TEST(RecordIODecode, TwentyDigitPrefixIsCheckedAgainstTheLimit) {
  EXPECT_THAT(
      decodeError("18446744073709551615\n"),
      HasSubstr("record of 18446744073709551615 bytes exceeds the limit of 67108864 bytes"));
}

TEST(RecordIODecode, OversizedRecordIsRefusedBeforeItsBody) {
  RecordIODecoder decoder(10);
  auto atLimit = decoder.decode("10\n0123456789");
  ASSERT_TRUE(atLimit);
  EXPECT_THAT(*atLimit, ElementsAre("0123456789"));
  auto result = decoder.decode("11\n");  // no body byte has arrived yet
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(),
              HasSubstr("at byte 15: record of 11 bytes exceeds the limit of 10 bytes"));
  EXPECT_FALSE(decoder.hasPartial());
}

TEST(RecordIODecode, FailureIsSticky) {
  RecordIODecoder decoder;
  auto first = decoder.decode("x");
  ASSERT_FALSE(first);
  auto second = decoder.decode("1\na");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), first.error());
  EXPECT_EQ(decoder.finish().error(), first.error());
}

TEST(RecordIODecode, TruncatedStreamIsDetectedAtTheEnd) {
  RecordIODecoder decoder;
  ASSERT_TRUE(decoder.finish());
  auto records = decoder.decode("3\nabc10\nxyz");
  ASSERT_TRUE(records);
  EXPECT_THAT(*records, ElementsAre("abc"));
  EXPECT_TRUE(decoder.hasPartial());
  auto finish = decoder.finish();
  ASSERT_FALSE(finish);
  EXPECT_EQ(finish.error().message(), "stream ended inside a record: got 3 of 10 bytes");

  RecordIODecoder inPrefix;
  ASSERT_TRUE(inPrefix.decode("12"));
  EXPECT_TRUE(inPrefix.hasPartial());
  EXPECT_THAT(inPrefix.finish().error().message(),
              HasSubstr("inside a record's length prefix (\"12\")"));

  RecordIODecoder afterPrefix;
  ASSERT_TRUE(afterPrefix.decode("12\n"));
  EXPECT_TRUE(afterPrefix.hasPartial());
  EXPECT_EQ(afterPrefix.finish().error().message(),
            "stream ended inside a record: got 0 of 12 bytes");
}

TEST(RecordIODecode, RecordSplitAcrossManyChunks) {
  RecordIODecoder decoder;
  const std::string body(100000, 'q');
  const std::string stream = encodeRecord(body);
  std::vector<std::string> records;
  for (std::size_t at = 0; at < stream.size(); at += 1000) {
    ASSERT_TRUE(decoder.decode(stream.substr(at, 1000), &records));
  }
  EXPECT_THAT(records, ElementsAre(body));
  EXPECT_FALSE(decoder.hasPartial());
}

// Random bytes never crash the decoder; it either yields records or fails cleanly.
TEST(RecordIODecode, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789\n\n\nab+-";
  for (int round = 0; round < 5000; ++round) {
    RecordIODecoder decoder(1000);
    std::string stream(rng() % 100, '\0');
    for (char& c : stream) {
      c = rng() % 4 == 0 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    }
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::size_t size = 1 + rng() % 16;
      auto records = decoder.decode(std::string_view(stream).substr(at, size));
      if (!records) {
        EXPECT_TRUE(decoder.failed());
        break;
      }
      for (const std::string& record : *records) {
        EXPECT_FALSE(record.empty());
        EXPECT_LE(record.size(), 1000u);
      }
      at += size;
    }
    (void)decoder.finish();
  }
}

}  // namespace
}  // namespace plexus
