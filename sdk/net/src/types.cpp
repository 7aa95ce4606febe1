#include "http/types.hpp"

#include <algorithm>

#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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
  return json(status, boost::json::serialize(value));
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
