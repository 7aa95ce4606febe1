#include "agent/status_update_manager.hpp"

#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace plexus::agent {
namespace {

// A Runtime whose clock moves only when the test says so.
class FakeRuntime : public Runtime {
 public:
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wallNow() const override { return {}; }
  TimerId schedule(Duration delay, std::function<void()> callback) override {
    timers_[next_] = {now_ + delay, std::move(callback)};
    return next_++;
  }
  void cancel(TimerId timer) override { timers_.erase(timer); }
  void post(std::function<void()> callback) override { callback(); }

  void advance(Duration by) {
    now_ += by;
    for (bool fired = true; fired;) {
      fired = false;
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.first <= now_) {
          auto callback = std::move(it->second.second);
          timers_.erase(it);
          callback();
          fired = true;
          break;
        }
      }
    }
  }

 private:
  TimePoint now_{};
  TimerId next_ = 1;
  std::map<TimerId, std::pair<TimePoint, std::function<void()>>> timers_;
};

v1::TaskStatus status(const std::string& task, v1::TaskState state) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task);
  s.set_state(state);
  s.set_uuid(randomUuidBytes());
  return s;
}

class StatusUpdateManagerTest : public ::testing::Test {
 protected:
  FakeRuntime runtime_;
  std::vector<v1::TaskStatus> sent_;
  StatusUpdateManager manager_{
      runtime_,
      {std::chrono::seconds(10), std::chrono::seconds(40)},
      [this](const FrameworkId&, const v1::TaskStatus& s) { sent_.push_back(s); }};
  FrameworkId framework_{"fw"};
};

TEST_F(StatusUpdateManagerTest, SendsInOrderOnlyAfterEachAcknowledgement) {
  manager_.resume();
  auto starting = status("t", v1::TASK_STARTING);
  auto running = status("t", v1::TASK_RUNNING);
  manager_.add(framework_, starting);
  manager_.add(framework_, running);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].state(), v1::TASK_STARTING);
  // A stale or out-of-order acknowledgement changes nothing.
  EXPECT_FALSE(manager_.acknowledge(framework_, TaskId("t"), running.uuid()));
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_TRUE(manager_.acknowledge(framework_, TaskId("t"), starting.uuid()));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].state(), v1::TASK_RUNNING);
}

TEST_F(StatusUpdateManagerTest, RetriesWithDoublingBackoffUpToTheMaximum) {
  manager_.resume();
  manager_.add(framework_, status("t", v1::TASK_RUNNING));
  ASSERT_EQ(sent_.size(), 1u);
  runtime_.advance(std::chrono::seconds(9));
  EXPECT_EQ(sent_.size(), 1u);
  runtime_.advance(std::chrono::seconds(1));  // 10 s
  EXPECT_EQ(sent_.size(), 2u);
  runtime_.advance(std::chrono::seconds(20));  // +20 s
  EXPECT_EQ(sent_.size(), 3u);
  runtime_.advance(std::chrono::seconds(40));  // +40 s (the max)
  EXPECT_EQ(sent_.size(), 4u);
  runtime_.advance(std::chrono::seconds(40));  // stays at the max
  EXPECT_EQ(sent_.size(), 5u);
}

TEST_F(StatusUpdateManagerTest, PausedWhileDisconnectedAndResentOnResume) {
  manager_.add(framework_, status("t", v1::TASK_RUNNING));
  EXPECT_TRUE(sent_.empty());
  runtime_.advance(std::chrono::minutes(5));
  EXPECT_TRUE(sent_.empty());
  manager_.resume();
  EXPECT_EQ(sent_.size(), 1u);
  manager_.pause();
  runtime_.advance(std::chrono::minutes(5));
  EXPECT_EQ(sent_.size(), 1u);
}

// An executor that missed the acknowledgement of its terminal update resends it
// (e.g. in SUBSCRIBE after an agent restart): it is recognised until the agent
// forgets the stream, once the executor is gone.
TEST_F(StatusUpdateManagerTest, DuplicatesAreRecognisedAndTerminalStreamsForgotten) {
  manager_.resume();
  auto finished = status("t", v1::TASK_FINISHED);
  EXPECT_EQ(manager_.add(framework_, finished), StatusUpdateManager::Added::kQueued);
  EXPECT_EQ(manager_.add(framework_, finished), StatusUpdateManager::Added::kDuplicatePending);
  ASSERT_TRUE(manager_.acknowledge(framework_, TaskId("t"), finished.uuid()));
  EXPECT_EQ(manager_.add(framework_, finished), StatusUpdateManager::Added::kDuplicateAcknowledged);
  EXPECT_EQ(sent_.size(), 1u);
  manager_.forget(framework_, TaskId("t"));
  EXPECT_TRUE(manager_.streams().empty());
  auto running = status("u", v1::TASK_RUNNING);
  manager_.add(framework_, running);
  manager_.acknowledge(framework_, TaskId("u"), running.uuid());
  EXPECT_EQ(manager_.add(framework_, running), StatusUpdateManager::Added::kDuplicateAcknowledged);
  manager_.removeFramework(framework_);
  EXPECT_TRUE(manager_.streams().empty());
}

TEST(Uuid, SixteenRandomBytes) {
  EXPECT_EQ(randomUuidBytes().size(), 16u);
  EXPECT_NE(randomUuidBytes(), randomUuidBytes());
  EXPECT_EQ(randomUuidString().size(), 36u);
}

}  // namespace
}  // namespace plexus::agent
