#include "http/stream.hpp"

#include <exception>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <plexus/logging.hpp>

#include "http/detail/server_connection.hpp"

namespace plexus::http {

ResponseStream::ResponseStream(std::shared_ptr<detail::ServerConnection> connection,
                               std::uint64_t sequence)
    : connection_(std::move(connection)), sequence_(sequence) {}

ResponseStream::~ResponseStream() {
  if (!open_.load(std::memory_order_acquire)) return;
  boost::asio::dispatch(connection_->executor(), [connection = connection_, sequence = sequence_] {
    connection->streamClose(sequence);
  });
}

bool ResponseStream::write(std::string bytes) {
  if (!isOpen()) return false;
  if (bytes.empty()) return true;
  boost::asio::dispatch(connection_->executor(), [connection = connection_, sequence = sequence_,
                                                  bytes = std::move(bytes)]() mutable {
    connection->streamWrite(sequence, std::move(bytes));
  });
  return true;
}

void ResponseStream::close() {
  if (!open_.exchange(false, std::memory_order_acq_rel)) return;
  boost::asio::dispatch(connection_->executor(),
                        [connection = connection_, sequence = sequence_, weak = weak_from_this()] {
                          connection->streamClose(sequence);
                          // The callback may hold this stream; dropping it breaks that cycle.
                          if (auto self = weak.lock()) self->onDisconnect_ = nullptr;
                        });
}

void ResponseStream::onDisconnect(std::function<void()> callback) {
  boost::asio::dispatch(connection_->executor(),
                        [weak = weak_from_this(), executor = connection_->executor(),
                         callback = std::move(callback)]() mutable {
                          auto self = weak.lock();
                          if (!self) return;
                          if (self->lostWhileOpen_) {
                            boost::asio::post(executor, std::move(callback));
                          } else if (self->isOpen()) {
                            self->onDisconnect_ = std::move(callback);
                          }
                        });
}

void ResponseStream::notifyDisconnect() {
  if (!open_.exchange(false, std::memory_order_acq_rel)) return;
  lostWhileOpen_ = true;
  if (!onDisconnect_) return;
  auto callback = std::exchange(onDisconnect_, nullptr);
  try {
    callback();
  } catch (const std::exception& e) {
    PLEXUS_LOG(Error) << "HTTP stream onDisconnect callback threw: " << e.what();
  } catch (...) {
    PLEXUS_LOG(Error) << "HTTP stream onDisconnect callback threw";
  }
}

}  // namespace plexus::http
