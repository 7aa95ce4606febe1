// detector_zk against a real ZooKeeper (tests/support/zookeeper.hpp), driven on a
// real event loop (the SDK's http::IoRuntime on a LoopThread), loaded with the SDK's loadModule
// (the checks the master's and agent's loader make). Each test starts its own server in a temporary
// folder and stops it in TearDown; without Java or ZooKeeper the tests fail, saying to run
// scripts/install-deps.sh.
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <plexus/json.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/testing/load_module.hpp>

#include "http/io_runtime.hpp"
#include "loop_thread.hpp"
#include "process.hpp"
#include "zk_contender.hpp"
#include "zk_detector.hpp"
#include "zookeeper.hpp"

namespace plexus::detector_zk {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const fs::path kModuleDir = PLEXUS_DETECTOR_ZK_MODULE_DIR;

// A synchronous client for the test thread, to look at what the modules wrote.
class Inspector {
 public:
  explicit Inspector(const std::string& servers) {
    zh_ = zookeeper_init(servers.c_str(), nullptr, 10000, nullptr, nullptr, 0);
    auto deadline = Clock::now() + 10s;
    while (zh_ != nullptr && zoo_state(zh_) != ZOO_CONNECTED_STATE && Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Inspector() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  bool connected() const { return zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE; }

  std::vector<std::string> children(const std::string& path) {
    String_vector strings{};
    std::vector<std::string> result;
    if (zoo_get_children(zh_, path.c_str(), 0, &strings) != ZOK) return result;
    for (int i = 0; i < strings.count; ++i)
      result.emplace_back(strings.data[i]);
    deallocate_String_vector(&strings);
    std::sort(result.begin(), result.end());
    return result;
  }

  // Waits until `path` has `count` children; returns them.
  std::vector<std::string> waitForChildren(const std::string& path, std::size_t count,
                                           std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    auto kids = children(path);
    while (kids.size() != count && Clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      kids = children(path);
    }
    return kids;
  }

  std::string data(const std::string& path, Stat* stat = nullptr) {
    char buffer[4096];
    int length = sizeof buffer;
    Stat ignored;
    if (zoo_get(zh_, path.c_str(), 0, buffer, &length, stat != nullptr ? stat : &ignored) != ZOK) {
      return {};
    }
    return std::string(buffer, length > 0 ? static_cast<std::size_t>(length) : 0);
  }

  // "perms scheme:id" per ACL entry, sorted.
  std::vector<std::string> acl(const std::string& path) {
    ACL_vector acl{};
    Stat stat;
    std::vector<std::string> result;
    if (zoo_get_acl(zh_, path.c_str(), &acl, &stat) != ZOK) return result;
    for (int i = 0; i < acl.count; ++i) {
      result.push_back(std::to_string(acl.data[i].perms) + " " + acl.data[i].id.scheme + ":" +
                       acl.data[i].id.id);
    }
    deallocate_ACL_vector(&acl);
    std::sort(result.begin(), result.end());
    return result;
  }

  int remove(const std::string& path) { return zoo_delete(zh_, path.c_str(), -1); }

 private:
  zhandle_t* zh_ = nullptr;
};

// Kills a session as ZooKeeper's own tests do: a second handle takes the session
// over (its id and password) and closes it. The first handle then hears, on its
// next reconnection, that its session expired.
bool expireSession(const std::string& servers, std::int64_t id, const std::string& password) {
  clientid_t client{};
  client.client_id = id;
  std::memcpy(client.passwd, password.data(), std::min(password.size(), sizeof client.passwd));
  zhandle_t* zh = zookeeper_init(servers.c_str(), nullptr, 10000, &client, nullptr, 0);
  if (zh == nullptr) return false;
  auto deadline = Clock::now() + 10s;
  while (zoo_state(zh) != ZOO_CONNECTED_STATE && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  bool connected = zoo_state(zh) == ZOO_CONNECTED_STATE;
  zookeeper_close(zh);
  return connected;
}

v1::MasterInfo makeMaster(const std::string& id, std::uint32_t port) {
  v1::MasterInfo info;
  info.set_id(id);
  info.set_ip(0x0100007F);  // 127.0.0.1 in network byte order
  info.set_port(port);
  info.set_pid("master@127.0.0.1:" + std::to_string(port));
  info.set_hostname("localhost");
  info.set_version("0.1.0");
  return info;
}

// What a contender told its master, recorded from the loop, awaited by the test.
struct ContenderEvents {
  std::mutex mutex;
  std::condition_variable changed;
  int candidacies = 0;
  int losses = 0;
  std::string lastReason;
  Clock::time_point lostAt;

  ContenderCallbacks callbacks() {
    return {.onCandidacy =
                [this] {
                  std::lock_guard lock(mutex);
                  ++candidacies;
                  changed.notify_all();
                },
            .onCandidacyLost =
                [this](const Error& reason) {
                  std::lock_guard lock(mutex);
                  ++losses;
                  lastReason = reason.message();
                  lostAt = Clock::now();
                  changed.notify_all();
                }};
  }
  bool waitFor(int ContenderEvents::*counter, int value, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return this->*counter >= value; });
  }
};

// Follows a detector as the agent does: detect(previous), record, detect again.
struct Follower {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> seen;  // master ids, "none", or "error: ..."
  MasterDetector* detector = nullptr;

