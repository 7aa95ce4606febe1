#include "http/detail/client_call.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "http/tls.hpp"

namespace plexus::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kStreamChunk = 64 * 1024;

std::string hostPort(std::string_view host, std::uint16_t port) {
  bool ipv6 = host.find(':') != std::string_view::npos;
  return (ipv6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

std::string_view toView(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

std::uint32_t headerLimit(std::size_t bytes) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX));
}

}  // namespace

Response headOf(const bhttp::response_header<>& head) {
  Response response;
  response.status = head.result_int();
  for (const auto& field : head) {
    response.headers.add(toView(field.name_string()), toView(field.value()));
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// ConnectionPool.

std::optional<Transport> ConnectionPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& entries = it->second;
  while (!entries.empty()) {
    Entry entry = std::move(entries.back());
    entries.pop_back();
    if (Clock::now() - entry.since > maxAge_) continue;
    // An idle connection has nothing to read; EOF, a reset or stray bytes mean don't reuse it.
    char byte;
    error_code ec;
    tcp::socket& socket = entry.socket.lowest();
    socket.non_blocking(true, ec);
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec == asio::error::would_block) {
      socket.non_blocking(false, ec);
      if (!ec) return std::move(entry.socket);
    }
  }
  idle_.erase(it);
  return std::nullopt;
}

void ConnectionPool::put(const std::string& key, Transport socket) {
  if (maxPerHost_ == 0) return;
  auto& entries = idle_[key];
  auto now = Clock::now();
  std::erase_if(entries, [&](const Entry& entry) { return now - entry.since > maxAge_; });
  if (entries.size() >= maxPerHost_) entries.erase(entries.begin());
  entries.push_back({std::move(socket), Clock::now()});
}

// ---------------------------------------------------------------------------------------------
// ClientCallBase.

ClientCallBase::ClientCallBase(std::shared_ptr<ClientShared> shared, std::string_view host,
                               std::uint16_t port, ClientRequest request)
    : shared_(std::move(shared)),
      host_(host),
      port_(port),
      key_(hostPort(host, port)),
      request_(std::move(request)),
      resolver_(shared_->io),
      socket_(tcp::socket(shared_->io)),
      deadline_(shared_->io) {}

void ClientCallBase::start() {
  shared_->calls.emplace(this, weak_from_this());
  asio::post(shared_->io, [self = shared_from_this()] { self->begin(); });
}

void ClientCallBase::begin() {
  if (finished_) return;
  if (mayReuse()) {
    if (auto socket = shared_->pool.take(key_)) {
      socket_ = std::move(*socket);
      reused_ = true;
      armDeadline(shared_->options.requestTimeout, "the response of " + describe());
      onConnected();
      return;
    }
  }
  connectFresh();
}

void ClientCallBase::connectFresh() {
  reused_ = false;
  closeSocket();
  socket_ = Transport(tcp::socket(shared_->io));
  buffer_.clear();
  armDeadline(shared_->options.connectTimeout, "connecting to " + key_);
  resolver_.async_resolve(
      host_, std::to_string(port_),
      [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
        self->onResolved(ec, std::move(results));
      });
}

void ClientCallBase::onResolved(const error_code& ec, tcp::resolver::results_type results) {
  if (finished_) return;
  if (ec) {
    failWith("resolving '" + host_ + "'", ec);
    return;
  }
  asio::async_connect(
      socket_.lowest(), results,
      [self = shared_from_this()](const error_code& connected, const tcp::endpoint&) {
        self->onConnect(connected);
      });
}

void ClientCallBase::onConnect(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    failWith("connecting to " + key_, ec);
    return;
  }
  error_code ignored;
  socket_.lowest().set_option(tcp::no_delay(true), ignored);
  auto tls = shared_->tls();
  if (!tls) {
    if (!finish()) return;
    closeSocket();
    deliverError(Error("TLS is misconfigured: " + tls.error().message()));
    return;
  }
  if (*tls == nullptr) return connected();
  socket_.startTls(**tls);
  // SNI, and the name or address the server's certificate must be for.
  ::SSL_set_tlsext_host_name(socket_.tls()->native_handle(), host_.c_str());
  socket_.tls()->set_verify_callback(asio::ssl::host_name_verification(host_));
  socket_.tls()->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this()](const error_code& handshaken) { self->onHandshake(handshaken); });
}

void ClientCallBase::onHandshake(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    failWith("TLS handshake with " + key_ + " failed", ec);
    return;
  }
  connected();
}

