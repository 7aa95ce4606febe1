// Registrar: the master's registry (core/protocol/registry.proto), its small durable
// state, kept whole in a RegistryStore (<plexus/registry_store.hpp>): the built-in
// file under --work_dir, or a module's, such as detector_zk's znode beside the
// ZooKeeper group (docs/high-availability.md, "Registry").
//
// The leader reads the registry once, at election (recover), then changes it only
// through apply(): each change is a mutation of the registry; changes queued while
// a write is in flight are applied together in the next write, in order. A change's
// `done` runs on the loop once the registry holding it is stored, so the master
// acts on a promise (REGISTERED to an agent, TASK_LOST for an unreachable one)
// only after it is durable. A write that fails for good (the disk, or another
// master wrote the znode), or the store's watch reporting another writer, calls
// `onFailure` once and nothing more is written or done: the master must step down,
// as Mesos's does when its registrar fails.
//
// Everything runs on the master's loop; the stores post their answers to it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/registry_store.hpp>
#include <plexus/runtime.hpp>

#include "registry.pb.h"

namespace plexus::master {

// The built-in `file` store: `<workDir>/registry.pb`, replaced by writing a
// temporary file, fsync and rename, on a thread of its own that posts each answer
// to the loop. Holds an flock on `<workDir>/registry.lock` while it lives: fails
// when another process holds it (two masters must not share a --work_dir), so it
// is the only writer and its versions are a count of its writes (0 for a registry
// found at start-up). Call initialize() before anything else.
Result<std::unique_ptr<RegistryStore>> fileRegistryStore(const std::string& workDir);

// Drops from `registry`'s unreachable agents those marked longer than `maxAge`
// before `nowNanos`, then the oldest beyond `maxCount` (Mesos's
// --registry_max_agent_age and --registry_max_agent_count). Returns how many went.
size_t pruneUnreachable(internal::Registry& registry, int64_t nowNanos, Duration maxAge,
                        size_t maxCount);

class Registrar {
 public:
  using Mutation = std::function<void(internal::Registry& registry)>;

  // `store` is initialized; the Registrar shares its ownership.
  Registrar(std::shared_ptr<RegistryStore> store, std::function<void(const Error&)> onFailure);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Reads the stored registry (empty when none is stored).
  void recover(std::function<void(Result<internal::Registry>)> done);
  // Applies `mutation` and stores the registry; `done` runs once it is stored.
  void apply(Mutation mutation, std::function<void()> done = nullptr);
  // Runs `done` once every change applied so far is stored (at once when none is pending).
  void afterWrites(std::function<void()> done);
  // The registry as last stored.
  const internal::Registry& registry() const { return stored_; }
  const RegistryStore& store() const { return *store_; }

  // For /metrics/snapshot (Mesos's registrar/* names): changes waiting for a write,
  // the size of the registry last stored, and how long the last write took.
  size_t queuedChanges() const { return pending_.size(); }
  size_t storedBytes() const { return storedBytes_; }
  std::optional<Duration> lastWriteTime() const { return lastWriteTime_; }

 private:
  void flush();
  // Stops everything and calls onFailure_ (once).
  void giveUp(const Error& error);

  std::shared_ptr<RegistryStore> store_;
  std::function<void(const Error&)> onFailure_;
  internal::Registry stored_;
  std::int64_t version_ = kNothingStored;  // of stored_, as the store answered
  std::vector<std::pair<Mutation, std::function<void()>>> pending_;
  bool writing_ = false;
  bool failed_ = false;
  size_t storedBytes_ = 0;
  std::optional<Duration> lastWriteTime_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plexus::master