  void follow(const std::optional<v1::MasterInfo>& previous) {
    detector->detect(previous, [this](Result<std::optional<v1::MasterInfo>> leader) {
      std::lock_guard lock(mutex);
      if (!leader) {
        seen.push_back("error: " + leader.error().message());
        changed.notify_all();
        return;
      }
      seen.push_back(leader->has_value() ? (*leader)->id() : "none");
      changed.notify_all();
      follow(*leader);
    });
  }
  bool waitForLatest(const std::string& id, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return !seen.empty() && seen.back() == id; });
  }
  std::vector<std::string> history() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

// Both modules of libplexus_detector_zk.so with one set of parameters, loaded with
// the SDK's loadModule (the checks the daemons' loader makes).
struct LoadedModules {
  testing::ModuleParameters parameters;

  void load(const std::string& zk, const std::string& sessionTimeout = "") {
    parameters = {{"zk", zk}};
    if (!sessionTimeout.empty()) parameters.emplace_back("session_timeout", sessionTimeout);
  }
  Result<std::shared_ptr<MasterContender>> contender() {
    return testing::loadModule<MasterContender>(kModuleDir / "libplexus_detector_zk.so",
                                                "detector_zk_contender", parameters);
  }
  Result<std::shared_ptr<MasterDetector>> detector() {
    return testing::loadModule<MasterDetector>(kModuleDir / "libplexus_detector_zk.so",
                                               "detector_zk_detector", parameters);
  }
};

TEST(DetectorZkModule, RefusesBadParametersWithOneLineNamingModuleAndParameter) {
  auto expectOneLine = [](const Error& error, std::initializer_list<const char*> parts) {
    EXPECT_EQ(error.message().find('\n'), std::string::npos) << error.message();
    for (const char* part : parts) {
      EXPECT_NE(error.message().find(part), std::string::npos)
          << "'" << part << "' not in: " << error.message();
    }
  };
  {  // zk is required.
    LoadedModules modules;
    auto contender = modules.contender();
    ASSERT_FALSE(contender.has_value());
    expectOneLine(contender.error(), {"detector_zk_contender", "zk"});
  }
  {  // session_timeout must be a Mesos duration.
    LoadedModules modules;
    modules.load("zk://127.0.0.1:2181/plexus", "ten seconds");
    auto contender = modules.contender();
    ASSERT_FALSE(contender.has_value());
    expectOneLine(contender.error(), {"detector_zk_contender", "session_timeout"});
  }
  {  // A malformed URL: refused when the module is made, naming module and parameter.
    LoadedModules modules;
    modules.load("http://127.0.0.1:2181/plexus");
    auto contender = modules.contender();
    ASSERT_FALSE(contender.has_value());
    expectOneLine(contender.error(), {"detector_zk_contender", "parameter 'zk'", "zk://"});
    auto detector = modules.detector();
    ASSERT_FALSE(detector.has_value());
    expectOneLine(detector.error(), {"detector_zk_detector", "parameter 'zk'", "zk://"});
  }
  {
    LoadedModules modules;
    modules.load("zk://127.0.0.1:notaport/plexus");
    auto detector = modules.detector();
    ASSERT_FALSE(detector.has_value());
    expectOneLine(detector.error(), {"detector_zk_detector", "parameter 'zk'", "notaport"});
  }
  {
    LoadedModules modules;
    modules.load("file:///nonexistent/plexus-zk-url");
    auto contender = modules.contender();
    ASSERT_FALSE(contender.has_value());
    expectOneLine(contender.error(),
                  {"detector_zk_contender", "parameter 'zk'", "/nonexistent/plexus-zk-url"});
  }
  {
    LoadedModules modules;
    modules.load("zk://127.0.0.1:2181/plexus", "0secs");
    auto contender = modules.contender();
    ASSERT_FALSE(contender.has_value());
    expectOneLine(contender.error(), {"detector_zk_contender", "session_timeout"});
  }
}

class DetectorZkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::ZooKeeper::start(temp_.path() / "zk");
    ASSERT_TRUE(server) << server.error();
    server_ = std::move(*server);
    zk_ = server_->servers();
    runtime_ = std::make_unique<http::IoRuntime>(loop_.io);
    inspector_ = std::make_unique<Inspector>(zk_);
    ASSERT_TRUE(inspector_->connected()) << "cannot connect to ZooKeeper at " << zk_;
  }

  void TearDown() override {
    // Module objects and the runtime belong to the loop: destroy them there.
    loop_.run([this] {
      contenders_.clear();
      detectors_.clear();
      rawContenders_.clear();
      rawDetectors_.clear();
      runtime_.reset();
      return 0;
    });
    inspector_.reset();
    if (server_) server_->stop();
  }

  // Makes, initializes and starts a contender on the loop.
  std::size_t contend(LoadedModules& modules, const v1::MasterInfo& master,
                      ContenderEvents& events) {
    auto contender = modules.contender();
    EXPECT_TRUE(contender.has_value()) << contender.error().message();
    if (!contender) return 0;
    return loop_.run([&] {
      auto initialized = (*contender)->initialize(master, *runtime_);
      EXPECT_TRUE(initialized.has_value()) << initialized.error().message();
      (*contender)->contend(events.callbacks());
      contenders_.push_back(std::move(*contender));
      return contenders_.size() - 1;
    });
  }

  void follow(LoadedModules& modules, Follower& follower) {
    auto detector = modules.detector();
    ASSERT_TRUE(detector.has_value()) << detector.error().message();
    loop_.run([&] {
      auto initialized = (*detector)->initialize(*runtime_);
      EXPECT_TRUE(initialized.has_value()) << initialized.error().message();
      follower.detector = detector->get();
      follower.follow(std::nullopt);
      detectors_.push_back(std::move(*detector));
      return 0;
    });
  }

  void destroyContender(std::size_t index) {
    loop_.run([&] {
      contenders_[index].reset();
      return 0;
    });
  }

  testing::TempDir temp_;
  testing::LoopThread loop_;
  std::unique_ptr<testing::ZooKeeper> server_;
  std::string zk_;
  std::unique_ptr<http::IoRuntime> runtime_;
  std::unique_ptr<Inspector> inspector_;
  std::vector<std::shared_ptr<MasterContender>> contenders_;
  std::vector<std::shared_ptr<MasterDetector>> detectors_;
  std::vector<std::unique_ptr<ZkContender>> rawContenders_;
  std::vector<std::unique_ptr<ZkDetector>> rawDetectors_;
};

