// plexus::scheduler::Mesos over real sockets: a real plexus-master with a fake
// agent, and in-test servers for redirects, 503, heartbeats and refused calls.
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/recordio.hpp>
#include <plexus/scheduler/mesos.hpp>

#include "api_client.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "loop_thread.hpp"
#include "process.hpp"

namespace plexus::scheduler {
namespace {

using namespace std::chrono_literals;
using sdktest::eventually;
using v1::scheduler::Call;
using v1::scheduler::Event;

// Everything the callbacks saw, guarded for the test thread.
struct Recorder {
  std::mutex mutex;
  int connected = 0;
  int disconnected = 0;
  std::vector<Event> events;
  std::vector<std::string> errors;
  std::function<void()> onConnected;

  Callbacks callbacks() {
    return {.connected =
                [this] {
                  {
                    std::lock_guard lock(mutex);
                    ++connected;
                  }
                  if (onConnected) onConnected();
                },
            .disconnected =
                [this] {
                  std::lock_guard lock(mutex);
                  ++disconnected;
                },
            .received =
                [this](std::deque<Event> batch) {
                  std::lock_guard lock(mutex);
                  for (auto& event : batch)
                    events.push_back(std::move(event));
                },
            .error =
                [this](const Call& call, const Error& error) {
                  std::lock_guard lock(mutex);
                  errors.push_back(Call::Type_Name(call.type()) + ": " + error.message());
                }};
  }
  int connects() {
    std::lock_guard lock(mutex);
    return connected;
  }
  int disconnects() {
    std::lock_guard lock(mutex);
    return disconnected;
  }
  std::size_t errorCount() {
    std::lock_guard lock(mutex);
    return errors.size();
  }
  std::optional<Event> find(Event::Type type, std::size_t nth = 0) {
    std::lock_guard lock(mutex);
    for (const auto& event : events) {
      if (event.type() == type && nth-- == 0) return event;
    }
    return std::nullopt;
  }
  std::size_t count(Event::Type type) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& event : events)
      n += event.type() == type;
    return n;
  }
};

Options fastOptions() {
  return {.backoffMin = 50ms, .backoffMax = 200ms, .connectTimeout = 2s, .requestTimeout = 5s};
}

Call subscribeCall(const std::string& frameworkId = "") {
  Call call;
  call.set_type(Call::SUBSCRIBE);
  auto* info = call.mutable_subscribe()->mutable_framework_info();
  info->set_user("test");
  info->set_name("scheduler-lib-test");
  if (!frameworkId.empty()) {
    info->mutable_id()->set_value(frameworkId);
    call.mutable_framework_id()->set_value(frameworkId);
  }
  return call;
}

// Subscribes from connected(), with the FrameworkID once remembered (re-subscribing).
struct Resubscriber {
  std::atomic<Mesos*> handle{nullptr};
  std::mutex mutex;
  std::string frameworkId;

  void attach(Recorder& recorder) {
    recorder.onConnected = [this] {
      eventually([&] { return handle.load() != nullptr; });
      std::lock_guard lock(mutex);
      handle.load()->send(subscribeCall(frameworkId));
    };
  }
  void remember(const std::string& id) {
    std::lock_guard lock(mutex);
    frameworkId = id;
  }
  std::string id() {
    std::lock_guard lock(mutex);
    return frameworkId;
  }
};

TEST(SchedulerLib, RefusesZooKeeperMasters) {
  Recorder recorder;
  auto mesos = Mesos::create("zk://127.0.0.1:2181/mesos", ContentType::kJson, recorder.callbacks());
  ASSERT_FALSE(mesos.has_value());
  EXPECT_NE(mesos.error().message().find("zk://"), std::string::npos) << mesos.error().message();
  EXPECT_FALSE(
      Mesos::create("not an address", ContentType::kJson, recorder.callbacks()).has_value());
}

