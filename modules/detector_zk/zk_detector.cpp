#include "zk_detector.hpp"

#include <algorithm>
#include <charconv>

#include <plexus/json.hpp>
#include <plexus/logging.hpp>

#include "zk_contender.hpp"  // kJsonInfoPrefix

namespace plexus::detector_zk {
namespace {

constexpr Duration kRetryDelay = std::chrono::milliseconds(500);

bool sameMaster(const std::optional<v1::MasterInfo>& a, const std::optional<v1::MasterInfo>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || a->id() == b->id();
}

std::string describe(const std::optional<v1::MasterInfo>& master) {
  if (!master) return "none";
  const auto& address = master->address();
  return master->id() + " at " + (address.has_hostname() ? address.hostname() : address.ip()) +
         ":" + std::to_string(address.port());
}

}  // namespace

std::optional<std::string> leaderChild(const std::vector<std::string>& children) {
  std::optional<std::string> best;
  std::uint64_t bestSequence = 0;
  const std::string_view prefix = kJsonInfoPrefix;
  for (const auto& child : children) {
    if (!child.starts_with(prefix)) continue;
    std::string_view digits = std::string_view(child).substr(prefix.size());
    std::uint64_t sequence = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) continue;
    if (!best || sequence < bestSequence) {
      best = child;
      bestSequence = sequence;
    }
  }
  return best;
}

Result<std::unique_ptr<ZkDetector>> ZkDetector::create(const Parameters& parameters) {
  auto options = zkOptions(parameters);
  if (!options) return fail(options.error());
  return std::make_unique<ZkDetector>(options->url, options->sessionTimeout);
}

ZkDetector::ZkDetector(ZkUrl url, Duration sessionTimeout)
    : url_(std::move(url)), requestedTimeout_(sessionTimeout) {}

ZkDetector::~ZkDetector() {
  ++epoch_;
  alive_.reset();  // callbacks already posted are dropped
  if (runtime_ != nullptr && retryTimer_) runtime_->cancel(*retryTimer_);
  client_.reset();
}

Result<void> ZkDetector::initialize(Runtime& runtime) {
  if (runtime_ != nullptr) return fail("initialize() was already called");
  runtime_ = &runtime;
  openClient();
  if (!client_) return fail("cannot open a ZooKeeper session to " + url_.redacted());
  return {};  // the group is read once connected (onSession)
}

std::pair<std::int64_t, std::string> ZkDetector::sessionForTesting() const {
  if (!client_) return {0, {}};
  return {client_->sessionId(), client_->sessionPassword()};
}

void ZkDetector::detect(const std::optional<v1::MasterInfo>& previous, DetectCallback callback) {
  pending_.push_back(Pending{previous, std::move(callback)});
  notify();
}

void ZkDetector::openClient() {
  auto client = ZkClient::open(
      *runtime_, url_, requestedTimeout_, [this](ZkSessionEvent event) { onSession(event); },
      [this](int type, const std::string& path) { onWatch(type, path); });
  if (!client) {
    PLEXUS_LOG(Error) << "detector_zk_detector: " << client.error().message();
    return;
  }
  client_ = std::move(*client);
}

void ZkDetector::onSession(ZkSessionEvent event) {
  PLEXUS_LOG(Info) << "detector_zk_detector: ZooKeeper session " << sessionEventName(event) << " ("
                   << url_.redacted() << ")";
  switch (event) {
    case ZkSessionEvent::Connected:
      // Watches survive a reconnection, but a listing may have failed meanwhile.
      watchGroup();
      return;
    case ZkSessionEvent::Connecting:
      return;  // keep the last leader known until we learn better
    case ZkSessionEvent::Expired:
      ++epoch_;
      client_.reset();
      openClient();  // lists the group again once connected
      if (!client_) setError(Error("cannot open a ZooKeeper session to " + url_.redacted()));
      return;
    case ZkSessionEvent::AuthFailed:
      setError(Error("ZooKeeper refused the credentials of user '" + url_.user() + "' (" +
                     url_.redacted() + ")"));
      return;
  }
}

