// plexus::executor::Mesos: the MESOS_* environment, and SUBSCRIBE / UPDATE against
// a fake agent (a core/http Server in the test).
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/executor/mesos.hpp>
#include <plexus/json.hpp>
#include <plexus/recordio.hpp>

#include "http/server.hpp"
#include "loop_thread.hpp"

namespace plexus::executor {
namespace {

using namespace std::chrono_literals;
using sdktest::eventually;
using v1::executor::Call;
using v1::executor::Event;
using Env = std::map<std::string, std::string>;

Result<ExecutorEnvironment> parse(const Env& env) {
  return ExecutorEnvironment::parse([&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

Env validEnv() {
  return {{"MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"},
          {"MESOS_FRAMEWORK_ID", "fw-1"},
          {"MESOS_EXECUTOR_ID", "ex-1"},
          {"MESOS_DIRECTORY", "/tmp/sandbox"}};
}

TEST(ExecutorLibEnvironment, ParsesTheMesosVariables) {
  Env env = validEnv();
  env["MESOS_CHECKPOINT"] = "1";
  env["MESOS_RECOVERY_TIMEOUT"] = "15mins";
  env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = "2secs";
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "500ms";
  auto parsed = parse(env);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->agentHost, "127.0.0.1");
  EXPECT_EQ(parsed->agentPort, 5051);
  EXPECT_EQ(parsed->frameworkId, "fw-1");
  EXPECT_EQ(parsed->executorId, "ex-1");
  EXPECT_TRUE(parsed->checkpoint);
  EXPECT_EQ(parsed->recoveryTimeout, std::chrono::minutes(15));
  EXPECT_EQ(parsed->subscriptionBackoffMax, std::chrono::seconds(2));
  EXPECT_EQ(parsed->shutdownGracePeriod, std::chrono::milliseconds(500));
  EXPECT_EQ(parsed->sandbox, "/tmp/sandbox");
  auto plain = parse(validEnv());
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->checkpoint);
  EXPECT_EQ(plain->shutdownGracePeriod, std::chrono::seconds(5));
}

TEST(ExecutorLibEnvironment, NamesWhatIsMissingOrMalformed) {
  for (const char* name : {"MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID"}) {
    Env env = validEnv();
    env.erase(name);
    auto parsed = parse(env);
    ASSERT_FALSE(parsed.has_value()) << name;
    EXPECT_NE(parsed.error().message().find(name), std::string::npos) << parsed.error().message();
  }
  Env env = validEnv();
  env["MESOS_AGENT_ENDPOINT"] = "http://x:1/path";
  EXPECT_FALSE(parse(env).has_value());
  env = validEnv();
  env["MESOS_CHECKPOINT"] = "1";
  auto noRecovery = parse(env);
  ASSERT_FALSE(noRecovery.has_value());
  EXPECT_NE(noRecovery.error().message().find("MESOS_RECOVERY_TIMEOUT"), std::string::npos);
  env = validEnv();
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "5 parsecs";
  auto bad = parse(env);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"), std::string::npos);
  env = validEnv();
  env["MESOS_CHECKPOINT"] = "maybe";
  EXPECT_FALSE(parse(env).has_value());
}

// A fake agent: GET answers 405 (the library's probe), SUBSCRIBE streams
// SUBSCRIBED and LAUNCH, UPDATE is recorded and answered 202.
class ExecutorLibAgent : public ::testing::Test {
 protected:
  void SetUp() override { start(0); }

  void start(std::uint16_t port) {
    loop.run([&] {
      server = std::make_unique<http::Server>(loop.io);
      (void)server->route(
          "/api/v1/executor", [this](http::Request request, http::Responder responder) {
            if (request.method != "POST")
              return responder.respond(http::methodNotAllowed({"POST"}));
            auto call = fromJson<Call>(request.body);
            if (!call) return responder.respond(http::text(400, call.error().message()));
            std::lock_guard lock(mutex);
            calls.push_back(*call);
            if (call->type() == Call::SUBSCRIBE) {
              auto stream = responder.stream(200, {{"Content-Type", "application/json"}});
              Event subscribed;
              subscribed.set_type(Event::SUBSCRIBED);
              subscribed.mutable_subscribed()
                  ->mutable_executor_info()
                  ->mutable_executor_id()
                  ->set_value("ex-1");
              subscribed.mutable_subscribed()->mutable_framework_info()->set_user("u");
              subscribed.mutable_subscribed()->mutable_framework_info()->set_name("f");
              subscribed.mutable_subscribed()->mutable_agent_info()->set_hostname("h");
              Event launch;
              launch.set_type(Event::LAUNCH);
              auto* task = launch.mutable_launch()->mutable_task();
              task->set_name("t");
              task->mutable_task_id()->set_value("t-1");
              task->mutable_agent_id()->set_value("a-1");
              stream->write(encodeRecord(toJson(subscribed)) + encodeRecord(toJson(launch)));
              streams.push_back(stream);
              return;
            }
            responder.respond(http::response(202, "", "text/plain"));
          });
      auto listening = server->listen("127.0.0.1", port);
      ASSERT_TRUE(listening.has_value()) << listening.error().message();
      this->port = server->port();
    });
  }

  void stop() {
    loop.run([&] {
      std::lock_guard lock(mutex);
      for (auto& stream : streams)
        stream->close();
      streams.clear();
      server.reset();
    });
  }

  void TearDown() override {
    mesos.reset();
    stop();
  }

  ExecutorEnvironment env(bool checkpoint) {
    Env vars = validEnv();
    vars["MESOS_AGENT_ENDPOINT"] = "127.0.0.1:" + std::to_string(port);
    vars["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "500ms";
    if (checkpoint) {
      vars["MESOS_CHECKPOINT"] = "1";
      vars["MESOS_RECOVERY_TIMEOUT"] = "2secs";
      vars["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = "100ms";
    }
    return *parse(vars);
  }

  void create(bool checkpoint, std::chrono::milliseconds registrationTimeout = 1min) {
    auto created = Mesos::create(env(checkpoint), ContentType::kJson,
                                 {.connected =
                                      [this] {
                                        ++connected;
                                        eventually([this] { return handle.load() != nullptr; });
                                        Call subscribe;
                                        subscribe.set_type(Call::SUBSCRIBE);
                                        subscribe.mutable_subscribe();
                                        handle.load()->send(subscribe);
                                      },
                                  .disconnected = [this] { ++disconnected; },
                                  .received =
                                      [this](std::deque<Event> batch) {
                                        std::lock_guard lock(mutex);
                                        for (auto& event : batch) {
                                          if (event.type() == Event::SHUTDOWN)
                                            shutdownAt = std::chrono::steady_clock::now();
                                          events.push_back(event);
                                        }
                                      }},
                                 {.backoffMin = 20ms,
                                  .registrationTimeout = registrationTimeout,
                                  .shutdownGraceExpired = [this] {
                                    std::lock_guard lock(mutex);
                                    ++graceExpired;
                                    graceExpiredAt = std::chrono::steady_clock::now();
                                  }});
    ASSERT_TRUE(created.has_value()) << created.error().message();
    mesos = std::move(*created);
    handle = mesos.get();
  }

  std::size_t count(Event::Type type) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& event : events)
      n += event.type() == type;
    return n;
  }

  sdktest::LoopThread loop;
  std::unique_ptr<http::Server> server;
  std::uint16_t port = 0;
  std::mutex mutex;
  std::vector<Call> calls;
  std::vector<Event> events;
  std::vector<std::shared_ptr<http::ResponseStream>> streams;
  std::unique_ptr<Mesos> mesos;
  std::atomic<Mesos*> handle{nullptr};
  std::atomic<int> connected{0};
  std::atomic<int> disconnected{0};
  // Protected by mutex: how often the shutdown grace period ran out, and when.
  int graceExpired = 0;
  std::chrono::steady_clock::time_point graceExpiredAt{};

  // When the SHUTDOWN event arrived (the epoch when none did).
  std::chrono::steady_clock::time_point shutdownAt{};
};

TEST_F(ExecutorLibAgent, SubscribesAndSendsUpdatesWithItsIds) {
  create(false);
  ASSERT_TRUE(eventually([&] { return count(Event::LAUNCH) == 1; }));
  EXPECT_EQ(count(Event::SUBSCRIBED), 1u);
  Call update;
  update.set_type(Call::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("t-1");
  status->set_state(v1::TASK_RUNNING);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(std::string(16, 'u'));
  mesos->send(update);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return calls.size() == 2;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls[0].type(), Call::SUBSCRIBE);
  EXPECT_EQ(calls[0].executor_id().value(), "ex-1");
  EXPECT_EQ(calls[0].framework_id().value(), "fw-1");
  EXPECT_EQ(calls[1].type(), Call::UPDATE);
  EXPECT_EQ(calls[1].executor_id().value(), "ex-1");
  EXPECT_EQ(calls[1].framework_id().value(), "fw-1");
  EXPECT_EQ(calls[1].update().status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(calls[1].update().status().uuid(), std::string(16, 'u'));
}

// As Mesos's library: the agent cannot come back for an executor that does not
// checkpoint, so the library stops, hands it a SHUTDOWN, and ends it when it is
// still there after the grace period (500ms here).
TEST_F(ExecutorLibAgent, WithoutCheckpointingShutsDownAfterADisconnection) {
  create(false);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 1; }));
  std::uint16_t port = this->port;
  stop();
  ASSERT_TRUE(eventually([&] { return disconnected.load() == 1; }));
  ASSERT_TRUE(eventually([&] { return count(Event::SHUTDOWN) == 1; }));
  start(port);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return graceExpired == 1;
  }));
  std::lock_guard lock(mutex);
  EXPECT_GE(graceExpiredAt - shutdownAt, 500ms) << "ended before the grace period";
  EXPECT_EQ(connected.load(), 1) << "reconnected to an agent that cannot recover it";
}

