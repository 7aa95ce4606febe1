// Helpers for the HTTP tests: an io_context on its own thread (the "daemon loop"),
// a blocking raw TCP client with timeouts (to send exactly the bytes a test wants),
// and a reader that parses one response off such a socket. 127.0.0.1 only.
#pragma once

#include "../support/loop_thread.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <functional>
#include <future>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/types.hpp"

namespace plexus::http::testing {

using namespace std::chrono_literals;

using plexus::testing::LoopThread;

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

// A blocking TCP client socket to 127.0.0.1:port whose reads time out.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawSocket() { close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads what is available, waiting up to `timeout` for something. Returns
  // nullopt on timeout, "" on EOF or error.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[16384];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return std::string();
    return std::string(buffer, static_cast<std::size_t>(n));
  }

  // True if the peer closes (EOF or reset) within `timeout`; data read meanwhile is dropped.
  bool waitClosed(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto got = receive(std::max(left, 1ms));
      if (got && got->empty()) return true;
    }
    return false;
  }

  void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Parses one response, using bytes left over from the previous one first.
  // Returns nullopt on timeout, EOF before a whole response, or a parse error.
  std::optional<Response> readResponse(bool head = false, std::chrono::milliseconds timeout = 5s) {
    namespace bhttp = boost::beast::http;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    if (head) parser.skip(true);
    while (true) {
      if (!pending_.empty()) {
        boost::beast::error_code ec;
        std::size_t used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) return std::nullopt;
        if (parser.is_done()) break;
        if (!ec && used > 0) continue;
      }
      auto got = receive(timeout);
      if (!got) return std::nullopt;
      if (got->empty()) {
        boost::beast::error_code ec;
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return std::nullopt;
        break;
      }
      pending_ += *got;
    }
    auto& message = parser.get();
    Response response;
    response.status = message.result_int();
    for (const auto& field : message) {
      response.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    return response;
  }

  // Bytes received but not consumed by readResponse().
  std::string& pending() { return pending_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

// "GET <target> HTTP/1.1" with a Host header and `extra` header lines ("Name: v\r\n").
inline std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

}  // namespace plexus::http::testing
