// LoopRuntime: the plexus::Runtime a daemon gives its modules, on its io_context.
//
// Timers are boost::asio::steady_timers on the daemon's loop; post() is
// boost::asio::post. One LoopRuntime per daemon, created before the modules and
// destroyed after them. Pending timers are cancelled on destruction. See
// <plexus/runtime.hpp> for the contract; tests use a fake Runtime instead.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <plexus/runtime.hpp>

namespace plexus {

class LoopRuntime final : public Runtime {
 public:
  explicit LoopRuntime(boost::asio::io_context& io) : io_(io) {}
  ~LoopRuntime() override;

  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::now();
  }
  TimerId schedule(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId timer) override;
  void post(std::function<void()> callback) override;

 private:
  boost::asio::io_context& io_;
  TimerId next_ = 1;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace plexus
