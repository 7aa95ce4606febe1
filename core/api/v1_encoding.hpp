// How the v1 HTTP APIs (scheduler, executor, operator) read calls and write events.
//
// A call's body is JSON or protobuf by its Content-Type; the response encoding
// comes from Accept (JSON when acceptable, else protobuf, else 406). Errors carry
// the HTTP status Mesos answers with (400, 406, 415) and a message that says what
// is wrong. Events are written as RecordIO records in the negotiated encoding.
// Stateless functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include <plexus/error.hpp>

#include "http/types.hpp"

namespace plexus::api {

enum class Encoding { kJson, kProtobuf };

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kProtobufType = "application/x-protobuf";

// An HTTP error answer: status and message.
struct HttpError {
  unsigned status;
  std::string message;
  http::Response response() const { return http::text(status, message); }
};

template <typename T>
using ApiResult = std::expected<T, HttpError>;

// The encoding of the request body, from Content-Type (400 when missing, 415 when
// neither JSON nor protobuf).
ApiResult<Encoding> requestEncoding(const http::Request& request);

// The encoding for the response, from Accept (406 when neither is acceptable).
ApiResult<Encoding> responseEncoding(const http::Request& request);

// Parses `body` into `message` (400 with the parser's message on failure,
// including missing required fields, and a string field that is not valid UTF-8,
// which proto2 parsing lets through: nothing invalid is stored or served back).
ApiResult<void> parseBody(std::string_view body, Encoding encoding,
                          google::protobuf::Message* message);

// Why a decoded call cannot be accepted as text ("'subscribe.framework_info.name' is
// not valid UTF-8"), or nullopt; for endpoints that decode with their own messages.
std::optional<std::string> validateText(const google::protobuf::Message& message);

std::string_view contentType(Encoding encoding);

// One message in `encoding`, bare (for a non-streaming body).
std::string encode(const google::protobuf::Message& message, Encoding encoding);

// One message in `encoding`, framed as a RecordIO record.
std::string encodeRecord(const google::protobuf::Message& message, Encoding encoding);

}  // namespace plexus::api
