// The client against our server (and against a server that never answers):
// requests, connection reuse, timeouts, errors, streams, cancellation, and many
// concurrent connections.
#include "http/client.hpp"

#include <atomic>
#include <future>
#include <set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server_fixture.hpp"

namespace plexus::http::testing {
namespace {

class httpClient : public ServerFixture {
 protected:
  void SetUp() override {
    route("/echo", [this](Request request, Responder responder) {
      remotePorts.insert(request.remote.port());
      Response response = text(200, request.method + " " + request.body);
      response.headers.set("X-Path", request.path);
      responder.respond(std::move(response));
    });
  }

  void TearDown() override {
    loop.run([&] { client.reset(); });
    ServerFixture::TearDown();
  }

  void makeClient(ClientOptions options = {}) {
    loop.run([&] { client = std::make_unique<Client>(loop.io, options); });
  }

  // Sends one request through `client` and waits for its result.
  Result<Response> send(ClientRequest request, std::string host = "127.0.0.1",
                        std::optional<std::uint16_t> to = std::nullopt) {
    std::promise<Result<Response>> done;
    loop.run([&] {
      client->request(host, to.value_or(port), std::move(request),
                      [&](Result<Response> response) { done.set_value(std::move(response)); });
    });
    auto future = done.get_future();
    if (future.wait_for(10s) != std::future_status::ready) return fail("test: no callback");
    return future.get();
  }

  std::unique_ptr<Client> client;
  std::set<std::uint16_t> remotePorts;  // loop thread only
};

TEST_F(httpClient, RequestsAndReusesTheConnection) {
  start();
  makeClient();
  auto first = send({.method = "POST", .target = "/echo/a?x=1", .body = "one"});
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->status, 200u);
  EXPECT_EQ(first->body, "POST one");
  EXPECT_EQ(first->header("x-path").value(), "/echo/a");
  auto second = send({.target = "/echo"});
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "GET ");
  EXPECT_EQ(loop.run([&] { return remotePorts.size(); }), 1u);

  auto missing = send({.target = "/nothing"});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404u);
}

TEST_F(httpClient, WithoutReuseEachRequestHasItsOwnConnection) {
  start();
  makeClient({.reuseConnections = false});
  ASSERT_TRUE(send({.target = "/echo"}).has_value());
  ASSERT_TRUE(send({.target = "/echo"}).has_value());
  EXPECT_EQ(loop.run([&] { return remotePorts.size(); }), 2u);
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

TEST_F(httpClient, ReplacesAPooledConnectionTheServerClosed) {
  start({.idleTimeout = 100ms});
  makeClient();
  ASSERT_TRUE(send({.target = "/echo"}).has_value());
  ASSERT_TRUE(eventually([&] { return connections() == 0; }));  // the server timed it out
  auto again = send({.target = "/echo"});
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(loop.run([&] { return remotePorts.size(); }), 2u);
}

TEST_F(httpClient, ResolvesHostNames) {
  start();
  makeClient();
  auto response = send({.target = "/echo"}, "localhost");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 200u);
}

TEST_F(httpClient, LargeBodiesRoundTrip) {
  start();
  makeClient();
  std::string body(3 * 1024 * 1024 + 7, 'b');
  auto response = send({.method = "PUT", .target = "/echo", .body = body});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "PUT " + body);
}

TEST_F(httpClient, TimesOutAgainstAServerThatNeverAnswers) {
  // Accepts connections and holds them, never reading or writing.
  using boost::asio::ip::tcp;
  tcp::acceptor acceptor(loop.io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::vector<tcp::socket> held;
  loop.run([&] {
    acceptor.async_accept([&](boost::system::error_code ec, tcp::socket socket) {
      if (!ec) held.push_back(std::move(socket));
    });
  });
  start();
  makeClient({.requestTimeout = 200ms});
  auto begin = std::chrono::steady_clock::now();
  auto response = send({.target = "/"}, "127.0.0.1", acceptor.local_endpoint().port());
  auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("timed out"), std::string::npos)
      << response.error().message();
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 5s);
  loop.run([&] {
    held.clear();
    acceptor.close();
  });
}

TEST_F(httpClient, ReportsConnectionRefused) {
  std::uint16_t closedPort = loop.run([&] {
    boost::asio::ip::tcp::acceptor probe(loop.io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
  });
  start();
  makeClient();
  auto response = send({.target = "/"}, "127.0.0.1", closedPort);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("connecting to"), std::string::npos);
  auto unresolvable = send({.target = "/"}, "no-such-host.invalid");
  EXPECT_FALSE(unresolvable.has_value());
}

