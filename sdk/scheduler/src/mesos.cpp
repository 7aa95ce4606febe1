#include "plexus/scheduler/mesos.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <plexus/internal/credentials.hpp>
#include <plexus/json.hpp>
#include <plexus/logging.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/recordio.hpp>

#include "http/client.hpp"
#include "http/io_runtime.hpp"
#include "http/url.hpp"

namespace plexus::scheduler {
namespace {

using v1::scheduler::Call;
using v1::scheduler::Event;
using Millis = std::chrono::milliseconds;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kDefaultPath = "/api/v1/scheduler";

std::string callName(const Call& call) {
  return Call::Type_Name(call.type());
}

}  // namespace

class Mesos::Impl {
 public:
  Impl(http::Url master, ContentType contentType, Callbacks callbacks, Options options)
      : client_(io_, http::ClientOptions{.connectTimeout = options.connectTimeout,
                                         .requestTimeout = options.requestTimeout}),
        configured_(master),
        current_(std::move(master)),
        contentType_(contentType),
        callbacks_(std::move(callbacks)),
        options_(options),
        backoff_(options.backoffMin),
        rng_(std::random_device{}()) {}

  ~Impl() {
    PLEXUS_CHECK(std::this_thread::get_id() != thread_.get_id())
        << "a scheduler::Mesos must not be destroyed from one of its callbacks";
    boost::asio::post(io_, [this] {
      stopping_ = true;
      client_.cancelAll();
      retryTimer_.cancel();
      watchdog_.cancel();
      detector_.reset();  // on the loop, as its contract asks; no callback runs after
      io_.stop();
    });
    thread_.join();
  }

  // With a detector, the master is whichever one it names as the leader.
  void start(std::shared_ptr<MasterDetector> detector) {
    thread_ = std::thread([this] { io_.run(); });
    boost::asio::post(io_, [this, detector = std::move(detector)]() mutable {
      if (!detector) {
        connect();
        return;
      }
      detector_ = std::move(detector);
      if (auto ready = detector_->initialize(runtime_); !ready) {
        PLEXUS_LOG(Error) << "master detector: " << ready.error().message();
        return;
      }
      detect(std::nullopt);
    });
  }

  void send(const Call& call) {
    boost::asio::post(io_, [this, call] { doSend(call); });
  }

  void reconnect() {
    boost::asio::post(io_, [this] {
      if (stopping_) return;
      dropConnection("reconnect() was called");
      retryTimer_.cancel();
      connect();
    });
  }

 private:
  enum class State { kDisconnected, kConnecting, kConnected, kSubscribing, kSubscribed };

  bool isConnected() const {
    return state_ == State::kConnected || state_ == State::kSubscribing ||
           state_ == State::kSubscribed;
  }
  std::string_view mediaType() const {
    return contentType_ == ContentType::kJson ? kJson : kProtobuf;
  }

  std::string encode(const Call& call) const {
    return contentType_ == ContentType::kJson ? toJson(call) : call.SerializeAsString();
  }

  void detect(const std::optional<v1::MasterInfo>& previous) {
    detector_->detect(previous, [this](Result<std::optional<v1::MasterInfo>> leader) {
      if (stopping_) return;
      if (!leader) {
        PLEXUS_LOG(Error) << "master detector failed and cannot recover: "
                          << leader.error().message();
        return;
      }
      leaderChanged(*leader);
      detect(*leader);
    });
  }

  // A new leader (or none): drop the old master and connect to the new one at once;
  // the scheduler re-subscribes from connected() with its FrameworkID.
  void leaderChanged(const std::optional<v1::MasterInfo>& leader) {
    dropConnection(leader ? "a new master leads" : "no master leads");
    retryTimer_.cancel();
    backoff_ = options_.backoffMin;
    if (!leader) {
      PLEXUS_LOG(Warning) << "no master is leading; waiting for one";
      haveMaster_ = false;
      return;
    }
    configured_.host = !leader->address().ip().empty() ? leader->address().ip()
                       : !leader->hostname().empty()   ? leader->hostname()
                                                       : leader->address().hostname();
    configured_.port = static_cast<std::uint16_t>(leader->port());
    configured_.target = std::string(kDefaultPath);
    haveMaster_ = true;
    PLEXUS_LOG(Info) << "leading master is " << leader->id() << " at " << describe(configured_);
    connect();
  }

