#include "plexus/executor/mesos.hpp"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <plexus/json.hpp>
#include <plexus/logging.hpp>
#include <plexus/recordio.hpp>

#include "http/client.hpp"

namespace plexus::executor {
namespace {

using v1::executor::Call;
using v1::executor::Event;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kPath = "/api/v1/executor";

// What ends an executor that outlived its shutdown grace period, unless
// Options::shutdownGraceExpired says otherwise: as Mesos's library, SIGKILL to the
// executor's process group (itself and what it started without a group of its own;
// the agent starts every executor as the leader of its own session and group).
void killExecutorProcessGroup() {
  if (::getpgrp() == ::getpid()) ::killpg(0, SIGKILL);
  ::kill(::getpid(), SIGKILL);
}

// Runs `expire` once, `grace` after arm(), on a thread of its own so that a callback
// blocked on the loop thread cannot hold it back; destruction cancels it.
class ShutdownWatchdog {
 public:
  ShutdownWatchdog() = default;
  ShutdownWatchdog(const ShutdownWatchdog&) = delete;
  ShutdownWatchdog& operator=(const ShutdownWatchdog&) = delete;
  ~ShutdownWatchdog() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Later calls do nothing: the first SHUTDOWN's deadline stands.
  void arm(Duration grace, std::function<void()> expire) {
    std::lock_guard lock(mutex_);
    if (armed_ || cancelled_) return;
    armed_ = true;
    thread_ = std::thread([this, grace, expire = std::move(expire)] {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, grace, [this] { return cancelled_; })) return;
      lock.unlock();
      expire();
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool armed_ = false;
  bool cancelled_ = false;
  std::thread thread_;
};

}  // namespace

class Mesos::Impl {
 public:
  Impl(ExecutorEnvironment env, ContentType contentType, Callbacks callbacks, Options options)
      : client_(io_, http::ClientOptions{.connectTimeout = options.connectTimeout,
                                         .requestTimeout = options.requestTimeout}),
        env_(std::move(env)),
        contentType_(contentType),
        callbacks_(std::move(callbacks)),
        options_(options),
        backoff_(options.backoffMin),
        rng_(std::random_device{}()) {}

  ~Impl() {
    PLEXUS_CHECK(std::this_thread::get_id() != thread_.get_id())
        << "an executor::Mesos must not be destroyed from one of its callbacks";
    boost::asio::post(io_, [this] {
      stopping_ = true;
      client_.cancelAll();
      retryTimer_.cancel();
      io_.stop();
    });
    thread_.join();
  }

  void start() {
    registrationDeadline_ = Clock::now() + options_.registrationTimeout;
    thread_ = std::thread([this] { io_.run(); });
    boost::asio::post(io_, [this] { connect(); });
  }

  void send(Call call) {
    call.mutable_executor_id()->set_value(env_.executorId);
    call.mutable_framework_id()->set_value(env_.frameworkId);
    boost::asio::post(io_, [this, call = std::move(call)] { doSend(call); });
  }

 private:
  enum class State { kDisconnected, kConnecting, kConnected, kSubscribing, kSubscribed, kStopped };

  std::string_view mediaType() const {
    return contentType_ == ContentType::kJson ? kJson : kProtobuf;
  }
  std::string encode(const Call& call) const {
    return contentType_ == ContentType::kJson ? toJson(call) : call.SerializeAsString();
  }

  // Every call's headers: the encoding both ways, and the executor's token if any.
  http::Headers headers() const {
    http::Headers out{{"Content-Type", std::string(mediaType())},
                      {"Accept", std::string(mediaType())}};
    if (!env_.authenticationToken.empty())
      out.set("Authorization", "Bearer " + env_.authenticationToken);
    return out;
  }

  void connect() {
    if (stopping_ || state_ == State::kStopped) return;
    state_ = State::kConnecting;
    probe_ = client_.request(env_.agentHost, env_.agentPort,
                             {.method = "GET", .target = std::string(kPath), .headers = headers()},
                             [this](Result<http::Response> answer) {
                               if (state_ != State::kConnecting) return;
                               if (!answer) {
                                 state_ = State::kDisconnected;
                                 return retryOrGiveUp();
                               }
                               state_ = State::kConnected;
                               backoff_ = options_.backoffMin;
                               recoveryDeadline_.reset();
                               if (callbacks_.connected) callbacks_.connected();
                             });
  }

