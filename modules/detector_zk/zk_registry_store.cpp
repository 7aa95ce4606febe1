#include "zk_registry_store.hpp"

#include <plexus/logging.hpp>

namespace plexus::detector_zk {

Result<std::unique_ptr<ZkRegistryStore>> ZkRegistryStore::create(const Parameters& parameters) {
  auto options = zkOptions(parameters);
  if (!options) return fail(options.error());
  if (options->url.path == "/") {
    return fail(
        "parameter 'zk': the group path is '/', which leaves no sibling znode for the "
        "registry; use a path such as zk://host:2181/plexus");
  }
  return std::make_unique<ZkRegistryStore>(options->url, options->sessionTimeout);
}

ZkRegistryStore::ZkRegistryStore(ZkUrl url, Duration sessionTimeout)
    : url_(std::move(url)), sessionTimeout_(sessionTimeout), path_(url_.path + "_registry") {}

ZkRegistryStore::~ZkRegistryStore() {
  *alive_ = false;
  client_.reset();  // zookeeper_close: no callback of the client runs after this
}

Result<void> ZkRegistryStore::initialize(Runtime& runtime) {
  if (runtime_ != nullptr) return fail("initialize() was already called");
  runtime_ = &runtime;
  return {};
}

std::string ZkRegistryStore::describe() const {
  return "znode " + path_ + " on " + url_.servers;
}

void ZkRegistryStore::read(std::function<void(Result<StoredRegistry>)> done) {
  auto client = connect();
  if (!client) return post([done, error = client.error()] { done(fail(error)); });
  (*client)->get(path_, false, [this, done, alive = alive_](const ZkReply& reply) {
    if (!*alive) return;
    if (reply.rc == ZOK) {
      version_ = reply.stat ? reply.stat->version : 0;
      done(StoredRegistry{.data = reply.value, .version = version_});
    } else if (reply.rc == ZNONODE) {
      version_ = kNothingStored;
      done(StoredRegistry{});
    } else if (isTransient(reply.rc)) {
      retry([this, done] { read(done); });
    } else {
      done(fail("cannot read the znode " + path_ + ": " + zkErrorText(reply.rc)));
    }
  });
}

void ZkRegistryStore::write(const std::string& data, std::int64_t expected,
                            std::function<void(Result<std::int64_t>)> done) {
  ++writing_;
  write(data, expected, std::move(done), false);
}

void ZkRegistryStore::write(const std::string& data, std::int64_t expected, WriteDone done,
                            bool retried) {
  auto client = connect();
  if (!client) {
    return post([this, done, error = client.error()] {
      --writing_;
      done(fail(error));
    });
  }
  auto answer = [this, data, expected, done, retried, alive = alive_](const ZkReply& reply) {
    if (!*alive) return;
    if (reply.rc == ZOK) {
      written(reply.stat ? reply.stat->version : 0, done);
    } else if (isTransient(reply.rc)) {
      retry([this, data, expected, done] { write(data, expected, done, true); });
    } else if (retried && (reply.rc == ZBADVERSION || reply.rc == ZNODEEXISTS)) {
      checkOwnWrite(data, done);
    } else {
      --writing_;
      done(fail("cannot write the znode " + path_ + ": " + zkErrorText(reply.rc) +
                (reply.rc == ZBADVERSION || reply.rc == ZNODEEXISTS
                     ? " (another master wrote the registry: this one no longer leads)"
                     : "")));
    }
  };
  if (expected == kNothingStored) {
    (*client)->create(path_, data, 0, [answer](const ZkReply& reply) {
      ZkReply created = reply;
      created.stat.reset();  // a new znode's data version is 0
      answer(created);
    });
  } else {
    (*client)->set(path_, data, static_cast<int>(expected), answer);
  }
}

// After a retried write was refused: did the first try store `data`?
void ZkRegistryStore::checkOwnWrite(const std::string& data, WriteDone done) {
  auto client = connect();
  if (!client) {
    return post([this, done, error = client.error()] {
      --writing_;
      done(fail(error));
    });
  }
  (*client)->get(path_, false, [this, data, done, alive = alive_](const ZkReply& reply) {
    if (!*alive) return;
    if (isTransient(reply.rc)) {
      retry([this, data, done] { checkOwnWrite(data, done); });
    } else if (reply.rc == ZOK && reply.value == data) {
      written(reply.stat ? reply.stat->version : 0, done);
    } else {
      --writing_;
      done(fail("the znode " + path_ + " was written by another master: this one no longer leads"));
    }
  });
}

void ZkRegistryStore::written(std::int64_t version, const WriteDone& done) {
  version_ = version;
  --writing_;
  done(version);
  if (*alive_ && writing_ == 0 && checkAfterWrite_) {
    checkAfterWrite_ = false;
    checkWatched();
  }
}

void ZkRegistryStore::watch(std::function<void()> changed) {
  changed_ = std::move(changed);
  checkWatched();
}

void ZkRegistryStore::checkWatched() {
  if (!changed_) return;
  if (writing_ > 0) {
    // The version moves with our own write: look once it is answered.
    checkAfterWrite_ = true;
    return;
  }
  auto client = connect();
  if (!client) return retry([this] { checkWatched(); });
  (*client)->exists(path_, true, [this, alive = alive_](const ZkReply& reply) {
    if (!*alive || !changed_) return;
    if (isTransient(reply.rc)) return retry([this] { checkWatched(); });
    if (writing_ > 0) {
      checkAfterWrite_ = true;
      return;
    }
    std::int64_t now = reply.rc == ZOK && reply.stat ? reply.stat->version : kNothingStored;
    if (reply.rc != ZOK && reply.rc != ZNONODE) return;
    if (now != version_) {
      auto changed = std::move(changed_);
      changed_ = nullptr;
      changed();
    }
  });
}

Result<ZkClient*> ZkRegistryStore::connect() {
  if (runtime_ == nullptr) return fail("the registry store was not initialized");
  if (client_) return client_.get();
  // A new session after an expiry: the watch went with the old one; set it again.
  if (hadClient_ && changed_) post([this] { checkWatched(); });
  hadClient_ = true;
  auto alive = alive_;
  auto client = ZkClient::open(
      *runtime_, url_, sessionTimeout_,
      [this, alive](ZkSessionEvent event) {
        if (!*alive) return;
        if (event == ZkSessionEvent::Expired || event == ZkSessionEvent::AuthFailed) {
          PLEXUS_LOG(Warning) << "The registry's ZooKeeper session: " << sessionEventName(event)
                              << "; the next operation opens a new one";
          // Not from inside the client's own callback: close it from the loop.
          post([this] { expired_ = true; });
        }
      },
      [this, alive](int, const std::string& path) {
        if (*alive && path == path_) checkWatched();
      });
  if (!client) return fail(client.error().context("the registry in ZooKeeper"));
  client_ = std::move(*client);
  return client_.get();
}

void ZkRegistryStore::retry(std::function<void()> again) {
  auto alive = alive_;
  runtime_->schedule(std::chrono::milliseconds(250), [this, alive, again = std::move(again)] {
    if (!*alive) return;
    if (expired_) {
      expired_ = false;
      client_.reset();
    }
    again();
  });
}

void ZkRegistryStore::post(std::function<void()> callback) {
  runtime_->post([alive = alive_, callback = std::move(callback)] {
    if (*alive) callback();
  });
}

}  // namespace plexus::detector_zk
