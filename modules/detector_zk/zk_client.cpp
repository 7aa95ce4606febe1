#include "zk_client.hpp"

#include <cstring>
#include <map>
#include <utility>

#include <plexus/logging.hpp>

namespace plexus::detector_zk {
namespace {

ZkReply replyWith(int rc, std::string value = {}) {
  ZkReply reply;
  reply.rc = rc;
  reply.value = std::move(value);
  return reply;
}

}  // namespace

// The loop-side state of one handle. The C client's threads never touch it: they
// see only a Context (immutable while the handle is open) and post to the loop.
struct ZkClient::Impl {
  struct Context {
    Runtime* runtime;
    std::weak_ptr<Impl> impl;
  };
  // What an asynchronous operation's `data` points at; owned by `ops`.
  struct Op {
    Context* context;
    std::uint64_t id;
  };

  explicit Impl(Runtime& r) : runtime(r) {}
  ~Impl() { close(); }

  std::pair<const Op*, std::uint64_t> add(ReplyCallback done) {
    std::uint64_t id = nextOp++;
    auto op = std::make_unique<Op>(Op{context.get(), id});
    const Op* raw = op.get();
    ops.emplace(id, std::make_pair(std::move(op), std::move(done)));
    return {raw, id};
  }

  // Runs on the loop: the reply of operation `id` arrived.
  void complete(std::uint64_t id, const ZkReply& reply) {
    auto it = ops.find(id);
    if (it == ops.end()) return;
    ReplyCallback done = std::move(it->second.second);
    ops.erase(it);
    if (done) done(reply);
  }

  // The C client refused to start an operation: its completion never runs.
  void failNow(std::uint64_t id, int rc) {
    runtime.post([weak = std::weak_ptr<Impl>(self), id, rc] {
      if (auto impl = weak.lock(); impl && !impl->closed) impl->complete(id, replyWith(rc));
    });
  }

  void onEvent(int type, int state, const std::string& path) {
    if (type != ZOO_SESSION_EVENT) {
      if (onWatch) onWatch(type, path);
      return;
    }
    ZkSessionEvent event;
    if (state == ZOO_CONNECTED_STATE) {
      event = ZkSessionEvent::Connected;
      const clientid_t* id = zoo_client_id(zh);
      sessionId = id->client_id;
      sessionPassword.assign(id->passwd, sizeof(id->passwd));
      negotiatedTimeout = std::chrono::milliseconds(zoo_recv_timeout(zh));
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
      event = ZkSessionEvent::Connecting;
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
      event = ZkSessionEvent::Expired;
    } else if (state == ZOO_AUTH_FAILED_STATE) {
      event = ZkSessionEvent::AuthFailed;
    } else {
      return;  // ZOO_NOTCONNECTED_STATE, read-only: nothing we act on.
    }
    if (onSession) onSession(event);
  }

  void close() {
    if (closed) return;
    closed = true;
    // Joins the C client's threads: after this, nothing reads `context` or an Op.
    if (zh != nullptr) zookeeper_close(zh);
    zh = nullptr;
    ops.clear();
  }

  const ACL_vector* acl() { return credentials ? &creatorAllWorldRead : &ZOO_OPEN_ACL_UNSAFE; }

