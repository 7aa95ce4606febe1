// ZkDetector: the MasterDetector of module `detector_zk_detector`.
//
// Watches the children of the group znode (the URL's path); the leader is the
// `json.info_<seq>` child with the lowest sequence number (other children, such
// as `log_replicas`, are skipped), and its data, Mesos's MasterInfo JSON, is
// what detect() reports. A group that is missing or empty means no leader. The
// detector keeps the last leader it knew while the connection is lost (it cannot
// know better); when the session expires it opens a new one and lists the group
// again, reporting a change if there is one. A leader node whose data is not a
// MasterInfo is logged and counts as no leader until the group changes.
// Credentials that ZooKeeper refuses are an Error for detect(): retrying cannot
// fix them.
//
// Threading: every method and callback on the Runtime's loop (see zk_client.hpp).
// Destruction closes the session; pending detect() callbacks are dropped.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <plexus/master_detector.hpp>
#include <plexus/parameters.hpp>

#include "zk_client.hpp"
#include "zk_url.hpp"

namespace plexus::detector_zk {

// The json.info_ child with the lowest sequence number, or nullopt.
std::optional<std::string> leaderChild(const std::vector<std::string>& children);

class ZkDetector final : public MasterDetector {
 public:
  // Parameters `zk` and `session_timeout` (see module.cpp).
  [[nodiscard]] static Result<std::unique_ptr<ZkDetector>> create(const Parameters& parameters);

  ZkDetector(ZkUrl url, Duration sessionTimeout);
  ~ZkDetector() override;

  [[nodiscard]] Result<void> initialize(Runtime& runtime) override;
  void detect(const std::optional<v1::MasterInfo>& previous, DetectCallback callback) override;

  std::pair<std::int64_t, std::string> sessionForTesting() const;

 private:
  struct Pending {
    std::optional<v1::MasterInfo> previous;
    DetectCallback callback;
  };

  void openClient();
  void onSession(ZkSessionEvent event);
  void onWatch(int type, const std::string& path);
  void watchGroup();
  void onChildren(const ZkReply& reply);
  void readLeader(const std::string& node);
  void setLeader(std::optional<v1::MasterInfo> leader, const std::string& node);
  void setError(const Error& error);
  void retryLater(int rc);
  void notify();

  const ZkUrl url_;
  const Duration requestedTimeout_;
  Runtime* runtime_ = nullptr;
  std::unique_ptr<ZkClient> client_;

  bool known_ = false;  // false until the group was read once
  std::optional<v1::MasterInfo> leader_;
  std::string leaderNode_;  // the node leader_ came from
  std::string wantedNode_;  // the leader node of the latest listing
  std::optional<Error> error_;
  std::vector<Pending> pending_;
  std::uint64_t epoch_ = 0;  // bumped with each new session
  std::optional<Runtime::TimerId> retryTimer_;
  // Expires with the detector: posted detect() callbacks check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plexus::detector_zk