  // Probes the master with a GET of the endpoint: any HTTP answer means it is up.
  void connect() {
    if (stopping_ || !haveMaster_) return;
    state_ = State::kConnecting;
    current_ = configured_;
    if (probe_) probe_->cancel();
    probe_ = client_.request(
        current_.host, current_.port, {.method = "GET", .target = current_.target},
        [this](Result<http::Response> answer) {
          if (state_ != State::kConnecting) return;
          if (!answer) {
            // A TLS failure is configuration, not a master starting up:
            // say so where the operator looks.
            const std::string& why = answer.error().message();
            if (why.find("TLS") != std::string::npos)
              PLEXUS_LOG(Warning) << "master " << describe(configured_)
                                  << " not reachable: " << why;
            else
              PLEXUS_LOG(Debug) << "master " << describe(configured_) << " not reachable: " << why;
            state_ = State::kDisconnected;
            scheduleConnect();
            return;
          }
          state_ = State::kConnected;
          backoff_ = options_.backoffMin;
          if (callbacks_.connected) callbacks_.connected();
        });
  }

  Millis nextBackoff() {
    Millis wait = backoff_;
    backoff_ = std::min(options_.backoffMax, backoff_ * 2);
    std::uniform_int_distribution<long> jitter(wait.count() / 2, std::max<long>(wait.count(), 1));
    return Millis(jitter(rng_));
  }

