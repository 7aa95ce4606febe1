// Internal: the calls a Client runs, and what they share (options, the pool of idle
// keep-alive connections, the set of live calls). Everything here runs on the
// client's io_context thread.
//
// A call resolves and connects (or takes a pooled connection), writes the request,
// and reads the answer under one deadline timer of its own: when it expires the
// call closes its socket, and the aborted operation reports the timeout. `finished_`
// is set once, before any final callback; every completion handler checks it first,
// so a cancelled call never calls back.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/client.hpp"
#include "http/detail/transport.hpp"

namespace plexus::http::detail {

class ClientCallBase;

// Idle keep-alive connections, per "host:port".
class ConnectionPool {
 public:
  ConnectionPool(std::size_t maxPerHost, std::chrono::milliseconds maxAge)
      : maxPerHost_(maxPerHost), maxAge_(maxAge) {}

  // A live idle connection to `key`, if there is one; stale ones are closed.
  std::optional<Transport> take(const std::string& key);
  void put(const std::string& key, Transport socket);
  void clear() { idle_.clear(); }

 private:
  struct Entry {
    Transport socket;
    std::chrono::steady_clock::time_point since;
  };
  std::size_t maxPerHost_;
  std::chrono::milliseconds maxAge_;
  std::unordered_map<std::string, std::vector<Entry>> idle_;
};

class ClientShared {
 public:
  ClientShared(boost::asio::io_context& io, ClientOptions options)
      : io(io),
        options(std::move(options)),
        pool(this->options.maxIdlePerHost, this->options.maxIdleAge) {}

  // The TLS context of this client's connections: nullptr for plain HTTP, or the
  // error of an invalid TLS environment.
  Result<std::shared_ptr<boost::asio::ssl::context>> tls() const;

  boost::asio::io_context& io;
  const ClientOptions options;
  ConnectionPool pool;
  std::unordered_map<ClientCallBase*, std::weak_ptr<ClientCallBase>> calls;
};

class ClientCallBase : public ClientCall, public std::enable_shared_from_this<ClientCallBase> {
 public:
  ClientCallBase(std::shared_ptr<ClientShared> shared, std::string_view host, std::uint16_t port,
                 ClientRequest request);
  ~ClientCallBase() override = default;

  // Registers with the client and begins on a fresh stack.
  void start();
  void cancel() override;
  bool done() const override { return finished_; }

 protected:
  // The connection is ready (fresh or pooled, see reused_): write and read.
  virtual void onConnected() = 0;
  // Reports a failure to the user; called once, after finished_ is set.
  virtual void deliverError(Error error) = 0;
  // Whether to take a pooled connection first, and to return it afterwards.
  virtual bool mayReuse() const = 0;
  // Whether the request asks the server to keep the connection open.
  virtual bool wantsKeepAlive() const = 0;

  void connectFresh();
  // Writes request_ (built once, so a retry resends it); `then` runs unless finished.
  void writeRequest(std::function<void(const boost::system::error_code&)> then);
  // Ends the call with an error built from `what` and `ec` (or the timeout).
  void failWith(std::string_view what, const boost::system::error_code& ec);
  // Marks the call finished: timers off, unregistered. Returns false if it already was.
  bool finish();
  void closeSocket();
  void armDeadline(std::chrono::milliseconds after, std::string what);
  void disarmDeadline();
  std::string describe() const;  // "POST 10.0.0.1:5050/api/v1/scheduler"

  std::shared_ptr<ClientShared> shared_;
  std::string host_;
  std::uint16_t port_;
  std::string key_;  // "host:port"
  ClientRequest request_;
  boost::asio::ip::tcp::resolver resolver_;
  Transport socket_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request<boost::beast::http::string_body>> message_;
  bool finished_ = false;
  bool reused_ = false;
  std::optional<std::string> timedOut_;  // what was being waited for when the deadline hit

 private:
  void begin();
  void onResolved(const boost::system::error_code& ec,
                  boost::asio::ip::tcp::resolver::results_type results);
  void onConnect(const boost::system::error_code& ec);
  void onHandshake(const boost::system::error_code& ec);
  void connected();
};

class RequestCall final : public ClientCallBase {
 public:
  RequestCall(std::shared_ptr<ClientShared> shared, std::string_view host, std::uint16_t port,
              ClientRequest request, ResponseCallback done);

 private:
  void onConnected() override;
  void deliverError(Error error) override;
  bool mayReuse() const override { return shared_->options.reuseConnections; }
  bool wantsKeepAlive() const override { return shared_->options.reuseConnections; }
  void readResponse();
  void retry();
  void onResponse(const boost::system::error_code& ec);
  // A reused connection the server had already closed: try once more on a new one.
  bool shouldRetry(const boost::system::error_code& ec) const;

  using Parser = boost::beast::http::response_parser<boost::beast::http::string_body>;
  ResponseCallback done_;
  std::optional<Parser> parser_;
  bool retried_ = false;
};

class StreamCall final : public ClientCallBase {
 public:
  StreamCall(std::shared_ptr<ClientShared> shared, std::string_view host, std::uint16_t port,
             ClientRequest request, StreamCallbacks callbacks);

 private:
  void onConnected() override;
  void deliverError(Error error) override;
  bool mayReuse() const override { return false; }
  bool wantsKeepAlive() const override { return true; }
  void onHead(const boost::system::error_code& ec);
  void readBody();
  void onBody(const boost::system::error_code& ec);
  void end(Result<void> result);

  using Parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;
  StreamCallbacks callbacks_;
  std::optional<Parser> parser_;
  std::vector<char> chunk_;
  // A non-2xx answer being read whole for callbacks_.onRefused.
  std::optional<Response> refusal_;
};

// The status and headers of a parsed Beast response, as ours (body empty).
Response headOf(const boost::beast::http::response_header<>& head);

}  // namespace plexus::http::detail
