#include "master/registrar.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

#include <plexus/file.hpp>
#include <plexus/logging.hpp>

#include "zk_client.hpp"
#include "zk_url.hpp"

namespace plexus::master {
namespace {

std::string errnoText() {
  return std::strerror(errno);
}

class FileStore final : public RegistryStore {
 public:
  // `lock`: the open registry.lock this store holds an flock on (closed with it).
  // Writes run on the store's own thread, so an fsync never stalls the loop.
  FileStore(Runtime& runtime, std::string path, int lock)
      : runtime_(runtime), path_(std::move(path)), lock_(lock), writer_([this] { writeLoop(); }) {}
  ~FileStore() override {
    {
      std::lock_guard guard(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
    ::close(lock_);
  }
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  void read(std::function<void(Result<std::optional<std::string>>)> done) override {
    runtime_.post([done = std::move(done), result = readNow()] { done(result); });
  }

  void write(const std::string& data, std::function<void(Result<void>)> done) override {
    {
      std::lock_guard guard(mutex_);
      writes_.emplace_back(data, std::move(done));
    }
    wake_.notify_one();
  }

  std::string describe() const override { return "file " + path_; }

 private:
  Result<std::optional<std::string>> readNow() const {
    auto data = readFileIfExists(path_);
    if (!data) return fail("cannot read " + path_ + ": " + data.error().message());
    return data;
  }

  // Writes next to the registry, fsyncs, renames over it and fsyncs the folder:
  // a crash leaves the old registry or the new one, never a mix.
  Result<void> writeNow(const std::string& data) const {
    std::filesystem::path path(path_);
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) return fail("cannot create " + path.parent_path().string() + ": " + error.message());
    std::string temporary = path_ + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create " + temporary + ": " + errnoText());
    size_t written = 0;
    while (written < data.size()) {
      ssize_t n = ::write(fd, data.data() + written, data.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::string why = errnoText();
        ::close(fd);
        return fail("cannot write " + temporary + ": " + why);
      }
      written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      std::string why = errnoText();
      ::close(fd);
      return fail("cannot fsync " + temporary + ": " + why);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path_.c_str()) != 0) {
      return fail("cannot rename " + temporary + " to " + path_ + ": " + errnoText());
    }
    int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    return {};
  }

  // The writer thread: each write in order, its answer posted to the loop. Writes
  // still queued when the store goes are dropped (nobody waits for them).
  void writeLoop() {
    for (;;) {
      std::pair<std::string, std::function<void(Result<void>)>> next;
      {
        std::unique_lock guard(mutex_);
        wake_.wait(guard, [this] { return stopping_ || !writes_.empty(); });
        if (stopping_) return;
        next = std::move(writes_.front());
        writes_.pop_front();
      }
      runtime_.post(
          [done = std::move(next.second), result = writeNow(next.first)] { done(result); });
    }
  }

  Runtime& runtime_;
  std::string path_;
  int lock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::function<void(Result<void>)>>> writes_;
  bool stopping_ = false;
  std::thread writer_;  // last: started once the rest is ready
};

// The registry znode on a session of its own. Writes are conditional on the version
// this master last read or wrote, so a master that no longer leads cannot overwrite
// what the new leader stored: its write fails and it steps down. Transient errors
// (connection loss) are retried; a retried write that finds the version moved
// checks whether the data is its own (the first try went through).
class ZooKeeperStore final : public RegistryStore {
 public:
  ZooKeeperStore(Runtime& runtime, detector_zk::ZkUrl url, Duration sessionTimeout)
      : runtime_(runtime),
        url_(std::move(url)),
        sessionTimeout_(sessionTimeout),
        path_(url_.path + "_registry") {}

  ~ZooKeeperStore() override { *alive_ = false; }

  void read(std::function<void(Result<std::optional<std::string>>)> done) override {
    auto client = connect();
    if (!client) return post([done, error = client.error()] { done(fail(error)); });
    (*client)->get(path_, false, [this, done, alive = alive_](const detector_zk::ZkReply& reply) {
      if (!*alive) return;
      if (reply.rc == ZOK) {
        version_ = reply.stat ? reply.stat->version : 0;
        done(std::optional<std::string>(reply.value));
      } else if (reply.rc == ZNONODE) {
        version_ = kAbsent;
        done(std::optional<std::string>());
      } else if (detector_zk::isTransient(reply.rc)) {
        retry([this, done] { read(done); });
      } else {
        done(fail("cannot read the znode " + path_ + ": " + detector_zk::zkErrorText(reply.rc)));
      }
    });
  }