class SchedulerLibMaster : public ::testing::TestWithParam<ContentType> {
 protected:
  void startMaster(int port = 0) {
    // Each master its own --work_dir (its registry's lock refuses sharing).
    std::vector<std::string> args{
        "--port=" + std::to_string(port),
        "--work_dir=" + (dir_.path() / ("master" + std::to_string(++masters_))).string(),
        "--allocation_interval=50ms"};
    master_ = std::make_unique<testing::Process>("plexus-master", args, dir_.path());
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::Process> master_;
  int port_ = 0;
  int masters_ = 0;
};

TEST_P(SchedulerLibMaster, SubscribesGetsOffersAndDeclines) {
  startMaster();
  testing::FakeAgent agent(port_);
  ASSERT_TRUE(agent.registerWith("cpus:2;mem:1024").has_value());

  Recorder recorder;
  std::unique_ptr<Mesos> mesos;
  std::atomic<Mesos*> handle{nullptr};
  recorder.onConnected = [&] {
    eventually([&] { return handle.load() != nullptr; });
    handle.load()->send(subscribeCall());
  };
  auto created = Mesos::create("127.0.0.1:" + std::to_string(port_), GetParam(),
                               recorder.callbacks(), fastOptions());
  ASSERT_TRUE(created.has_value()) << created.error().message();
  mesos = std::move(*created);
  handle = mesos.get();

  ASSERT_TRUE(eventually([&] { return recorder.find(Event::SUBSCRIBED).has_value(); }));
  auto subscribed = *recorder.find(Event::SUBSCRIBED);
  std::string frameworkId = subscribed.subscribed().framework_id().value();
  EXPECT_FALSE(frameworkId.empty());
  EXPECT_GT(subscribed.subscribed().heartbeat_interval_seconds(), 0);
  ASSERT_TRUE(eventually([&] { return recorder.find(Event::OFFERS).has_value(); }));
  auto offers = *recorder.find(Event::OFFERS);
  ASSERT_GT(offers.offers().offers_size(), 0);

  Call decline;
  decline.set_type(Call::DECLINE);
  decline.mutable_framework_id()->set_value(frameworkId);
  *decline.mutable_decline()->add_offer_ids() = offers.offers().offers(0).id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0.1);
  mesos->send(decline);
  // Declined with a short filter: the resources come back in a later offer.
  ASSERT_TRUE(eventually([&] { return recorder.count(Event::OFFERS) >= 2; }));
  // A call the master refuses (no such task) still answers 202; a bad one goes to error().
  Call bad;
  bad.set_type(Call::KILL);
  bad.mutable_framework_id()->set_value("not-this-framework");
  bad.mutable_kill()->mutable_task_id()->set_value("t");
  mesos->send(bad);
  ASSERT_TRUE(eventually([&] { return recorder.errorCount() >= 1; }));
  EXPECT_NE(recorder.errors[0].find("400"), std::string::npos) << recorder.errors[0];
  EXPECT_EQ(recorder.disconnects(), 0);
}

TEST_P(SchedulerLibMaster, ReconnectsAfterTheMasterRestarts) {
  startMaster();
  int port = port_;
  Recorder recorder;
  Resubscriber subscriber;
  subscriber.attach(recorder);
  auto mesos = Mesos::create("127.0.0.1:" + std::to_string(port), GetParam(), recorder.callbacks(),
                             fastOptions());
  ASSERT_TRUE(mesos.has_value()) << mesos.error().message();
  subscriber.handle = mesos->get();
  ASSERT_TRUE(eventually([&] { return recorder.find(Event::SUBSCRIBED).has_value(); }));
  subscriber.remember(recorder.find(Event::SUBSCRIBED)->subscribed().framework_id().value());
  std::string frameworkId = subscriber.id();

  master_.reset();  // SIGKILL: the stream breaks
  ASSERT_TRUE(eventually([&] { return recorder.disconnects() == 1; }));
  startMaster(port);
  ASSERT_TRUE(eventually([&] { return recorder.connects() == 2; }));
  ASSERT_TRUE(eventually([&] { return recorder.count(Event::SUBSCRIBED) == 2; }))
      << (recorder.errorCount() ? recorder.errors[0] : "");
  EXPECT_EQ(recorder.find(Event::SUBSCRIBED, 1)->subscribed().framework_id().value(), frameworkId);
}

