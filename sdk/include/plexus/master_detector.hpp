// MasterDetector: tells who the leading master is, and when that changes.
//
// Loaded by masters, agents and framework clients (`--master_detector=<module>`;
// the built-in `standalone` detector knows one fixed master). initialize() comes
// first; then detect(previous, callback) calls `callback` once, as soon as the
// leader differs from `previous` (at once if it already does): with the new
// leader's MasterInfo, with std::nullopt when no master leads, or with an Error
// that retrying cannot fix (a malformed ZooKeeper URL, a bad credential). The
// caller calls detect() again with what it learnt to hear of the next change.
//
// Threading: called on the caller's loop; the callback must be invoked on that
// loop (post through the Runtime). Errors are values; never throws across here.
//
// Mesos's include/mesos/master/detector.hpp: detect() returns a future there.
#pragma once

#include <functional>
#include <optional>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/module.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

class PLEXUS_API MasterDetector {
 public:
  using DetectCallback = std::function<void(Result<std::optional<v1::MasterInfo>> leader)>;

  virtual ~MasterDetector();

  // Called once, before detect(). The Runtime outlives the detector.
  [[nodiscard]] virtual Result<void> initialize(Runtime& runtime) = 0;

  // Calls `callback` once the leader is not `previous` (compared by MasterInfo.id).
  virtual void detect(const std::optional<v1::MasterInfo>& previous, DetectCallback callback) = 0;
};

template <>
struct ModuleKindOf<MasterDetector> {
  static constexpr const char* kName = "MasterDetector";
};

}  // namespace plexus