  void scheduleConnect() {
    retryTimer_.expires_after(nextBackoff());
    retryTimer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && state_ == State::kDisconnected) connect();
    });
  }

  // Ends the connection (and subscription) without reconnecting; runs disconnected().
  void dropConnection(const std::string& why) {
    bool wasConnected = isConnected();
    ++generation_;
    if (stream_) stream_->cancel();
    if (probe_) probe_->cancel();
    stream_.reset();
    probe_.reset();
    watchdog_.cancel();
    streamId_.clear();
    state_ = State::kDisconnected;
    if (wasConnected) {
      PLEXUS_LOG(Info) << "disconnected from master " << describe(current_) << ": " << why;
      if (callbacks_.disconnected) callbacks_.disconnected();
    }
  }

  void lost(const std::string& why) {
    if (stopping_ || !isConnected()) return;
    dropConnection(why);
    if (state_ == State::kDisconnected) scheduleConnect();
  }

  static std::string describe(const http::Url& url) {
    return url.host + ":" + std::to_string(url.port) + url.target;
  }

  void reportError(const Call& call, const Error& error) {
    if (callbacks_.error) {
      callbacks_.error(call, error);
    } else {
      PLEXUS_LOG(Warning) << "scheduler call " << callName(call) << " failed: " << error.message();
    }
  }

  void doSend(const Call& call) {
    if (stopping_) return;
    if (call.type() == Call::SUBSCRIBE) {
      if (state_ != State::kConnected) {
        reportError(call, Error("dropped: SUBSCRIBE needs a connected, unsubscribed client"));
        return;
      }
      subscribe(call, 0, 0);
      return;
    }
    if (state_ != State::kSubscribed) {
      reportError(call, Error("dropped: the scheduler is not subscribed"));
      return;
    }
    post(call, current_, 0, 0);
  }

  // --- SUBSCRIBE: the event stream ---------------------------------------------------

  void subscribe(const Call& call, int redirects, int retries) {
    state_ = State::kSubscribing;
    std::uint64_t generation = ++generation_;
    auto body = std::make_shared<std::string>();  // the body of a refusal
    http::ClientRequest request{.method = "POST",
                                .target = current_.target,
                                .headers = {{"Content-Type", std::string(mediaType())},
                                            {"Accept", std::string(mediaType())}},
                                .body = encode(call)};
    authorize(request);
    auto status = std::make_shared<unsigned>(0);
    stream_ = client_.stream(
        current_.host, current_.port, std::move(request),
        {.onHead =
             [this, generation, status, call, redirects, retries](const http::Response& head) {
               if (generation != generation_) return;
               *status = head.status;
               if (head.status == 200) return onSubscribed(head);
               if (head.status == 307) return followSubscribe(call, head, redirects, retries);
               if (head.status == 503) return retrySubscribe(call, redirects, retries);
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
               if (*status == 200) {
                 return lost(end ? "the event stream ended"
                                 : "the event stream failed: " + end.error().message());
               }
               if (*status == 0) {
                 return lost("SUBSCRIBE failed: " +
                             (end ? std::string("no answer") : end.error().message()));
               }
               state_ = State::kConnected;
               stream_.reset();
               reportError(call, Error("SUBSCRIBE answered " + std::to_string(*status) + " " +
                                       std::string(http::reasonPhrase(*status)) +
                                       (body->empty() ? "" : ": " + *body)));
             }});
  }

  void onSubscribed(const http::Response& head) {
    state_ = State::kSubscribed;
    streamId_ = std::string(head.header("Mesos-Stream-Id").value_or(""));
    auto type = head.header("Content-Type").value_or(mediaType());
    streamJson_ = type.starts_with(kJson);
    decoder_ = RecordIODecoder();
    heartbeat_ = std::chrono::seconds(15);
    armWatchdog();
  }

  void followSubscribe(const Call& call, const http::Response& head, int redirects, int retries) {
    ++generation_;  // ignore the rest of this answer
    auto location = head.header("Location");
    auto url = location ? http::parseUrl(*location) : fail("no Location header");
    if (!url || redirects >= options_.maxRedirects) {
      state_ = State::kConnected;
      reportError(call, Error("SUBSCRIBE redirected: " +
                              (url ? "too many redirects" : url.error().message())));
      return;
    }
    if (url->target == "/") url->target = current_.target;
    PLEXUS_LOG(Info) << "master " << describe(current_) << " redirected to " << describe(*url);
    current_ = *url;
    boost::asio::post(io_, [this, call, redirects, retries, generation = generation_] {
      if (generation == generation_ && state_ == State::kSubscribing)
        subscribe(call, redirects + 1, retries);
    });
  }

  void retrySubscribe(const Call& call, int redirects, int retries) {
    std::uint64_t generation = ++generation_;
    if (retries >= options_.max503Retries) {
      state_ = State::kConnected;
      reportError(call, Error("SUBSCRIBE: master unavailable (503) after retries"));
      return;
    }
    retryTimer_.expires_after(nextBackoff());
    retryTimer_.async_wait(
        [this, call, redirects, retries, generation](boost::system::error_code ec) {
          if (!ec && generation == generation_ && state_ == State::kSubscribing) {
            subscribe(call, redirects, retries + 1);
          }
        });
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
      if (event.type() == Event::SUBSCRIBED &&
          event.subscribed().has_heartbeat_interval_seconds() &&
          event.subscribed().heartbeat_interval_seconds() > 0) {
        heartbeat_ = std::chrono::duration_cast<Millis>(
            std::chrono::duration<double>(event.subscribed().heartbeat_interval_seconds()));
      }
      events.push_back(std::move(event));
    }
    armWatchdog();
    std::uint64_t generation = generation_;
    if (!events.empty() && callbacks_.received) callbacks_.received(std::move(events));
    if (!decoded && generation == generation_)
      lost("malformed event stream: " + decoded.error().message());
  }

  void armWatchdog() {
    auto limit = std::chrono::duration_cast<Millis>(heartbeat_ * options_.heartbeatMisses);
    watchdog_.expires_after(limit);
    watchdog_.async_wait([this, generation = generation_](boost::system::error_code ec) {
      if (!ec && generation == generation_ && state_ == State::kSubscribed) {
        lost("no event (not even a heartbeat) for " + std::to_string(options_.heartbeatMisses) +
             " heartbeat intervals");
      }
    });
  }

  // --- other calls -------------------------------------------------------------------

  void authorize(http::ClientRequest& request) const {
    if (options_.credential)
      request.headers.set("Authorization", basicAuthorization(*options_.credential));
  }

  void post(const Call& call, http::Url to, int redirects, int retries) {
    http::ClientRequest request{.method = "POST",
                                .target = to.target,
                                .headers = {{"Content-Type", std::string(mediaType())},
                                            {"Accept", std::string(mediaType())},
                                            {"Mesos-Stream-Id", streamId_}},
                                .body = encode(call)};
    authorize(request);
    client_.request(
        to.host, to.port, std::move(request),
        [this, call, to, redirects, retries](Result<http::Response> answer) {
          if (stopping_) return;
          if (!answer) return reportError(call, answer.error());
          if (answer->ok()) return;
          if (answer->status == 307 && redirects < options_.maxRedirects) {
            if (auto url = http::parseUrl(answer->header("Location").value_or(""))) {
              if (url->target == "/") url->target = to.target;
              return post(call, *url, redirects + 1, retries);
            }
          }
          if (answer->status == 503 && retries < options_.max503Retries) {
            auto timer = std::make_shared<boost::asio::steady_timer>(io_, nextBackoff());
            timer->async_wait(
                [this, timer, call, to, redirects, retries](boost::system::error_code ec) {
                  if (!ec && !stopping_) post(call, to, redirects, retries + 1);
                });
            return;
          }
          reportError(call, Error(callName(call) + " answered " + std::to_string(answer->status) +
                                  " " + std::string(http::reasonPhrase(answer->status)) +
                                  (answer->body.empty() ? "" : ": " + answer->body)));
        });
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  http::Client client_;
  boost::asio::steady_timer retryTimer_{io_};
  boost::asio::steady_timer watchdog_{io_};
  std::thread thread_;

  http::Url configured_;  // the master, or the leader the detector named last
  http::Url current_;
  http::IoRuntime runtime_{io_};  // what a MasterDetector runs on
  std::shared_ptr<MasterDetector> detector_;
  bool haveMaster_ = true;  // false while the detector knows no leader
  const ContentType contentType_;
  const Callbacks callbacks_;
  const Options options_;

  // Touched only on the loop thread.
  State state_ = State::kDisconnected;
  bool stopping_ = false;
  std::uint64_t generation_ = 0;  // bumped whenever the stream in progress is abandoned
  std::shared_ptr<http::ClientCall> probe_;
  std::shared_ptr<http::ClientCall> stream_;
  std::string streamId_;
  bool streamJson_ = false;
  RecordIODecoder decoder_;
  Millis heartbeat_ = std::chrono::seconds(15);
  Millis backoff_;
  std::mt19937 rng_;
};

