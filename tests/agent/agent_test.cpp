// Integration tests: the real plexus-agent (and plexus-executor) against a fake master.
#include <cerrno>
#include <csignal>
#include <map>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <plexus/json.hpp>
#include <plexus/recordio.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/executor.pb.h>

#include "agent_process.hpp"
#include "fake_master.hpp"
#include "http/client.hpp"

namespace plexus::testing {
namespace {

using internal::AgentCall;
using internal::AgentEvent;

const std::string kBin = PLEXUS_BIN_DIR;
constexpr const char* kFramework = "fw-1";

v1::FrameworkInfo frameworkInfo(bool killingState = false, bool checkpoint = false) {
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name("test-framework");
  info.mutable_id()->set_value(kFramework);
  info.set_checkpoint(checkpoint);
  if (killingState) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  }
  return info;
}

v1::TaskInfo commandTask(const std::string& id, const std::string& command) {
  v1::TaskInfo task;
  task.set_name("task " + id);
  task.mutable_task_id()->set_value(id);
  task.mutable_agent_id()->set_value(FakeMaster::kAgentId);
  task.mutable_command()->set_value(command);
  return task;
}

v1::ExecutorInfo customExecutor(const std::string& id, const std::string& command) {
  v1::ExecutorInfo info;
  info.set_type(v1::ExecutorInfo::CUSTOM);
  info.mutable_executor_id()->set_value(id);
  info.mutable_framework_id()->set_value(kFramework);
  info.mutable_command()->set_value(command);
  return info;
}

std::function<bool(const AgentCall&)> isUpdate(const std::string& task, v1::TaskState state) {
  return [task, state](const AgentCall& call) {
    return call.type() == AgentCall::UPDATE && call.update().status().task_id().value() == task &&
           call.update().status().state() == state;
  };
}

std::function<bool(const AgentCall&)> isUpdateOf(const std::string& task) {
  return [task](const AgentCall& call) {
    return call.type() == AgentCall::UPDATE && call.update().status().task_id().value() == task;
  };
}

std::function<bool(const AgentCall&)> isType(AgentCall::Type type) {
  return [type](const AgentCall& call) { return call.type() == type; };
}

class AgentTest : public ::testing::Test {
 protected:
  // The agent stops cleanly on SIGTERM (and, under sanitizers, without reports).
  void TearDown() override {
    if (agent_) {
      EXPECT_EQ(agent_->stop(), 0) << agent_->log();
    }
  }

  void startAgent(std::map<std::string, std::string> overrides = {}) {
    std::map<std::string, std::string> flags{
        {"master", master_.address()},
        {"status_update_retry_interval", "200ms"},
        {"registration_backoff_factor", "10ms"},
        {"executor_registration_timeout", "20secs"},
        {"executor_shutdown_grace_period", "1secs"},
        {"resources", "cpus:2;mem:1024;disk:2048"},
    };
    for (auto& [key, value] : overrides)
      flags[key] = value;
    std::vector<std::string> args;
    for (auto& [key, value] : flags)
      args.push_back("--" + key + "=" + value);
    agent_ = std::make_unique<AgentProcess>(kBin + "/plexus-agent", dir_.path(), args);
    auto registered = master_.waitFor(isType(AgentCall::REGISTER));
    ASSERT_TRUE(registered) << agent_->log();
    registerCall_ = *registered;
    std::string endpoint = registerCall_.register_().endpoint();
    agentPort_ = static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  }

  void runTask(const v1::TaskInfo& task, std::optional<v1::ExecutorInfo> executor = std::nullopt,
               v1::FrameworkInfo framework = frameworkInfo()) {
    AgentEvent event;
    event.set_type(AgentEvent::RUN_TASK);
    *event.mutable_run_task()->mutable_framework_info() = framework;
    *event.mutable_run_task()->mutable_task() = task;
    if (executor) *event.mutable_run_task()->mutable_executor_info() = *executor;
    ASSERT_TRUE(master_.send(event));
  }

  std::optional<AgentCall> waitUpdate(
      const std::string& task, v1::TaskState state,
      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return master_.waitFor(isUpdate(task, state), timeout);
  }

  // The single run directory of an executor.
  fs::path sandbox(const std::string& executor) {
    fs::path runs = dir_.path() / "work/slaves" / FakeMaster::kAgentId / "frameworks" / kFramework /
                    "executors" / executor / "runs";
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(runs, ignored))
      return entry.path();
    return {};
  }

