// Server: an HTTP/1.1 server on a caller-owned io_context (Boost.Beast's parser,
// our own connection loop).
//
// The master and the agent each run one Server on their daemon's single loop
// thread. Every handler call, and every connection's I/O, happens on that thread;
// handlers must not block (post blocking work to a pool and answer through the
// Responder later, see responder.hpp).
//
//   boost::asio::io_context io;
//   Server server(io, {.idleTimeout = std::chrono::seconds(30)});
//   server.route("/health", [](Request, Responder r) { r.respond(text(200, "")); }).value();
//   auto bound = server.listen("0.0.0.0", 5050);       // port 0: pick one, see port()
//   if (!bound) PLEXUS_LOG(Fatal) << bound.error().message();
//   io.run();
//
// Per connection: keep-alive (HTTP/1.1 default, `Connection: close` honoured),
// pipelined requests answered in order, one write at a time, `Expect: 100-continue`
// answered. Limits answer and close: headers over maxHeaderBytes get 431, a body
// over maxBodyBytes or its route's RouteOptions::maxBodyBytes 413 (before the body
// is read when its Content-Length says so), a malformed request 400.
// Unknown paths get 404. An HTTP error is a reply, never a crash: nothing a client
// sends can stop the loop.
//
// Resources a client can hold are bounded:
//   * memory: request bodies being received (or held by a handler that has not
//     answered yet) share bodyBudgetBytes across every connection; a body that would
//     go past it gets 503 with Retry-After, and the connection closes.
//   * time: a connection waiting for its next request is closed after idleTimeout; a
//     request's line and headers must arrive within headerTimeout of its first byte,
//     its body within bodyTimeout of its headers (else 408 and close), so a client
//     sending a byte a second (slowloris) is cut off. A request being answered, and a
//     streaming response (an event stream) however long it lasts, are never timed out;
//     a write stalled for writeTimeout closes the connection.
//   * connections: at most maxConnections are open. The last reservedConnections of
//     them serve only routes that may use the reserve (RouteOptions::reserved, e.g.
//     agents registering, executors, calls of open event streams), one request each;
//     other requests on them get 503. At the cap a new connection closes the one idle
//     the longest (no request in progress), or gets 503 and is closed when none is.
//     Out of file descriptors, accept backs off and closes idle connections, and says
//     so in the log at most once per 10 seconds.
//
// Thread-safety: construct, route, listen, stop and destroy on the io_context's
// thread (or before it runs). Destruction stops the server; handlers still holding
// Responders or streams keep working, they just find the connection closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <plexus/error.hpp>

#include "http/responder.hpp"
#include "http/router.hpp"
#include "http/stream.hpp"
#include "http/types.hpp"

namespace plexus::http {

struct ServerOptions {
  // Largest request line plus headers; more gets 431 and the connection closes.
  std::size_t maxHeaderBytes = 64 * 1024;
  // Largest request body; more gets 413 and the connection closes.
  std::uint64_t maxBodyBytes = 64ull * 1024 * 1024;
  // The request bodies of every connection together: past it, 503. Zero: no budget.
  std::uint64_t bodyBudgetBytes = 256ull * 1024 * 1024;
  // Close a connection waiting this long for its next request (keep-alive), before
  // its first byte. Zero disables the timeout. Streaming responses are exempt.
  std::chrono::milliseconds idleTimeout = std::chrono::seconds(60);
  // A request's line and headers must arrive within this of its first byte (and a TLS
  // handshake within this of the accept); else 408 and close. Zero disables.
  std::chrono::milliseconds headerTimeout = std::chrono::seconds(10);
  // A request's body must arrive within this of its headers; else 408 and close.
  // Zero disables.
  std::chrono::milliseconds bodyTimeout = std::chrono::seconds(60);
  // Open connections at most (0: no cap), and how many of them are kept for the
  // routes that may use the reserve (see above).
  std::size_t maxConnections = 0;
  std::size_t reservedConnections = 0;
  // Close a connection whose pending write makes no progress for this long. Zero disables.
  std::chrono::milliseconds writeTimeout = std::chrono::seconds(60);
  // Bytes a connection may have waiting to be written (a stream to a slow reader);
  // past this the connection is dropped and its stream's onDisconnect runs.
  std::size_t maxQueuedBytes = 64 * 1024 * 1024;
  // TLS: every connection starts with a TLS handshake under this context (see
  // http/tls.hpp, makeServerTlsContext); nullptr: plain HTTP. A failed handshake
  // closes the connection and is logged with the peer and the reason.
  std::shared_ptr<boost::asio::ssl::context> tls{};
};

namespace detail {
class ServerCore;
}

class Server {
 public:
  explicit Server(boost::asio::io_context& io, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers `handler` for `path` (longest-prefix routing, see router.hpp), with
  // the body limit and reserve rights of `options`. May be called before or after listen().
  [[nodiscard]] Result<void> route(std::string_view path, Handler handler,
                                   RouteOptions options = {});
  // The routing table itself, for removal or lookups.
  Router& router();

  // Puts `gate` in front of every route: it gets each request that matched a route,
  // with that route's handler, and either calls the handler (possibly with a changed
  // request, e.g. its authenticated principal) or answers itself (e.g. 401). An
  // empty gate (the default) calls the handler directly.
  void setGate(Gate gate);

  // Binds `ip` (an IPv4 or IPv6 literal) and `port` (0 picks a free port), listens,
  // and starts accepting on the io_context. Fails if already listening, the address
  // is invalid, or the bind fails (e.g. the port is in use).
  [[nodiscard]] Result<void> listen(std::string_view ip, std::uint16_t port);

  // The bound port and endpoint; 0 / unspecified before listen() succeeds.
  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint endpoint() const;

  // Open connections right now, and request body bytes held now (for tests and metrics).
  std::size_t connectionCount() const;
  std::uint64_t bodyBytesInUse() const;

  // Closes the acceptor and every connection (their streams see onDisconnect).
  // Idempotent. The server can't listen again afterwards.
  void stop();

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace plexus::http
