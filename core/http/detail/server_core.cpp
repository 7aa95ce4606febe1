#include "http/detail/server_core.hpp"

#include <sstream>

#include <plexus/logging.hpp>

#include "http/detail/server_connection.hpp"

namespace plexus::http::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

ServerCore::ServerCore(asio::io_context& io, ServerOptions options)
    : io_(io), options_(std::move(options)), acceptor_(io), acceptRetry_(io) {}

Result<void> ServerCore::listen(const tcp::endpoint& endpoint) {
  if (stopped_) return fail("the HTTP server was stopped");
  if (acceptor_.is_open()) return fail("the HTTP server is already listening");
  auto where = [&] {
    std::ostringstream out;
    out << endpoint;
    return out.str();
  };
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return fail("cannot listen on " + where() + ": " + ec.message());
  }
  accept();
  return {};
}

void ServerCore::accept() {
  acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->onAccept(ec, std::move(socket));
  });
}

void ServerCore::onAccept(const error_code& ec, tcp::socket socket) {
  if (stopped_ || !acceptor_.is_open() || ec == asio::error::operation_aborted) return;
  if (ec == asio::error::connection_aborted) {
    accept();
    return;
  }
  if (ec) {
    // E.g. out of file descriptors: back off instead of spinning on the loop.
    PLEXUS_LOG(Warning) << "HTTP accept failed: " << ec.message();
    acceptRetry_.expires_after(std::chrono::milliseconds(100));
    acceptRetry_.async_wait([self = shared_from_this()](const error_code& waited) {
      if (!waited && !self->stopped_) self->accept();
    });
    return;
  }
  auto connection = std::make_shared<ServerConnection>(std::move(socket), shared_from_this());
  add(connection);
  connection->start();
  accept();
}

void ServerCore::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ec;
  acceptor_.close(ec);
  acceptRetry_.cancel();
  auto connections = connections_;
  for (auto& [raw, weak] : connections) {
    if (auto connection = weak.lock()) connection->close("server stopped");
  }
  connections_.clear();
}

void ServerCore::add(const std::shared_ptr<ServerConnection>& connection) {
  connections_.emplace(connection.get(), connection);
}

void ServerCore::remove(ServerConnection* connection) {
  connections_.erase(connection);
}

}  // namespace plexus::http::detail