void ClientCallBase::connected() {
  armDeadline(shared_->options.requestTimeout, "the response of " + describe());
  onConnected();
}

Result<std::shared_ptr<asio::ssl::context>> ClientShared::tls() const {
  if (options.plainHttp) return std::shared_ptr<asio::ssl::context>();
  if (options.tls) return options.tls;
  const auto& config = tlsFromEnvironment();
  if (!config) return fail(config.error());
  if (!config->enabled) return std::shared_ptr<asio::ssl::context>();
  auto context = defaultClientTlsContext();
  if (context == nullptr) {
    auto made = makeClientTlsContext(*config);
    if (!made) return fail(made.error());
    return *made;
  }
  return context;
}

void ClientCallBase::writeRequest(std::function<void(const error_code&)> then) {
  if (!message_) {
    message_.emplace();
    message_->method_string(request_.method);
    message_->target(request_.target.empty() ? "/" : request_.target);
    message_->version(11);
    for (const auto& [name, value] : request_.headers)
      message_->insert(name, value);
    message_->set(bhttp::field::host, port_ == 80 ? host_ : key_);
    message_->body() = std::move(request_.body);
    message_->prepare_payload();
    message_->keep_alive(wantsKeepAlive());
  }
  bhttp::async_write(
      socket_, *message_,
      [self = shared_from_this(), then = std::move(then)](const error_code& ec, std::size_t) {
        if (!self->finished_) then(ec);
      });
}

void ClientCallBase::cancel() {
  if (finish()) closeSocket();
}

void ClientCallBase::failWith(std::string_view what, const error_code& ec) {
  if (!finish()) return;
  closeSocket();
  std::string message =
      timedOut_ ? "timed out: " + *timedOut_ : std::string(what) + ": " + ec.message();
  deliverError(Error(message));
}

bool ClientCallBase::finish() {
  if (finished_) return false;
  finished_ = true;
  disarmDeadline();
  resolver_.cancel();
  shared_->calls.erase(this);
  return true;
}

void ClientCallBase::closeSocket() {
  error_code ec;
  if (!socket_.valid()) return;  // moved into the pool
  socket_.lowest().shutdown(tcp::socket::shutdown_both, ec);
  socket_.lowest().close(ec);
}

void ClientCallBase::armDeadline(std::chrono::milliseconds after, std::string what) {
  if (after.count() <= 0) {
    disarmDeadline();
    return;
  }
  deadline_.expires_after(after);
  deadline_.async_wait([self = shared_from_this(), what = std::move(what)](const error_code& ec) {
    if (ec || self->finished_ || self->deadline_.expiry() > Clock::now()) return;
    // Abort what is pending; its completion handler reports the timeout.
    self->timedOut_ = what;
    self->resolver_.cancel();
    self->closeSocket();
  });
}

void ClientCallBase::disarmDeadline() {
  deadline_.expires_at(asio::steady_timer::time_point::max());
}

std::string ClientCallBase::describe() const {
  return request_.method + " http://" + key_ + request_.target;
}

// ---------------------------------------------------------------------------------------------
// RequestCall.

RequestCall::RequestCall(std::shared_ptr<ClientShared> shared, std::string_view host,
                         std::uint16_t port, ClientRequest request, ResponseCallback done)
    : ClientCallBase(std::move(shared), host, port, std::move(request)), done_(std::move(done)) {}

void RequestCall::onConnected() {
  auto self = std::static_pointer_cast<RequestCall>(shared_from_this());
  writeRequest([self](const error_code& ec) {
    if (!ec) {
      self->readResponse();
    } else if (self->shouldRetry(ec)) {
      self->retry();
    } else {
      self->failWith("sending " + self->describe(), ec);
    }
  });
}

void RequestCall::readResponse() {
  const auto& options = shared_->options;
  parser_.emplace();
  parser_->header_limit(headerLimit(options.maxHeaderBytes));
  parser_->body_limit(options.maxBodyBytes);
  if (message_->method() == bhttp::verb::head) parser_->skip(true);
  auto self = std::static_pointer_cast<RequestCall>(shared_from_this());
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self](const error_code& ec, std::size_t) { self->onResponse(ec); });
}

void RequestCall::onResponse(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    if (shouldRetry(ec)) {
      retry();
    } else {
      failWith("reading the response of " + describe(), ec);
    }
    return;
  }
  auto& message = parser_->get();
  Response response = headOf(message.base());
  response.body = std::move(message.body());
  bool reusable = mayReuse() && message.keep_alive() && !message.need_eof() &&
                  message_->keep_alive() && buffer_.size() == 0;
  finish();
  if (reusable) {
    shared_->pool.put(key_, std::move(socket_));
  } else {
    closeSocket();
  }
  auto done = std::move(done_);
  if (done) done(std::move(response));
}

