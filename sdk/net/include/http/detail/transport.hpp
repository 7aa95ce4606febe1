// Internal: a connection's byte stream, plain TCP or TLS over TCP, behind one type
// so the server's connections and the client's calls (and Beast's algorithms,
// which take any AsyncReadStream / AsyncWriteStream) need not care which.
//
// A Transport starts plain; TLS wraps the connected socket before the handshake
// (startTls), which the owner then runs on tls(). Use on one io_context thread.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace plexus::http::detail {

class Transport {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;
  using executor_type = Tcp::executor_type;

  explicit Transport(Tcp socket) : plain_(std::move(socket)) {}
  Transport(Transport&& other) noexcept
      : plain_(std::move(other.plain_)), tls_(std::move(other.tls_)) {
    other.plain_.reset();
  }
  Transport& operator=(Transport&& other) noexcept {
    plain_ = std::move(other.plain_);
    tls_ = std::move(other.tls_);
    other.plain_.reset();
    return *this;
  }

  // Moves the TCP socket under a TLS stream (before any byte of TLS was exchanged).
  void startTls(boost::asio::ssl::context& context) {
    tls_ = std::make_unique<Tls>(std::move(*plain_), context);
    plain_.reset();
  }

  // False once moved from.
  bool valid() const { return plain_.has_value() || tls_ != nullptr; }
  executor_type get_executor() { return lowest().get_executor(); }
  Tcp& lowest() { return tls_ ? tls_->next_layer() : *plain_; }
  const Tcp& lowest() const { return tls_ ? tls_->next_layer() : *plain_; }
  // The TLS stream, or nullptr on a plain connection.
  Tls* tls() { return tls_.get(); }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_write_some(buffers, std::forward<Handler>(handler));
  }

 private:
  std::optional<Tcp> plain_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace plexus::http::detail
