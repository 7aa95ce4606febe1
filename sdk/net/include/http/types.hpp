// Plain HTTP/1.1 values shared by the server and the client: Headers, Request, Response.
//
// These are ordinary copyable values with no I/O in them. The server builds a
// Request for each message it parses and hands it to a route's handler; the handler
// answers with a Response (see responder.hpp). The client (client.hpp) returns
// Responses too. Header names compare case-insensitively, values are kept as sent.
//
//   Response r = json(200, R"({"version":"1.0.0"})");
//   Response moved = redirect("//leader:5050/api/v1/scheduler");
//   Response bad = methodNotAllowed({"POST"});
//
// Not thread-safe; copy a value to hand it to another thread.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/fwd.hpp>

namespace plexus::http {

// A list of header fields in arrival order; lookups ignore the case of the name.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);

  // The first value of `name`, or nullopt. The view lives as long as the field.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Replaces every field called `name` with one field.
  void set(std::string_view name, std::string_view value);
  // Appends a field, keeping any existing one of that name.
  void add(std::string_view name, std::string_view value);
  // Removes every field called `name`.
  void erase(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// Query parameters, percent-decoded. A repeated key keeps its last value.
using QueryParams = std::map<std::string, std::string, std::less<>>;

// One request as the server received it.
struct Request {
  std::string method{};  // as sent, e.g. "GET", "POST"
  std::string target{};  // raw request target, e.g. "/api/v1/scheduler?x=1"
  std::string path{};    // percent-decoded path without the query, e.g. "/api/v1/scheduler"
  QueryParams query{};   // from the target's query string
  Headers headers{};
  std::string body{};
  unsigned version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  boost::asio::ip::tcp::endpoint remote{};
  // Who sent it, when the daemon authenticated it (set by the server's gate, never
  // read from the wire).
  std::optional<std::string> principal{};

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  // The query value of `key`, or nullopt.
  std::optional<std::string_view> param(std::string_view key) const;
};

// One complete response. The server sets Content-Length itself and ignores any
// Content-Length or Transfer-Encoding a handler puts in `headers`.
struct Response {
  unsigned status = 200;
  Headers headers{};
  std::string body{};

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  bool ok() const { return status >= 200 && status < 300; }
};

// The standard reason phrase of `status` ("OK", "Not Found"), or "Unknown".
std::string_view reasonPhrase(unsigned status);

// Helpers for the common answers.
// A body with Content-Type `contentType` (text/plain when empty is not wanted, pass it).
Response response(unsigned status, std::string body, std::string_view contentType);
// `status` with a text/plain body.
Response text(unsigned status, std::string body);
// `status` with an application/json body, already serialised.
Response json(unsigned status, std::string body);
// `status` with an application/json body serialised from `value`. (Not an overload
// of json(): a string literal would convert to either.)
Response jsonValue(unsigned status, const boost::json::value& value);
// `value` as JSON text the way Mesos writes it: doubles as plexus::toJson writes
// them ("4.0", "4.5"; never Boost.JSON's "4E0"), integers and strings as usual.
// Every JSON answer the daemons build from Boost.JSON values goes through it.
std::string serializeJson(const boost::json::value& value);
// 200 with the JSON `body`; when the request's query has `jsonp=<callback>`, the
// body is `callback(<body>)` as text/javascript instead (Mesos's OK(JSON, jsonp)).
Response jsonOk(const Request& request, std::string body);
// 307 Temporary Redirect to `location` (e.g. "//host:5050/api/v1/scheduler").
Response redirect(std::string_view location);
// 405 Method Not Allowed with `Allow: GET, POST` built from `allowed`.
Response methodNotAllowed(std::initializer_list<std::string_view> allowed);
// 404 Not Found with a text body naming the path.
Response notFound(std::string_view path);

}  // namespace plexus::http
