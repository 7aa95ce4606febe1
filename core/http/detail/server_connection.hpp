// Internal: one accepted connection of a Server.
//
// Reads continuously into a buffer (so a client going away is noticed even while a
// response is streaming), parses one request at a time with Beast's parser, hands
// it to its route's handler, and writes the answer through a FIFO of byte strings
// with at most one async_write outstanding. The next pipelined request is parsed
// only after the current answer has been completely written.
//
// Phases: Idle (waiting for or reading a request) -> Handling (the handler holds
// the Responder) -> Streaming (optional; head sent, chunks flow) -> Draining (the
// last bytes of the answer are queued) -> Idle again, or Closed. In Idle one timer
// runs, for what the connection waits for: the next request's first byte
// (idleTimeout), the rest of its headers (headerTimeout, from that byte), or its
// body (bodyTimeout, from the end of the headers); re-armed only when the wait
// changes, never by mere progress, so a trickle of bytes cannot hold it open.
//
// Once a request's headers are in, its route decides its body limit and whether
// it may use a reserve-only connection; its body is charged to the server's body
// budget before it is read (all of it for a Content-Length, by doubling steps for
// a chunked one), and the charge is released when the request is answered.
//
// Everything runs on the server's io_context thread. Responders and streams hold a
// shared_ptr to the connection and address their request by sequence number, so a
// late answer for an old or closed request is dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
// GCC 12 reports a false -Wmaybe-uninitialized inside Beast's parser (a
// boost::optional) in sanitizer builds; silence it for Beast's code only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include "http/detail/transport.hpp"
#include "http/responder.hpp"
#include "http/stream.hpp"
#include "http/types.hpp"

namespace plexus::http::detail {

class ServerCore;

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerCore> core);

  // `reserveOnly`: accepted into the server's reserved connections, so it serves one
  // request, and only of a route allowed to use the reserve.
  void start(bool reserveOnly);
  // Closes the socket now; a streaming answer's onDisconnect runs. Idempotent.
  void close(std::string_view why);

  // Waiting for a new request with nothing of it read: may be closed to make room.
  bool idle() const { return phase_ == Phase::kIdle && !parser_ && input_.size() == 0; }
  std::chrono::steady_clock::time_point idleSince() const { return idleSince_; }

  boost::asio::any_io_executor executor() { return executor_; }

  // Called on the io_context thread by Responder and ResponseStream.
  void respond(std::uint64_t sequence, Response response);
  void startStream(std::uint64_t sequence, unsigned status, Headers headers,
                   std::weak_ptr<ResponseStream> stream);
  void streamWrite(std::uint64_t sequence, std::string bytes);
  void streamClose(std::uint64_t sequence);

 private:
  enum class Phase { kIdle, kHandling, kStreaming, kDraining, kLingering, kClosed };
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // Reading and parsing.
  void startRead();
  void onRead(const boost::system::error_code& ec, std::size_t bytes);
  void onPeerEof();
  void parseBuffered();
  void newParser();
  void maybeSendContinue();
  void rejectRequest(const boost::system::error_code& ec);
  // After the headers: the route's reserve rights and body limit, the budget for a
  // Content-Length. False when the request was refused.
  bool admitHeader();
  // Before more of a chunked body is parsed: its buffer grown and charged. False
  // when the budget refused it.
  bool makeRoomForBody();
  void releaseBody();
  void refuseOverBudget(std::uint64_t wanted);
  // The 413's message for the request being parsed.
  std::string bodyTooLarge() const;
  void dispatchRequest();
  void callHandler(Request request);

  // Answering.
  void respondAndClose(unsigned status, std::string message, Headers headers = {});
  void finishExchange();
  void lingerThenClose();

  // Writing.
  void queue(std::string bytes);
  void startWrite();
  void onWrite(const boost::system::error_code& ec, std::size_t bytes);

  // Timers.
  enum class Wait { kIdle, kHeader, kBody };
  void armIdleTimer();
  void armWait(Wait wait);
  void onWaitExpired(Wait wait);
  void armTimer(boost::asio::steady_timer& timer, std::chrono::milliseconds after,
                std::string_view why);
  static void disarm(boost::asio::steady_timer& timer);

  Transport socket_;
  boost::asio::any_io_executor executor_;
  std::shared_ptr<ServerCore> core_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::steady_timer idleTimer_;   // idle wait, and the linger before close
  boost::asio::steady_timer writeTimer_;  // a write making no progress

  Phase phase_ = Phase::kIdle;
  boost::beast::flat_buffer input_;
  std::optional<Parser> parser_;
  bool reading_ = false;
  bool readEof_ = false;
  bool continueSent_ = false;
  std::size_t headerBytes_ = 0;  // of the request being parsed
  bool reserveOnly_ = false;
  std::chrono::steady_clock::time_point idleSince_{};
  // The request being parsed: its body limit, and what it holds of the body budget.
  std::uint64_t bodyLimit_ = 0;
  std::uint64_t bodyCharged_ = 0;
  std::string path_;

  // The request being answered.
  std::uint64_t sequence_ = 0;
  unsigned version_ = 11;
  bool keepAlive_ = true;
  bool headRequest_ = false;
  bool closeAfter_ = false;
  bool streamChunked_ = true;  // false for HTTP/1.0: the body runs to close
  bool streamHasBody_ = true;  // false for HEAD and for 204/304
  std::weak_ptr<ResponseStream> stream_;

  std::deque<std::string> outbox_;
  std::size_t inFlight_ = 0;  // strings of outbox_ the current async_write covers
  std::size_t queuedBytes_ = 0;
  bool writing_ = false;
};

// The shared state behind the copies of one Responder.
class ResponderState {
 public:
  ResponderState(std::shared_ptr<ServerConnection> connection, std::uint64_t sequence)
      : connection(std::move(connection)), sequence(sequence) {}
  // Answers 500 if no copy of the Responder answered.
  ~ResponderState();

  const std::shared_ptr<ServerConnection> connection;
  const std::uint64_t sequence;
  std::atomic<bool> answered{false};
};

}  // namespace plexus::http::detail