TEST_F(DetectorZkTest, ContenderCreatesOneJsonInfoNodeWithTheMasterInfo) {
  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus/nested/group");
  ContenderEvents events;
  contend(modules, makeMaster("master-1", 5050), events);
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1));

  auto children = inspector_->children("/plexus/nested/group");
  ASSERT_EQ(children.size(), 1u);
  EXPECT_TRUE(std::regex_match(children[0], std::regex(R"(json\.info_\d{10})"))) << children[0];

  Stat stat{};
  std::string json = inspector_->data("/plexus/nested/group/" + children[0], &stat);
  EXPECT_NE(stat.ephemeralOwner, 0) << "the node must be ephemeral";
  auto written = fromJson<v1::MasterInfo>(json);
  ASSERT_TRUE(written.has_value()) << written.error().message() << " in " << json;
  v1::MasterInfo expected = makeMaster("master-1", 5050);
  expected.mutable_address()->set_hostname("localhost");
  expected.mutable_address()->set_ip("127.0.0.1");
  expected.mutable_address()->set_port(5050);
  EXPECT_EQ(written->SerializeAsString(), expected.SerializeAsString()) << json;
  // Mesos's field names, as Mesos-aware tools (pymesos, mesos-go) read them.
  for (const char* field :
       {R"("id":"master-1")", R"("ip":16777343)", R"("port":5050)",
        R"("pid":"master@127.0.0.1:5050")", R"("hostname":"localhost")", R"("version":"0.1.0")",
        R"("address":{"hostname":"localhost","ip":"127.0.0.1","port":5050})"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " not in " << json;
  }
  // The parents were created, persistent, and hold nothing else.
  Stat parent{};
  inspector_->data("/plexus/nested", &parent);
  EXPECT_EQ(parent.ephemeralOwner, 0);
  EXPECT_EQ(inspector_->children("/plexus/nested"), std::vector<std::string>{"group"});
  EXPECT_EQ(events.losses, 0);
}

