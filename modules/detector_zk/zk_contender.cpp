#include "zk_contender.hpp"

#include <plexus/json.hpp>
#include <plexus/logging.hpp>

namespace plexus::detector_zk {
namespace {

constexpr Duration kRetryDelay = std::chrono::milliseconds(500);

// Mesos's masters always fill `address`, and pymesos reads only it.
void fillAddress(v1::MasterInfo& info) {
  if (info.has_address()) return;
  std::uint32_t ip = info.ip();  // network byte order: the first octet is the low byte
  v1::Address* address = info.mutable_address();
  if (info.has_hostname()) address->set_hostname(info.hostname());
  address->set_ip(std::to_string(ip & 0xff) + "." + std::to_string((ip >> 8) & 0xff) + "." +
                  std::to_string((ip >> 16) & 0xff) + "." + std::to_string((ip >> 24) & 0xff));
  address->set_port(static_cast<std::int32_t>(info.port()));
}

}  // namespace

Result<std::unique_ptr<ZkContender>> ZkContender::create(const Parameters& parameters) {
  auto options = zkOptions(parameters);
  if (!options) return fail(options.error());
  return std::make_unique<ZkContender>(options->url, options->sessionTimeout);
}

ZkContender::ZkContender(ZkUrl url, Duration sessionTimeout)
    : url_(std::move(url)), requestedTimeout_(sessionTimeout) {}

ZkContender::~ZkContender() {
  ++epoch_;
  if (runtime_ != nullptr) {
    if (sessionTimer_) runtime_->cancel(*sessionTimer_);
    if (retryTimer_) runtime_->cancel(*retryTimer_);
  }
  client_.reset();  // zookeeper_close: our node goes now, and no callback comes later
}

Result<void> ZkContender::initialize(const v1::MasterInfo& master, Runtime& runtime) {
  if (runtime_ != nullptr) return plexus::fail("initialize() was already called");
  runtime_ = &runtime;
  v1::MasterInfo info = master;
  fillAddress(info);
  data_ = toJson(info);
  openClient();
  if (!client_) return plexus::fail("cannot open a ZooKeeper session to " + url_.redacted());
  return {};
}

std::pair<std::int64_t, std::string> ZkContender::sessionForTesting() const {
  if (!client_) return {0, {}};
  return {client_->sessionId(), client_->sessionPassword()};
}

void ZkContender::openClient() {
  connected_ = false;
  auto client = ZkClient::open(
      *runtime_, url_, requestedTimeout_, [this](ZkSessionEvent event) { onSession(event); },
      [this](int type, const std::string& path) { onWatch(type, path); });
  if (!client) {
    PLEXUS_LOG(Error) << "detector_zk_contender: " << client.error().message();
    return;
  }
  client_ = std::move(*client);
}

void ZkContender::resetClient() {
  if (sessionTimer_) runtime_->cancel(*sessionTimer_);
  sessionTimer_.reset();
  client_.reset();
  openClient();
}

void ZkContender::contend(ContenderCallbacks callbacks) {
  PLEXUS_CHECK(runtime_ != nullptr) << "detector_zk_contender: contend() before initialize()";
  ++epoch_;
  if (retryTimer_) runtime_->cancel(*retryTimer_);
  retryTimer_.reset();
  if (state_ != State::Idle) {
    // Closing the session deletes the old node at once; its callbacks are dropped,
    // as Mesos discards the futures of a withdrawn candidacy.
    PLEXUS_LOG(Info) << "Withdrawing the candidacy " << (node_.empty() ? "being joined" : node_)
                     << " to contend again";
    resetClient();
  } else if (!client_) {
    openClient();
  }
  state_ = State::Joining;
  node_.clear();
  createUncertain_ = false;
  resumeOnConnect_ = false;
  callbacks_ = std::move(callbacks);
  if (!client_) {
    lose(Error("cannot open a ZooKeeper session to " + url_.redacted()));
    return;
  }
  join();
}

void ZkContender::onSession(ZkSessionEvent event) {
  PLEXUS_LOG(Info) << "detector_zk_contender: ZooKeeper session " << sessionEventName(event) << " ("
                   << url_.redacted() << ")";
  switch (event) {
    case ZkSessionEvent::Connected:
      connected_ = true;
      if (sessionTimer_) runtime_->cancel(*sessionTimer_);
      sessionTimer_.reset();
      if (resumeOnConnect_ || state_ == State::Candidate) {
        resumeOnConnect_ = false;
        resumeJoin();
      }
      return;
    case ZkSessionEvent::Connecting: {
      connected_ = false;
      if (state_ == State::Idle || sessionTimer_) return;
      // The session may outlive the connection, but only for the session
      // timeout; past that, another master may lead. The server's expiry notice
      // would only come when we reconnect, so do not wait for it.
      Duration timeout = client_->sessionTimeout();
      sessionTimer_ = runtime_->schedule(timeout, [this, timeout] {
        sessionTimer_.reset();
        Error reason(
            "the ZooKeeper session is presumed expired: not reconnected within the "
            "session timeout (" +
            formatDuration(timeout) + ")");
        if (state_ == State::Candidate) {
          lose(reason);
        } else {
          rejoinOnNewSession();
        }
      });
      return;
    }
    case ZkSessionEvent::Expired:
      if (state_ == State::Candidate) {
        lose(Error("the ZooKeeper session expired"));
        return;
      }
      rejoinOnNewSession();  // nothing was promised yet
      return;
    case ZkSessionEvent::AuthFailed:
      if (state_ == State::Idle) {
        PLEXUS_LOG(Error) << "detector_zk_contender: ZooKeeper refused the credentials of user '"
                          << url_.user() << "'";
        return;
      }
      lose(Error("ZooKeeper refused the credentials of user '" + url_.user() + "'"));
      return;
  }
}

void ZkContender::onWatch(int type, const std::string& path) {
  if (state_ != State::Candidate || path != node_) return;
  if (type == ZOO_DELETED_EVENT) {
    lose(Error("the candidacy's znode " + node_ + " was deleted"));
  } else {
    watchNode();  // some other change: re-arm the one-shot watch
  }
}

void ZkContender::join() {
  // Persistent parents first (Mesos creates them with the same ACL), unless the
  // group exists already, the usual case.
  client_->exists(url_.path, false, [this, epoch = epoch_](const ZkReply& reply) {
    if (epoch != epoch_) return;
    if (reply.rc == ZOK) return findOrCreateNode();
    if (reply.rc == ZNONODE) return createParent(url_.path.find('/', 1));
    retry("checking the group znode " + url_.path, reply.rc);
  });
}

void ZkContender::createParent(std::size_t end) {
  if (end == std::string::npos) end = url_.path.size();
  std::string parent = url_.path.substr(0, end);
  client_->create(
      parent, "", ZOO_PERSISTENT, [this, epoch = epoch_, end, parent](const ZkReply& reply) {
        if (epoch != epoch_) return;
        if (reply.rc != ZOK && reply.rc != ZNODEEXISTS) {
          if (isTransient(reply.rc)) return retry("creating " + parent, reply.rc);
          return lose(Error("cannot create the znode " + parent + ": " + zkErrorText(reply.rc)));
        }
        if (end >= url_.path.size()) return findOrCreateNode();
        createParent(url_.path.find('/', end + 1));
      });
}

void ZkContender::findOrCreateNode() {
  if (!createUncertain_) return createNode();
  // A create() whose reply was lost may have made our node: look for a child
  // owned by this session before making another one.
  client_->getChildren(url_.path, false, [this, epoch = epoch_](const ZkReply& reply) {
    if (epoch != epoch_) return;
    if (reply.rc != ZOK) return retry("listing " + url_.path, reply.rc);
    std::vector<std::string> candidates;
    for (const auto& child : reply.children) {
      if (child.starts_with(kJsonInfoPrefix)) candidates.push_back(childPath(url_.path, child));
    }
    adopt(std::move(candidates));
  });
}

void ZkContender::adopt(std::vector<std::string> candidates) {
  if (candidates.empty()) {
    createUncertain_ = false;
    return createNode();
  }
  std::string path = candidates.back();
  candidates.pop_back();
  client_->exists(path, false, [this, epoch = epoch_, path, candidates](const ZkReply& reply) {
    if (epoch != epoch_) return;
    if (reply.rc != ZOK && reply.rc != ZNONODE) return retry("reading " + path, reply.rc);
    if (reply.rc == ZOK && reply.stat && reply.stat->ephemeralOwner == client_->sessionId()) {
      PLEXUS_LOG(Info) << "Found our own candidacy znode " << path << " after a lost reply";
      createUncertain_ = false;
      node_ = path;
      state_ = State::Candidate;
      watchNode();
      notifyCandidacy();
      return;
    }
    adopt(candidates);
  });
}

void ZkContender::createNode() {
  std::string prefix = childPath(url_.path, kJsonInfoPrefix);
  client_->create(prefix, data_, ZOO_EPHEMERAL_SEQUENTIAL,
                  [this, epoch = epoch_](const ZkReply& reply) {
                    if (epoch != epoch_) return;
                    if (reply.rc != ZOK) {
                      if (isTransient(reply.rc)) {
                        createUncertain_ = true;
                        return retry("creating the candidacy znode", reply.rc);
                      }
                      return lose(Error("cannot create the candidacy znode under " + url_.path +
                                        ": " + zkErrorText(reply.rc)));
                    }
                    node_ = reply.value;
                    state_ = State::Candidate;
                    PLEXUS_LOG(Info) << "Contending for leadership as " << node_ << " ("
                                     << url_.redacted() << ")";
                    watchNode();
                    notifyCandidacy();
                  });
}

void ZkContender::watchNode() {
  client_->exists(node_, true, [this, epoch = epoch_](const ZkReply& reply) {
    if (epoch != epoch_ || state_ != State::Candidate) return;
    if (reply.rc == ZOK) return;
    if (reply.rc == ZNONODE) return lose(Error("the candidacy's znode " + node_ + " was deleted"));
    retry("watching " + node_, reply.rc);
  });
}

void ZkContender::retry(const std::string& what, int rc) {
  if (!isTransient(rc)) {
    return lose(Error(what + ": " + zkErrorText(rc)));
  }
  PLEXUS_LOG(Info) << "detector_zk_contender: " << what << " failed with " << zkErrorText(rc)
                   << "; retrying";
  if (!connected_) {
    resumeOnConnect_ = true;
    return;
  }
  if (retryTimer_) return;
  retryTimer_ = runtime_->schedule(kRetryDelay, [this] {
    retryTimer_.reset();
    if (connected_) {
      resumeJoin();
    } else {
      resumeOnConnect_ = true;
    }
  });
}

void ZkContender::resumeJoin() {
  if (state_ == State::Joining) {
    join();
  } else if (state_ == State::Candidate) {
    watchNode();  // also confirms the node survived the disconnection
  }
}

void ZkContender::rejoinOnNewSession() {
  resetClient();
  if (state_ != State::Joining) return;
  if (!client_) return lose(Error("cannot open a ZooKeeper session to " + url_.redacted()));
  ++epoch_;
  if (retryTimer_) runtime_->cancel(*retryTimer_);
  retryTimer_.reset();
  createUncertain_ = false;  // the old session's nodes are not ours any more
  resumeOnConnect_ = false;
  join();
}

void ZkContender::notifyCandidacy() {
  // A copy: the master may call contend() again, or destroy us, from here.
  std::function<void()> onCandidacy = callbacks_.onCandidacy;
  if (onCandidacy) onCandidacy();
}

void ZkContender::lose(const Error& reason) {
  bool wasCandidate = state_ == State::Candidate;
  state_ = State::Idle;
  node_.clear();
  createUncertain_ = false;
  resumeOnConnect_ = false;
  ++epoch_;
  if (retryTimer_) runtime_->cancel(*retryTimer_);
  retryTimer_.reset();
  // A fresh session: the old node, if the server still has it, goes with the old one.
  resetClient();
  PLEXUS_LOG(Warning) << (wasCandidate ? "Lost the candidacy" : "Could not contend") << " ("
                      << url_.redacted() << "): " << reason.message();
  ContenderCallbacks callbacks = std::move(callbacks_);
  callbacks_ = {};
  // Last: the master may call contend() again, or destroy us, from here.
  if (callbacks.onCandidacyLost) callbacks.onCandidacyLost(reason);
}

}  // namespace plexus::detector_zk
