// Handler and Responder: how a route answers a request, now or later.
//
// The server calls a Handler on its io_context thread with the parsed Request and
// a Responder. The handler answers exactly once, in one of two ways:
//   * `responder.respond(Response)`: a complete response, at once or later (keep a
//     copy of the Responder, e.g. in a lambda posted back from a thread pool);
//   * `responder.stream(status, headers)`: sends the status line and headers with
//     `Transfer-Encoding: chunked` and returns a ResponseStream (stream.hpp) that
//     the handler writes chunks to for as long as it likes.
// Later answers are ignored. If every copy of a Responder is dropped without an
// answer, the client gets a 500, so a forgotten path never hangs a connection.
// The next request on the same connection is read only after this one is answered
// (and, for a stream, closed): answers go out in request order.
//
// Thread-safety: a Responder is cheap to copy and its methods may be called from
// any thread; they run on the server's io_context (at once when already there).
#pragma once

#include <functional>
#include <memory>

#include "http/types.hpp"

namespace plexus::http {

class ResponseStream;
namespace detail {
class ServerConnection;
class ResponderState;
}  // namespace detail

class Responder {
 public:
  // Sends `response`. Ignored (with a warning) if this request was already answered,
  // and silently if the client has gone away.
  void respond(Response response) const;

  // Starts a streaming response: `status` and `headers` go out now with
  // Transfer-Encoding: chunked (for an HTTP/1.0 client the body runs to connection
  // close instead). Returns nullptr if this request was already answered.
  // The returned stream may outlive the connection; see stream.hpp.
  std::shared_ptr<ResponseStream> stream(unsigned status, Headers headers = {}) const;

  // True once respond() or stream() has been called on any copy.
  bool answered() const;

 private:
  friend class detail::ServerConnection;
  explicit Responder(std::shared_ptr<detail::ResponderState> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::ResponderState> state_;
};

// A route's handler. Runs on the server's io_context thread and must not block.
// An exception escaping it is caught, logged, and answered with a 500.
using Handler = std::function<void(Request request, Responder responder)>;

// What a Server runs in front of every route's handler (see Server::setGate).
using Gate = std::function<void(Request request, Responder responder, const Handler& handler)>;

// A read-only JSON endpoint (/state, /flags, /metrics/snapshot): GET and HEAD get
// 200 with what `produce` returns (wrapped as `callback(...)` for `?jsonp=callback`,
// as Mesos: see jsonOk), other methods 405.
Handler jsonGetHandler(std::function<std::string()> produce);

}  // namespace plexus::http
