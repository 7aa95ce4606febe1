// ZkRegistryStore: the RegistryStore of module `detector_zk_registry`, which
// `plexus-master --zk` loads beside the contender and the detector.
//
// The registry is the znode `<group path>_registry`: a sibling of the group, so
// that clients listing the group's children see only the masters' json.info_
// nodes. A root group path ("/") has no sibling and is refused. The store keeps a
// ZooKeeper session of its own.
//
// Versions are the znode's: kNothingStored while it does not exist, then its data
// version. A write expecting kNothingStored creates the znode; any other write is
// a conditional set. Transient errors (connection loss, no session yet) are
// retried every 250 ms on the same or, after an expiry, a new session; a retried
// write refused because the version moved checks whether the data there is its
// own (the first try went through) before it reports a conflict. watch() keeps a
// ZooKeeper watch on the znode and reports a version it did not write.
//
// Threading: every method and answer on the Runtime's loop (see zk_client.hpp).
// Destruction closes the session and cancels timers; no answer runs afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <plexus/parameters.hpp>
#include <plexus/registry_store.hpp>

#include "zk_client.hpp"
#include "zk_url.hpp"

namespace plexus::detector_zk {

class ZkRegistryStore final : public RegistryStore {
 public:
  // Parameters `zk` and `session_timeout` (see module.cpp).
  [[nodiscard]] static Result<std::unique_ptr<ZkRegistryStore>> create(
      const Parameters& parameters);

  ZkRegistryStore(ZkUrl url, Duration sessionTimeout);
  ~ZkRegistryStore() override;
  ZkRegistryStore(const ZkRegistryStore&) = delete;
  ZkRegistryStore& operator=(const ZkRegistryStore&) = delete;

  [[nodiscard]] Result<void> initialize(Runtime& runtime) override;
  void read(std::function<void(Result<StoredRegistry>)> done) override;
  void write(const std::string& data, std::int64_t expected,
             std::function<void(Result<std::int64_t>)> done) override;
  void watch(std::function<void()> changed) override;
  std::string describe() const override;

 private:
  using WriteDone = std::function<void(Result<std::int64_t>)>;

  void write(const std::string& data, std::int64_t expected, WriteDone done, bool retried);
  void checkOwnWrite(const std::string& data, WriteDone done);
  void written(std::int64_t version, const WriteDone& done);
  // Re-arms the watch and reports a version this store did not write.
  void checkWatched();
  Result<ZkClient*> connect();
  void retry(std::function<void()> again);
  void post(std::function<void()> callback);

  Runtime* runtime_ = nullptr;
  ZkUrl url_;
  Duration sessionTimeout_;
  std::string path_;
  std::unique_ptr<ZkClient> client_;
  bool hadClient_ = false;
  bool expired_ = false;
  std::int64_t version_ = kNothingStored;  // last read or written by this store
  int writing_ = 0;                        // writes not answered yet
  std::function<void()> changed_;          // watch(); cleared once called
  bool checkAfterWrite_ = false;           // a watch fired during a write
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plexus::detector_zk