  void write(const std::string& data, std::function<void(Result<void>)> done) override {
    write(data, std::move(done), false);
  }

  std::string describe() const override { return "znode " + path_ + " on " + url_.servers; }

 private:
  static constexpr int kAbsent = -2;

  void write(const std::string& data, std::function<void(Result<void>)> done, bool retried) {
    auto client = connect();
    if (!client) return post([done, error = client.error()] { done(fail(error)); });
    auto answer = [this, data, done, retried, alive = alive_](const detector_zk::ZkReply& reply) {
      if (!*alive) return;
      if (reply.rc == ZOK) {
        version_ = reply.stat ? reply.stat->version : 0;
        done({});
      } else if (detector_zk::isTransient(reply.rc)) {
        retry([this, data, done] { write(data, done, true); });
      } else if (retried && (reply.rc == ZBADVERSION || reply.rc == ZNODEEXISTS)) {
        checkOwnWrite(data, done);
      } else {
        done(fail("cannot write the znode " + path_ + ": " + detector_zk::zkErrorText(reply.rc) +
                  (reply.rc == ZBADVERSION || reply.rc == ZNODEEXISTS
                       ? " (another master wrote the registry: this one no longer leads)"
                       : "")));
      }
    };
    if (version_ == kAbsent) {
      (*client)->create(path_, data, 0, [answer](const detector_zk::ZkReply& reply) {
        detector_zk::ZkReply created = reply;
        created.stat.reset();
        answer(created);
      });
    } else {
      (*client)->set(path_, data, version_, answer);
    }
  }

  // After a retried write was refused: did the first try store `data`?
  void checkOwnWrite(const std::string& data, std::function<void(Result<void>)> done) {
    auto client = connect();
    if (!client) return post([done, error = client.error()] { done(fail(error)); });
    (*client)->get(path_, false,
                   [this, data, done, alive = alive_](const detector_zk::ZkReply& reply) {
                     if (!*alive) return;
                     if (detector_zk::isTransient(reply.rc)) {
                       retry([this, data, done] { checkOwnWrite(data, done); });
                     } else if (reply.rc == ZOK && reply.value == data) {
                       version_ = reply.stat ? reply.stat->version : 0;
                       done({});
                     } else {
                       done(fail("the znode " + path_ +
                                 " was written by another master: this one no longer leads"));
                     }
                   });
  }

  Result<detector_zk::ZkClient*> connect() {
    if (client_) return client_.get();
    auto alive = alive_;
    auto client = detector_zk::ZkClient::open(
        runtime_, url_, sessionTimeout_,
        [this, alive](detector_zk::ZkSessionEvent event) {
          if (!*alive) return;
          if (event == detector_zk::ZkSessionEvent::Expired ||
              event == detector_zk::ZkSessionEvent::AuthFailed) {
            PLEXUS_LOG(Warning) << "The registry's ZooKeeper session: "
                                << detector_zk::sessionEventName(event)
                                << "; the next operation opens a new one";
            // Not from inside the client's own callback: close it from the loop.
            post([this, alive] {
              if (*alive) expired_ = true;
            });
          }
        },
        nullptr);
    if (!client) return fail(client.error().context("the registry in ZooKeeper"));
    client_ = std::move(*client);
    return client_.get();
  }

  void retry(std::function<void()> again) {
    auto alive = alive_;
    runtime_.schedule(std::chrono::milliseconds(250), [this, alive, again = std::move(again)] {
      if (!*alive) return;
      if (expired_) {
        expired_ = false;
        client_.reset();
      }
      again();
    });
  }

  void post(std::function<void()> callback) {
    runtime_.post([alive = alive_, callback = std::move(callback)] {
      if (*alive) callback();
    });
  }

