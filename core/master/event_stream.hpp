// EventStream: where the master writes a subscriber's events (a scheduler's
// SUBSCRIBE stream, an agent's registration stream).
//
// The daemon's streams are chunked HTTP responses (httpEventStream() wraps an
// http::ResponseStream); in-process tests give the master their own and read what
// it wrote. Used on the master's loop only. write() and close() after the
// subscriber went away do nothing; onDisconnect's callback runs once, on the loop,
// when the subscriber goes away while the stream is open.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace plexus::http {
class ResponseStream;
}

namespace plexus::master {

class EventStream {
 public:
  virtual ~EventStream() = default;
  // Sends `bytes` (one or more RecordIO records); false when the stream is closed.
  virtual bool write(std::string bytes) = 0;
  // Ends the stream. Idempotent; does not run the onDisconnect callback.
  virtual void close() = 0;
  virtual bool isOpen() const = 0;
  virtual void onDisconnect(std::function<void()> callback) = 0;
};

// The stream of a chunked HTTP response; null for a null `stream`.
std::shared_ptr<EventStream> httpEventStream(std::shared_ptr<http::ResponseStream> stream);

}  // namespace plexus::master
