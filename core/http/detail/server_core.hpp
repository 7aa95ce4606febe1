// Internal: the state a Server shares with its connections: options, routes, the
// acceptor, the set of open connections (capped, with the idle ones closed first
// when the cap or the file descriptor limit is reached) and the body budget. Lives
// as long as the Server or any connection, whichever is last. Used on the
// io_context thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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

  // The body budget (ServerOptions::bodyBudgetBytes): takes `bytes` from it, or
  // returns false (taking nothing) when that would go past it.
  [[nodiscard]] bool chargeBody(std::uint64_t bytes);
  void releaseBody(std::uint64_t bytes);
  std::uint64_t bodyBytesInUse() const { return bodyBytesInUse_; }

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
  void acceptFailed(const boost::system::error_code& ec);
  // Turns away a connection over the cap: a best-effort 503, then close.
  void refuse(boost::asio::ip::tcp::socket& socket);
  // Closes the connection idle the longest (no request in progress); false if none is.
  bool evictIdle(std::string_view why);
  // Logs `line` at most once per kLogInterval, counting what it held back.
  void logThrottled(const std::string& line);

  boost::asio::io_context& io_;
  const ServerOptions options_;
  Router router_;
  Gate gate_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer acceptRetry_;
  boost::asio::ip::tcp::endpoint endpoint_;
  bool stopped_ = false;
  std::unordered_map<ServerConnection*, std::weak_ptr<ServerConnection>> connections_;
  std::uint64_t bodyBytesInUse_ = 0;
  std::chrono::steady_clock::time_point lastLog_{};
  std::size_t heldBackLogs_ = 0;
};

}  // namespace plexus::http::detail
