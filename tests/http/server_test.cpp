// The server over real sockets: routing, request parsing, keep-alive, Connection:
// close, pipelining, asynchronous answers, HEAD, 100-continue and stop().
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/steady_timer.hpp>

#include "server_fixture.hpp"

namespace plexus::http::testing {
namespace {

// Answers with one line describing what the handler saw.
Handler describe(std::string tag) {
  return [tag](Request request, Responder responder) {
    std::string text = tag + " " + request.method + " " + request.path;
    for (const auto& [key, value] : request.query)
      text += " " + key + "=" + value;
    text += " [" + request.body + "]";
    if (auto header = request.header("x-test")) text += " " + std::string(*header);
    if (!request.remote.address().is_loopback()) text += " not-loopback";
    responder.respond(http::text(200, text));
  };
}

using httpServer = ServerFixture;

TEST_F(httpServer, RoutesByLongestPrefixAndParsesTheRequest) {
  route("/api/v1", describe("operator"));
  route("/api/v1/scheduler", describe("scheduler"));
  start();
  RawSocket socket(port);
  socket.send(
      "POST /api/v1/operator?a=1&b=x%20y HTTP/1.1\r\nHost: t\r\nX-Test: hi\r\n"
      "Content-Length: 5\r\n\r\nhello");
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "operator POST /api/v1/operator a=1 b=x y [hello] hi");
  EXPECT_EQ(response->header("Content-Type").value(), "text/plain; charset=utf-8");

  socket.send(get("/api/v1/scheduler"));
  response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "scheduler GET /api/v1/scheduler []");

  socket.send(get("/api/v1x"));
  response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404u);
  EXPECT_NE(response->body.find("/api/v1x"), std::string::npos);
}

TEST_F(httpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  std::set<std::uint16_t> remotePorts;
  route("/x", [&](Request request, Responder responder) {
    remotePorts.insert(request.remote.port());
    responder.respond(text(200, "ok"));
  });
  start();
  RawSocket socket(port);
  for (int i = 0; i < 2; ++i) {
    socket.send(get("/x"));
    auto response = socket.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200u);
    EXPECT_FALSE(response->header("Connection").has_value());
  }
  EXPECT_EQ(loop.run([&] { return remotePorts.size(); }), 1u);
  EXPECT_EQ(connections(), 1u);
}

TEST_F(httpServer, ConnectionCloseIsHonoured) {
  route("/x", describe("x"));
  start();
  RawSocket socket(port);
  socket.send(get("/x", "Connection: close\r\n"));
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Connection").value(), "close");
  EXPECT_TRUE(socket.waitClosed());
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

TEST_F(httpServer, Http10ClosesUnlessKeepAlive) {
  route("/x", describe("x"));
  start();
  RawSocket plain(port);
  plain.send("GET /x HTTP/1.0\r\n\r\n");
  auto response = plain.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "x GET /x []");
  EXPECT_TRUE(plain.waitClosed());

  RawSocket keepAlive(port);
  keepAlive.send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  response = keepAlive.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Connection").value(), "keep-alive");
  keepAlive.send("GET /x HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(keepAlive.readResponse());
}

TEST_F(httpServer, PipelinedRequestsAreAnsweredInOrder) {
  // "/slow" answers 50 ms later from a timer; "/fast" at once.
  route("/slow", [&](Request request, Responder responder) {
    auto timer = std::make_shared<boost::asio::steady_timer>(loop.io, 50ms);
    timer->async_wait([timer, responder, id = std::string(*request.param("id"))](auto) {
      responder.respond(text(200, id));
    });
  });
  route("/fast", [](Request request, Responder responder) {
    responder.respond(text(200, std::string(*request.param("id"))));
  });
  start();
  RawSocket socket(port);
  socket.send(get("/slow?id=1") + get("/fast?id=2") + get("/slow?id=3") + get("/fast?id=4") +
              "POST /fast?id=5 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + get("/fast?id=6"));
  for (const char* id : {"1", "2", "3", "4", "5", "6"}) {
    auto response = socket.readResponse();
    ASSERT_TRUE(response) << id;
    EXPECT_EQ(response->body, id);
  }
}

TEST_F(httpServer, AnswersFromAnotherThreadLater) {
  std::vector<std::thread> workers;
  route("/async", [&](Request request, Responder responder) {
    // As a thread-pool job would: work elsewhere, answer when done.
    workers.emplace_back([responder, body = request.body] {
      std::this_thread::sleep_for(20ms);
      responder.respond(text(202, "done " + body));
    });
  });
  start();
  RawSocket socket(port);
  socket.send("POST /async HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202u);
  EXPECT_EQ(response->body, "done abc");
  loop.run([&] {});  // the worker was started on the loop thread
  for (auto& worker : workers)
    worker.join();
}

TEST_F(httpServer, DroppedResponderOrThrowingHandlerGets500) {
  route("/drop", [](Request, Responder) {});
  route("/throw", [](Request, Responder) { throw std::runtime_error("boom"); });
  route("/twice", [](Request, Responder responder) {
    responder.respond(text(200, "first"));
    responder.respond(text(200, "second"));
    EXPECT_EQ(responder.stream(200), nullptr);
  });
  start();
  RawSocket socket(port);
  socket.send(get("/drop") + get("/throw") + get("/twice") + get("/twice"));
  auto dropped = socket.readResponse();
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status, 500u);
  auto thrown = socket.readResponse();
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500u);
  EXPECT_NE(thrown->body.find("boom"), std::string::npos);
  for (int i = 0; i < 2; ++i) {
    auto twice = socket.readResponse();
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->body, "first");
  }
}

TEST_F(httpServer, HeadAnswersWithoutBody) {
  route("/x", [](Request, Responder responder) { responder.respond(text(200, "hello")); });
  start();
  RawSocket socket(port);
  socket.send("HEAD /x HTTP/1.1\r\n\r\n");
  auto head = socket.readResponse(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length").value(), "5");
  EXPECT_TRUE(socket.pending().empty());
  socket.send(get("/x"));  // would misparse if the HEAD answer had carried a body
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(httpServer, AnswersExpectContinue) {
  route("/upload", describe("up"));
  start();
  RawSocket socket(port);
  socket.send("POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  auto interim = socket.receive();
  ASSERT_TRUE(interim);
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  socket.send("data");
  auto response = socket.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "up POST /upload [data]");
}

TEST_F(httpServer, StopClosesTheAcceptorAndEveryConnection) {
  route("/x", describe("x"));
  start();
  RawSocket idle(port);
  RawSocket used(port);
  used.send(get("/x"));
  ASSERT_TRUE(used.readResponse());
  ASSERT_TRUE(eventually([&] { return connections() == 2; }));
  loop.run([&] { server->stop(); });
  EXPECT_TRUE(idle.waitClosed());
  EXPECT_TRUE(used.waitClosed());
  EXPECT_EQ(connections(), 0u);
  RawSocket refused(port);
  EXPECT_FALSE(refused.connected());
  EXPECT_FALSE(loop.run([&] { return server->listen("127.0.0.1", 0); }).has_value());
}

TEST_F(httpServer, ListenReportsErrors) {
  start();
  loop.run([&] {
    Server second(loop.io);
    auto used = second.listen("127.0.0.1", port);
    ASSERT_FALSE(used.has_value());
    EXPECT_NE(used.error().message().find("cannot listen"), std::string::npos);
    Server third(loop.io);
    EXPECT_FALSE(third.listen("not-an-ip", 0).has_value());
    EXPECT_FALSE(server->listen("127.0.0.1", 0).has_value());  // already listening
  });
}

}  // namespace
}  // namespace plexus::http::testing
