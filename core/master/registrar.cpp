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

namespace plexus::master {
namespace {

std::string errnoText() {
  return std::strerror(errno);
}

class FileStore final : public RegistryStore {
 public:
  // `lock`: the open registry.lock this store holds an flock on (closed with it).
  // Writes run on the store's own thread, so an fsync never stalls the loop.
  FileStore(std::string path, int lock) : path_(std::move(path)), lock_(lock) {}
  ~FileStore() override {
    *alive_ = false;
    if (writer_.joinable()) {
      {
        std::lock_guard guard(mutex_);
        stopping_ = true;
      }
      wake_.notify_one();
      writer_.join();
    }
    ::close(lock_);
  }
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  Result<void> initialize(Runtime& runtime) override {
    if (runtime_ != nullptr) return fail("initialize() was already called");
    runtime_ = &runtime;
    auto found = readNow();
    if (!found) return fail(found.error());
    version_ = *found ? 0 : kNothingStored;
    writer_ = std::thread([this] { writeLoop(); });
    return {};
  }

  void read(std::function<void(Result<StoredRegistry>)> done) override {
    auto data = readNow();
    if (data && !*data) version_ = kNothingStored;
    Result<StoredRegistry> result =
        data ? Result<StoredRegistry>(StoredRegistry{.data = *data, .version = version_})
             : Result<StoredRegistry>(fail(data.error()));
    post([done = std::move(done), result = std::move(result)] { done(result); });
  }

  // The only writer (the flock), one write at a time: the version is checked here.
  void write(const std::string& data, std::int64_t expected,
             std::function<void(Result<std::int64_t>)> done) override {
    if (expected != version_) {
      return post([done = std::move(done), expected, path = path_, version = version_] {
        done(fail("cannot write " + path + ": it is at version " + std::to_string(version) +
                  ", not " + std::to_string(expected)));
      });
    }
    auto answer = [this, done = std::move(done), next = version_ + 1](Result<void> written) {
      if (!written) return done(fail(written.error()));
      version_ = next;
      done(next);
    };
    {
      std::lock_guard guard(mutex_);
      writes_.emplace_back(data, std::move(answer));
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
      post([done = std::move(next.second), result = writeNow(next.first)] { done(result); });
    }
  }

  // Answers run on the loop, and never once the store is gone.
  void post(std::function<void()> callback) {
    runtime_->post([alive = alive_, callback = std::move(callback)] {
      if (*alive) callback();
    });
  }

  Runtime* runtime_ = nullptr;
  std::string path_;
  int lock_;
  std::int64_t version_ = kNothingStored;  // on the loop
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::function<void(Result<void>)>>> writes_;
  bool stopping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::thread writer_;  // started by initialize()
};

}  // namespace

Result<std::unique_ptr<RegistryStore>> fileRegistryStore(const std::string& workDir) {
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
  return std::make_unique<FileStore>(workDir + "/registry.pb", lock);
}

Registrar::Registrar(std::shared_ptr<RegistryStore> store,
                     std::function<void(const Error&)> onFailure)
    : store_(std::move(store)), onFailure_(std::move(onFailure)) {}

Registrar::~Registrar() {
  *alive_ = false;
}

void Registrar::recover(std::function<void(Result<internal::Registry>)> done) {
  store_->read([this, done = std::move(done), alive = alive_](Result<StoredRegistry> stored) {
    if (!*alive) return;
    if (!stored) return done(plexus::fail(stored.error()));
    internal::Registry registry;
    if (stored->data && !registry.ParseFromString(*stored->data)) {
      return done(plexus::fail("the registry in " + store_->describe() +
                               " is not a valid registry (it does not parse); move it aside to "
                               "start with an empty registry"));
    }
    stored_ = registry;
    version_ = stored->version;
    storedBytes_ = stored->data ? stored->data->size() : 0;
    // Another master writing means this one no longer leads.
    store_->watch([this, alive] {
      if (*alive && !failed_) {
        giveUp(Error("the registry in " + store_->describe() +
                     " was written by another master: this one no longer leads"));
      }
    });
    done(std::move(registry));
  });
}

void Registrar::giveUp(const Error& error) {
  failed_ = true;
  pending_.clear();
  PLEXUS_LOG(Error) << "Cannot store the registry in " << store_->describe() << ": "
                    << error.message();
  onFailure_(error);
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
  store_->write(data, version_,
                [this, next, batch = std::move(batch), alive = alive_, bytes,
                 started](Result<std::int64_t> written) {
                  if (!*alive || failed_) return;
                  writing_ = false;
                  lastWriteTime_ = std::chrono::duration_cast<Duration>(
                      std::chrono::steady_clock::now() - started);
                  if (!written) return giveUp(written.error());
                  version_ = *written;
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
