// Internal: one accepted connection of a Server.
//
// Reads continuously into a buffer (so a client going away is noticed even while a
// response is streaming), parses one request at a time with Beast's parser, hands
// it to its route's handler, and writes the answer through a FIFO of byte strings
// with at most one async_write outstanding. The next pipelined request is parsed
// only after the current answer has been completely written.
//
// Phases: Idle (waiting for or reading a request; the idle timer runs) -> Handling
// (the handler holds the Responder) -> Streaming (optional; head sent, chunks flow)
// -> Draining (the last bytes of the answer are queued) -> Idle again, or Closed.
//
// Everything runs on the server's io_context thread. Responders and streams hold a
// shared_ptr to the connection and address their request by sequence number, so a
// late answer for an old or closed request is dropped.
#pragma once

#include <atomic>
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

  void start();
  // Closes the socket now; a streaming answer's onDisconnect runs. Idempotent.
  void close(std::string_view why);

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
  void dispatchRequest();
  void callHandler(Request request);

  // Answering.
  void respondAndClose(unsigned status, std::string message);
  void finishExchange();
  void lingerThenClose();

  // Writing.
  void queue(std::string bytes);
  void startWrite();
  void onWrite(const boost::system::error_code& ec, std::size_t bytes);

  // Timers.
  void armIdleTimer();
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