TEST_F(DetectorZkTest, LowestSequenceLeadsAndLeadershipMovesWhenTheLeaderCloses) {
  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus");
  ContenderEvents first, second;
  std::size_t a = contend(modules, makeMaster("master-a", 5050), first);
  ASSERT_TRUE(first.waitFor(&ContenderEvents::candidacies, 1));
  contend(modules, makeMaster("master-b", 5051), second);
  ASSERT_TRUE(second.waitFor(&ContenderEvents::candidacies, 1));
  auto children = inspector_->children("/plexus");
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(fromJson<v1::MasterInfo>(inspector_->data("/plexus/" + children[0]))->id(), "master-a");

  Follower follower;
  follow(modules, follower);
  ASSERT_TRUE(follower.waitForLatest("master-a")) << ::testing::PrintToString(follower.history());

  destroyContender(a);  // zookeeper_close: the node goes at once
  ASSERT_TRUE(follower.waitForLatest("master-b", 5s))
      << ::testing::PrintToString(follower.history());
  EXPECT_EQ(follower.history(), (std::vector<std::string>{"master-a", "master-b"}));
  EXPECT_EQ(inspector_->children("/plexus").size(), 1u);
  EXPECT_EQ(second.losses, 0);
  EXPECT_EQ(first.losses, 0) << "no callback after destruction";

  destroyContender(1);
  ASSERT_TRUE(follower.waitForLatest("none", 5s)) << ::testing::PrintToString(follower.history());
}

TEST_F(DetectorZkTest, ContendAgainWithdrawsThePreviousCandidacy) {
  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus");
  ContenderEvents events;
  std::size_t index = contend(modules, makeMaster("master-1", 5050), events);
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1));
  auto before = inspector_->children("/plexus");
  ASSERT_EQ(before.size(), 1u);

  ContenderEvents again;
  loop_.run([&] {
    contenders_[index]->contend(again.callbacks());
    return 0;
  });
  ASSERT_TRUE(again.waitFor(&ContenderEvents::candidacies, 1));
  auto after = inspector_->waitForChildren("/plexus", 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0], before[0]);
  EXPECT_EQ(events.losses, 0);  // withdrawn, as Mesos discards the old futures
  EXPECT_EQ(again.losses, 0);
}

TEST_F(DetectorZkTest, ServerGoneLongerThanTheSessionTimeoutLosesTheCandidacy) {
  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus", "2secs");
  ContenderEvents events;
  std::size_t index = contend(modules, makeMaster("master-1", 5050), events);
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1));

  auto stopped = Clock::now();
  server_->stop();
  ASSERT_TRUE(events.waitFor(&ContenderEvents::losses, 1, 8s));
  auto after = events.lostAt - stopped;
  // Not before the session could have expired, and without waiting for a server.
  EXPECT_GE(after, 1500ms);
  EXPECT_LE(after, 5s);
  EXPECT_NE(events.lastReason.find("session timeout"), std::string::npos) << events.lastReason;

  // The server comes back: contending again works on a new session, and the old
  // session's node disappears when the server expires it.
  ASSERT_EQ(server_->restart(), "");
  ContenderEvents again;
  loop_.run([&] {
    contenders_[index]->contend(again.callbacks());
    return 0;
  });
  ASSERT_TRUE(again.waitFor(&ContenderEvents::candidacies, 1, 15s));
  inspector_ = std::make_unique<Inspector>(zk_);
  EXPECT_EQ(inspector_->waitForChildren("/plexus", 1, 15s).size(), 1u);
  EXPECT_EQ(again.losses, 0);
}

