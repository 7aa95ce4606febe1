// RecordIO: the framing of Mesos's streaming HTTP bodies.
//
// A stream is a sequence of records, each written as `<decimal byte length>\n<bytes>`
// with nothing between records (Mesos's docs/recordio.md). The master's SUBSCRIBE
// responses and the agent's streaming calls use it; the daemons and the SDK's
// scheduler and executor libraries encode and decode it with this file.
//
// encodeRecord() and appendRecord() are pure functions. A RecordIODecoder turns the
// chunks of one stream, as they arrive, into whole records, keeping a length prefix
// or a record split across chunks until the rest arrives. A decoder is not
// thread-safe: use one per stream, from one thread at a time.
//
// Errors are values. A malformed length prefix (anything but 1 to 20 ASCII digits
// then '\n'), a length of zero (a record is never empty), or a length above the
// decoder's limit fails the stream for good: after a bad prefix no later record
// boundary can be trusted. An oversized record is refused as soon as its prefix is
// read, before any of its body is buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

// The default largest record a decoder accepts: 64 MiB, protobuf's own message limit.
inline constexpr std::size_t kDefaultMaxRecordSize = std::size_t{64} << 20;

// The longest length prefix accepted, in digits (enough for any 64-bit length).
inline constexpr std::size_t kMaxRecordLengthDigits = 20;

// Returns `record` framed as one RecordIO record. `record` must not be empty
// (checked: an empty record is a caller bug, and decoders refuse it).
[[nodiscard]] PLEXUS_API std::string encodeRecord(std::string_view record);

// Appends `record`, framed, to *out. Same precondition as encodeRecord().
PLEXUS_API void appendRecord(std::string_view record, std::string* out);

// Incremental decoder of one RecordIO stream.
//
//   RecordIODecoder decoder;
//   while (auto chunk = readSome()) {
//     auto records = decoder.decode(*chunk);
//     if (!records) return fail(records.error().context("reading events"));
//     for (std::string& record : *records) handle(record);
//   }
//   PLEXUS_TRY(decoder.finish());  // at EOF: was the stream cut inside a record?
class PLEXUS_API RecordIODecoder {
 public:
  // Records longer than `maxRecordSize` bytes are refused.
  explicit RecordIODecoder(std::size_t maxRecordSize = kDefaultMaxRecordSize) noexcept;

  // Feeds the next chunk (any size, including empty) and returns the records it
  // completes, in stream order. On error returns it, and the same error from every
  // later call; records completed earlier in the failing chunk are lost (use the
  // overload below to keep them).
  [[nodiscard]] Result<std::vector<std::string>> decode(std::string_view chunk);

  // As above, but appends each completed record to *records as it is found, so the
  // records before an error in the same chunk are kept.
  [[nodiscard]] Result<void> decode(std::string_view chunk, std::vector<std::string>* records);

  // Call at the end of the stream: an error if the stream ended inside a length
  // prefix or a record ("stream ended inside a record: got 3 of 10 bytes"), or if
  // the decoder has failed. Does not change the decoder.
  [[nodiscard]] Result<void> finish() const;

  // True while part of a record (prefix or body) is buffered, waiting for more input.
  bool hasPartial() const noexcept;

  // True once the stream was found malformed; every later decode() fails.
  bool failed() const noexcept { return error_.has_value(); }

  std::size_t maxRecordSize() const noexcept { return maxRecordSize_; }

 private:
  std::unexpected<Error> failAt(std::uint64_t offset, std::string what);
  Result<void> endPrefix(std::uint64_t offset);

  std::size_t maxRecordSize_;
  bool inBody_ = false;
  std::uint64_t length_ = 0;    // the prefix's value so far, then the body's length
  std::string prefix_;          // the prefix's digits so far, for messages
  std::string body_;            // the bytes of the current record received so far
  std::uint64_t offset_ = 0;    // bytes of the stream consumed before the current chunk
  std::optional<Error> error_;  // set once the stream is known to be malformed
};

}  // namespace plexus
