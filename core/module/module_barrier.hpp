// The barrier between the core and a module's code.
//
// The core never calls a module's interface directly: ModuleRegistry::createGuarded()
// hands out a per-kind wrapper (guarded_modules.hpp) that implements the kind's own
// interface and calls the module through the helpers below. An exception a module
// lets escape (std::exception or anything else) becomes an Error that names the
// module, its kind and the method ("module 'x' (Allocator) threw from
// addFramework(): ..."); each wrapper then applies its kind's policy (see
// guarded_modules.hpp). GuardedRuntime does the same for the work a module hands
// the daemon's loop (timers, posted functions), so no exception of a module ever
// reaches the loop.
//
// Threading: the helpers hold no state; GuardedRuntime is as thread-safe as the
// Runtime it wraps (post() from any thread, the rest on the loop).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <plexus/error.hpp>
#include <plexus/runtime.hpp>

#include "common/loop_affinity.hpp"

namespace plexus::module {

// Which module a wrapper guards, for its errors and log lines.
struct ModuleLabel {
  std::string name;  // the module's name, e.g. "allocator_drf"
  std::string kind;  // its kind, e.g. "Allocator"
};

// "module 'x' (Allocator) threw from addFramework(): <what>". Call inside a catch.
Error thrownError(const ModuleLabel& module, std::string_view method,
                  std::exception_ptr thrown) noexcept;

// Logs `error` (a module's error that has no caller to return to) with what the
// daemon does about it.
void logModuleError(const Error& error, std::string_view consequence) noexcept;

// Calls `body` (returning some Result<T>); an exception becomes its Error.
template <typename Body>
auto guardResult(const ModuleLabel& module, std::string_view method, Body&& body) noexcept
    -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    return fail(thrownError(module, method, std::current_exception()));
  }
}

// Calls `body` (returning void); an exception is logged with `consequence`.
// Returns the error, for wrappers that also report it elsewhere.
template <typename Body>
Result<void> guardVoid(const ModuleLabel& module, std::string_view method,
                       std::string_view consequence, Body&& body) noexcept {
  try {
    body();
    return {};
  } catch (...) {
    Error error = thrownError(module, method, std::current_exception());
    logModuleError(error, consequence);
    return fail(std::move(error));
  }
}

// A core callback handed to a module, checked (PLEXUS_ASSERT_ON_LOOP) to be called
// on the daemon's loop, as every kind's contract requires. An empty one stays empty.
template <typename... Args>
std::function<void(Args...)> loopOnly(const char* where, std::function<void(Args...)> callback) {
  if (!callback) return callback;
  return [where, callback = std::move(callback)](Args... args) {
    PLEXUS_ASSERT_ON_LOOP_IN(where);
    callback(std::forward<Args>(args)...);
  };
}

// For wrappers whose methods answer through a callback (a detector's detect(), a
// store's read() and write()): the callback runs at most once (a module may answer
// and then throw) and on the loop (checked); a module's exception is answered as
// the Error, posted to the loop (never inside the call, as those contracts say),
// and dropped when the wrapper holding this is gone by then.
class CallbackAnswers {
 public:
  explicit CallbackAnswers(const ModuleLabel& module) : module_(module) {}
  ~CallbackAnswers() { *alive_ = false; }
  CallbackAnswers(const CallbackAnswers&) = delete;
  CallbackAnswers& operator=(const CallbackAnswers&) = delete;

  // The daemon's Runtime, once initialize() gave it; until then an exception is
  // answered at once.
  void setRuntime(Runtime* runtime) { runtime_ = runtime; }

  // Calls body(answer), where `answer` is `done` made once-only; `where` names
  // the callback for the loop check.
  template <typename Value, typename Body>
  void call(std::string_view method, const char* where, std::function<void(Result<Value>)> done,
            Body&& body) {
    auto answered = std::make_shared<bool>(false);
    std::function<void(Result<Value>)> answer = [answered, where,
                                                 done = std::move(done)](Result<Value> result) {
      PLEXUS_ASSERT_ON_LOOP_IN(where);
      if (*answered) return;
      *answered = true;
      done(std::move(result));
    };
    auto called = guardResult(module_, method, [&]() -> Result<void> {
      body(answer);
      return {};
    });
    if (called) return;
    if (runtime_ == nullptr) return answer(fail(called.error()));
    runtime_->post([alive = alive_, answer, error = called.error()] {
      if (*alive) answer(fail(error));
    });
  }

 private:
  const ModuleLabel& module_;
  Runtime* runtime_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The Runtime a module is given: the daemon's, with every timer callback and
// posted function the module hands it run behind the barrier (logged with the
// module's name; the daemon goes on).
class GuardedRuntime final : public Runtime {
 public:
  GuardedRuntime(Runtime& inner, ModuleLabel module);

  TimePoint now() const override { return inner_.now(); }
  std::chrono::system_clock::time_point wallNow() const override { return inner_.wallNow(); }
  TimerId schedule(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId timer) override { inner_.cancel(timer); }
  void post(std::function<void()> callback) override;

  Runtime& inner() { return inner_; }

 private:
  Runtime& inner_;
  std::shared_ptr<const ModuleLabel> module_;
};

}  // namespace plexus::module
