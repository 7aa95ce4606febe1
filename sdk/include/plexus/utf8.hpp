// UTF-8 validity, of one string and of every string field of a message.
//
// The daemons check each call they accept with invalidUtf8Field() where its body
// is decoded (JSON or protobuf: proto2 parsing does not check strings), so that no
// invalid text is ever stored, checkpointed or served back in JSON. The JSON writer
// uses utf8SequenceLength() to replace what it cannot print.
// Stateless: call from any thread, as long as no other thread writes the message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include <plexus/export.hpp>

namespace plexus {

// Length (1 to 4) of the valid UTF-8 sequence at the start of `text`, or 0 when it
// does not start with one: a stray continuation byte, a truncated sequence, an
// overlong form, a surrogate (U+D800..U+DFFF) or a code point above U+10FFFF.
// `text` must not be empty.
[[nodiscard]] PLEXUS_API std::size_t utf8SequenceLength(std::string_view text);

// Whether all of `text` is valid UTF-8.
[[nodiscard]] PLEXUS_API bool isValidUtf8(std::string_view text);

// The path of the first `string` field (set, repeated or a map's key or value, at
// any depth) of `message` that is not valid UTF-8, in the form fromJson() names
// fields ("subscribe.framework_info.labels.labels[0].value"); nullopt when every
// one is valid. `bytes` fields and unknown fields are not text and are not checked.
[[nodiscard]] PLEXUS_API std::optional<std::string> invalidUtf8Field(
    const google::protobuf::Message& message);

}  // namespace plexus