  http::Response post(const std::string& path, http::Headers headers, std::string body,
                      std::string method = "POST") {
    auto response = http::fetch(
        "127.0.0.1", agentPort_,
        {.method = method, .target = path, .headers = std::move(headers), .body = std::move(body)});
    EXPECT_TRUE(response) << (response ? "" : response.error().message());
    return response ? *response : http::Response{.status = 0};
  }

  TempDir dir_;
  FakeMaster master_;
  std::unique_ptr<AgentProcess> agent_;
  AgentCall registerCall_;
  std::uint16_t agentPort_ = 0;
};

TEST_F(AgentTest, RegistersWithResourcesAttributesAndAnswersPings) {
  startAgent({{"attributes", "rack:a;zone:1;slots:[1-4]"}});
  const auto& info = registerCall_.register_().agent_info();
  EXPECT_FALSE(info.hostname().empty());
  EXPECT_EQ(info.port(), agentPort_);
  auto resources = Resources::fromWire(info.resources());
  ASSERT_TRUE(resources);
  EXPECT_EQ(resources->cpus(), 2);
  EXPECT_EQ(resources->mem(), 1024);
  EXPECT_EQ(resources->disk(), 2048);
  ASSERT_TRUE(resources->ports());
  EXPECT_EQ(resources->ports()->front().begin, 31000u);
  EXPECT_EQ(resources->ports()->front().end, 32000u);
  ASSERT_EQ(info.attributes_size(), 3);
  EXPECT_EQ(info.attributes(0).text().value(), "a");
  EXPECT_EQ(info.attributes(1).type(), v1::Value::SCALAR);
  EXPECT_EQ(info.attributes(1).scalar().value(), 1);
  EXPECT_EQ(info.attributes(2).type(), v1::Value::RANGES);
  EXPECT_EQ(registerCall_.register_().endpoint(), "127.0.0.1:" + std::to_string(agentPort_));

  AgentEvent ping;
  ping.set_type(AgentEvent::PING);
  ASSERT_TRUE(master_.send(ping));
  ASSERT_TRUE(master_.waitFor(isType(AgentCall::PONG)));
  for (const auto& recorded : master_.calls()) {
    if (recorded.call.type() == AgentCall::PONG) {
      EXPECT_EQ(recorded.streamId, FakeMaster::kStreamId);
      EXPECT_EQ(recorded.call.agent_id().value(), FakeMaster::kAgentId);
    }
  }

  // The stream ends: the agent re-registers with the id it was given.
  master_.closeStream();
  auto reregister = master_.waitFor(isType(AgentCall::REREGISTER));
  ASSERT_TRUE(reregister) << agent_->log();
  EXPECT_EQ(reregister->agent_id().value(), FakeMaster::kAgentId);
  EXPECT_EQ(reregister->reregister().agent_info().id().value(), FakeMaster::kAgentId);
  EXPECT_NE(agent_->log().find("Registered with master fake-master"), std::string::npos);
}

// The master's --max_agent_ping_timeouts comes in REGISTERED: with 1 s pings and one
// allowed miss, a silent master is given up after about 1 s, not the default 5 s.
TEST_F(AgentTest, SilentMasterIsLeftAfterTheMastersMaxPingTimeouts) {
  master_.pingIntervalSeconds = 1;
  master_.maxPingTimeouts = 1;
  startAgent();
  auto reregister = master_.waitFor(isType(AgentCall::REREGISTER), std::chrono::milliseconds(4000));
  ASSERT_TRUE(reregister) << agent_->log();
  EXPECT_NE(agent_->log().find("no event from the master for"), std::string::npos) << agent_->log();
}

