#include "http/types.hpp"

#include <algorithm>

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

#include <plexus/json.hpp>

namespace plexus::http {

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

Headers::Headers(std::initializer_list<Field> fields) : fields_(fields) {}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string_view value) {
  erase(name);
  add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(fields_, [&](const Field& field) { return iequals(field.first, name); });
}

std::optional<std::string_view> Request::param(std::string_view key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view reasonPhrase(unsigned status) {
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return std::string_view(reason.data(), reason.size());
}

Response response(unsigned status, std::string body, std::string_view contentType) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (!contentType.empty()) r.headers.set("Content-Type", contentType);
  return r;
}

Response text(unsigned status, std::string body) {
  return response(status, std::move(body), "text/plain; charset=utf-8");
}

Response json(unsigned status, std::string body) {
  return response(status, std::move(body), "application/json");
}

Response jsonValue(unsigned status, const boost::json::value& value) {
  return json(status, serializeJson(value));
}

namespace {

void appendValue(const boost::json::value& value, std::string* out) {
  switch (value.kind()) {
    case boost::json::kind::null:
      out->append("null");
      break;
    case boost::json::kind::bool_:
      out->append(value.get_bool() ? "true" : "false");
      break;
    case boost::json::kind::int64:
      out->append(std::to_string(value.get_int64()));
      break;
    case boost::json::kind::uint64:
      out->append(std::to_string(value.get_uint64()));
      break;
    case boost::json::kind::double_:
      appendJsonNumber(value.get_double(), out);
      break;
    case boost::json::kind::string:
      appendJsonString(value.get_string(), out);
      break;
    case boost::json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const boost::json::value& element : value.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        appendValue(element, out);
      }
      out->push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out->push_back(',');
        first = false;
        appendJsonString(member.key(), out);
        out->push_back(':');
        appendValue(member.value(), out);
      }
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

std::string serializeJson(const boost::json::value& value) {
  std::string out;
  appendValue(value, &out);
  return out;
}

Response jsonOk(const Request& request, std::string body) {
  auto callback = request.param("jsonp");
  if (!callback) return json(200, std::move(body));
  std::string wrapped;
  wrapped.reserve(callback->size() + body.size() + 2);
  wrapped.append(*callback).append("(").append(body).append(")");
  return response(200, std::move(wrapped), "text/javascript");
}

Response redirect(std::string_view location) {
  Response r;
  r.status = 307;
  r.headers.set("Location", location);
  return r;
}

Response methodNotAllowed(std::initializer_list<std::string_view> allowed) {
  std::string allow;
  for (auto method : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  Response r = text(405, "Expecting one of { '" + allow + "' }\n");
  r.headers.set("Allow", allow);
  return r;
}

Response notFound(std::string_view path) {
  return text(404, "No handler for '" + std::string(path) + "'\n");
}

}  // namespace plexus::http
