#include "http/server.hpp"

#include "http/detail/server_core.hpp"

namespace plexus::http {

Server::Server(boost::asio::io_context& io, ServerOptions options)
    : core_(std::make_shared<detail::ServerCore>(io, std::move(options))) {}

Server::~Server() {
  stop();
}

Result<void> Server::route(std::string_view path, Handler handler, RouteOptions options) {
  return core_->router().add(path, std::move(handler), std::move(options));
}

void Server::setGate(Gate gate) {
  core_->setGate(std::move(gate));
}

Router& Server::router() {
  return core_->router();
}

Result<void> Server::listen(std::string_view ip, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return fail("invalid IP address '" + std::string(ip) + "': " + ec.message());
  return core_->listen({address, port});
}

std::uint16_t Server::port() const {
  return core_->endpoint().port();
}

boost::asio::ip::tcp::endpoint Server::endpoint() const {
  return core_->endpoint();
}

std::size_t Server::connectionCount() const {
  return core_->connectionCount();
}

std::uint64_t Server::bodyBytesInUse() const {
  return core_->bodyBytesInUse();
}

void Server::stop() {
  core_->stop();
}

}  // namespace plexus::http
