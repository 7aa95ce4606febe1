#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include <plexus/logging.hpp>
#include <plexus/recordio.hpp>

namespace plexus {

namespace {

// A byte as it should appear in an error message: quoted if printable, else in hex.
std::string describeByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

}  // namespace

void appendRecord(std::string_view record, std::string* out) {
  PLEXUS_CHECK(!record.empty()) << "RecordIO records are never empty";
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), record.size());
  out->reserve(out->size() + static_cast<std::size_t>(end - digits) + 1 + record.size());
  out->append(digits, end);
  out->push_back('\n');
  out->append(record);
}

std::string encodeRecord(std::string_view record) {
  std::string out;
  appendRecord(record, &out);
  return out;
}

RecordIODecoder::RecordIODecoder(std::size_t maxRecordSize) noexcept
    : maxRecordSize_(maxRecordSize) {}

bool RecordIODecoder::hasPartial() const noexcept {
  return !failed() && (inBody_ || !prefix_.empty());
}

std::unexpected<Error> RecordIODecoder::failAt(std::uint64_t offset, std::string what) {
  error_ =
      Error("malformed RecordIO stream at byte " + std::to_string(offset) + ": " + std::move(what));
  prefix_.clear();
  body_ = std::string();  // release the memory, not just the size
  return fail(*error_);
}

// Called on the '\n' that ends a length prefix, at stream offset `offset`.
Result<void> RecordIODecoder::endPrefix(std::uint64_t offset) {
  if (prefix_.empty()) return failAt(offset, "empty length prefix");
  if (length_ == 0) return failAt(offset, "record length 0 (a record is never empty)");
  if (length_ > maxRecordSize_) {
    return failAt(offset, "record of " + prefix_ + " bytes exceeds the limit of " +
                              std::to_string(maxRecordSize_) + " bytes");
  }
  prefix_.clear();
  inBody_ = true;
  return {};
}

Result<void> RecordIODecoder::decode(std::string_view chunk, std::vector<std::string>* records) {
  if (error_) return fail(*error_);

  std::size_t i = 0;
  while (i < chunk.size()) {
    if (!inBody_) {
      const char c = chunk[i];
      if (c == '\n') {
        PLEXUS_TRY(endPrefix(offset_ + i));
        ++i;
        continue;
      }
      if (c < '0' || c > '9') {
        return failAt(offset_ + i, "unexpected " + describeByte(c) +
                                       " in a length prefix (only decimal digits are allowed)");
      }
      if (prefix_.size() == kMaxRecordLengthDigits) {
        return failAt(offset_ + i, "length prefix longer than " +
                                       std::to_string(kMaxRecordLengthDigits) + " digits");
      }
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (length_ > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
        return failAt(offset_ + i, "length prefix " + prefix_ + c + "... does not fit in 64 bits");
      }
      length_ = length_ * 10 + digit;
      prefix_.push_back(c);
      ++i;
      continue;
    }

    // Inside a body: take as much of it as this chunk holds, in one copy.
    const std::uint64_t missing = length_ - body_.size();
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(missing, chunk.size() - i));
    if (body_.empty() && take == missing) {
      records->emplace_back(chunk.substr(i, take));  // the whole record is in this chunk
    } else {
      body_.append(chunk.substr(i, take));
      if (body_.size() < length_) break;  // need more chunks
      records->push_back(std::exchange(body_, std::string()));
    }
    i += take;
    inBody_ = false;
    length_ = 0;
  }
  offset_ += chunk.size();
  return {};
}

Result<std::vector<std::string>> RecordIODecoder::decode(std::string_view chunk) {
  std::vector<std::string> records;
  PLEXUS_TRY(decode(chunk, &records));
  return records;
}

Result<void> RecordIODecoder::finish() const {
  if (error_) return fail(*error_);
  if (inBody_) {
    return fail("stream ended inside a record: got " + std::to_string(body_.size()) + " of " +
                std::to_string(length_) + " bytes");
  }
  if (!prefix_.empty()) {
    return fail("stream ended inside a record's length prefix (\"" + prefix_ + "\")");
  }
  return {};
}

}  // namespace plexus
