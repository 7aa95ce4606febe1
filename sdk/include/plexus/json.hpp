// JSON <-> protobuf, by Mesos's rules.
//
// The v1 HTTP APIs speak `application/json` as well as `application/x-protobuf`.
// This file maps any protobuf message to and from JSON the way Mesos does (stout's
// JSON::Protobuf and protobuf::parse), so that clients written for Mesos read our
// JSON and we read theirs. The daemons use it for request bodies, events and
// operator endpoints; the SDK's scheduler and executor libraries for their calls.
//
// Thread-safety: the functions keep no state; call them from any thread, as long
// as no other thread writes the message at the same time.
// Errors: toJson() cannot fail. fromJson() returns an Error that says where: the
// line and column of malformed JSON, the field path of a value of the wrong type
// (`framework_info.roles[2]: expected a string, got a number`), or the names of
// missing required fields. It never crashes or recurses without bound, on any
// input; the caller bounds the input's size.
//
// The rules, both directions:
//  * Field names are the .proto (snake_case) names; json_name is not used.
//  * Output is compact and deterministic: fields in .proto declaration order (as
//    stout writes them), map entries sorted by key.
//  * Written: repeated and map fields when non-empty; other fields when set, or
//    when unset but with an explicit [default = ...], not deprecated and not in a
//    oneof (the default is then written).
//  * Enums are names. bytes are standard base64 with padding. 64-bit integers are
//    JSON numbers with all their digits. Doubles and floats are written with the
//    fewest digits that read back to the same value ("1.0", "0.1", "1e+21"); the
//    non-finite ones as the strings "Infinity", "-Infinity" and "NaN". Strings
//    are UTF-8; an invalid byte sequence is written as U+FFFD.
//  * Maps are JSON objects; integer and bool keys are written as decimal strings
//    and "true"/"false".
// Reading, as Mesos reads (so what Mesos accepts, we accept):
//  * Unknown keys are ignored; null means "unset" (a null array element or map
//    value is skipped).
//  * A number, or a boolean, may also be given as a string holding one ("5",
//    "true"), as protobuf's own JSON writes 64-bit integers. Double and float
//    fields also take "Infinity", "-Infinity" and "NaN".
//  * An integer that does not fit its field, a fraction for an integer field, a
//    negative number for an unsigned one, or a finite number beyond a float's
//    range is an error (Mesos casts silently). 1.0 is accepted as the integer 1.
//  * An unknown enum name is an error for a required field, and dropped
//    otherwise: an optional field stays unset, a repeated field or map loses
//    that element. Enums given as numbers are an error (Mesos refuses them too).
//  * A repeated field also takes a single value, as a list of one (as Mesos).
//  * base64 may omit its padding and contain whitespace (as Mesos).
//  * Nesting deeper than kJsonMaxDepth arrays and objects is an error.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include <google/protobuf/message.h>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

// The deepest nesting of JSON arrays and objects fromJson() accepts. A message
// nested deeper than this converts to JSON that fromJson() refuses.
inline constexpr std::size_t kJsonMaxDepth = 64;

// Returns `message` as compact JSON. Missing required fields are not checked.
[[nodiscard]] PLEXUS_API std::string toJson(const google::protobuf::Message& message);

// Appends `message` as compact JSON to *out (no intermediate string).
PLEXUS_API void appendJson(const google::protobuf::Message& message, std::string* out);

// Replaces *out with the message `json` describes. `json` must be one JSON object,
// optionally surrounded by whitespace, and every required field must be set. On
// error *out is left cleared.
PLEXUS_API Result<void> fromJson(std::string_view json, google::protobuf::Message* out);

// The pieces toJson() writes with, for JSON a caller builds itself (the daemons'
// /state): `value` as toJson writes a double ("4.0", "4.5", "1e+21", "NaN" quoted),
// and `text` as a quoted, escaped JSON string.
PLEXUS_API void appendJsonNumber(double value, std::string* out);
PLEXUS_API void appendJsonString(std::string_view text, std::string* out);

// Shorthand: `auto call = fromJson<scheduler::Call>(body);`.
template <typename T>
[[nodiscard]] Result<T> fromJson(std::string_view json) {
  static_assert(std::is_base_of_v<google::protobuf::Message, T>, "T must be a protobuf message");
  T message;
  PLEXUS_TRY(fromJson(json, static_cast<google::protobuf::Message*>(&message)));
  return message;
}

}  // namespace plexus
