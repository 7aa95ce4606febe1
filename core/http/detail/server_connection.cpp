#include "http/detail/server_connection.hpp"

#include <exception>
#include <limits>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <plexus/duration.hpp>
#include <plexus/logging.hpp>

#include "common/loop_affinity.hpp"
#include "http/detail/server_core.hpp"
#include "http/detail/wire.hpp"
#include "http/url.hpp"

namespace plexus::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxGather = 64;
// How long a connection we are closing keeps draining what the client still sends,
// so that the client reads our final answer (e.g. a 413) instead of a reset.
constexpr std::chrono::milliseconds kLinger(500);
// How long a reserved connection may take to send its request's headers.
constexpr std::chrono::milliseconds kReserveHeaderTimeout(2000);

std::string_view toView(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

}  // namespace

ServerConnection::ServerConnection(tcp::socket socket, std::shared_ptr<ServerCore> core)
    : socket_(std::move(socket)),
      executor_(socket_.get_executor()),
      core_(std::move(core)),
      idleTimer_(executor_),
      writeTimer_(executor_) {
  error_code ec;
  remote_ = socket_.lowest().remote_endpoint(ec);
  // Stream records and small answers must not wait for Nagle.
  socket_.lowest().set_option(tcp::no_delay(true), ec);
}

void ServerConnection::start(bool reserveOnly) {
  reserveOnly_ = reserveOnly;
  idleSince_ = std::chrono::steady_clock::now();
  // A reserved connection gets no idle wait: its one request must come at once.
  if (core_->options().tls == nullptr) {
    armWait(reserveOnly_ ? Wait::kHeader : Wait::kIdle);
    return startRead();
  }
  armWait(Wait::kHeader);  // the handshake
  socket_.startTls(*core_->options().tls);
  socket_.tls()->async_handshake(asio::ssl::stream_base::server,
                                 [self = shared_from_this()](const error_code& ec) {
                                   if (self->phase_ == Phase::kClosed) return;
                                   if (ec) {
                                     PLEXUS_LOG(Warning) << "TLS handshake with " << self->remote_
                                                         << " failed: " << ec.message();
                                     self->close("TLS handshake failed");
                                     return;
                                   }
                                   self->idleSince_ = std::chrono::steady_clock::now();
                                   if (!self->reserveOnly_) self->armWait(Wait::kIdle);
                                   self->startRead();
                                 });
}

// ---------------------------------------------------------------------------------------------
// Reading and parsing.

void ServerConnection::startRead() {
  if (reading_ || readEof_ || phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kLingering) {
    input_.clear();
  } else if (input_.size() >= core_->options().maxHeaderBytes + kReadChunk) {
    return;  // Pipelined bytes pile up while an answer is pending; resume once they are parsed.
  }
  reading_ = true;
  socket_.async_read_some(input_.prepare(kReadChunk),
                          [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                            self->onRead(ec, bytes);
                          });
}

void ServerConnection::onRead(const error_code& ec, std::size_t bytes) {
  reading_ = false;
  if (phase_ == Phase::kClosed) return;
  if (ec == asio::error::eof) {
    readEof_ = true;
    onPeerEof();
    return;
  }
  if (ec) {
    close("read failed: " + ec.message());
    return;
  }
  input_.commit(bytes);
  if (phase_ == Phase::kIdle) parseBuffered();
  startRead();
}

void ServerConnection::onPeerEof() {
  switch (phase_) {
    case Phase::kIdle:
      close(parser_ || input_.size() > 0 ? "client closed mid-request" : "client closed");
      return;
    case Phase::kHandling:
    case Phase::kDraining:
      closeAfter_ = true;  // Perhaps only half-closed: still send the answer, then close.
      return;
    case Phase::kStreaming:
      close("client closed its streaming connection");
      return;
    case Phase::kLingering:
    case Phase::kClosed:
      close("done");
      return;
  }
}

