// ZkClient: one ZooKeeper session (a zhandle_t of the C client) seen from a loop.
//
// The contender and the detector each own one. The C client runs its own I/O and
// completion threads; every callback it makes only posts to the daemon's loop
// through the Runtime (DESIGN.md, Concurrency). All methods, and every callback
// given to them, run on that loop. Operations are asynchronous (zoo_a*), so the
// loop never blocks on the network.
//
// Lifetime: destroying the client calls zookeeper_close, which joins the C
// client's threads (and deletes the session's ephemeral nodes if connected). No
// callback given to this client runs after its destructor has started, even one
// already posted. An expired client cannot be used again: make a new one.
//
// Errors: open() fails only if the C client cannot make a handle; an operation's
// result is the ZooKeeper return code (ZOK, ZNONODE, ZCONNECTIONLOSS, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zookeeper/zookeeper.h>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/runtime.hpp>

#include "zk_url.hpp"

namespace plexus::detector_zk {

enum class ZkSessionEvent {
  Connected,   // (re)connected; the session and its ephemeral nodes live
  Connecting,  // connection lost; the session lives until the server expires it
  Expired,     // the server expired the session: its ephemeral nodes are gone
  AuthFailed,  // the server refused the credentials: the handle is dead
};

const char* sessionEventName(ZkSessionEvent event);

// The result of one asynchronous operation; which fields are set depends on it.
struct ZkReply {
  int rc = 0;
  std::string value;                  // create: the created path; get: the data
  std::vector<std::string> children;  // getChildren
  std::optional<Stat> stat;           // get, exists
};

class ZkClient {
 public:
  using ReplyCallback = std::function<void(const ZkReply& reply)>;
  using SessionCallback = std::function<void(ZkSessionEvent event)>;
  // A watch fired: the ZOO_*_EVENT type and the znode path.
  using WatchCallback = std::function<void(int type, const std::string& path)>;

  // Starts connecting (and adds the URL's digest credentials). Call on the loop.
  [[nodiscard]] static Result<std::unique_ptr<ZkClient>> open(Runtime& runtime, const ZkUrl& url,
                                                              Duration sessionTimeout,
                                                              SessionCallback onSession,
                                                              WatchCallback onWatch);
  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Creates `path`; `flags` are ZOO_PERSISTENT, ZOO_EPHEMERAL_SEQUENTIAL, ...
  // The ACL is the URL's: world-read plus creator-all with credentials, open without.
  void create(const std::string& path, const std::string& data, int flags, ReplyCallback done);
  // With `watch`, a later change fires the WatchCallback once.
  void getChildren(const std::string& path, bool watch, ReplyCallback done);
  void get(const std::string& path, bool watch, ReplyCallback done);
  void exists(const std::string& path, bool watch, ReplyCallback done);
  // Replaces the data of `path` if its version is `version` (-1: any); the reply's
  // stat holds the new version.
  void set(const std::string& path, const std::string& data, int version, ReplyCallback done);

  // The session timeout the server granted (the requested one until connected).
  Duration sessionTimeout() const;
  // The session id and password (0 and empty before the first connection).
  std::int64_t sessionId() const;
  std::string sessionPassword() const;

  struct Impl;

 private:
  explicit ZkClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// "ZCONNECTIONLOSS (connection loss)"-style text for logs and errors.
std::string zkErrorText(int rc);

// True for the codes that a later retry, on this session or the next, may fix.
bool isTransient(int rc);

}  // namespace plexus::detector_zk
