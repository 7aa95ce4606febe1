#include "http/client.hpp"

#include <optional>

#include "http/detail/client_call.hpp"

namespace plexus::http {

Client::Client(boost::asio::io_context& io, ClientOptions options)
    : io_(io), shared_(std::make_shared<detail::ClientShared>(io, std::move(options))) {}

Client::~Client() {
  cancelAll();
}

std::shared_ptr<ClientCall> Client::request(std::string_view host, std::uint16_t port,
                                            ClientRequest request, ResponseCallback done) {
  auto call = std::make_shared<detail::RequestCall>(shared_, host, port, std::move(request),
                                                    std::move(done));
  call->start();
  return call;
}

std::shared_ptr<ClientCall> Client::stream(std::string_view host, std::uint16_t port,
                                           ClientRequest request, StreamCallbacks callbacks) {
  auto call = std::make_shared<detail::StreamCall>(shared_, host, port, std::move(request),
                                                   std::move(callbacks));
  call->start();
  return call;
}

void Client::cancelAll() {
  auto calls = shared_->calls;  // cancel() unregisters as it goes
  for (auto& [raw, weak] : calls) {
    if (auto call = weak.lock()) call->cancel();
  }
  shared_->calls.clear();
  shared_->pool.clear();
}

std::string describeRefusal(const Response& answer) {
  std::string text = std::to_string(answer.status) + " " + std::string(reasonPhrase(answer.status));
  std::string_view body = answer.body;
  body = body.substr(0, body.find('\n'));
  while (!body.empty() && (body.back() == '\r' || body.back() == ' '))
    body.remove_suffix(1);
  if (!body.empty()) text += ": " + std::string(body.substr(0, 1024));
  return text;
}

Result<Response> fetch(std::string_view host, std::uint16_t port, ClientRequest request,
                       ClientOptions options) {
  boost::asio::io_context io;
  options.reuseConnections = false;
  Client client(io, options);
  std::optional<Result<Response>> result;
  client.request(host, port, std::move(request),
                 [&](Result<Response> response) { result.emplace(std::move(response)); });
  io.run();
  if (!result) return fail("the request to " + std::string(host) + " ended without an answer");
  return std::move(*result);
}

}  // namespace plexus::http
