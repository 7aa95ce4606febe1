#include "http/io_runtime.hpp"

#include <boost/asio/post.hpp>

namespace plexus::http {

IoRuntime::~IoRuntime() {
  for (auto& [id, timer] : timers_)
    timer->cancel();
}

Runtime::TimerId IoRuntime::schedule(Duration delay, std::function<void()> callback) {
  TimerId id = next_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  timer->async_wait(
      [this, id, callback = std::move(callback)](const boost::system::error_code& ec) {
        if (ec) return;  // Cancelled: the entry is already gone.
        timers_.erase(id);
        callback();
      });
  timers_.emplace(id, std::move(timer));
  return id;
}

void IoRuntime::cancel(TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

void IoRuntime::post(std::function<void()> callback) {
  boost::asio::post(io_, std::move(callback));
}

}  // namespace plexus::http
