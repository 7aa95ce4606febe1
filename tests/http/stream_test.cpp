// Streaming (chunked) responses: framing on the wire, chunks written over time,
// noticing that the client went away, idle-timeout exemption, slow readers.
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "http/client.hpp"
#include "server_fixture.hpp"

namespace plexus::http::testing {
namespace {

class httpStream : public ServerFixture {
 protected:
  void SetUp() override {
    route("/events", [this](Request, Responder responder) {
      stream = responder.stream(200, {{"Content-Type", "application/json"}});
      stream->onDisconnect([this] { disconnected.set_value(); });
      stream->write("first");
    });
    route("/once", [](Request, Responder responder) {
      responder.stream(200)->write("a");  // dropped at once: the stream closes
    });
    route("/x", [](Request, Responder responder) { responder.respond(text(200, "x")); });
  }

  // Reads until `needle` has arrived; returns everything read.
  static std::string receiveUntil(RawSocket& socket, std::string_view needle) {
    std::string seen;
    while (seen.find(needle) == std::string::npos) {
      auto got = socket.receive();
      if (!got || got->empty()) break;
      seen += *got;
    }
    return seen;
  }

  bool disconnectedWithin(std::chrono::milliseconds timeout = 5s) {
    return future.wait_for(timeout) == std::future_status::ready;
  }

  std::shared_ptr<ResponseStream> stream;  // touched on the loop thread only
  std::promise<void> disconnected;
  std::future<void> future = disconnected.get_future();
};

TEST_F(httpStream, ChunksGoOutAsWrittenAndCloseEndsTheBody) {
  start();
  RawSocket socket(port);
  socket.send(get("/events"));
  std::string head = receiveUntil(socket, "5\r\nfirst\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);

  EXPECT_TRUE(loop.run([&] { return stream->write("second"); }));
  EXPECT_EQ(receiveUntil(socket, "\r\n\r\n"), "6\r\nsecond\r\n");
  loop.run([&] { stream->close(); });
  EXPECT_EQ(receiveUntil(socket, "0\r\n\r\n"), "0\r\n\r\n");
  EXPECT_FALSE(loop.run([&] { return stream->write("late"); }));

  // The connection lives on for the next request.
  socket.send(get("/x"));
  auto next = socket.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "x");
  EXPECT_NE(future.wait_for(0ms), std::future_status::ready);  // closed by us, not lost
}

TEST_F(httpStream, ClientReceivesPiecesWrittenOverTime) {
  start();
  std::mutex mutex;
  std::condition_variable changed;
  std::string received;
  unsigned status = 0;
  std::promise<Result<void>> ended;
  auto client = loop.run([&] {
    auto c = std::make_unique<Client>(loop.io);
    c->stream("127.0.0.1", port, {.target = "/events"},
              {.onHead = [&](const Response& head) { status = head.status; },
               .onData =
                   [&](std::string_view bytes) {
                     std::lock_guard lock(mutex);
                     received += bytes;
                     changed.notify_all();
                   },
               .onEnd = [&](Result<void> end) { ended.set_value(end); }});
    return c;
  });
  // Each piece arrives before the next one is even written.
  auto waitFor = [&](const std::string& expected) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return received == expected; });
  };
  ASSERT_TRUE(waitFor("first"));
  std::string expected = "first";
  for (std::string next : {"second", "third"}) {
    std::this_thread::sleep_for(20ms);
    loop.run([&] { stream->write(next); });
    expected += next;
    ASSERT_TRUE(waitFor(expected));
  }
  loop.run([&] { stream->close(); });
  auto end = ended.get_future();
  ASSERT_EQ(end.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(end.get().has_value());
  EXPECT_EQ(loop.run([&] { return status; }), 200u);
  loop.run([&] { client.reset(); });
}

