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
// over maxBodyBytes 413, a malformed request 400. A connection that sends nothing
// for idleTimeout while no request is being answered is closed; a write stalled
// for writeTimeout closes it too. Unknown paths get 404. An HTTP error is a reply,
// never a crash: nothing a client sends can stop the loop.
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
  // Close a connection that sends nothing for this long while no request of it is
  // being answered. Zero disables the timeout. Streaming responses are exempt.
  std::chrono::milliseconds idleTimeout = std::chrono::seconds(60);
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

  // Registers `handler` for `path` (longest-prefix routing, see router.hpp).
  // May be called before or after listen().
  [[nodiscard]] Result<void> route(std::string_view path, Handler handler);
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

  // Open connections right now (for tests and metrics).
  std::size_t connectionCount() const;

  // Closes the acceptor and every connection (their streams see onDisconnect).
  // Idempotent. The server can't listen again afterwards.
  void stop();

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace plexus::http
