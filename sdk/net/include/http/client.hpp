// Client: asynchronous HTTP/1.1 requests on a caller-owned io_context.
// (Part of plexus_net, sdk/net: the SDK client libraries use it without core.)
//
// The master uses it to talk to agents, the agent to the master, the scheduler and
// executor libraries to their endpoints. Two kinds of call:
//   * request(): the whole response, delivered once as Result<Response>;
//   * stream(): a response read incrementally (a Mesos SUBSCRIBE event stream):
//     the head, then each body piece as it arrives (chunk framing removed; feed the
//     pieces to a RecordIO decoder), then the end or the error.
//
//   Client client(io);
//   auto call = client.stream("10.0.0.1", 5050, {.method = "POST",
//                             .target = "/api/v1/scheduler", .body = subscribeJson},
//       {.onHead = [](const Response& head) { ... head.status ... },
//        .onData = [&](std::string_view bytes) { decoder.feed(bytes); },
//        .onEnd = [](Result<void> end) { ... reconnect ... }});
//   ...
//   call->cancel();   // no callback runs after this
//
// TLS: with LIBPROCESS_SSL_ENABLED in the environment (or ClientOptions::tls), every
// connection is TLS: the server's certificate is verified against the CA and its
// host name or address, and a failed handshake is an error naming the peer and the
// reason ("TLS handshake with 10.0.0.1:5050 failed: certificate verify failed ...").
//
// Timeouts: resolving plus connecting (and the TLS handshake) must finish within connectTimeout;
// then the whole response (for a stream: its head) within requestTimeout; a stream's body may then
// stay quiet for streamIdleTimeout (zero: forever). A timeout is an error result. Idle keep-alive
// connections are reused per host:port (request() only); a request that fails because a reused
// connection had been closed by the server is retried once on a new connection if nothing of the
// answer had arrived.
//
// Threading: use a Client and its calls on the io_context's thread only. Callbacks
// run on that thread, never inside the call that started the request. Destroying
// the Client cancels every call it started (their callbacks never run).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <plexus/error.hpp>

#include "http/types.hpp"

namespace plexus::http {

struct ClientOptions {
  std::chrono::milliseconds connectTimeout = std::chrono::seconds(10);
  std::chrono::milliseconds requestTimeout = std::chrono::seconds(60);
  // Zero: a stream's body may be silent forever (rely on the protocol's heartbeats).
  std::chrono::milliseconds streamIdleTimeout = std::chrono::milliseconds(0);
  std::size_t maxHeaderBytes = 64 * 1024;
  std::uint64_t maxBodyBytes = 256ull * 1024 * 1024;  // request() only; streams are unbounded
  bool reuseConnections = true;
  std::size_t maxIdlePerHost = 8;
  // Idle pooled connections older than this are closed rather than reused.
  std::chrono::milliseconds maxIdleAge = std::chrono::seconds(30);
  // TLS: the context to verify servers with. Unset: the process's default from the
  // LIBPROCESS_SSL_* environment (http/tls.hpp), plain HTTP when TLS is off there.
  std::shared_ptr<boost::asio::ssl::context> tls{};
  // Plain HTTP whatever the environment says.
  bool plainHttp = false;
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, e.g. "/api/v1/scheduler"
  Headers headers{};         // Host, Content-Length and Connection are set by the client
  std::string body{};
};

using ResponseCallback = std::function<void(Result<Response>)>;

struct StreamCallbacks {
  // The status line and headers (body empty). Optional.
  std::function<void(const Response& head)> onHead{};
  // Each piece of the body, in order, as it arrives. Optional.
  std::function<void(std::string_view bytes)> onData{};
  // Once at the end: success when the body completed, or the error (connection
  // lost, timeout, malformed response). Not called after cancel(). Optional.
  std::function<void(Result<void> end)> onEnd{};
  // Optional. When set, an answer whose status is not 2xx (a 400 or 401 in place of
  // an event stream) is read whole, its body cut at kMaxRefusalBody bytes, and
  // handed here instead of to onHead, onData and onEnd: callers show the server's
  // status and message rather than feeding an error text to a RecordIO decoder.
  std::function<void(const Response& answer)> onRefused{};
};

// How much of a refusal's body StreamCallbacks::onRefused gets.
inline constexpr std::size_t kMaxRefusalBody = 64 * 1024;

// "401 Unauthorized: <the body's first line>" (or without ": ..." when the body is
// empty), for messages about a refused call.
std::string describeRefusal(const Response& answer);

// A call in progress. Keep it to cancel; dropping it does not cancel.
class ClientCall {
 public:
  virtual ~ClientCall() = default;
  // Stops the call and closes its connection; no callback of it runs afterwards.
  virtual void cancel() = 0;
  // True once the call completed, failed, or was cancelled.
  virtual bool done() const = 0;
};

namespace detail {
class ClientShared;
}

class Client {
 public:
  explicit Client(boost::asio::io_context& io, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` to host:port (an IP literal or a name to resolve); `done` gets
  // the complete response (any status) or an error.
  std::shared_ptr<ClientCall> request(std::string_view host, std::uint16_t port,
                                      ClientRequest request, ResponseCallback done);

  // Sends `request` and reads the response incrementally through `callbacks`.
  // Always uses a connection of its own, closed at the end.
  std::shared_ptr<ClientCall> stream(std::string_view host, std::uint16_t port,
                                     ClientRequest request, StreamCallbacks callbacks);

  // Cancels every call in progress and closes pooled connections.
  void cancelAll();

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<detail::ClientShared> shared_;
};

// Synchronous convenience for tests and command-line tools: runs a private
// io_context until the response arrives. Never call it on a daemon's loop thread.
[[nodiscard]] Result<Response> fetch(std::string_view host, std::uint16_t port,
                                     ClientRequest request, ClientOptions options = {});

}  // namespace plexus::http