Result<std::unique_ptr<Mesos>> Mesos::create(std::shared_ptr<MasterDetector> detector,
                                             ContentType contentType, Callbacks callbacks,
                                             Options options) {
  if (!detector) return fail("Mesos::create: no master detector given");
  if (options.backoffMin.count() <= 0 || options.backoffMax < options.backoffMin) {
    return fail("backoff options: need 0 < backoffMin <= backoffMax");
  }
  http::Url none{.host = "", .port = 0, .target = std::string(kDefaultPath)};
  auto impl = std::make_shared<Impl>(std::move(none), contentType, std::move(callbacks), options);
  impl->start(std::move(detector));
  return std::unique_ptr<Mesos>(new Mesos(std::move(impl)));
}

Result<std::unique_ptr<Mesos>> Mesos::create(std::string master, ContentType contentType,
                                             Callbacks callbacks, Options options) {
  if (master.starts_with("zk://") || master.starts_with("file://")) {
    return fail("master '" + master +
                "': a ZooKeeper address needs a master detector: load the detector_zk "
                "module's detector_zk_detector and pass it to create(detector, ...) "
                "(plexus-execute does this for --master=zk://)");
  }
  auto url = http::parseUrl(master);
  if (!url) return fail(url.error().context("master '" + master + "'"));
  std::string_view authority = master;
  if (authority.starts_with("http://")) authority.remove_prefix(7);
  if (authority.starts_with("//")) authority.remove_prefix(2);
  authority = authority.substr(0, authority.find('/'));
  if (url->host.empty() || authority.find(':') == std::string_view::npos ||
      url->host.find_first_of(" \t\r\n") != std::string::npos) {
    return fail("master '" + master + "': expected host:port");
  }
  if (url->target == "/") url->target = std::string(kDefaultPath);
  if (options.backoffMin.count() <= 0 || options.backoffMax < options.backoffMin) {
    return fail("backoff options: need 0 < backoffMin <= backoffMax");
  }
  auto impl = std::make_shared<Impl>(std::move(*url), contentType, std::move(callbacks), options);
  impl->start(nullptr);
  return std::unique_ptr<Mesos>(new Mesos(std::move(impl)));
}

Mesos::~Mesos() = default;

void Mesos::send(const v1::scheduler::Call& call) {
  impl_->send(call);
}

void Mesos::reconnect() {
  impl_->reconnect();
}

}  // namespace plexus::scheduler
