// Tasks run as their user: an agent running as root with --switch_user runs a task
// of FrameworkInfo.user `nobody` as nobody, and fails a task whose user is unknown.
#include <algorithm>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cluster.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

class RunAsUserTest : public ClusterFixture {
 protected:
  bool switchUser() const override { return true; }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching users needs the test to run as root";
    if (::getpwnam("nobody") == nullptr) GTEST_SKIP() << "this machine has no user 'nobody'";
    // The sandboxes live under the test's folder: the task's user must reach them.
    ::chmod(dir_.path().c_str(), 0755);
    ClusterFixture::SetUp();
  }

  // Launches `task` on `offer` and returns its first update past RUNNING.
  std::optional<v1::TaskStatus> runToEnd(Scheduler& scheduler, const v1::Offer& offer,
                                         const v1::TaskInfo& task) {
    EXPECT_EQ(scheduler.call(launch(offer, {task})).status, 202u);
    for (;;) {
      auto status = nextUpdate(scheduler);
      if (!status || (status->state() != v1::TASK_STARTING && status->state() != v1::TASK_RUNNING))
        return status;
    }
  }
};

TEST_F(RunAsUserTest, ATaskOfUserNobodyRunsAsNobody) {
  Scheduler scheduler(port_, Wire::kJson);
  v1::FrameworkInfo info = framework();
  ASSERT_EQ(info.user(), "nobody");
  ASSERT_EQ(scheduler.subscribe(info), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  auto status = runToEnd(scheduler, offer, commandTask(offer, "whoami", "id -u"));
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message() << logs();

  std::string uid = std::to_string(::getpwnam("nobody")->pw_uid);
  std::vector<std::string> lines;
  for (size_t i = 0; i < agents_.size(); ++i) {
    for (const auto& path : findInAgent(i, "stdout")) {
      std::istringstream text(readFile(path));
      for (std::string line; std::getline(text, line);)
        lines.push_back(line);
    }
  }
  EXPECT_NE(std::find(lines.begin(), lines.end(), uid), lines.end())
      << "no line '" << uid << "' in the sandbox's stdout:\n"
      << ::testing::PrintToString(lines);
}

TEST_F(RunAsUserTest, ATaskOfAnUnknownUserFailsClearly) {
  Scheduler scheduler(port_, Wire::kJson);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u);
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  v1::TaskInfo task = commandTask(offer, "ghost", "echo never");
  task.mutable_command()->set_user("plexus-no-such-user");
  auto status = runToEnd(scheduler, offer, task);
  ASSERT_TRUE(status) << logs();
  EXPECT_EQ(status->state(), v1::TASK_FAILED);
  EXPECT_NE(status->message().find("user 'plexus-no-such-user' does not exist on this agent"),
            std::string::npos)
      << status->message();
}

}  // namespace
}  // namespace plexus::testing