  Runtime& runtime_;
  detector_zk::ZkUrl url_;
  Duration sessionTimeout_;
  std::string path_;
  std::unique_ptr<detector_zk::ZkClient> client_;
  bool expired_ = false;
  int version_ = kAbsent;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Result<std::unique_ptr<RegistryStore>> fileRegistryStore(Runtime& runtime,
                                                         const std::string& workDir) {
  std::error_code error;
  std::filesystem::create_directories(workDir, error);
  if (error) return fail("cannot create --work_dir " + workDir + ": " + error.message());
  // Two masters writing one registry file would undo each other's writes.
  std::string lockPath = workDir + "/registry.lock";
  int lock = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return fail("cannot open " + lockPath + ": " + errnoText());
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    std::string why =
        errno == EWOULDBLOCK ? "another process (another plexus-master?) holds it" : errnoText();
    ::close(lock);
    return fail("cannot lock " + lockPath + ": " + why +
                ". Each master needs its own --work_dir (masters share a registry only "
                "through --zk)");
  }
  return std::make_unique<FileStore>(runtime, workDir + "/registry.pb", lock);
}

Result<std::unique_ptr<RegistryStore>> zooKeeperRegistryStore(Runtime& runtime,
                                                              const std::string& zk,
                                                              Duration sessionTimeout) {
  auto url = detector_zk::resolveZkUrl(zk);
  if (!url) return fail(url.error().context("--zk"));
  if (url->path == "/") {
    return fail(
        "--zk: the group path is '/', which leaves no sibling znode for the registry; "
        "use a path such as zk://host:2181/plexus");
  }
  return std::unique_ptr<RegistryStore>(
      std::make_unique<ZooKeeperStore>(runtime, std::move(*url), sessionTimeout));
}

Registrar::Registrar(std::unique_ptr<RegistryStore> store,
                     std::function<void(const Error&)> onFailure)
    : store_(std::move(store)), onFailure_(std::move(onFailure)) {}

Registrar::~Registrar() {
  *alive_ = false;
}

void Registrar::recover(std::function<void(Result<internal::Registry>)> done) {
  store_->read(
      [this, done = std::move(done), alive = alive_](Result<std::optional<std::string>> data) {
        if (!*alive) return;
        if (!data) return done(fail(data.error()));
        internal::Registry registry;
        if (*data && !registry.ParseFromString(**data)) {
          return done(fail("the registry in " + store_->describe() +
                           " is not a valid registry (it does not parse); move it aside to start "
                           "with an empty registry"));
        }
        stored_ = registry;
        storedBytes_ = *data ? (*data)->size() : 0;
        done(std::move(registry));
      });
}

void Registrar::apply(Mutation mutation, std::function<void()> done) {
  if (failed_) return;
  pending_.emplace_back(std::move(mutation), std::move(done));
  flush();
}

void Registrar::afterWrites(std::function<void()> done) {
  if (!writing_ && pending_.empty()) {
    done();
    return;
  }
  apply([](internal::Registry&) {}, std::move(done));
}

void Registrar::flush() {
  if (writing_ || failed_ || pending_.empty()) return;
  auto batch = std::move(pending_);
  pending_.clear();
  auto next = std::make_shared<internal::Registry>(stored_);
  for (auto& [mutation, done] : batch)
    mutation(*next);
  writing_ = true;
  std::string data = next->SerializeAsString();
  size_t bytes = data.size();
  auto started = std::chrono::steady_clock::now();
  store_->write(data, [this, next, batch = std::move(batch), alive = alive_, bytes,
                       started](Result<void> written) {
    if (!*alive) return;
    writing_ = false;
    lastWriteTime_ =
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
    if (!written) {
      failed_ = true;
      pending_.clear();
      PLEXUS_LOG(Error) << "Cannot store the registry in " << store_->describe() << ": "
                        << written.error().message();
      onFailure_(written.error());
      return;
    }
    stored_ = std::move(*next);
    storedBytes_ = bytes;
    for (const auto& [mutation, done] : batch) {
      if (done) done();
    }
    flush();
  });
}

size_t pruneUnreachable(internal::Registry& registry, int64_t nowNanos, Duration maxAge,
                        size_t maxCount) {
  auto* unreachable = registry.mutable_unreachable_agents();
  const int before = unreachable->size();
  const int64_t oldest =
      nowNanos - std::chrono::duration_cast<std::chrono::nanoseconds>(maxAge).count();
  // Oldest first (stable: equal times keep their order), then keep what is young
  // enough and, of that, the newest maxCount.
  std::stable_sort(unreachable->begin(), unreachable->end(),
                   [](const auto& a, const auto& b) { return a.time_nanos() < b.time_nanos(); });
  int drop = 0;
  while (drop < unreachable->size() && unreachable->Get(drop).time_nanos() < oldest)
    ++drop;
  if (static_cast<size_t>(unreachable->size() - drop) > maxCount)
    drop = unreachable->size() - static_cast<int>(maxCount);
  if (drop > 0) unreachable->DeleteSubrange(0, drop);
  return static_cast<size_t>(before - unreachable->size());
}

}  // namespace plexus::master
