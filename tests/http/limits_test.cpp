// What the server does with hostile or broken clients: size limits (413, 431),
// malformed requests (400), idle connections, truncated requests, random bytes.
#include <atomic>
#include <random>

#include "server_fixture.hpp"

namespace plexus::http::testing {
namespace {

class httpLimits : public ServerFixture {
 protected:
  void SetUp() override {
    route("/echo", [this](Request request, Responder responder) {
      ++handled;
      responder.respond(text(200, request.body));
    });
  }

  // The server still answers a well-formed request on a new connection.
  void expectServerHealthy() {
    RawSocket socket(port);
    socket.send("POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
    auto response = socket.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "ok");
  }

  std::atomic<int> handled{0};
};

TEST_F(httpLimits, BodyOverTheLimitGets413AndCloses) {
  start({.maxBodyBytes = 1024});
  RawSocket socket(port);
  socket.send("POST /echo HTTP/1.1\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'x'));
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413u);
  EXPECT_NE(response->body.find("1024"), std::string::npos);
  EXPECT_EQ(response->header("Connection").value(), "close");
  EXPECT_TRUE(socket.waitClosed());
  EXPECT_EQ(handled.load(), 0);

  RawSocket atLimit(port);
  atLimit.send("POST /echo HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'y'));
  auto accepted = atLimit.readResponse();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200u);
  EXPECT_EQ(accepted->body.size(), 1024u);
}

TEST_F(httpLimits, ChunkedBodyOverTheLimitGets413) {
  start({.maxBodyBytes = 1024});
  RawSocket socket(port);
  std::string chunk(800, 'z');
  socket.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
              "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413u);
  EXPECT_TRUE(socket.waitClosed());
  expectServerHealthy();
}

TEST_F(httpLimits, HeadersOverTheLimitGet431AndClose) {
  start({.maxHeaderBytes = 1024});
  RawSocket socket(port);
  socket.send(get("/echo", "X-Big: " + std::string(4000, 'h') + "\r\n"));
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431u);
  EXPECT_TRUE(socket.waitClosed());

  // A header section that never ends is cut off at the limit too.
  RawSocket endless(port);
  endless.send("GET /echo HTTP/1.1\r\n");
  for (int i = 0; i < 100; ++i)
    endless.send("X-" + std::to_string(i) + ": value\r\n");
  response = endless.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431u);
  EXPECT_EQ(handled.load(), 0);
  expectServerHealthy();
}

TEST_F(httpLimits, MalformedRequestsGet400AndClose) {
  start();
  for (std::string bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n", "GET /echo HTTP/2.0\r\n\r\n",
        "GET relative HTTP/1.1\r\n\r\n", "GET /a%zz HTTP/1.1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"}) {
    RawSocket socket(port);
    socket.send(bad);
    auto response = socket.readResponse();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400u) << bad;
    EXPECT_NE(response->body.find("Malformed"), std::string::npos);
    EXPECT_TRUE(socket.waitClosed()) << bad;
  }
  EXPECT_EQ(handled.load(), 0);
  expectServerHealthy();
}

TEST_F(httpLimits, RandomBytesNeverHurtTheServer) {
  start({.maxHeaderBytes = 4096, .maxBodyBytes = 4096});
  std::mt19937 random(42);
  for (int i = 0; i < 100; ++i) {
    RawSocket socket(port);
    std::string bytes(1 + random() % 3000, '\0');
    for (auto& byte : bytes)
      byte = static_cast<char>(random());
    if (i % 2 == 0) bytes = "GET /echo HTTP/1.1\r\n" + bytes;  // get past the request line
    socket.send(bytes);
    if (i % 3 == 0) socket.readResponse(false, 200ms);
  }
  expectServerHealthy();
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

TEST_F(httpLimits, IdleConnectionIsClosedAfterTheTimeout) {
  start({.idleTimeout = 200ms, .headerTimeout = 300ms});
  auto begin = std::chrono::steady_clock::now();
  RawSocket silent(port);
  EXPECT_TRUE(silent.waitClosed());
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 150ms);

  // After an answer the connection is idle again, and the timeout applies again.
  RawSocket used(port);
  used.send(get("/echo"));
  ASSERT_TRUE(used.readResponse());
  begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(used.waitClosed());
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 150ms);

  // Half a request gets the header timeout, and a 408.
  RawSocket partial(port);
  partial.send("GET /echo HTTP/1.1\r\nHost:");
  auto timedOut = partial.readResponse();
  ASSERT_TRUE(timedOut);
  EXPECT_EQ(timedOut->status, 408u);
  EXPECT_TRUE(partial.waitClosed());
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

TEST_F(httpLimits, TruncatedRequestIsDroppedWithoutLeaking) {
  start();
  {
    RawSocket socket(port);
    socket.send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten b");
    ASSERT_TRUE(eventually([&] { return connections() == 1; }));
  }
  {
    RawSocket socket(port);
    socket.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
  }
  {
    RawSocket socket(port);
    socket.send("GET /echo HTTP/1.1\r\nHo");
  }
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
  EXPECT_EQ(handled.load(), 0);
  expectServerHealthy();
}

TEST_F(httpLimits, HalfClosedClientStillGetsItsAnswer) {
  start();
  RawSocket socket(port);
  socket.send("POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  socket.shutdownWrite();
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "abc");
  EXPECT_TRUE(socket.waitClosed());
}

}  // namespace
}  // namespace plexus::http::testing