// A detector the test drives: announce() names a leader (or none) on the library's loop.
class FakeDetector final : public MasterDetector {
 public:
  Result<void> initialize(Runtime& runtime) override {
    runtime_ = &runtime;
    initialized_ = true;
    return {};
  }
  void detect(const std::optional<v1::MasterInfo>&, DetectCallback callback) override {
    std::lock_guard lock(mutex_);
    callback_ = std::move(callback);
  }
  bool waiting() {
    std::lock_guard lock(mutex_);
    return initialized_ && callback_ != nullptr;
  }
  // Call once waiting(): hands `leader` to the pending detect() on the loop.
  void announce(std::optional<int> port) {
    DetectCallback callback;
    {
      std::lock_guard lock(mutex_);
      callback = std::move(callback_);
      callback_ = nullptr;
    }
    std::optional<v1::MasterInfo> leader;
    if (port) {
      leader.emplace();
      leader->set_id("master-" + std::to_string(*port));
      leader->set_ip(0);
      leader->set_port(*port);
      leader->set_hostname("127.0.0.1");
      leader->mutable_address()->set_ip("127.0.0.1");
      leader->mutable_address()->set_port(*port);
    }
    runtime_->post([callback, leader] { callback(leader); });
  }

 private:
  std::mutex mutex_;
  Runtime* runtime_ = nullptr;
  std::atomic<bool> initialized_{false};
  DetectCallback callback_;
};