void ServerConnection::parseBuffered() {
  while (phase_ == Phase::kIdle && input_.size() > 0) {
    if (!parser_) {
      newParser();
      armWait(Wait::kHeader);  // from the request's first byte
    }
    boost::beast::error_code ec;
    bool headerWasDone = parser_->is_header_done();
    if (headerWasDone && !makeRoomForBody()) break;
    std::size_t used = parser_->put(input_.data(), ec);
    input_.consume(used);
    if (!headerWasDone && (!ec || ec == bhttp::error::need_more)) {
      // Beast's header limit counts only unconsumed bytes, and it consumes each
      // complete field: count the whole header here, or slow senders evade the limit.
      headerBytes_ += used;
      bool done = parser_->is_header_done();
      if (headerBytes_ + (done ? 0 : input_.size()) > core_->options().maxHeaderBytes) {
        ec = bhttp::error::header_limit;
      }
      if (done) parser_->eager(true);
    }
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      rejectRequest(ec);
      break;
    }
    if (!headerWasDone && parser_->is_header_done() && !admitHeader()) break;
    if (parser_->is_done()) {
      dispatchRequest();
      break;
    }
    if (used == 0) break;
  }
  // The header may be complete with the body still to come.
  if (phase_ == Phase::kIdle && parser_) maybeSendContinue();
  startRead();
}

void ServerConnection::newParser() {
  const auto& options = core_->options();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.maxHeaderBytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(options.maxBodyBytes);
  parser_->eager(false);  // stop after the header, to count its bytes exactly
  headerBytes_ = 0;
  continueSent_ = false;
  releaseBody();
  bodyLimit_ = options.maxBodyBytes;
  path_.clear();
}

void ServerConnection::maybeSendContinue() {
  if (continueSent_ || !parser_ || !parser_->is_header_done()) return;
  const auto& message = parser_->get();
  if (message.version() < 11 || !iequals(toView(message[bhttp::field::expect]), "100-continue")) {
    return;
  }
  continueSent_ = true;
  queue(std::string(kContinue));
}

void ServerConnection::rejectRequest(const boost::system::error_code& ec) {
  const auto& options = core_->options();
  if (ec == bhttp::error::header_limit) {
    respondAndClose(431, "Request header fields too large: the limit is " +
                             std::to_string(options.maxHeaderBytes) + " bytes\n");
  } else if (ec == bhttp::error::body_limit) {
    respondAndClose(413, bodyTooLarge());
  } else {
    respondAndClose(400, "Malformed request: " + ec.message() + "\n");
  }
}

std::string ServerConnection::bodyTooLarge() const {
  std::string where = path_.empty() ? std::string("this request") : path_;
  if (bodyLimit_ == 0) return "Request body not allowed: " + where + " takes no request body\n";
  return "Request body too large: " + where + " takes at most " + std::to_string(bodyLimit_) +
         " bytes\n";
}

bool ServerConnection::admitHeader() {
  const auto& options = core_->options();
  const auto& message = parser_->get();
  auto target = parseTarget(toView(message.target()));
  path_ = target ? target->path : std::string(toView(message.target()));
  const Route* route = target ? core_->router().matchRoute(target->path) : nullptr;
  if (reserveOnly_) {
    const RouteOptions* allowed = route != nullptr ? &route->options : nullptr;
    bool mayUse =
        allowed != nullptr &&
        (allowed->reserved || (!allowed->reservedWithHeader.empty() &&
                               message.find(allowed->reservedWithHeader) != message.end()));
    if (!mayUse) {
      respondAndClose(503,
                      "Service unavailable: the server is at its connection limit, and the "
                      "connections left are kept for agents, executors and the calls of open "
                      "event streams; retry later\n",
                      {{"Retry-After", "1"}});
      return false;
    }
  }
  bodyLimit_ = options.maxBodyBytes;
  if (route != nullptr) bodyLimit_ = std::min(bodyLimit_, route->options.maxBodyBytes);
  parser_->body_limit(bodyLimit_);
  if (auto length = parser_->content_length()) {
    if (*length > bodyLimit_) {
      respondAndClose(413, bodyTooLarge());
      return false;
    }
    // Charged whole before any of it is read: Beast reserves that much at once.
    if (*length > 0 && !core_->chargeBody(*length)) {
      refuseOverBudget(*length);
      return false;
    }
    bodyCharged_ = *length;
  }
  if (!parser_->is_done()) armWait(Wait::kBody);
  return true;
}