  // Before the first connection (for Options::registrationTimeout), and while
  // recovering with checkpointing, the agent is retried; otherwise the library stops.
  void retryOrGiveUp() {
    if (everConnected_ && !env_.checkpoint) return stop();
    if (!everConnected_ && Clock::now() >= registrationDeadline_) {
      // The agent died before we ever subscribed (or never answers): nobody is
      // coming for this executor.
      PLEXUS_LOG(Warning) << "could not subscribe to the agent at " << env_.agentHost << ":"
                          << env_.agentPort << " within "
                          << formatDuration(options_.registrationTimeout) << "; shutting down";
      stop();
      return deliverShutdown();
    }
    if (recoveryDeadline_ && Clock::now() >= *recoveryDeadline_) {
      PLEXUS_LOG(Warning) << "the agent did not come back within MESOS_RECOVERY_TIMEOUT ("
                          << formatDuration(env_.recoveryTimeout) << "); shutting down";
      stop();
      return deliverShutdown();
    }
    Millis wait = backoff_;
    auto max = std::chrono::duration_cast<Millis>(env_.subscriptionBackoffMax);
    backoff_ = std::max(options_.backoffMin, std::min(max, backoff_ * 2));
    std::uniform_int_distribution<long> jitter(wait.count() / 2, std::max<long>(wait.count(), 1));
    retryTimer_.expires_after(Millis(jitter(rng_)));
    retryTimer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && state_ == State::kDisconnected) connect();
    });
  }

  void stop() {
    state_ = State::kStopped;
    ++generation_;
    dropQueuedUpdates();
    retryTimer_.cancel();
    if (stream_) stream_->cancel();
  }

  void lost(const std::string& why) {
    if (stopping_ || state_ == State::kStopped) return;
    ++generation_;
    dropQueuedUpdates();
    if (stream_) stream_->cancel();
    stream_.reset();
    state_ = State::kDisconnected;
    PLEXUS_LOG(Info) << "disconnected from the agent: " << why;
    if (env_.checkpoint) recoveryDeadline_ = Clock::now() + env_.recoveryTimeout;
    if (callbacks_.disconnected) callbacks_.disconnected();
    if (!env_.checkpoint) {
      // As in Mesos: the agent cannot recover an executor of a framework that does
      // not checkpoint, so nobody will ever talk to this one again.
      PLEXUS_LOG(Warning) << "the framework does not checkpoint (MESOS_CHECKPOINT), so the agent "
                             "cannot come back for this executor; shutting down";
      stop();
      return deliverShutdown();
    }
    retryOrGiveUp();
  }

  // Hands the executor a SHUTDOWN of the library's own (the agent is lost for good).
  void deliverShutdown() {
    Event shutdown;
    shutdown.set_type(Event::SHUTDOWN);
    armShutdownWatchdog();
    if (callbacks_.received) callbacks_.received({shutdown});
  }

  // After a SHUTDOWN the executor has MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD to exit;
  // then it is ended, whether or not the agent is there to do it.
  void armShutdownWatchdog() {
    std::function<void()> expire = options_.shutdownGraceExpired;
    Duration grace = env_.shutdownGracePeriod;
    watchdog_.arm(grace,
                  [expire, grace] {
                    PLEXUS_LOG(Warning)
                        << "the executor did not exit within MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD ("
                        << formatDuration(grace) << ") of SHUTDOWN; ending it";
                    if (expire) return expire();
                    killExecutorProcessGroup();
                  });
  }

  // The stream is gone: updates still waiting for their turn are dropped, as calls
  // sent while not subscribed are (the executor resends them in SUBSCRIBE).
  void dropQueuedUpdates() {
    auto waiting = std::move(updatesInFlight_);
    updatesInFlight_.clear();
    for (const auto& [task, calls] : waiting) {
      for (const Call& call : calls)
        reportError(call, Error("dropped: the executor is not subscribed"));
    }
  }

  void reportError(const Call& call, const Error& error) {
    if (callbacks_.error) {
      callbacks_.error(call, error);
    } else {
      PLEXUS_LOG(Warning) << "executor call " << Call::Type_Name(call.type())
                          << " failed: " << error.message();
    }
  }

  void doSend(const Call& call) {
    if (stopping_) return;
    if (call.type() == Call::SUBSCRIBE) {
      if (state_ != State::kConnected)
        return reportError(call, Error("dropped: the executor is not connected"));
      return subscribe(call);
    }
    if (state_ != State::kSubscribed)
      return reportError(call, Error("dropped: the executor is not subscribed"));
    if (call.type() == Call::UPDATE) {
      // A task's updates reach the agent in the order they were sent (Mesos's library
      // sends every call on one pipelined connection): one in flight per task.
      const std::string& task = call.update().status().task_id().value();
      auto [waiting, idle] = updatesInFlight_.try_emplace(task);
      if (!idle) {
        waiting->second.push_back(call);
        return;
      }
    }
    post(call);
  }

  // The next update of the task of `call`, once `call` got its answer (or failed).
  void sendNextUpdate(const Call& call) {
    if (call.type() != Call::UPDATE) return;
    auto waiting = updatesInFlight_.find(call.update().status().task_id().value());
    if (waiting == updatesInFlight_.end()) return;
    if (waiting->second.empty()) {
      updatesInFlight_.erase(waiting);
      return;
    }
    Call next = std::move(waiting->second.front());
    waiting->second.pop_front();
    post(next);
  }

  void post(const Call& call) {
    std::uint64_t generation = generation_;
    http::ClientRequest request{
        .method = "POST", .target = std::string(kPath), .headers = headers(), .body = encode(call)};
    client_.request(env_.agentHost, env_.agentPort, std::move(request),
                    [this, call, generation](Result<http::Response> answer) {
                      if (stopping_) return;
                      if (generation == generation_) sendNextUpdate(call);
                      if (!answer) return reportError(call, answer.error());
                      if (!answer->ok()) {
                        reportError(call, Error(Call::Type_Name(call.type()) + " answered " +
                                                std::to_string(answer->status) +
                                                (answer->body.empty() ? "" : ": " + answer->body)));
                      }
                    });
  }

  void subscribe(const Call& call) {
    state_ = State::kSubscribing;
    std::uint64_t generation = ++generation_;
    auto status = std::make_shared<unsigned>(0);
    auto body = std::make_shared<std::string>();
    http::ClientRequest request{
        .method = "POST", .target = std::string(kPath), .headers = headers(), .body = encode(call)};
    stream_ = client_.stream(
        env_.agentHost, env_.agentPort, std::move(request),
        {.onHead =
             [this, generation, status](const http::Response& head) {
               if (generation != generation_) return;
               *status = head.status;
               if (head.status != 200) return;
               state_ = State::kSubscribed;
               everConnected_ = true;
               streamJson_ = head.header("Content-Type").value_or(mediaType()).starts_with(kJson);
               decoder_ = RecordIODecoder();
             },
         .onData =
             [this, generation, status, body](std::string_view bytes) {
               if (generation != generation_) return;
               if (*status == 200) return onEventBytes(bytes);
               if (body->size() < 4096) body->append(bytes.substr(0, 4096 - body->size()));
             },
         .onEnd =
             [this, generation, status, body, call](Result<void> end) {
               if (generation != generation_) return;
               if (*status == 200 || *status == 0) {
                 return lost(end ? "the event stream ended"
                                 : "the event stream failed: " + end.error().message());
               }
               state_ = State::kConnected;
               stream_.reset();
               reportError(call, Error("SUBSCRIBE answered " + std::to_string(*status) +
                                       (body->empty() ? "" : ": " + *body)));
             }});
  }

  void onEventBytes(std::string_view bytes) {
    std::vector<std::string> records;
    auto decoded = decoder_.decode(bytes, &records);
    std::deque<Event> events;
    for (const std::string& record : records) {
      Event event;
      bool ok = streamJson_ ? fromJson(record, &event).has_value() : event.ParseFromString(record);
      if (!ok) {
        PLEXUS_LOG(Warning) << "dropping an event that does not parse";
        continue;
      }
      if (event.type() == Event::SHUTDOWN) armShutdownWatchdog();
      events.push_back(std::move(event));
    }
    std::uint64_t generation = generation_;
    if (!events.empty() && callbacks_.received) callbacks_.received(std::move(events));
    if (!decoded && generation == generation_)
      lost("malformed event stream: " + decoded.error().message());
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  http::Client client_;
  boost::asio::steady_timer retryTimer_{io_};
  std::thread thread_;

  const ExecutorEnvironment env_;
  const ContentType contentType_;
  const Callbacks callbacks_;
  const Options options_;

  // Touched only on the loop thread.
  State state_ = State::kDisconnected;
  bool stopping_ = false;
  bool everConnected_ = false;  // subscribed at least once
  std::optional<Clock::time_point> recoveryDeadline_;
  Clock::time_point registrationDeadline_{};
  std::uint64_t generation_ = 0;
  std::shared_ptr<http::ClientCall> probe_;
  std::shared_ptr<http::ClientCall> stream_;
  // Tasks with an UPDATE in flight, and their updates waiting to be sent.
  std::map<std::string, std::deque<Call>> updatesInFlight_;
  bool streamJson_ = false;
  RecordIODecoder decoder_;
  Millis backoff_;
  std::mt19937 rng_;
  ShutdownWatchdog watchdog_;
};

Result<std::unique_ptr<Mesos>> Mesos::create(ContentType contentType, Callbacks callbacks,
                                             Options options) {
  auto env = ExecutorEnvironment::fromProcess();
  if (!env) return fail(env.error());
  return create(std::move(*env), contentType, std::move(callbacks), options);
}

Result<std::unique_ptr<Mesos>> Mesos::create(ExecutorEnvironment environment,
                                             ContentType contentType, Callbacks callbacks,
                                             Options options) {
  if (environment.agentHost.empty() || environment.agentPort == 0) {
    return fail("the agent endpoint (MESOS_AGENT_ENDPOINT) is not set");
  }
  if (options.backoffMin.count() <= 0) return fail("backoffMin must be positive");
  auto impl = std::make_shared<Impl>(environment, contentType, std::move(callbacks), options);
  impl->start();
  return std::unique_ptr<Mesos>(new Mesos(std::move(environment), std::move(impl)));
}

Mesos::~Mesos() = default;

void Mesos::send(v1::executor::Call call) {
  impl_->send(std::move(call));
}

}  // namespace plexus::executor
