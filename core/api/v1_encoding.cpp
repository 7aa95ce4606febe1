#include "api/v1_encoding.hpp"

#include <cstdlib>

#include <plexus/json.hpp>
#include <plexus/recordio.hpp>
#include <plexus/utf8.hpp>

namespace plexus::api {
namespace {

// The media type of a header value, without parameters, trimmed and lower case.
std::string mediaType(std::string_view value) {
  value = value.substr(0, value.find(';'));
  size_t begin = value.find_first_not_of(" \t");
  size_t end = value.find_last_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  std::string type(value.substr(begin, end - begin + 1));
  for (char& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// True when the Accept header value admits `type` with a non-zero quality.
bool accepts(std::string_view accept, std::string_view type) {
  std::string_view major = type.substr(0, type.find('/'));
  size_t start = 0;
  while (start <= accept.size()) {
    size_t comma = accept.find(',', start);
    std::string_view item =
        accept.substr(start, comma == std::string_view::npos ? accept.npos : comma - start);
    std::string range = mediaType(item);
    bool zero = false;
    if (auto q = item.find("q="); q != std::string_view::npos) {
      std::string value(item.substr(q + 2));
      zero = std::strtod(value.c_str(), nullptr) <= 0.0;
    }
    if (!zero && (range == type || range == "*/*" || range == std::string(major) + "/*"))
      return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

ApiResult<Encoding> requestEncoding(const http::Request& request) {
  auto header = request.header("Content-Type");
  if (!header) {
    return std::unexpected(HttpError{400, "Expecting 'Content-Type' to be present"});
  }
  std::string type = mediaType(*header);
  if (type == kJsonType) return Encoding::kJson;
  if (type == kProtobufType) return Encoding::kProtobuf;
  return std::unexpected(HttpError{
      415, "Expecting 'Content-Type' of application/json or application/x-protobuf, got '" +
               std::string(*header) + "'"});
}

ApiResult<Encoding> responseEncoding(const http::Request& request) {
  auto header = request.header("Accept");
  if (!header || header->empty()) return Encoding::kJson;
  if (accepts(*header, kJsonType)) return Encoding::kJson;
  if (accepts(*header, kProtobufType)) return Encoding::kProtobuf;
  return std::unexpected(HttpError{
      406, "Expecting 'Accept' to allow application/json or application/x-protobuf, got '" +
               std::string(*header) + "'"});
}

ApiResult<void> parseBody(std::string_view body, Encoding encoding,
                          google::protobuf::Message* message) {
  if (encoding == Encoding::kJson) {
    auto parsed = fromJson(body, message);
    if (!parsed) {
      return std::unexpected(HttpError{400, "Failed to parse body into " + message->GetTypeName() +
                                                ": " + parsed.error().message()});
    }
  } else {
    if (!message->ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
      return std::unexpected(HttpError{400, "Failed to parse body into " + message->GetTypeName() +
                                                ": not a valid protobuf message"});
    }
    if (!message->IsInitialized()) {
      return std::unexpected(HttpError{
          400, "Failed to parse body into " + message->GetTypeName() +
                   ": missing required field(s): " + message->InitializationErrorString()});
    }
  }
  if (auto refused = validateText(*message)) {
    return std::unexpected(
        HttpError{400, "Failed to parse body into " + message->GetTypeName() + ": " + *refused});
  }
  return {};
}

std::optional<std::string> validateText(const google::protobuf::Message& message) {
  if (auto field = invalidUtf8Field(message)) return "'" + *field + "' is not valid UTF-8";
  return std::nullopt;
}

std::string_view contentType(Encoding encoding) {
  return encoding == Encoding::kJson ? kJsonType : kProtobufType;
}

std::string encode(const google::protobuf::Message& message, Encoding encoding) {
  if (encoding == Encoding::kJson) return toJson(message);
  return message.SerializePartialAsString();
}

std::string encodeRecord(const google::protobuf::Message& message, Encoding encoding) {
  return plexus::encodeRecord(encode(message, encoding));
}

}  // namespace plexus::api
