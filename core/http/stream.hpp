// ResponseStream: the open body of a streaming (chunked) HTTP response.
//
// Made by Responder::stream() (responder.hpp); the handler keeps the shared_ptr,
// e.g. in the framework it serves, and writes one chunk per write() at any later
// time. This is how the master sends a scheduler's SUBSCRIBE event stream and how
// the agent sends an executor's: each write() carries one or more RecordIO records.
//
//   auto stream = responder.stream(200, {{"Content-Type", "application/json"}});
//   stream->onDisconnect([this, id] { deactivateFramework(id); });
//   stream->write(recordio::encode(subscribedEvent));
//   ...                             // later, from the loop or posted from elsewhere
//   stream->close();                // terminating chunk; the connection lives on
//
// Lifetime: dropping the last shared_ptr of an open stream closes it (as close()).
// A streaming connection is exempt from the server's idle timeout. If the client
// goes away (read EOF or error, a failed write, the server stopping, or more than
// ServerOptions::maxQueuedBytes waiting to be written), the stream becomes closed
// and the onDisconnect callback runs once, on the io_context thread.
//
// Thread-safety: write(), close() and isOpen() may be called from any thread;
// write() and close() run on the server's io_context. onDisconnect() may be called
// from any thread too; its callback always runs on the io_context thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace plexus::http {

namespace detail {
class ServerConnection;
}

class ResponseStream : public std::enable_shared_from_this<ResponseStream> {
 public:
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Queues `bytes` as one chunk (empty writes are skipped). Returns false, and
  // sends nothing, when the stream is closed or the client has gone away.
  bool write(std::string bytes);

  // Ends the body with the terminating chunk. Idempotent. Does not call onDisconnect.
  void close();

  // False after close() or once the client has gone away.
  bool isOpen() const { return open_.load(std::memory_order_acquire); }

  // Sets the callback run (once, on the io_context) when the client goes away while
  // the stream is open. If that already happened, the callback is posted at once.
  void onDisconnect(std::function<void()> callback);

 private:
  friend class detail::ServerConnection;
  friend class Responder;
  ResponseStream(std::shared_ptr<detail::ServerConnection> connection, std::uint64_t sequence);

  // Called by the connection on its io_context thread.
  void notifyDisconnect();

  const std::shared_ptr<detail::ServerConnection> connection_;
  const std::uint64_t sequence_;
  std::atomic<bool> open_{true};
  // Touched only on the io_context thread.
  bool lostWhileOpen_ = false;
  std::function<void()> onDisconnect_;
};

}  // namespace plexus::http
