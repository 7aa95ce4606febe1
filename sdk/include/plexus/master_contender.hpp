// MasterContender: puts a master up for election as the leading master.
//
// Loaded by the master (`--master_contender=<module>`; the built-in `standalone`
// contender elects its own master at once). The master calls initialize() with
// its MasterInfo, then contend(). The contender calls `onCandidacy` once it holds
// a candidacy (e.g. its ZooKeeper node exists): the master may then lead if the
// detector names it. It calls `onCandidacyLost` if that candidacy ends (session
// expired, node deleted): the master must stop acting as leader at once. Calling
// contend() again withdraws the previous candidacy and starts a new one.
//
// Threading: called on the master's loop; the callbacks must be invoked on the
// loop too (a contender with its own threads posts through the Runtime).
// Errors are values; a contender never throws across this interface.
//
// Mesos's include/mesos/master/contender.hpp: the outer future of contend() is
// onCandidacy, the inner one onCandidacyLost.
#pragma once

#include <functional>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/module.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

struct ContenderCallbacks {
  std::function<void()> onCandidacy;
  std::function<void(const Error& reason)> onCandidacyLost;
};

class PLEXUS_API MasterContender {
 public:
  virtual ~MasterContender();

  // Called once, before contend(). The Runtime outlives the contender.
  [[nodiscard]] virtual Result<void> initialize(const v1::MasterInfo& master, Runtime& runtime) = 0;

  // Starts contending; withdraws any earlier candidacy first.
  virtual void contend(ContenderCallbacks callbacks) = 0;
};

template <>
struct ModuleKindOf<MasterContender> {
  static constexpr const char* kName = "MasterContender";
};

}  // namespace plexus