bool RequestCall::shouldRetry(const error_code& ec) const {
  bool closedByServer = ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
  bool nothingArrived = !parser_ || !parser_->got_some();
  return reused_ && !retried_ && !timedOut_ && closedByServer && nothingArrived;
}

void RequestCall::retry() {
  retried_ = true;
  parser_.reset();
  connectFresh();
}

void RequestCall::deliverError(Error error) {
  auto done = std::move(done_);
  if (done) done(fail(std::move(error)));
}

// ---------------------------------------------------------------------------------------------
// StreamCall.

StreamCall::StreamCall(std::shared_ptr<ClientShared> shared, std::string_view host,
                       std::uint16_t port, ClientRequest request, StreamCallbacks callbacks)
    : ClientCallBase(std::move(shared), host, port, std::move(request)),
      callbacks_(std::move(callbacks)),
      chunk_(kStreamChunk) {}

void StreamCall::onConnected() {
  auto self = std::static_pointer_cast<StreamCall>(shared_from_this());
  writeRequest([self](const error_code& ec) {
    if (ec) {
      self->failWith("sending " + self->describe(), ec);
      return;
    }
    self->parser_.emplace();
    self->parser_->header_limit(headerLimit(self->shared_->options.maxHeaderBytes));
    self->parser_->body_limit(boost::none);
    if (self->message_->method() == bhttp::verb::head) self->parser_->skip(true);
    bhttp::async_read_header(self->socket_, self->buffer_, *self->parser_,
                             [self](const error_code& read, std::size_t) { self->onHead(read); });
  });
}

void StreamCall::onHead(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    failWith("reading the response head of " + describe(), ec);
    return;
  }
  armDeadline(shared_->options.streamIdleTimeout, "data on the stream of " + describe());
  auto self = shared_from_this();  // a callback may drop the last other reference
  Response head = headOf(parser_->get().base());
  if (callbacks_.onRefused && (head.status < 200 || head.status > 299)) {
    refusal_ = std::move(head);
  } else if (callbacks_.onHead) {
    callbacks_.onHead(head);
  }
  if (finished_) return;
  if (parser_->is_done()) {
    end({});
    return;
  }
  readBody();
}

void StreamCall::readBody() {
  auto& body = parser_->get().body();
  body.data = chunk_.data();
  body.size = chunk_.size();
  body.more = true;
  auto self = std::static_pointer_cast<StreamCall>(shared_from_this());
  bhttp::async_read_some(socket_, buffer_, *parser_,
                         [self](const error_code& ec, std::size_t) { self->onBody(ec); });
}

void StreamCall::onBody(const error_code& readError) {
  if (finished_) return;
  error_code ec = readError == bhttp::error::need_buffer ? error_code() : readError;
  if (ec) {
    failWith("reading the stream of " + describe(), ec);
    return;
  }
  std::size_t got = chunk_.size() - parser_->get().body().size;
  if (got > 0) {
    armDeadline(shared_->options.streamIdleTimeout, "data on the stream of " + describe());
    if (refusal_) {
      std::string& body = refusal_->body;
      body.append(chunk_.data(), std::min(got, kMaxRefusalBody - body.size()));
      if (body.size() == kMaxRefusalBody) {
        end({});
        return;
      }
    } else if (callbacks_.onData) {
      callbacks_.onData(std::string_view(chunk_.data(), got));
    }
    if (finished_) return;
  }
  if (parser_->is_done()) {
    end({});
    return;
  }
  readBody();
}

void StreamCall::end(Result<void> result) {
  if (!finish()) return;
  closeSocket();
  auto callbacks = std::exchange(callbacks_, {});
  if (refusal_ && callbacks.onRefused) return callbacks.onRefused(*refusal_);
  if (callbacks.onEnd) callbacks.onEnd(std::move(result));
}

void StreamCall::deliverError(Error error) {
  auto callbacks = std::exchange(callbacks_, {});
  // A refusal whose body broke off is still the server's answer.
  if (refusal_ && callbacks.onRefused) return callbacks.onRefused(*refusal_);
  if (callbacks.onEnd) callbacks.onEnd(fail(std::move(error)));
}

}  // namespace plexus::http::detail
