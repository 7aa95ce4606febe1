// ZkContender: the MasterContender of module `detector_zk_contender`.
//
// contend() joins the group znode (the URL's path, created as persistent nodes if
// missing) with an ephemeral sequential child `json.info_<10 digits>` holding the
// MasterInfo as JSON, as Mesos's ZooKeeperMasterContender does; onCandidacy
// follows once the node exists. The candidacy is lost, and onCandidacyLost
// called, when:
//  * the session expires (ZOO_EXPIRED_SESSION_STATE): at once;
//  * the connection stays lost longer than the session timeout: the contender
//    does not wait for the server's expiry notice, which only comes on reconnect;
//  * the node is deleted by someone else, or the credentials are refused.
// Then it closes its handle, opens a new one, and contends again only when the
// master calls contend() again (the contract: a loss is final for that
// candidacy). A connection loss while joining is retried on the same session
// without reporting anything; a node created by a create() whose reply was lost
// is found again by its owner session, never duplicated.
//
// Threading: every method and callback on the Runtime's loop (see zk_client.hpp).
// Destruction closes the handle (the node is deleted at once) and cancels timers;
// no callback runs afterwards.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <plexus/master_contender.hpp>
#include <plexus/parameters.hpp>

#include "zk_client.hpp"
#include "zk_url.hpp"

namespace plexus::detector_zk {

// The label of the group's children (Mesos's MASTER_INFO_JSON_LABEL) and its prefix.
inline constexpr const char* kJsonInfoPrefix = "json.info_";

class ZkContender final : public MasterContender {
 public:
  // Parameters `zk` and `session_timeout` (see module.cpp).
  [[nodiscard]] static Result<std::unique_ptr<ZkContender>> create(const Parameters& parameters);

  ZkContender(ZkUrl url, Duration sessionTimeout);
  ~ZkContender() override;

  [[nodiscard]] Result<void> initialize(const v1::MasterInfo& master, Runtime& runtime) override;
  void contend(ContenderCallbacks callbacks) override;

  // The current session (id, password), so a test can force its expiry.
  std::pair<std::int64_t, std::string> sessionForTesting() const;
  // The node this contender holds, or empty.
  const std::string& nodeForTesting() const { return node_; }

 private:
  enum class State { Idle, Joining, Candidate };

  void openClient();
  void resetClient();
  void onSession(ZkSessionEvent event);
  void onWatch(int type, const std::string& path);
  void join();
  void createParent(std::size_t end);
  void findOrCreateNode();
  void createNode();
  void adopt(std::vector<std::string> candidates);
  void watchNode();
  void retry(const std::string& what, int rc);
  void resumeJoin();
  void rejoinOnNewSession();
  void notifyCandidacy();
  void lose(const Error& reason);

  const ZkUrl url_;
  const Duration requestedTimeout_;
  Runtime* runtime_ = nullptr;
  std::string data_;  // the MasterInfo as JSON
  std::unique_ptr<ZkClient> client_;
  bool connected_ = false;

  State state_ = State::Idle;
  ContenderCallbacks callbacks_;
  // Bumped whenever a join is abandoned, so its late replies are ignored.
  std::uint64_t epoch_ = 0;
  std::string node_;
  // A create() of ours may have succeeded without us hearing of it.
  bool createUncertain_ = false;
  // A join step failed for want of a connection; resume on reconnection.
  bool resumeOnConnect_ = false;
  std::optional<Runtime::TimerId> sessionTimer_;
  std::optional<Runtime::TimerId> retryTimer_;
};

}  // namespace plexus::detector_zk