TEST_F(httpStream, ServerNoticesClientDisconnect) {
  start();
  {
    RawSocket socket(port);
    socket.send(get("/events"));
    receiveUntil(socket, "first\r\n");
  }
  ASSERT_TRUE(disconnectedWithin());
  EXPECT_FALSE(loop.run([&] { return stream->isOpen(); }));
  EXPECT_FALSE(loop.run([&] { return stream->write("to nobody"); }));
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));

  // A callback set after the fact still runs.
  std::promise<void> late;
  loop.run([&] { stream->onDisconnect([&] { late.set_value(); }); });
  EXPECT_EQ(late.get_future().wait_for(5s), std::future_status::ready);
}

TEST_F(httpStream, DroppingTheStreamClosesIt) {
  start();
  RawSocket socket(port);
  socket.send(get("/once") + get("/x"));
  auto once = socket.readResponse();
  ASSERT_TRUE(once);
  EXPECT_EQ(once->body, "a");
  auto next = socket.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "x");
}

TEST_F(httpStream, StreamIsExemptFromTheIdleTimeout) {
  start({.idleTimeout = 200ms});
  RawSocket socket(port);
  socket.send(get("/events"));
  receiveUntil(socket, "first\r\n");
  std::this_thread::sleep_for(600ms);  // three idle timeouts pass with nothing sent either way
  loop.run([&] { stream->write("late"); });
  EXPECT_EQ(receiveUntil(socket, "late\r\n"), "4\r\nlate\r\n");
  loop.run([&] { stream->close(); });
  EXPECT_TRUE(socket.waitClosed());  // idle again once the stream has ended
  EXPECT_NE(future.wait_for(0ms), std::future_status::ready);
}

TEST_F(httpStream, ClientThatDoesNotReadIsDropped) {
  start({.maxQueuedBytes = 64 * 1024});
  RawSocket socket(port);
  socket.send(get("/events"));
  receiveUntil(socket, "first\r\n");
  int written = loop.run([&] {
    int count = 0;
    while (stream->write(std::string(1024 * 1024, 'x')) && count < 1000)
      ++count;
    return count;
  });
  EXPECT_LT(written, 1000);
  ASSERT_TRUE(disconnectedWithin());
  EXPECT_TRUE(socket.waitClosed());
}

TEST_F(httpStream, StopDisconnectsStreams) {
  start();
  RawSocket socket(port);
  socket.send(get("/events"));
  receiveUntil(socket, "first\r\n");
  loop.run([&] { server->stop(); });
  EXPECT_TRUE(disconnectedWithin());
  EXPECT_TRUE(socket.waitClosed());
}

TEST_F(httpStream, Http10StreamRunsToClose) {
  start();
  RawSocket socket(port);
  socket.send("GET /events HTTP/1.0\r\n\r\n");
  std::string head = receiveUntil(socket, "first");
  EXPECT_TRUE(head.starts_with("HTTP/1.0 200 OK\r\n"));
  EXPECT_EQ(head.find("chunked"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\nfirst")) << head;
  loop.run([&] { stream->close(); });
  EXPECT_TRUE(socket.waitClosed());
}

TEST_F(httpStream, WritesFromAnotherThreadArriveInOrder) {
  start();
  std::string expected = "first";
  for (int i = 0; i < 500; ++i)
    expected += std::to_string(i) + ",";
  std::promise<Result<Response>> done;
  auto client = loop.run([&] {
    auto c = std::make_unique<Client>(loop.io);
    c->request("127.0.0.1", port, {.target = "/events"},
               [&](Result<Response> response) { done.set_value(std::move(response)); });
    return c;
  });
  ASSERT_TRUE(eventually([&] { return loop.run([&] { return stream != nullptr; }); }));
  auto writer = loop.run([&] { return stream; });
  std::thread worker([writer] {
    for (int i = 0; i < 500; ++i)
      writer->write(std::to_string(i) + ",");
    writer->close();
  });
  worker.join();
  writer.reset();
  auto response = done.get_future().get();
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->body, expected);
  loop.run([&] { client.reset(); });
}

}  // namespace
}  // namespace plexus::http::testing