bool ServerConnection::makeRoomForBody() {
  if (parser_->is_done() || parser_->content_length()) return true;
  // A chunked body: grown by doubling (as the string would grow by itself), each
  // step charged before it is made, so the budget counts the memory really held.
  constexpr std::uint64_t kFirstStep = 64 * 1024;
  auto& body = parser_->get().body();
  std::uint64_t need = std::min<std::uint64_t>(body.size() + input_.size(), bodyLimit_);
  if (need <= bodyCharged_) return true;
  std::uint64_t want =
      std::min<std::uint64_t>(std::max({need, bodyCharged_ * 2, kFirstStep}), bodyLimit_);
  if (!core_->chargeBody(want - bodyCharged_)) {
    refuseOverBudget(want - bodyCharged_);
    return false;
  }
  bodyCharged_ = want;
  body.reserve(want);
  return true;
}

void ServerConnection::releaseBody() {
  core_->releaseBody(std::exchange(bodyCharged_, 0));
}

void ServerConnection::refuseOverBudget(std::uint64_t wanted) {
  const auto& options = core_->options();
  PLEXUS_LOG(Warning) << "HTTP request body for " << path_ << " from " << remote_
                      << " refused: the bodies being received hold " << core_->bodyBytesInUse()
                      << " of the " << options.bodyBudgetBytes << " bytes budget";
  respondAndClose(503,
                  "Service unavailable: the request bodies this server is receiving already hold " +
                      std::to_string(core_->bodyBytesInUse()) + " of its budget of " +
                      std::to_string(options.bodyBudgetBytes) + " bytes, and this one needs " +
                      std::to_string(wanted) + " more; retry later\n",
                  {{"Retry-After", "1"}});
}

void ServerConnection::dispatchRequest() {
  auto message = parser_->release();
  parser_.reset();
  ++sequence_;
  phase_ = Phase::kHandling;
  disarm(idleTimer_);
  version_ = message.version();
  keepAlive_ = message.keep_alive();
  headRequest_ = message.method() == bhttp::verb::head;
  // A reserved connection serves one request (or one stream), then makes room.
  closeAfter_ = readEof_ || reserveOnly_;
  streamChunked_ = version_ >= 11;

  auto target = parseTarget(toView(message.target()));
  if (!target) {
    respondAndClose(400, "Malformed request target: " + target.error().message() + "\n");
    return;
  }
  Request request;
  request.method = std::string(toView(message.method_string()));
  request.target = std::string(toView(message.target()));
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  for (const auto& field : message) {
    request.headers.add(toView(field.name_string()), toView(field.value()));
  }
  request.body = std::move(message.body());
  request.version = version_;
  request.remote = remote_;
  callHandler(std::move(request));
}

void ServerConnection::callHandler(Request request) {
  PLEXUS_ASSERT_ON_LOOP_IN("an HTTP handler");
  Responder responder(std::make_shared<ResponderState>(shared_from_this(), sequence_));
  const Handler* found = core_->router().match(request.path);
  if (found == nullptr) {
    responder.respond(notFound(request.path));
    return;
  }
  // A copy: the handler may replace or remove its own route while it runs.
  Handler handler = *found;
  std::string failure;
  try {
    if (core_->gate())
      core_->gate()(std::move(request), responder, handler);
    else
      handler(std::move(request), responder);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    PLEXUS_LOG(Error) << "HTTP handler threw: " << failure;
    if (!responder.answered()) responder.respond(text(500, "Internal error: " + failure + "\n"));
  }
}

// ---------------------------------------------------------------------------------------------
// Answering.

void ServerConnection::respond(std::uint64_t sequence, Response response) {
  if (phase_ != Phase::kHandling || sequence != sequence_) return;
  releaseBody();
  if (response.status < 200 || response.status > 999) {
    PLEXUS_LOG(Error) << "HTTP handler answered with invalid status " << response.status;
    response = text(500, "Internal error: invalid response status\n");
  }
  if (auto connection = response.headers.get("Connection");
      connection && iequals(*connection, "close")) {
    closeAfter_ = true;
  }
  closeAfter_ = closeAfter_ || !keepAlive_ || readEof_;
  HeadSpec spec{.status = response.status,
                .version = version_,
                .keepAlive = !closeAfter_,
                .framing = Framing::kLength,
                .bodyLength = response.body.size()};
  std::string bytes = serializeHead(spec, response.headers);
  if (!headRequest_ && !statusHasNoBody(response.status)) bytes += response.body;
  phase_ = Phase::kDraining;
  queue(std::move(bytes));
}

