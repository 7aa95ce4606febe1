// RegistryStore: where the master keeps its registry (admitted and unreachable
// agents, frameworks, weights, quota), as opaque bytes.
//
// Loaded by the master (`--registry_store=<module>`; the built-in `file` store keeps
// <work_dir>/registry.pb; `--zk` loads detector_zk's `detector_zk_registry`). The
// leading master reads once, at election, then writes the whole registry on every
// change, each write conditional on the version it last read or wrote: a write
// over a version that moved (another master wrote meanwhile) must fail, so that a
// master that no longer leads cannot undo what the new leader stored. The master
// steps down on any write failure.
//
// Threading: called on the master's loop; every answer (`done`, `changed`) must
// run on the loop too, never inside the call that asked for it (a store with its
// own threads posts through the Runtime). Errors are values; a store never throws
// across this interface. Lifetime: the master destroys the store on its loop;
// answers still pending then must never run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/module.hpp>
#include <plexus/runtime.hpp>

namespace plexus {

// The version of a store that holds nothing yet. Versions are opaque otherwise:
// a store chooses them; the master only hands back the last one it was given.
inline constexpr std::int64_t kNothingStored = -1;

struct StoredRegistry {
  std::optional<std::string> data;  // nullopt when nothing was ever stored
  std::int64_t version = kNothingStored;
};

class PLEXUS_API RegistryStore {
 public:
  virtual ~RegistryStore();

  // Called once, before anything else. The Runtime outlives the store.
  [[nodiscard]] virtual Result<void> initialize(Runtime& runtime) = 0;

  // Reads what is stored and its version. Transient failures (a lost connection)
  // are the store's to retry; an error means the registry cannot be read.
  virtual void read(std::function<void(Result<StoredRegistry>)> done) = 0;

  // Stores `data` if the stored version is still `expected` (kNothingStored: only
  // if nothing is stored); answers the new version. Fails, saying so, when the
  // version moved. A store that retries a write whose answer was lost must find
  // out whether the first try went through (and then answer success), not report
  // its own write as a conflict.
  virtual void write(const std::string& data, std::int64_t expected,
                     std::function<void(Result<std::int64_t>)> done) = 0;

  // Calls `changed` once, on the loop, when the stored version moves away from the
  // one this store last read or wrote (another writer). The master then re-reads
  // and steps down if it is not its own. Default: nothing (a store that only one
  // process can open, such as the file store, never sees another writer).
  virtual void watch(std::function<void()> changed) { (void)changed; }

  // Where the registry is, for logs: "file /var/lib/plexus/master/registry.pb".
  virtual std::string describe() const = 0;
};

template <>
struct ModuleKindOf<RegistryStore> {
  static constexpr const char* kName = "RegistryStore";
};

}  // namespace plexus
