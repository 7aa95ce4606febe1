#include "http/detail/server_core.hpp"

#include <sstream>
#include <sys/socket.h>

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
  if (ec) return acceptFailed(ec);
  const std::size_t cap = options_.maxConnections;
  // Idle connections give way to new ones before the reserve is touched.
  if (cap > 0 && connections_.size() + options_.reservedConnections >= cap) {
    evictIdle("closed to make room: the server is near its connection limit");
  }
  if (cap > 0 && connections_.size() >= cap) {
    refuse(socket);
    accept();
    return;
  }
  // The last reservedConnections below the cap serve only the routes allowed to use them.
  bool reserveOnly = cap > 0 && connections_.size() + options_.reservedConnections >= cap;
  auto connection = std::make_shared<ServerConnection>(std::move(socket), shared_from_this());
  add(connection);
  connection->start(reserveOnly);
  accept();
}

void ServerCore::acceptFailed(const error_code& ec) {
  // E.g. out of file descriptors (EMFILE): the pending connection stays in the
  // backlog, so accepting again at once would spin. Free a descriptor by closing the
  // connection idle the longest, and back off when there is none.
  bool freed =
      (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
       ec == asio::error::no_memory || ec == boost::system::errc::too_many_files_open_in_system) &&
      evictIdle("closed to free a file descriptor");
  logThrottled("HTTP accept failed: " + ec.message() + " (" + std::to_string(connections_.size()) +
               " connections open)" +
               (freed ? "; closing idle connections" : "; retrying in 100ms"));
  acceptRetry_.expires_after(freed ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100));
  acceptRetry_.async_wait([self = shared_from_this()](const error_code& waited) {
    if (!waited && !self->stopped_) self->accept();
  });
}

void ServerCore::refuse(tcp::socket& socket) {
  std::ostringstream line;
  error_code ec;
  line << "HTTP connection from " << socket.remote_endpoint(ec)
       << " refused: " << connections_.size()
       << " connections are open, the limit, and none is idle";
  logThrottled(line.str());
  if (options_.tls == nullptr) {
    // Best effort, without waiting: the socket's send buffer is empty.
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: 56\r\n\r\n"
        "Service unavailable: too many connections; retry later.\n";
    ::send(socket.native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  socket.close(ec);
}

bool ServerCore::evictIdle(std::string_view why) {
  std::shared_ptr<ServerConnection> oldest;
  for (auto& [raw, weak] : connections_) {
    auto connection = weak.lock();
    if (!connection || !connection->idle()) continue;
    if (!oldest || connection->idleSince() < oldest->idleSince()) oldest = std::move(connection);
  }
  if (!oldest) return false;
  oldest->close(why);
  return true;
}

void ServerCore::logThrottled(const std::string& line) {
  constexpr std::chrono::seconds kLogInterval(10);
  auto now = std::chrono::steady_clock::now();
  if (lastLog_ != std::chrono::steady_clock::time_point{} && now - lastLog_ < kLogInterval) {
    ++heldBackLogs_;
    return;
  }
  PLEXUS_LOG(Warning) << line
                      << (heldBackLogs_ > 0 ? " (and " + std::to_string(heldBackLogs_) +
                                                  " such events in the last 10s not logged)"
                                            : std::string());
  lastLog_ = now;
  heldBackLogs_ = 0;
}

bool ServerCore::chargeBody(std::uint64_t bytes) {
  const std::uint64_t budget = options_.bodyBudgetBytes;
  if (budget > 0 && (bytes > budget || bodyBytesInUse_ > budget - bytes)) return false;
  bodyBytesInUse_ += bytes;
  return true;
}

void ServerCore::releaseBody(std::uint64_t bytes) {
  bodyBytesInUse_ -= std::min(bytes, bodyBytesInUse_);
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