// A SHUTDOWN from the agent starts the same grace period.
TEST_F(ExecutorLibAgent, AnExecutorStillThereAfterTheAgentsShutdownIsEnded) {
  create(false);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 1; }));
  loop.run([&] {
    Event shutdown;
    shutdown.set_type(Event::SHUTDOWN);
    std::lock_guard lock(mutex);
    for (auto& stream : streams)
      stream->write(encodeRecord(toJson(shutdown)));
  });
  ASSERT_TRUE(eventually([&] { return count(Event::SHUTDOWN) == 1; }));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return graceExpired == 1;
  }));
  std::lock_guard lock(mutex);
  EXPECT_GE(graceExpiredAt - shutdownAt, 500ms) << "ended before the grace period";
}

// An agent that died before the executor ever reached it: SHUTDOWN after the
// registration timeout, then the end of the grace period.
TEST_F(ExecutorLibAgent, AnAgentNeverReachedMeansShutdownAfterTheRegistrationTimeout) {
  stop();
  create(false, 300ms);
  ASSERT_TRUE(eventually([&] { return count(Event::SHUTDOWN) == 1; }));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return graceExpired == 1;
  }));
  EXPECT_EQ(connected.load(), 0);
}

// An executor that exits in time (destroys its Mesos) is not ended afterwards.
TEST_F(ExecutorLibAgent, DestructionCancelsTheEndOfTheGracePeriod) {
  create(false);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 1; }));
  stop();
  ASSERT_TRUE(eventually([&] { return count(Event::SHUTDOWN) == 1; }));
  mesos.reset();
  std::this_thread::sleep_for(800ms);
  std::lock_guard lock(mutex);
  EXPECT_EQ(graceExpired, 0);
}

TEST_F(ExecutorLibAgent, WithCheckpointingResubscribesWhenTheAgentComesBack) {
  create(true);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 1; }));
  std::uint16_t port = this->port;
  stop();
  ASSERT_TRUE(eventually([&] { return disconnected.load() == 1; }));
  std::this_thread::sleep_for(200ms);
  start(port);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 2; }));
  EXPECT_EQ(connected.load(), 2);
}

TEST_F(ExecutorLibAgent, WithCheckpointingShutsDownAfterTheRecoveryTimeout) {
  create(true);
  ASSERT_TRUE(eventually([&] { return count(Event::SUBSCRIBED) == 1; }));
  stop();
  ASSERT_TRUE(eventually([&] { return disconnected.load() == 1; }));
  ASSERT_TRUE(eventually([&] { return count(Event::SHUTDOWN) == 1; }, 10s));
  EXPECT_EQ(connected.load(), 1);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return graceExpired == 1;
  }));
}

}  // namespace
}  // namespace plexus::executor
