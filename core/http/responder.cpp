#include "http/responder.hpp"

#include <boost/asio/dispatch.hpp>

#include <plexus/logging.hpp>

#include "http/detail/server_connection.hpp"
#include "http/stream.hpp"

namespace plexus::http {

void Responder::respond(Response response) const {
  if (state_->answered.exchange(true, std::memory_order_acq_rel)) {
    PLEXUS_LOG(Warning) << "HTTP request answered twice; the second answer (status "
                        << response.status << ") is dropped";
    return;
  }
  boost::asio::dispatch(state_->connection->executor(),
                        [connection = state_->connection, sequence = state_->sequence,
                         response = std::move(response)]() mutable {
                          connection->respond(sequence, std::move(response));
                        });
}

std::shared_ptr<ResponseStream> Responder::stream(unsigned status, Headers headers) const {
  if (state_->answered.exchange(true, std::memory_order_acq_rel)) {
    PLEXUS_LOG(Warning) << "HTTP request answered twice; the stream (status " << status
                        << ") is not started";
    return nullptr;
  }
  std::shared_ptr<ResponseStream> stream(new ResponseStream(state_->connection, state_->sequence));
  boost::asio::dispatch(
      state_->connection->executor(),
      [connection = state_->connection, sequence = state_->sequence, status,
       headers = std::move(headers), weak = std::weak_ptr<ResponseStream>(stream)]() mutable {
        connection->startStream(sequence, status, std::move(headers), weak);
      });
  return stream;
}

bool Responder::answered() const {
  return state_->answered.load(std::memory_order_acquire);
}

Handler jsonGetHandler(std::function<std::string()> produce) {
  return [produce = std::move(produce)](Request request, Responder responder) {
    if (request.method != "GET" && request.method != "HEAD") {
      return responder.respond(methodNotAllowed({"GET"}));
    }
    responder.respond(jsonOk(request, produce()));
  };
}

}  // namespace plexus::http
