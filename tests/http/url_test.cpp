// Percent-decoding, query and target parsing, URL parsing, and response framing.
#include "http/url.hpp"

#include <gtest/gtest.h>

#include "http/detail/wire.hpp"

namespace plexus::http {
namespace {

TEST(httpUrl, PercentDecode) {
  EXPECT_EQ(percentDecode("a%20b%2Fc", false).value(), "a b/c");
  EXPECT_EQ(percentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(percentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(percentDecode("%e2%82%AC", true).value(), "\xe2\x82\xac");
  EXPECT_FALSE(percentDecode("%", true).has_value());
  EXPECT_FALSE(percentDecode("%4", true).has_value());
  EXPECT_FALSE(percentDecode("%zz", true).has_value());
  EXPECT_EQ(percentEncode("a b/~"), "a%20b%2F~");
}

TEST(httpUrl, ParseQuery) {
  auto query = parseQuery("a=1&b=x%20y&c&&d=&e=p+q&a=2").value();
  EXPECT_EQ(query.at("a"), "2");
  EXPECT_EQ(query.at("b"), "x y");
  EXPECT_EQ(query.at("c"), "");
  EXPECT_EQ(query.at("d"), "");
  EXPECT_EQ(query.at("e"), "p q");
  EXPECT_EQ(query.size(), 5u);
  EXPECT_FALSE(parseQuery("a=%G0").has_value());
}

TEST(httpUrl, ParseTarget) {
  auto target = parseTarget("/files/a%20b?path=%2Ftmp%2Fx&jsonp=cb").value();
  EXPECT_EQ(target.path, "/files/a b");
  EXPECT_EQ(target.query.at("path"), "/tmp/x");
  EXPECT_EQ(target.query.at("jsonp"), "cb");
  EXPECT_EQ(parseTarget("/x?").value().query.size(), 0u);
  EXPECT_EQ(parseTarget("http://host:5050/state?x=1").value().path, "/state");
  EXPECT_EQ(parseTarget("http://host:5050").value().path, "/");
  EXPECT_FALSE(parseTarget("*").has_value());
  EXPECT_FALSE(parseTarget("state").has_value());
  EXPECT_FALSE(parseTarget("/a%zz").has_value());
}

TEST(httpUrl, ParseUrl) {
  auto url = parseUrl("http://10.0.0.1:5050/api/v1/scheduler?x=1").value();
  EXPECT_EQ(url.host, "10.0.0.1");
  EXPECT_EQ(url.port, 5050);
  EXPECT_EQ(url.target, "/api/v1/scheduler?x=1");

  auto relative = parseUrl("//master2:5051/api/v1").value();  // a Mesos redirect's Location
  EXPECT_EQ(relative.host, "master2");
  EXPECT_EQ(relative.port, 5051);
  EXPECT_EQ(relative.target, "/api/v1");

  auto bare = parseUrl("example.org").value();
  EXPECT_EQ(bare.host, "example.org");
  EXPECT_EQ(bare.port, 80);
  EXPECT_EQ(bare.target, "/");

  auto v6 = parseUrl("http://[::1]:8080").value();
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8080);

  // https:// names the same host and port; TLS itself follows LIBPROCESS_SSL_*.
  auto secure = parseUrl("https://x:5050/api/v1/scheduler").value();
  EXPECT_EQ(secure.host, "x");
  EXPECT_EQ(secure.port, 5050);
  EXPECT_EQ(secure.target, "/api/v1/scheduler");
  EXPECT_FALSE(parseUrl("ftp://x/").has_value());
  EXPECT_FALSE(parseUrl("http://x:99999/").has_value());
  EXPECT_FALSE(parseUrl("http://x:/").has_value());
  EXPECT_FALSE(parseUrl("http://:80/").has_value());
  EXPECT_FALSE(parseUrl("http://[::1/").has_value());
}

TEST(httpWire, HeadSanitisesAndOwnsFraming) {
  Headers headers{{"X-Evil", "a\r\nSet-Cookie: b"},
                  {"Content-Length", "999"},
                  {"Transfer-Encoding", "gzip"},
                  {"Connection", "keep-alive"}};
  std::string head = detail::serializeHead({.status = 200,
                                            .version = 11,
                                            .keepAlive = false,
                                            .framing = detail::Framing::kLength,
                                            .bodyLength = 5},
                                           headers);
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\nX-Evil: a  Set-Cookie: b\r\nContent-Length: 5\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(detail::serializeHead({.status = 204, .framing = detail::Framing::kLength}, {}),
            "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(detail::serializeHead({.status = 200, .framing = detail::Framing::kChunked}, {}),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(detail::serializeHead(
                {.status = 200, .version = 10, .framing = detail::Framing::kLength}, {}),
            "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(detail::encodeChunk(std::string(26, 'x')), "1a\r\n" + std::string(26, 'x') + "\r\n");
}

TEST(httpTypes, HelpersAndHeaders) {
  Response redirect = http::redirect("//leader:5050/api/v1/scheduler");
  EXPECT_EQ(redirect.status, 307u);
  EXPECT_EQ(redirect.header("location").value(), "//leader:5050/api/v1/scheduler");

  Response notAllowed = methodNotAllowed({"GET", "POST"});
  EXPECT_EQ(notAllowed.status, 405u);
  EXPECT_EQ(notAllowed.header("Allow").value(), "GET, POST");

  Response body = json(200, R"({"a":1})");
  EXPECT_EQ(body.header("CONTENT-TYPE").value(), "application/json");

  Headers headers;
  headers.add("A", "1");
  headers.add("a", "2");
  EXPECT_EQ(headers.get("a").value(), "1");
  headers.set("A", "3");
  EXPECT_EQ(headers.fields().size(), 1u);
  headers.erase("a");
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
}

}  // namespace
}  // namespace plexus::http