  Runtime& runtime;
  std::weak_ptr<Impl> self;
  std::unique_ptr<Context> context;
  SessionCallback onSession;
  WatchCallback onWatch;
  zhandle_t* zh = nullptr;
  bool closed = false;
  bool credentials = false;
  // Mesos's EVERYONE_READ_CREATOR_ALL (src/zookeeper/authentication.cpp).
  ACL creatorAllWorldReadEntries[2] = {};
  ACL_vector creatorAllWorldRead = {};
  std::uint64_t nextOp = 1;
  std::map<std::uint64_t, std::pair<std::unique_ptr<Op>, ReplyCallback>> ops;
  std::int64_t sessionId = 0;
  std::string sessionPassword;
  Duration negotiatedTimeout{0};
};

namespace {

using Impl = ZkClient::Impl;

// Everything below runs on the C client's threads: read the Context, post, return.
void post(const Impl::Op* op, ZkReply reply) {
  Impl::Context* context = op->context;
  context->runtime->post([weak = context->impl, id = op->id, reply = std::move(reply)] {
    if (auto impl = weak.lock(); impl && !impl->closed) impl->complete(id, reply);
  });
}

void watcher(zhandle_t*, int type, int state, const char* path, void* ctx) {
  auto* context = static_cast<Impl::Context*>(ctx);
  context->runtime->post(
      [weak = context->impl, type, state, path = std::string(path != nullptr ? path : "")] {
        if (auto impl = weak.lock(); impl && !impl->closed) impl->onEvent(type, state, path);
      });
}

void onString(int rc, const char* value, const void* data) {
  post(static_cast<const Impl::Op*>(data), replyWith(rc, value != nullptr ? value : ""));
}

void onData(int rc, const char* value, int length, const Stat* stat, const void* data) {
  ZkReply reply = replyWith(rc);
  if (value != nullptr && length > 0) reply.value.assign(value, static_cast<std::size_t>(length));
  if (stat != nullptr) reply.stat = *stat;
  post(static_cast<const Impl::Op*>(data), std::move(reply));
}

void onStat(int rc, const Stat* stat, const void* data) {
  ZkReply reply = replyWith(rc);
  if (stat != nullptr) reply.stat = *stat;
  post(static_cast<const Impl::Op*>(data), std::move(reply));
}

void onChildren(int rc, const String_vector* strings, const Stat* stat, const void* data) {
  ZkReply reply = replyWith(rc);
  if (strings != nullptr) {
    for (int i = 0; i < strings->count; ++i)
      reply.children.emplace_back(strings->data[i]);
  }
  if (stat != nullptr) reply.stat = *stat;
  post(static_cast<const Impl::Op*>(data), std::move(reply));
}

// The C client's own lines, errors included, go to DEBUG: while ZooKeeper is
// unreachable it reports every failed connection attempt, about a hundred lines a
// second, which drowned plexus-execute's output. What matters (the session lost,
// expired or refused) the contender and the detector say once themselves;
// --logging_level=DEBUG shows the client's lines too.
void logLine(const char* message) {
  std::string_view text(message != nullptr ? message : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  PLEXUS_LOG(Debug) << "ZooKeeper client: " << text;
}

}  // namespace

const char* sessionEventName(ZkSessionEvent event) {
  switch (event) {
    case ZkSessionEvent::Connected:
      return "connected";
    case ZkSessionEvent::Connecting:
      return "connecting";
    case ZkSessionEvent::Expired:
      return "expired";
    case ZkSessionEvent::AuthFailed:
      return "authentication failed";
  }
  return "unknown";
}

std::string zkErrorText(int rc) {
  return std::string(zerror(rc)) + " (" + std::to_string(rc) + ")";
}

bool isTransient(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONMOVED ||
         rc == ZCLOSING || rc == ZINVALIDSTATE;
}

ZkClient::ZkClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZkClient::~ZkClient() {
  impl_->close();
}

Result<std::unique_ptr<ZkClient>> ZkClient::open(Runtime& runtime, const ZkUrl& url,
                                                 Duration sessionTimeout, SessionCallback onSession,
                                                 WatchCallback onWatch) {
  auto impl = std::make_shared<Impl>(runtime);
  impl->self = impl;
  impl->context = std::make_unique<Impl::Context>(Impl::Context{&runtime, impl});
  impl->onSession = std::move(onSession);
  impl->onWatch = std::move(onWatch);
  impl->negotiatedTimeout = sessionTimeout;
  impl->creatorAllWorldReadEntries[0] = ACL{ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE};
  impl->creatorAllWorldReadEntries[1] = ACL{ZOO_PERM_ALL, ZOO_AUTH_IDS};
  impl->creatorAllWorldRead = ACL_vector{2, impl->creatorAllWorldReadEntries};
  impl->credentials = url.credentials.has_value();

  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(sessionTimeout).count();
  impl->zh = zookeeper_init2(url.servers.c_str(), &watcher, static_cast<int>(millis), nullptr,
                             impl->context.get(), 0, &logLine);
  if (impl->zh == nullptr) {
    return fail("cannot create a ZooKeeper handle for '" + url.servers +
                "': " + std::strerror(errno));
  }
  if (url.credentials) {
    // The C client re-sends these on every reconnection; a refusal arrives as
    // ZOO_AUTH_FAILED_STATE.
    int rc = zoo_add_auth(impl->zh, "digest", url.credentials->data(),
                          static_cast<int>(url.credentials->size()), nullptr, nullptr);
    if (rc != ZOK) {
      impl->close();
      return fail("cannot add the digest credentials: " + zkErrorText(rc));
    }
  }
  return std::unique_ptr<ZkClient>(new ZkClient(std::move(impl)));
}

void ZkClient::create(const std::string& path, const std::string& data, int flags,
                      ReplyCallback done) {
  auto [op, id] = impl_->add(std::move(done));
  int rc = zoo_acreate(impl_->zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                       impl_->acl(), flags, &onString, op);
  if (rc != ZOK) impl_->failNow(id, rc);
}

void ZkClient::getChildren(const std::string& path, bool watch, ReplyCallback done) {
  auto [op, id] = impl_->add(std::move(done));
  int rc = zoo_aget_children2(impl_->zh, path.c_str(), watch ? 1 : 0, &onChildren, op);
  if (rc != ZOK) impl_->failNow(id, rc);
}

void ZkClient::get(const std::string& path, bool watch, ReplyCallback done) {
  auto [op, id] = impl_->add(std::move(done));
  int rc = zoo_aget(impl_->zh, path.c_str(), watch ? 1 : 0, &onData, op);
  if (rc != ZOK) impl_->failNow(id, rc);
}

void ZkClient::exists(const std::string& path, bool watch, ReplyCallback done) {
  auto [op, id] = impl_->add(std::move(done));
  int rc = zoo_aexists(impl_->zh, path.c_str(), watch ? 1 : 0, &onStat, op);
  if (rc != ZOK) impl_->failNow(id, rc);
}

void ZkClient::set(const std::string& path, const std::string& data, int version,
                   ReplyCallback done) {
  auto [op, id] = impl_->add(std::move(done));
  int rc = zoo_aset(impl_->zh, path.c_str(), data.data(), static_cast<int>(data.size()), version,
                    &onStat, op);
  if (rc != ZOK) impl_->failNow(id, rc);
}

Duration ZkClient::sessionTimeout() const {
  return impl_->negotiatedTimeout;
}
std::int64_t ZkClient::sessionId() const {
  return impl_->sessionId;
}
std::string ZkClient::sessionPassword() const {
  return impl_->sessionPassword;
}

}  // namespace plexus::detector_zk