TEST_F(DetectorZkTest, ExpiredSessionLosesTheCandidacyAtOnceAndContendingAgainWorks) {
  auto url = parseZkUrl("zk://" + zk_ + "/plexus");
  ASSERT_TRUE(url.has_value());
  ContenderEvents events;
  loop_.run([&] {
    rawContenders_.push_back(std::make_unique<ZkContender>(*url, std::chrono::seconds(4)));
    auto initialized = rawContenders_.back()->initialize(makeMaster("master-1", 5050), *runtime_);
    EXPECT_TRUE(initialized.has_value());
    rawContenders_.back()->contend(events.callbacks());
    return 0;
  });
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1));
  auto [id, password] = loop_.run([&] { return rawContenders_.back()->sessionForTesting(); });
  ASSERT_NE(id, 0);

  // The node goes with the session and the contender hears of it: the expiry on
  // reconnecting, or the node's deletion. (The takeover can race the
  // contender's own reconnection, which re-attaches to the closed session; the
  // contender then learns of the expiry when that connection times out.)
  auto expiring = Clock::now();
  for (int attempt = 0; attempt < 2 && events.losses == 0; ++attempt) {
    // False when the session is gone already: the contender learns it when its
    // connection times out, within the session timeout.
    expireSession(zk_, id, password);
    events.waitFor(&ContenderEvents::losses, 1, 8s);
  }
  ASSERT_EQ(events.losses, 1);
  EXPECT_LT(events.lostAt - expiring, 16s);
  // Which notice comes first depends on whether the contender's connection had
  // re-attached to the session when it was closed: the expiry, or the deletion
  // of its node. Both end the candidacy at once.
  EXPECT_TRUE(events.lastReason.find("expired") != std::string::npos ||
              events.lastReason.find("deleted") != std::string::npos)
      << events.lastReason;
  EXPECT_TRUE(inspector_->children("/plexus").empty());

  ContenderEvents again;
  loop_.run([&] {
    rawContenders_.back()->contend(again.callbacks());
    return 0;
  });
  ASSERT_TRUE(again.waitFor(&ContenderEvents::candidacies, 1));
  EXPECT_EQ(inspector_->children("/plexus").size(), 1u);
  auto [newId, newPassword] = loop_.run([&] { return rawContenders_.back()->sessionForTesting(); });
  EXPECT_NE(newId, id) << "a new handle, a new session";
}

TEST_F(DetectorZkTest, DetectorWatchesAgainAfterItsSessionExpires) {
  auto url = parseZkUrl("zk://" + zk_ + "/plexus");
  ASSERT_TRUE(url.has_value());
  Follower follower;
  loop_.run([&] {
    rawDetectors_.push_back(std::make_unique<ZkDetector>(*url, std::chrono::seconds(4)));
    EXPECT_TRUE(rawDetectors_.back()->initialize(*runtime_).has_value());
    follower.detector = rawDetectors_.back().get();
    follower.follow(std::nullopt);
    return 0;
  });
  // No group yet: no leader, which is what detect(nullopt) already assumes.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(follower.history().empty());

  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus");
  ContenderEvents first;
  std::size_t a = contend(modules, makeMaster("master-a", 5050), first);
  ASSERT_TRUE(follower.waitForLatest("master-a"));

  std::int64_t id = 0;
  std::string password;
  loop_.run([&] {
    std::tie(id, password) = rawDetectors_.back()->sessionForTesting();
    return 0;
  });
  // Wait for the detector to be on a new session, then change the leader. (As
  // above, the takeover may lose a race with the detector's reconnection.)
  std::int64_t current = id;
  for (int attempt = 0; attempt < 2 && (current == id || current == 0); ++attempt) {
    expireSession(zk_, id, password);
    auto deadline = Clock::now() + 8s;
    while (Clock::now() < deadline && (current == id || current == 0)) {
      std::this_thread::sleep_for(20ms);
      current = loop_.run([&] { return rawDetectors_.back()->sessionForTesting().first; });
    }
  }
  ASSERT_NE(current, id);
  ContenderEvents second;
  contend(modules, makeMaster("master-b", 5051), second);
  ASSERT_TRUE(second.waitFor(&ContenderEvents::candidacies, 1));
  destroyContender(a);
  ASSERT_TRUE(follower.waitForLatest("master-b")) << ::testing::PrintToString(follower.history());
}

