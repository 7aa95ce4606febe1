#include "master/event_stream.hpp"

#include "http/stream.hpp"

namespace plexus::master {
namespace {

class HttpEventStream final : public EventStream {
 public:
  explicit HttpEventStream(std::shared_ptr<http::ResponseStream> stream)
      : stream_(std::move(stream)) {}
  bool write(std::string bytes) override { return stream_->write(std::move(bytes)); }
  void close() override { stream_->close(); }
  bool isOpen() const override { return stream_->isOpen(); }
  void onDisconnect(std::function<void()> callback) override {
    stream_->onDisconnect(std::move(callback));
  }

 private:
  std::shared_ptr<http::ResponseStream> stream_;
};

}  // namespace

std::shared_ptr<EventStream> httpEventStream(std::shared_ptr<http::ResponseStream> stream) {
  if (stream == nullptr) return nullptr;
  return std::make_shared<HttpEventStream>(std::move(stream));
}

}  // namespace plexus::master