TEST_F(httpClient, ManyConcurrentConnectionsAreAllAnswered) {
  constexpr int kConnections = 200;
  std::size_t mostOpen = 0;
  route("/slow", [&](Request request, Responder responder) {
    mostOpen = std::max(mostOpen, server->connectionCount());
    auto timer = std::make_shared<boost::asio::steady_timer>(loop.io, 20ms);
    timer->async_wait(
        [timer, responder, body = request.body](auto) { responder.respond(text(200, body)); });
  });
  start();
  makeClient();
  std::atomic<int> answered{0};
  std::atomic<int> correct{0};
  std::promise<void> all;
  loop.run([&] {
    for (int i = 0; i < kConnections; ++i) {
      client->request("127.0.0.1", port,
                      {.method = "POST", .target = "/slow", .body = std::to_string(i)},
                      [&, i](Result<Response> response) {
                        if (response && response->body == std::to_string(i)) ++correct;
                        if (++answered == kConnections) all.set_value();
                      });
    }
  });
  ASSERT_EQ(all.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_EQ(correct.load(), kConnections);
  EXPECT_GT(loop.run([&] { return mostOpen; }), 50u);
}

TEST_F(httpClient, StreamsAResponseThatIsNotChunked) {
  start();
  makeClient();
  std::promise<Result<void>> ended;
  std::string body;
  unsigned status = 0;
  loop.run([&] {
    client->stream("127.0.0.1", port, {.target = "/missing"},
                   {.onHead = [&](const Response& head) { status = head.status; },
                    .onData = [&](std::string_view bytes) { body += bytes; },
                    .onEnd = [&](Result<void> end) { ended.set_value(end); }});
  });
  auto end = ended.get_future();
  ASSERT_EQ(end.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(end.get().has_value());
  EXPECT_EQ(loop.run([&] { return status; }), 404u);
  EXPECT_NE(loop.run([&] { return body; }).find("/missing"), std::string::npos);
}

TEST_F(httpClient, CancellingAStreamStopsCallbacksAndTheServerNotices) {
  std::promise<void> serverSawDisconnect;
  std::shared_ptr<ResponseStream> stream;
  route("/events", [&](Request, Responder responder) {
    stream = responder.stream(200);
    stream->onDisconnect([&] { serverSawDisconnect.set_value(); });
    stream->write("hello");
  });
  start();
  makeClient();
  std::promise<void> gotData;
  std::atomic<int> callbacksAfterCancel{0};
  std::shared_ptr<ClientCall> call;
  std::atomic<bool> cancelled{false};
  loop.run([&] {
    call = client->stream("127.0.0.1", port, {.target = "/events"},
                          {.onData =
                               [&, first = true](std::string_view) mutable {
                                 if (cancelled) ++callbacksAfterCancel;
                                 if (std::exchange(first, false)) gotData.set_value();
                               },
                           .onEnd = [&](Result<void>) { ++callbacksAfterCancel; }});
  });
  ASSERT_EQ(gotData.get_future().wait_for(5s), std::future_status::ready);
  loop.run([&] {
    call->cancel();
    cancelled = true;
    EXPECT_TRUE(call->done());
    stream->write("after");
  });
  EXPECT_EQ(serverSawDisconnect.get_future().wait_for(5s), std::future_status::ready);
  loop.run([] {});
  EXPECT_EQ(callbacksAfterCancel.load(), 0);
  loop.run([&] { stream.reset(); });
}

TEST_F(httpClient, StreamIdleTimeoutEndsASilentStream) {
  std::shared_ptr<ResponseStream> stream;
  route("/quiet", [&](Request, Responder responder) { stream = responder.stream(200); });
  start();
  makeClient({.streamIdleTimeout = 150ms});
  std::promise<Result<void>> ended;
  loop.run([&] {
    client->stream("127.0.0.1", port, {.target = "/quiet"},
                   {.onEnd = [&](Result<void> end) { ended.set_value(end); }});
  });
  auto end = ended.get_future();
  ASSERT_EQ(end.wait_for(5s), std::future_status::ready);
  auto result = end.get();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("timed out"), std::string::npos);
  loop.run([&] { stream.reset(); });
}

TEST_F(httpClient, DestroyingTheClientCancelsItsCalls) {
  std::vector<Responder> parked;
  route("/never", [&](Request, Responder responder) { parked.push_back(responder); });
  start();
  makeClient();
  std::atomic<int> callbacks{0};
  loop.run([&] {
    client->request("127.0.0.1", port, {.target = "/never"}, [&](auto) { ++callbacks; });
    client->stream("127.0.0.1", port, {.target = "/never"}, {.onEnd = [&](auto) { ++callbacks; }});
  });
  ASSERT_TRUE(eventually([&] { return loop.run([&] { return parked.size(); }) == 2; }));
  loop.run([&] { client.reset(); });
  // The server keeps a connection whose client went away until the handler answers
  // (the client may only have half-closed); dropping the Responders answers 500.
  loop.run([&] { parked.clear(); });
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
  EXPECT_EQ(callbacks.load(), 0);
}

TEST_F(httpClient, FetchIsASynchronousShortcut) {
  start();
  auto response = fetch("127.0.0.1", port, {.method = "POST", .target = "/echo", .body = "sync"});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->body, "POST sync");
}

}  // namespace
}  // namespace plexus::http::testing
