// Error: the one error type of Plexus, carried as a value.
//
// Every recoverable failure in the SDK, the core and the modules is returned as a
// `plexus::Result<T>` (a `std::expected<T, plexus::Error>` that may not be
// ignored: the class is [[nodiscard]]), never thrown.
// An Error is a short message that says what went wrong and, where it helps,
// what to do; callers add context as it travels up (`error.context("loading x")`).
// Errors are plain values: copyable, comparable by message, safe to pass across
// a module's .so boundary (the ABI tag guarantees both sides agree on the layout).
//
//   plexus::Result<int> parsePort(std::string_view text);
//   auto port = parsePort("80a");
//   if (!port) std::cerr << port.error().message() << "\n";
//
// PLEXUS_TRY(expr) evaluates an expression of type Result<T> and returns its
// error from the enclosing function (which must return some Result<U>).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace plexus {

class [[nodiscard]] Error {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}

  const std::string& message() const noexcept { return message_; }

  // Returns a copy whose message is "<what>: <this message>".
  Error context(std::string_view what) const { return Error(std::string(what) + ": " + message_); }

  friend bool operator==(const Error&, const Error&) = default;

 private:
  std::string message_;
};

// std::expected<T, Error>, [[nodiscard]] as a type: a call whose Result is dropped
// is a warning wherever it is declared. Converts to and from std::expected (the
// monadic operations, and_then() and the like, return std::expected).
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Result() = default;
  Result(const std::expected<T, Error>& other) : std::expected<T, Error>(other) {}
  Result(std::expected<T, Error>&& other) : std::expected<T, Error>(std::move(other)) {}

  // Two Results compare as std::expected does (the value, or the error).
  friend bool operator==(const Result& left, const Result& right) {
    return static_cast<const std::expected<T, Error>&>(left) ==
           static_cast<const std::expected<T, Error>&>(right);
  }
};

// Shorthand for the error side of a Result: `return fail("bad port");`.
inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error(std::move(message)));
}
inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

}  // namespace plexus

// Returns the error of a Result-valued expression from the enclosing function.
#define PLEXUS_TRY(...)                                  \
  do {                                                   \
    auto&& plexus_try_result_ = (__VA_ARGS__);           \
    if (!plexus_try_result_) {                           \
      return ::plexus::fail(plexus_try_result_.error()); \
    }                                                    \
  } while (false)