void ServerConnection::startStream(std::uint64_t sequence, unsigned status, Headers headers,
                                   std::weak_ptr<ResponseStream> stream) {
  if (phase_ != Phase::kHandling || sequence != sequence_) {
    if (auto s = stream.lock()) s->notifyDisconnect();
    return;
  }
  releaseBody();
  if (readEof_) {
    phase_ = Phase::kStreaming;
    stream_ = std::move(stream);
    close("client closed before its stream started");
    return;
  }
  if (auto connection = headers.get("Connection"); connection && iequals(*connection, "close")) {
    closeAfter_ = true;
  }
  streamHasBody_ = !headRequest_ && !statusHasNoBody(status);
  Framing framing = Framing::kLength;
  if (streamHasBody_) framing = streamChunked_ ? Framing::kChunked : Framing::kToClose;
  if (framing == Framing::kToClose) closeAfter_ = true;
  closeAfter_ = closeAfter_ || !keepAlive_;
  HeadSpec spec{.status = status,
                .version = version_,
                .keepAlive = !closeAfter_,
                .framing = framing,
                .bodyLength = 0};
  phase_ = Phase::kStreaming;
  stream_ = std::move(stream);
  queue(serializeHead(spec, headers));
}

void ServerConnection::streamWrite(std::uint64_t sequence, std::string bytes) {
  if (phase_ != Phase::kStreaming || sequence != sequence_ || bytes.empty() || !streamHasBody_) {
    return;
  }
  queue(streamChunked_ ? encodeChunk(bytes) : std::move(bytes));
  if (queuedBytes_ > core_->options().maxQueuedBytes) {
    close("client is not reading its stream: " + std::to_string(queuedBytes_) + " bytes queued");
  }
}

void ServerConnection::streamClose(std::uint64_t sequence) {
  if (phase_ != Phase::kStreaming || sequence != sequence_) return;
  phase_ = Phase::kDraining;
  stream_.reset();
  if (streamHasBody_ && streamChunked_) queue(std::string(kLastChunk));
  if (!writing_ && outbox_.empty()) {
    // Called from a handler's code: finish on a fresh stack, not inside its call.
    asio::post(executor_, [self = shared_from_this()] {
      if (!self->writing_ && self->outbox_.empty()) self->finishExchange();
    });
  }
}

void ServerConnection::respondAndClose(unsigned status, std::string message, Headers headers) {
  parser_.reset();
  releaseBody();
  phase_ = Phase::kDraining;
  closeAfter_ = true;
  disarm(idleTimer_);
  HeadSpec spec{.status = status,
                .version = 11,
                .keepAlive = false,
                .framing = Framing::kLength,
                .bodyLength = message.size()};
  headers.set("Content-Type", "text/plain; charset=utf-8");
  queue(serializeHead(spec, headers) + message);
}

void ServerConnection::finishExchange() {
  if (phase_ != Phase::kDraining) return;
  stream_.reset();
  if (closeAfter_ || readEof_) {
    lingerThenClose();
    return;
  }
  phase_ = Phase::kIdle;
  idleSince_ = std::chrono::steady_clock::now();
  armIdleTimer();
  parseBuffered();
}

void ServerConnection::lingerThenClose() {
  if (readEof_) {
    close("answered; the client had closed");
    return;
  }
  phase_ = Phase::kLingering;
  error_code ec;
  socket_.lowest().shutdown(tcp::socket::shutdown_send, ec);
  armTimer(idleTimer_, kLinger, "answered; closing");
  startRead();
}

void ServerConnection::close(std::string_view why) {
  if (phase_ == Phase::kClosed) return;
  bool wasStreaming = phase_ == Phase::kStreaming;
  phase_ = Phase::kClosed;
  PLEXUS_LOG(Debug) << "HTTP connection from " << remote_ << " closed: " << why;
  disarm(idleTimer_);
  disarm(writeTimer_);
  error_code ec;
  socket_.lowest().shutdown(tcp::socket::shutdown_both, ec);
  socket_.lowest().close(ec);
  parser_.reset();
  input_.clear();
  releaseBody();
  if (!writing_) {
    outbox_.clear();
    queuedBytes_ = 0;
  }
  core_->remove(this);
  auto stream = std::exchange(stream_, {}).lock();
  if (wasStreaming && stream) stream->notifyDisconnect();
}

// ---------------------------------------------------------------------------------------------
// Writing.