// With a detector the library connects to whoever it names, and moves to the next
// leader when it changes; the scheduler re-subscribes there with its FrameworkID.
TEST_P(SchedulerLibMaster, FollowsTheLeaderItsDetectorNames) {
  startMaster();
  int first = port_;
  auto firstMaster = std::move(master_);
  startMaster();
  int second = port_;

  Recorder recorder;
  Resubscriber subscriber;
  subscriber.attach(recorder);
  auto detector = std::make_shared<FakeDetector>();
  auto mesos = Mesos::create(detector, GetParam(), recorder.callbacks(), fastOptions());
  ASSERT_TRUE(mesos.has_value()) << mesos.error().message();
  subscriber.handle = mesos->get();
  ASSERT_TRUE(eventually([&] { return detector->waiting(); }));
  EXPECT_EQ(recorder.connects(), 0);  // no leader named yet: nothing to connect to

  detector->announce(first);
  ASSERT_TRUE(eventually([&] { return recorder.find(Event::SUBSCRIBED).has_value(); }));
  subscriber.remember(recorder.find(Event::SUBSCRIBED)->subscribed().framework_id().value());
  std::string frameworkId = subscriber.id();
  ASSERT_TRUE(eventually([&] { return detector->waiting(); }));
  detector->announce(second);
  ASSERT_TRUE(eventually([&] { return recorder.count(Event::SUBSCRIBED) == 2; }))
      << (recorder.errorCount() ? recorder.errors[0] : "");
  EXPECT_EQ(recorder.disconnects(), 1);
  EXPECT_EQ(recorder.find(Event::SUBSCRIBED, 1)->subscribed().framework_id().value(), frameworkId);
  // The second master has it now.
  auto state = http::fetch("127.0.0.1", static_cast<uint16_t>(second),
                           {.method = "GET", .target = "/state"});
  ASSERT_TRUE(state.has_value());
  EXPECT_NE(state->body.find(frameworkId), std::string::npos);

  ASSERT_TRUE(eventually([&] { return detector->waiting(); }));
  detector->announce(std::nullopt);  // no leader: disconnected, and it stays so
  ASSERT_TRUE(eventually([&] { return recorder.disconnects() == 2; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(recorder.connects(), 2);
}

INSTANTIATE_TEST_SUITE_P(Encodings, SchedulerLibMaster,
                         ::testing::Values(ContentType::kJson, ContentType::kProtobuf),
                         [](const auto& info) {
                           return info.param == ContentType::kJson ? "Json" : "Protobuf";
                         });

// A non-leading master (503 once, then 307) and the leader it points to, which
// streams SUBSCRIBED with a short heartbeat interval and then goes quiet.
TEST(SchedulerLib, FollowsRedirectsRetries503AndDetectsMissedHeartbeats) {
  sdktest::LoopThread loop;
  std::unique_ptr<http::Server> follower, leader;
  std::uint16_t leaderPort = 0;
  std::atomic<int> followerPosts{0};
  std::mutex mutex;
  std::vector<http::Request> leaderCalls;
  std::vector<std::shared_ptr<http::ResponseStream>> streams;

  loop.run([&] {
    leader = std::make_unique<http::Server>(loop.io);
    (void)leader->route("/api/v1/scheduler", [&](http::Request request, http::Responder responder) {
      if (request.method != "POST") return responder.respond(http::methodNotAllowed({"POST"}));
      auto call = fromJson<Call>(request.body);
      if (call && call->type() == Call::SUBSCRIBE) {
        auto stream = responder.stream(
            200, {{"Content-Type", "application/json"}, {"Mesos-Stream-Id", "stream-1"}});
        Event event;
        event.set_type(Event::SUBSCRIBED);
        event.mutable_subscribed()->mutable_framework_id()->set_value("fw-1");
        event.mutable_subscribed()->set_heartbeat_interval_seconds(0.2);
        stream->write(encodeRecord(toJson(event)));
        std::lock_guard lock(mutex);
        streams.push_back(stream);  // kept open, but silent
        return;
      }
      {
        std::lock_guard lock(mutex);
        leaderCalls.push_back(request);
      }
      responder.respond(http::text(400, "refused for the test"));
    });
    ASSERT_TRUE(leader->listen("127.0.0.1", 0).has_value());
    leaderPort = leader->port();
    follower = std::make_unique<http::Server>(loop.io);
    (void)follower->route(
        "/api/v1/scheduler", [&](http::Request request, http::Responder responder) {
          if (request.method != "POST") return responder.respond(http::methodNotAllowed({"POST"}));
          if (followerPosts++ == 0) return responder.respond(http::text(503, "no leader yet"));
          responder.respond(
              http::redirect("//127.0.0.1:" + std::to_string(leaderPort) + "/api/v1/scheduler"));
        });
    ASSERT_TRUE(follower->listen("127.0.0.1", 0).has_value());
  });
  std::uint16_t followerPort = loop.run([&] { return follower->port(); });

  Recorder recorder;
  std::atomic<Mesos*> handle{nullptr};
  recorder.onConnected = [&] {
    eventually([&] { return handle.load() != nullptr; });
    handle.load()->send(subscribeCall());
  };
  auto mesos = Mesos::create("127.0.0.1:" + std::to_string(followerPort), ContentType::kJson,
                             recorder.callbacks(), fastOptions());
  ASSERT_TRUE(mesos.has_value());
  handle = mesos->get();
  ASSERT_TRUE(eventually([&] { return recorder.find(Event::SUBSCRIBED).has_value(); }));
  EXPECT_EQ(followerPosts.load(), 2);  // 503, then 307

  // Later calls go to the leader with the stream id; a refusal reaches error().
  Call decline;
  decline.set_type(Call::DECLINE);
  decline.mutable_framework_id()->set_value("fw-1");
  decline.mutable_decline()->add_offer_ids()->set_value("o-1");
  (*mesos)->send(decline);
  ASSERT_TRUE(eventually([&] { return recorder.errorCount() == 1; }));
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(leaderCalls.size(), 1u);
    EXPECT_EQ(leaderCalls[0].header("Mesos-Stream-Id").value_or(""), "stream-1");
    EXPECT_EQ(leaderCalls[0].header("Content-Type").value_or(""), "application/json");
  }
  EXPECT_NE(recorder.errors[0].find("DECLINE: DECLINE answered 400"), std::string::npos)
      << recorder.errors[0];
  EXPECT_NE(recorder.errors[0].find("refused for the test"), std::string::npos);

  // Five silent heartbeat intervals (1 s): disconnected, then connected again to
  // the configured master, which redirects the new SUBSCRIBE once more.
  ASSERT_TRUE(eventually([&] { return recorder.disconnects() == 1; }, 5s));
  ASSERT_TRUE(eventually([&] { return recorder.count(Event::SUBSCRIBED) == 2; }, 10s));
  EXPECT_EQ(recorder.connects(), 2);
  EXPECT_EQ(followerPosts.load(), 3);

  mesos->reset();
  loop.run([&] {
    std::lock_guard lock(mutex);
    streams.clear();
    follower.reset();
    leader.reset();
  });
}

}  // namespace
}  // namespace plexus::scheduler