TEST_F(AgentTest, CommandTaskUpdatesGoOutInOrderEachAfterTheAcknowledgement) {
  master_.autoAck = false;
  startAgent();
  runTask(commandTask("t1", "echo hello"));

  std::size_t cursor = 0;
  auto starting = master_.next(&cursor, isUpdateOf("t1"));
  ASSERT_TRUE(starting) << agent_->log();
  const v1::TaskStatus& status = starting->update().status();
  EXPECT_EQ(status.state(), v1::TASK_STARTING);
  EXPECT_EQ(status.uuid().size(), 16u);
  EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(status.agent_id().value(), FakeMaster::kAgentId);
  EXPECT_EQ(status.executor_id().value(), "t1");
  EXPECT_EQ(starting->update().framework_id().value(), kFramework);

  // Not acknowledged: the same update is resent, and nothing else goes out.
  auto resent = master_.next(&cursor, isUpdateOf("t1"));
  ASSERT_TRUE(resent);
  EXPECT_EQ(resent->update().status().uuid(), status.uuid());
  EXPECT_EQ(resent->update().status().state(), v1::TASK_STARTING);

  master_.acknowledge(starting->update());
  for (v1::TaskState next : {v1::TASK_RUNNING, v1::TASK_FINISHED}) {
    std::optional<AgentCall> update;
    // Skip resends of the update just acknowledged (they may cross the ack).
    do {
      update = master_.next(&cursor, isUpdateOf("t1"));
      ASSERT_TRUE(update) << agent_->log();
    } while (update->update().status().state() != next &&
             update->update().status().uuid() == status.uuid());
    EXPECT_EQ(update->update().status().state(), next) << agent_->log();
    master_.acknowledge(update->update());
    if (next == v1::TASK_FINISHED) {
      EXPECT_EQ(update->update().status().message(), "Command exited with status 0");
    }
  }
  // The executor exits once everything is acknowledged. The agent made it for the
  // command task, so the master is not told (as Mesos: no FAILURE event).
  ASSERT_TRUE(eventually([&] {
    return agent_->log().find("Executor t1 of framework fw-1 exited with status 0") !=
           std::string::npos;
  })) << agent_->log();
  EXPECT_FALSE(master_.waitFor(isType(AgentCall::EXECUTOR_EXITED), std::chrono::milliseconds(300)));
  EXPECT_NE(readFile(sandbox("t1") / "stdout").find("hello"), std::string::npos);
  std::string log = agent_->log();
  EXPECT_NE(log.find("is now TASK_FINISHED"), std::string::npos) << log;
  EXPECT_NE(log.find("Launching executor t1"), std::string::npos) << log;
}

TEST_F(AgentTest, KillTaskKillsTheProcessGroup) {
  startAgent();
  runTask(commandTask("sleeper", "echo $$ > pid; exec sleep 100"), std::nullopt,
          frameworkInfo(/*killingState=*/true));
  ASSERT_TRUE(waitUpdate("sleeper", v1::TASK_RUNNING)) << agent_->log();
  fs::path pidFile = sandbox("sleeper") / "pid";
  ASSERT_TRUE(eventually([&] { return !readFile(pidFile).empty(); }));
  pid_t pid = std::stoi(readFile(pidFile));
  ASSERT_EQ(::kill(pid, 0), 0);

  AgentEvent kill;
  kill.set_type(AgentEvent::KILL_TASK);
  kill.mutable_kill_task()->mutable_framework_id()->set_value(kFramework);
  kill.mutable_kill_task()->mutable_task_id()->set_value("sleeper");
  ASSERT_TRUE(master_.send(kill));
  ASSERT_TRUE(waitUpdate("sleeper", v1::TASK_KILLING)) << agent_->log();
  ASSERT_TRUE(waitUpdate("sleeper", v1::TASK_KILLED)) << agent_->log();
  EXPECT_TRUE(eventually([&] { return ::kill(-pid, 0) != 0 && errno == ESRCH; }));
  EXPECT_TRUE(eventually([&] {
    return agent_->log().find("Executor sleeper of framework fw-1 exited") != std::string::npos;
  })) << agent_->log();
}

TEST_F(AgentTest, CustomExecutorGetsMesosEnvironmentAndSubscribes) {
  startAgent();
  v1::ExecutorInfo executor =
      customExecutor("custom-1", "env > env.txt && exec " + kBin + "/plexus-executor");
  auto* variable = executor.mutable_command()->mutable_environment()->add_variables();
  variable->set_name("FOO");
  variable->set_value("bar");
  runTask(commandTask("c1", "echo from-custom"), executor,
          frameworkInfo(false, /*checkpoint=*/true));
  ASSERT_TRUE(waitUpdate("c1", v1::TASK_FINISHED)) << agent_->log();

  fs::path box = sandbox("custom-1");
  std::string env = readFile(box / "env.txt");
  std::string endpoint = "127.0.0.1:" + std::to_string(agentPort_);
  for (const std::string& expected : std::vector<std::string>{
           "MESOS_FRAMEWORK_ID=fw-1\n", "MESOS_EXECUTOR_ID=custom-1\n",
           "MESOS_SLAVE_ID=" + std::string(FakeMaster::kAgentId) + "\n",
           "MESOS_AGENT_ENDPOINT=" + endpoint + "\n", "MESOS_SLAVE_PID=slave(1)@" + endpoint + "\n",
           "MESOS_DIRECTORY=" + box.string() + "\n", "MESOS_SANDBOX=" + box.string() + "\n",
           std::string("MESOS_CHECKPOINT=1\n"), std::string("MESOS_HTTP_COMMAND_EXECUTOR=1\n"),
           std::string("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=1secs\n"),
           std::string("MESOS_RECOVERY_TIMEOUT=15mins\n"),
           std::string("MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs\n"), std::string("FOO=bar\n")}) {
    EXPECT_NE(env.find(expected), std::string::npos) << "missing " << expected << " in\n" << env;
  }
  EXPECT_NE(readFile(box / "stdout").find("from-custom"), std::string::npos);
}