void ServerConnection::queue(std::string bytes) {
  if (phase_ == Phase::kClosed || bytes.empty()) return;
  queuedBytes_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  startWrite();
}

void ServerConnection::startWrite() {
  if (writing_ || outbox_.empty() || phase_ == Phase::kClosed) return;
  inFlight_ = std::min(outbox_.size(), kMaxGather);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(inFlight_);
  for (std::size_t i = 0; i < inFlight_; ++i)
    buffers.push_back(asio::buffer(outbox_[i]));
  writing_ = true;
  auto timeout = core_->options().writeTimeout;
  if (timeout.count() > 0) armTimer(writeTimer_, timeout, "write timed out");
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                      self->onWrite(ec, bytes);
                    });
}

void ServerConnection::onWrite(const error_code& ec, std::size_t) {
  writing_ = false;
  disarm(writeTimer_);
  if (phase_ == Phase::kClosed) {
    outbox_.clear();
    queuedBytes_ = 0;
    return;
  }
  if (ec) {
    close("write failed: " + ec.message());
    return;
  }
  for (std::size_t i = 0; i < inFlight_; ++i) {
    queuedBytes_ -= outbox_.front().size();
    outbox_.pop_front();
  }
  inFlight_ = 0;
  if (!outbox_.empty()) {
    startWrite();
  } else if (phase_ == Phase::kDraining) {
    finishExchange();
  }
}

// ---------------------------------------------------------------------------------------------
// Timers.

void ServerConnection::armIdleTimer() {
  armWait(Wait::kIdle);
}

void ServerConnection::armWait(Wait wait) {
  const auto& options = core_->options();
  auto timeout = wait == Wait::kIdle     ? options.idleTimeout
                 : wait == Wait::kHeader ? options.headerTimeout
                                         : options.bodyTimeout;
  // Agents and executors send a request's headers at once: slow senders must not sit
  // on the reserve for a whole header timeout.
  if (reserveOnly_ && wait == Wait::kHeader && timeout.count() > 0) {
    timeout = std::min(timeout, kReserveHeaderTimeout);
  }
  if (timeout.count() <= 0) return disarm(idleTimer_);
  idleTimer_.expires_after(timeout);
  idleTimer_.async_wait([self = shared_from_this(), wait](const error_code& ec) {
    // A wait that completed just before the timer was re-armed or disarmed is stale.
    if (ec || self->idleTimer_.expiry() > asio::steady_timer::clock_type::now()) return;
    self->onWaitExpired(wait);
  });
}

void ServerConnection::onWaitExpired(Wait wait) {
  if (phase_ != Phase::kIdle) return;
  const auto& options = core_->options();
  if (wait == Wait::kIdle) return close("idle timeout");
  if (!parser_ && input_.size() == 0) {
    return close(reserveOnly_ ? "no request on a reserved connection in time"
                              : "no TLS handshake in time");
  }
  PLEXUS_LOG(Debug) << "HTTP request from " << remote_ << " timed out waiting for its "
                    << (wait == Wait::kHeader ? "headers" : "body");
  if (wait == Wait::kHeader) {
    return respondAndClose(408,
                           "Request timeout: the request line and headers did not arrive "
                           "within " +
                               formatDuration(options.headerTimeout) + "\n");
  }
  respondAndClose(408, "Request timeout: the body of " + path_ + " did not arrive within " +
                           formatDuration(options.bodyTimeout) + "\n");
}

void ServerConnection::armTimer(asio::steady_timer& timer, std::chrono::milliseconds after,
                                std::string_view why) {
  timer.expires_after(after);
  timer.async_wait(
      [self = shared_from_this(), &timer, why = std::string(why)](const error_code& ec) {
        // A wait that completed just before the timer was re-armed or disarmed is stale.
        if (ec || timer.expiry() > asio::steady_timer::clock_type::now()) return;
        self->close(why);
      });
}

void ServerConnection::disarm(asio::steady_timer& timer) {
  timer.expires_at(asio::steady_timer::time_point::max());
}

// ---------------------------------------------------------------------------------------------

ResponderState::~ResponderState() {
  if (answered.load(std::memory_order_acquire)) return;
  asio::dispatch(connection->executor(), [connection = connection, sequence = sequence] {
    connection->respond(sequence, text(500, "The handler dropped the request without answering\n"));
  });
}

}  // namespace plexus::http::detail
