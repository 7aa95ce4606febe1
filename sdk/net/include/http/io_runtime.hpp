// IoRuntime: a plexus::Runtime on a boost::asio::io_context: the one a daemon gives
// its modules on its loop, the one the scheduler library runs its detector on, and
// the one a module's own tests can run it on (against a real service).
//
// Timers are boost::asio::steady_timers on the io_context; post() is
// boost::asio::post (safe from any thread). Every other method, and every timer
// callback, runs on the io_context's thread. Create it before the modules that use
// it and destroy it after them; pending timers are cancelled on destruction. See
// <plexus/runtime.hpp> for the contract; unit tests use a FakeRuntime instead.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <plexus/runtime.hpp>

namespace plexus::http {

class IoRuntime final : public Runtime {
 public:
  explicit IoRuntime(boost::asio::io_context& io) : io_(io) {}
  ~IoRuntime() override;

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

}  // namespace plexus::http
