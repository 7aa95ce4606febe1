// Internal: the state a Server shares with its connections: options, routes, the
// acceptor and the set of open connections. Lives as long as the Server or any
// connection, whichever is last. Used on the io_context thread only.
#pragma once

#include <memory>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/router.hpp"
#include "http/server.hpp"

namespace plexus::http::detail {

class ServerConnection;

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(boost::asio::io_context& io, ServerOptions options);

  // Opens, binds and listens; then accepts until stop().
  [[nodiscard]] Result<void> listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void stop();

  // Connections register on start and unregister on close.
  void add(const std::shared_ptr<ServerConnection>& connection);
  void remove(ServerConnection* connection);
  std::size_t connectionCount() const { return connections_.size(); }

  boost::asio::io_context& io() { return io_; }
  const ServerOptions& options() const { return options_; }
  Router& router() { return router_; }
  const Gate& gate() const { return gate_; }
  void setGate(Gate gate) { gate_ = std::move(gate); }
  bool stopped() const { return stopped_; }
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

 private:
  void accept();
  void onAccept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  const ServerOptions options_;
  Router router_;
  Gate gate_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer acceptRetry_;
  boost::asio::ip::tcp::endpoint endpoint_;
  bool stopped_ = false;
  std::unordered_map<ServerConnection*, std::weak_ptr<ServerConnection>> connections_;
};

}  // namespace plexus::http::detail
