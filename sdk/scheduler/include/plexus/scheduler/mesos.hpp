// plexus::scheduler::Mesos: a v1 scheduler HTTP API client for framework authors,
// modelled on Mesos's `mesos::v1::scheduler::Mesos` (include/mesos/v1/scheduler.hpp).
//
// The library runs its own io_context on its own thread: a framework's program need
// not run any event loop. Every callback (connected, disconnected, received, error)
// runs on that thread, one at a time, never inside send() or reconnect(). Callbacks
// may call send() and reconnect(); they must not destroy the Mesos object.
//
// Life cycle, as in Mesos's library:
//   1. The library probes the master; once it answers, `connected()` runs.
//   2. The scheduler sends SUBSCRIBE. The library keeps the answer open as the
//      event stream, follows 307 redirects (`Location: //host:port/path`), retries
//      503 with backoff, remembers `Mesos-Stream-Id` and adds it to every later call.
//      Events arrive through `received()`, in stream order, one batch per chunk.
//   3. When the stream ends, fails, or stays silent for `heartbeatMisses` heartbeat
//      intervals (from SUBSCRIBED), or on reconnect(), `disconnected()` runs; the
//      library retries the master with exponential backoff (Options) and calls
//      `connected()` again. The scheduler re-subscribes (with its framework id).
//
// Calls: send() is thread-safe and asynchronous. The caller sets framework_id. A
// SUBSCRIBE while not connected, or any other call while not subscribed, is
// dropped. Calls other than SUBSCRIBE that fail (transport error or a non-2xx
// answer other than 307, which is followed, and 503, which is retried) are reported
// through `Callbacks::error`, or logged as warnings when it is unset.
//
//   auto mesos = plexus::scheduler::Mesos::create("127.0.0.1:5050", ContentType::kProtobuf,
//       {.connected = [&] { mesos->send(subscribeCall); },
//        .disconnected = [] {},
//        .received = [&](std::deque<Event> events) { ... }});
//   if (!mesos) die(mesos.error().message());
//
// Destruction stops the thread; no callback runs after the destructor returns.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <plexus/error.hpp>
#include <plexus/v1/scheduler.pb.h>

namespace plexus {
class MasterDetector;
}

namespace plexus::scheduler {

// The encoding of calls and events.
enum class ContentType { kJson, kProtobuf };

struct Options {
  // Reconnection backoff: starts at backoffMin, doubles up to backoffMax; each wait
  // is drawn uniformly from [wait/2, wait] (jitter). Reset by a successful connect.
  std::chrono::milliseconds backoffMin = std::chrono::seconds(1);
  std::chrono::milliseconds backoffMax = std::chrono::seconds(60);
  // The stream is dead after this many heartbeat intervals without any event.
  double heartbeatMisses = 5;
  // Redirects followed for one call before it fails.
  int maxRedirects = 5;
  // 503 answers retried for one call (with backoff) before it fails.
  int max503Retries = 10;
  std::chrono::milliseconds connectTimeout = std::chrono::seconds(10);
  std::chrono::milliseconds requestTimeout = std::chrono::seconds(60);
  // Sent with every call as HTTP Basic (a master with --authenticate_frameworks
  // answers 401 without it). Mesos's library takes it the same way.
  std::optional<v1::Credential> credential{};
};

struct Callbacks {
  std::function<void()> connected{};
  std::function<void()> disconnected{};
  std::function<void(std::deque<v1::scheduler::Event>)> received{};
  // A call that failed or was refused (see above). Optional: logged when unset.
  std::function<void(const v1::scheduler::Call& call, const Error& error)> error{};
};

class Mesos {
 public:
  // `master` is "host:port" (or "http://host:port[/path]"; the default path is
  // /api/v1/scheduler). "zk://" addresses need the detector overload below. Starts
  // the thread and the first connection attempt.
  [[nodiscard]] static Result<std::unique_ptr<Mesos>> create(std::string master,
                                                             ContentType contentType,
                                                             Callbacks callbacks,
                                                             Options options = {});

  // Follows the leading master that `detector` names (e.g. detector_zk's
  // detector_zk_detector, loaded by the caller; the library does not load modules).
  // The library initializes it and calls it on its own thread, and destroys its
  // reference there. When the leader changes, disconnected() runs and then
  // connected() once the new leader answers: re-subscribe with the FrameworkID.
  // While no master leads, nothing is connected.
  [[nodiscard]] static Result<std::unique_ptr<Mesos>> create(
      std::shared_ptr<MasterDetector> detector, ContentType contentType, Callbacks callbacks,
      Options options = {});
  ~Mesos();
  Mesos(const Mesos&) = delete;
  Mesos& operator=(const Mesos&) = delete;

  // Queues `call` for sending. Thread-safe.
  void send(const v1::scheduler::Call& call);

  // Drops the connection and the subscription (disconnected() runs if connected),
  // then connects again at once (connected() runs when the master answers).
  void reconnect();

  class Impl;

 private:
  explicit Mesos(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace plexus::scheduler