TEST_F(DetectorZkTest, DigestCredentialsMakeNodesWorldReadableAndCreatorOwned) {
  LoadedModules modules;
  modules.load("zk://alice:secret@" + zk_ + "/secure/group");
  ContenderEvents events;
  contend(modules, makeMaster("master-1", 5050), events);
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1)) << events.lastReason;

  auto children = inspector_->children("/secure/group");
  ASSERT_EQ(children.size(), 1u);
  std::string node = "/secure/group/" + children[0];
  // Mesos's EVERYONE_READ_CREATOR_ALL: world may read, alice (digest) may do all.
  for (const std::string& path : {node, std::string("/secure/group"), std::string("/secure")}) {
    auto acl = inspector_->acl(path);
    ASSERT_EQ(acl.size(), 2u) << path;
    EXPECT_EQ(acl[0], std::to_string(ZOO_PERM_READ) + " world:anyone") << path;
    EXPECT_TRUE(acl[1].starts_with(std::to_string(ZOO_PERM_ALL) + " digest:alice:")) << acl[1];
  }
  // Anyone can read the leader; nobody else can remove it.
  EXPECT_TRUE(fromJson<v1::MasterInfo>(inspector_->data(node)).has_value());
  EXPECT_EQ(inspector_->remove(node), ZNOAUTH);

  // Detectors with and without the credentials both find the leader.
  Follower withCredentials, without;
  follow(modules, withCredentials);
  LoadedModules anonymous;
  anonymous.load("zk://" + zk_ + "/secure/group");
  follow(anonymous, without);
  EXPECT_TRUE(withCredentials.waitForLatest("master-1"));
  EXPECT_TRUE(without.waitForLatest("master-1"));
}

TEST_F(DetectorZkTest, FileUrlNamesTheGroup) {
  std::string file = temp_.write("zk-url", "zk://" + zk_ + "/from/file\n");
  LoadedModules modules;
  modules.load("file://" + file);
  ContenderEvents events;
  contend(modules, makeMaster("master-1", 5050), events);
  ASSERT_TRUE(events.waitFor(&ContenderEvents::candidacies, 1));
  EXPECT_EQ(inspector_->children("/from/file").size(), 1u);
  Follower follower;
  follow(modules, follower);
  EXPECT_TRUE(follower.waitForLatest("master-1"));
}

TEST_F(DetectorZkTest, NoCallbackAfterDestruction) {
  LoadedModules modules;
  modules.load("zk://" + zk_ + "/plexus");
  ContenderEvents events;
  // Destroyed on the loop right after contend(), before any reply can arrive.
  auto contender = modules.contender();
  ASSERT_TRUE(contender.has_value());
  loop_.run([&] {
    EXPECT_TRUE((*contender)->initialize(makeMaster("master-1", 5050), *runtime_).has_value());
    (*contender)->contend(events.callbacks());
    contender->reset();
    return 0;
  });
  Follower follower;
  auto detector = modules.detector();
  ASSERT_TRUE(detector.has_value());
  loop_.run([&] {
    EXPECT_TRUE((*detector)->initialize(*runtime_).has_value());
    follower.detector = detector->get();
    follower.follow(std::nullopt);
    detector->reset();
    return 0;
  });
  std::this_thread::sleep_for(1s);  // time for any stray reply to arrive
  EXPECT_EQ(events.candidacies + events.losses, 0);
  EXPECT_TRUE(follower.history().empty());
  EXPECT_TRUE(inspector_->children("/plexus").empty());
}

}  // namespace
}  // namespace plexus::detector_zk
