#include "cluster.hpp"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>

#include <plexus/resources.hpp>

namespace plexus::testing {

using v1::scheduler::Call;
using v1::scheduler::Event;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool processGone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

pid_t readPid(const std::filesystem::path& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

void ClusterFixture::SetUp() {
  std::vector<std::string> masterArgs{"--port=0", "--work_dir=" + (dir_.path() / "master").string(),
                                      "--allocation_interval=50ms"};
  for (std::string& flag : masterFlags())
    masterArgs.push_back(std::move(flag));
  master_ = std::make_unique<Process>("plexus-master", std::move(masterArgs), dir_.path());
  port_ = master_->waitForPort();
  ASSERT_GT(port_, 0) << master_->err();
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> args{
        "--port=0",
        "--master=127.0.0.1:" + std::to_string(port_),
        "--work_dir=" + (dir_.path() / ("agent" + std::to_string(i))).string(),
        "--resources=cpus:2;mem:512;disk:1024",
        "--status_update_retry_interval=300ms",
        "--executor_shutdown_grace_period=1secs",
        std::string("--switch_user=") + (switchUser() ? "true" : "false")};
    for (std::string& flag : agentFlags())
      args.push_back(std::move(flag));
    agents_.push_back(std::make_unique<Process>("plexus-agent", std::move(args), dir_.path()));
  }
  const std::string marker = " as agent ";
  for (auto& agent : agents_) {
    ASSERT_TRUE(agent->waitForLog(marker)) << agent->err();
    std::string err = agent->err();
    std::size_t at = err.find(marker) + marker.size();
    agentIds_.push_back(err.substr(at, err.find_first_of(" \n", at) - at));
  }
}

void ClusterFixture::TearDown() {
  for (auto& agent : agents_) {
    if (!agent) continue;  // killed by the test
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait(), 0) << agent->err();
  }
  master_->signal(SIGTERM);
  EXPECT_EQ(master_->wait(), 0) << master_->err();
}

v1::FrameworkInfo ClusterFixture::framework(bool checkpoint) {
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name("cluster-test");
  info.set_checkpoint(checkpoint);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  return info;
}

v1::TaskInfo ClusterFixture::commandTask(const v1::Offer& offer, const std::string& id,
                                         const std::string& command) {
  return testing::commandTask(offer, id, command, "cpus:0.5;mem:64");
}

void ClusterFixture::executorResources(v1::ExecutorInfo* info) {
  Resources::parse("cpus:0.1;mem:32")->toWire(info->mutable_resources());
  for (auto& resource : *info->mutable_resources())
    resource.mutable_allocation_info()->set_role("*");
}

Call ClusterFixture::launch(const v1::Offer& offer, std::vector<v1::TaskInfo> tasks) {
  Call call;
  call.set_type(Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer.id();
  auto* operation = call.mutable_accept()->add_operations();
  operation->set_type(v1::Offer::Operation::LAUNCH);
  for (auto& task : tasks)
    *operation->mutable_launch()->add_task_infos() = task;
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  return call;
}

Call ClusterFixture::launchGroup(const v1::Offer& offer, const v1::ExecutorInfo& executor,
                                 std::vector<v1::TaskInfo> tasks) {
  Call call;
  call.set_type(Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer.id();
  auto* operation = call.mutable_accept()->add_operations();
  operation->set_type(v1::Offer::Operation::LAUNCH_GROUP);
  *operation->mutable_launch_group()->mutable_executor() = executor;
  for (auto& task : tasks)
    *operation->mutable_launch_group()->mutable_task_group()->add_tasks() = task;
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  return call;
}

void ClusterFixture::acknowledge(Scheduler& scheduler, const v1::TaskStatus& status) {
  Call ack;
  ack.set_type(Call::ACKNOWLEDGE);
  *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
  *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
  ack.mutable_acknowledge()->set_uuid(status.uuid());
  EXPECT_EQ(scheduler.call(ack).status, 202u);
}

std::optional<v1::TaskStatus> ClusterFixture::nextUpdate(Scheduler& scheduler, bool ack) {
  auto update = scheduler.next(Event::UPDATE, std::chrono::seconds(30));
  if (!update) return std::nullopt;
  if (ack && update->update().status().has_uuid())
    acknowledge(scheduler, update->update().status());
  return update->update().status();
}

std::vector<v1::Offer> ClusterFixture::offersFromEveryAgent(Scheduler& scheduler) {
  std::map<std::string, v1::Offer> latest;
  while (latest.size() < agentIds_.size()) {
    auto event = scheduler.next(Event::OFFERS);
    if (!event) return {};
    for (const auto& offer : event->offers().offers())
      latest[offer.agent_id().value()] = offer;
  }
  std::vector<v1::Offer> offers;
  for (const std::string& id : agentIds_)
    offers.push_back(latest.at(id));
  return offers;
}

boost::json::value ClusterFixture::masterJson(const std::string& path,
                                              const std::string& authorization) const {
  http::ClientRequest request{.method = "GET", .target = path};
  if (!authorization.empty()) request.headers.set("Authorization", authorization);
  auto response = http::fetch("127.0.0.1", static_cast<uint16_t>(port_), request);
  if (!response || response->status != 200) return nullptr;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(response->body, error);
  return error ? boost::json::value(nullptr) : value;
}

std::vector<std::filesystem::path> ClusterFixture::findInAgent(size_t agent,
                                                               const std::string& name) const {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  auto root = dir_.path() / ("agent" + std::to_string(agent));
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() == name) found.push_back(it->path());
  }
  return found;
}

void ClusterFixture::killAgent(size_t index) {
  agents_[index]->signal(SIGKILL);
  agents_[index]->wait();
  agents_[index].reset();
}

std::string ClusterFixture::logs() const {
  std::string text = "--- master:\n" + master_->err();
  for (size_t i = 0; i < agents_.size(); ++i) {
    text +=
        "--- agent " + std::to_string(i) + ":\n" + (agents_[i] ? agents_[i]->err() : "killed\n");
    for (const auto& path : findInAgent(i, "stderr"))
      text += "--- " + path.string() + ":\n" + readFile(path);
  }
  return text;
}

}  // namespace plexus::testing