TEST_F(AgentTest, ExecutorThatExitsFailsItsTasksAndIsReported) {
  startAgent();
  runTask(commandTask("doomed", "sleep 100"), customExecutor("crasher", "exit 3"));
  auto failed = waitUpdate("doomed", v1::TASK_FAILED);
  ASSERT_TRUE(failed) << agent_->log();
  EXPECT_EQ(failed->update().status().reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(failed->update().status().source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(failed->update().status().executor_id().value(), "crasher");
  auto exited = master_.waitFor(isType(AgentCall::EXECUTOR_EXITED));
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->executor_exited().executor_id().value(), "crasher");
  EXPECT_TRUE(WIFEXITED(exited->executor_exited().status()));
  EXPECT_EQ(WEXITSTATUS(exited->executor_exited().status()), 3);
}

TEST_F(AgentTest, ExecutorThatNeverSubscribesTimesOut) {
  startAgent({{"executor_registration_timeout", "500ms"}});
  runTask(commandTask("waiting", "true"), customExecutor("silent", "exec sleep 100"));
  auto failed = waitUpdate("waiting", v1::TASK_FAILED);
  ASSERT_TRUE(failed) << agent_->log();
  EXPECT_EQ(failed->update().status().reason(),
            v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
  EXPECT_TRUE(master_.waitFor(isType(AgentCall::EXECUTOR_EXITED)));
}

TEST_F(AgentTest, TaskGroupRunsEveryTask) {
  startAgent();
  AgentEvent event;
  event.set_type(AgentEvent::RUN_TASK_GROUP);
  auto* run = event.mutable_run_task_group();
  *run->mutable_framework_info() = frameworkInfo();
  run->mutable_executor_info()->set_type(v1::ExecutorInfo::DEFAULT);
  run->mutable_executor_info()->mutable_executor_id()->set_value("group-executor");
  run->mutable_executor_info()->mutable_framework_id()->set_value(kFramework);
  *run->mutable_task_group()->add_tasks() = commandTask("g1", "echo one");
  *run->mutable_task_group()->add_tasks() = commandTask("g2", "echo two");
  ASSERT_TRUE(master_.send(event));
  ASSERT_TRUE(waitUpdate("g1", v1::TASK_FINISHED)) << agent_->log();
  ASSERT_TRUE(waitUpdate("g2", v1::TASK_FINISHED)) << agent_->log();
  std::string out = readFile(sandbox("group-executor") / "stdout");
  EXPECT_NE(out.find("one"), std::string::npos);
  EXPECT_NE(out.find("two"), std::string::npos);
}

TEST_F(AgentTest, ExecutorApiStatusCodes) {
  startAgent();
  // An executor that never subscribes by itself: the test speaks for it.
  runTask(commandTask("api-task", "true"), customExecutor("api-executor", "exec sleep 100"));
  ASSERT_TRUE(eventually([&] { return !sandbox("api-executor").empty(); }));

  const std::string path = "/api/v1/executor";
  const http::Headers json{{"Content-Type", "application/json"}};
  auto call = [](const std::string& type, const std::string& executor = "api-executor",
                 const std::string& extra = "") {
    return R"({"framework_id":{"value":"fw-1"},"executor_id":{"value":")" + executor +
           R"("},"type":")" + type + "\"" + extra + "}";
  };
  EXPECT_EQ(post(path, json, "", "GET").status, 405u);
  EXPECT_EQ(post(path, {}, call("HEARTBEAT")).status, 400u);
  EXPECT_EQ(post(path, {{"Content-Type", "text/plain"}}, call("HEARTBEAT")).status, 415u);
  EXPECT_EQ(post(path, json, "{not json").status, 400u);
  EXPECT_EQ(post(path, {{"Content-Type", "application/x-protobuf"}}, "\xff\xff").status, 400u);
  EXPECT_EQ(post(path, json, call("HEARTBEAT")).status, 202u);
  EXPECT_EQ(post(path, json, call("SUBSCRIBE", "no-such-executor", R"(,"subscribe":{})")).status,
            400u);
  EXPECT_EQ(post(path, json,
                 R"({"framework_id":{"value":"nope"},"executor_id":{"value":"x"},)"
                 R"("type":"SUBSCRIBE","subscribe":{}})")
                .status,
            400u);
  const std::string update =
      R"(,"update":{"status":{"task_id":{"value":"api-task"},"state":"TASK_RUNNING",)"
      R"("source":"SOURCE_EXECUTOR","uuid":"AAECAwQFBgcICQoLDA0ODw=="}})";
  EXPECT_EQ(post(path, json, call("UPDATE", "api-executor", update)).status, 403u);
  http::Headers badAccept{{"Content-Type", "application/json"}, {"Accept", "text/html"}};
  EXPECT_EQ(post(path, badAccept, call("SUBSCRIBE", "api-executor", R"(,"subscribe":{})")).status,
            406u);

  // SUBSCRIBE in JSON: 200, a RecordIO stream whose first event is SUBSCRIBED.
  boost::asio::io_context io;
  http::Client client(io);
  std::string body;
  unsigned status = 0;
  std::string contentType;
  RecordIODecoder decoder;
  std::vector<std::string> records;
  auto stream = client.stream(
      "127.0.0.1", agentPort_,
      {.method = "POST",
       .target = "/slave(1)/api/v1/executor",
       .headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
       .body = call("SUBSCRIBE", "api-executor", R"(,"subscribe":{})")},
      {.onHead =
           [&](const http::Response& head) {
             status = head.status;
             contentType = std::string(head.header("Content-Type").value_or(""));
             EXPECT_FALSE(head.header("Mesos-Stream-Id"));
           },
       .onData =
           [&](std::string_view bytes) {
             auto decoded = decoder.decode(bytes);
             if (decoded) records.insert(records.end(), decoded->begin(), decoded->end());
             if (!records.empty() && records.size() >= 2) io.stop();
           }});
  io.run_for(std::chrono::seconds(10));
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(contentType, "application/json");
  ASSERT_GE(records.size(), 2u);
  auto subscribed = fromJson<v1::executor::Event>(records[0]);
  ASSERT_TRUE(subscribed) << records[0];
  EXPECT_EQ(subscribed->type(), v1::executor::Event::SUBSCRIBED);
  EXPECT_EQ(subscribed->subscribed().executor_info().executor_id().value(), "api-executor");
  EXPECT_EQ(subscribed->subscribed().framework_info().id().value(), kFramework);
  EXPECT_EQ(subscribed->subscribed().agent_info().id().value(), FakeMaster::kAgentId);
  EXPECT_TRUE(subscribed->subscribed().has_container_id());
  EXPECT_NE(records[0].find("\"subscribed\":{"), std::string::npos);
  auto launch = fromJson<v1::executor::Event>(records[1]);
  ASSERT_TRUE(launch);
  EXPECT_EQ(launch->type(), v1::executor::Event::LAUNCH);
  EXPECT_EQ(launch->launch().task().task_id().value(), "api-task");

  // Subscribed: UPDATE validation, then an accepted update reaches the master.
  EXPECT_EQ(
      post(path, json,
           call("UPDATE", "api-executor",
                R"(,"update":{"status":{"task_id":{"value":"api-task"},"state":"TASK_RUNNING",)"
                R"("source":"SOURCE_EXECUTOR","uuid":"AAEC"}})"))
          .status,
      400u);
  EXPECT_EQ(
      post(path, json,
           call("UPDATE", "api-executor",
                R"(,"update":{"status":{"task_id":{"value":"api-task"},"state":"TASK_RUNNING",)"
                R"("source":"SOURCE_AGENT","uuid":"AAECAwQFBgcICQoLDA0ODw=="}})"))
          .status,
      400u);
  EXPECT_EQ(
      post(path, json,
           call("UPDATE", "api-executor",
                R"(,"update":{"status":{"task_id":{"value":"api-task"},"state":"TASK_STAGING",)"
                R"("source":"SOURCE_EXECUTOR","uuid":"AAECAwQFBgcICQoLDA0ODw=="}})"))
          .status,
      400u);
  EXPECT_EQ(post(path, json, call("UPDATE", "api-executor", update)).status, 202u);
  auto forwarded = waitUpdate("api-task", v1::TASK_RUNNING);
  ASSERT_TRUE(forwarded);
  EXPECT_EQ(forwarded->update().status().agent_id().value(), FakeMaster::kAgentId);
  EXPECT_EQ(forwarded->update().status().executor_id().value(), "api-executor");
  auto messageResponse =
      post(path, json, call("MESSAGE", "api-executor", R"(,"message":{"data":"aGk="})"));
  EXPECT_EQ(messageResponse.status, 202u) << messageResponse.body;
  auto message = master_.waitFor(isType(AgentCall::MESSAGE));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message().data(), "hi");
  stream->cancel();
}

}  // namespace
}  // namespace plexus::testing