void ZkDetector::onWatch(int, const std::string& path) {
  if (path == url_.path) watchGroup();
}

void ZkDetector::watchGroup() {
  if (!client_ || error_) return;
  client_->getChildren(url_.path, true, [this, epoch = epoch_](const ZkReply& reply) {
    if (epoch == epoch_) onChildren(reply);
  });
}

void ZkDetector::onChildren(const ZkReply& reply) {
  if (reply.rc == ZNONODE) {
    // No group yet: no leader, and a watch for its creation.
    client_->exists(url_.path, true, [this, epoch = epoch_](const ZkReply& exists) {
      if (epoch != epoch_) return;
      if (exists.rc == ZOK) return watchGroup();
      if (exists.rc != ZNONODE) return retryLater(exists.rc);
      wantedNode_.clear();
      setLeader(std::nullopt, "");
    });
    return;
  }
  if (reply.rc != ZOK) return retryLater(reply.rc);
  auto child = leaderChild(reply.children);
  if (!child) {
    wantedNode_.clear();
    return setLeader(std::nullopt, "");
  }
  wantedNode_ = childPath(url_.path, *child);
  if (known_ && wantedNode_ == leaderNode_) return;
  readLeader(wantedNode_);
}

void ZkDetector::readLeader(const std::string& node) {
  client_->get(node, false, [this, epoch = epoch_, node](const ZkReply& reply) {
    if (epoch != epoch_ || node != wantedNode_) return;  // a later listing superseded it
    if (reply.rc == ZNONODE) return;                     // gone: the child watch fires
    if (reply.rc != ZOK) return retryLater(reply.rc);
    auto master = fromJson<v1::MasterInfo>(reply.value);
    if (!master) {
      PLEXUS_LOG(Warning) << "detector_zk_detector: the leader's znode " << node
                          << " does not hold a MasterInfo: " << master.error().message();
      return setLeader(std::nullopt, node);
    }
    setLeader(std::move(*master), node);
  });
}

void ZkDetector::setLeader(std::optional<v1::MasterInfo> leader, const std::string& node) {
  known_ = true;
  leaderNode_ = node;
  if (!sameMaster(leader_, leader)) {
    PLEXUS_LOG(Info) << "Detected the leading master: " << describe(leader)
                     << (node.empty() ? "" : " (" + node + ")");
  }
  leader_ = std::move(leader);
  notify();
}

void ZkDetector::setError(const Error& error) {
  PLEXUS_LOG(Error) << "detector_zk_detector: " << error.message();
  error_ = error;
  notify();
}

void ZkDetector::retryLater(int rc) {
  if (!isTransient(rc)) {
    return setError(Error("cannot read the group " + url_.path + ": " + zkErrorText(rc)));
  }
  if (retryTimer_) return;
  retryTimer_ = runtime_->schedule(kRetryDelay, [this] {
    retryTimer_.reset();
    watchGroup();
  });
}

void ZkDetector::notify() {
  if (!error_ && !known_) return;
  Result<std::optional<v1::MasterInfo>> result =
      error_ ? Result<std::optional<v1::MasterInfo>>(std::unexpected(*error_))
             : Result<std::optional<v1::MasterInfo>>(leader_);
  auto ready = std::stable_partition(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return !error_ && sameMaster(p.previous, leader_);
  });
  for (auto it = ready; it != pending_.end(); ++it) {
    // Posted, so the caller never re-enters us from inside detect() or a callback.
    runtime_->post(
        [alive = std::weak_ptr<bool>(alive_), callback = std::move(it->callback), result] {
          if (!alive.expired()) callback(result);
        });
  }
  pending_.erase(ready, pending_.end());
}

}  // namespace plexus::detector_zk
