// MasterContender and MasterDetector behind the barrier.
//
// initialize() answers a module's exception as its Error (the daemon refuses to
// start, naming the module). detect() has its callback for an answer: an
// exception is handed to it as the Error, on the loop, which is what a detector
// that cannot go on reports (the master steps down, the agent stops following).
// contend() has no answer: its exception is logged and the master stays a
// standby without a candidacy (contending again would only throw again).
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

class GuardedContender final : public MasterContender {
 public:
  GuardedContender(ModuleInstance<MasterContender> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Result<void> initialize(const v1::MasterInfo& master, Runtime& runtime) override {
    runtime_ = std::make_unique<GuardedRuntime>(runtime, label_);
    return guardResult(label_, "initialize()",
                       [&] { return module_->initialize(master, *runtime_); });
  }
  void contend(ContenderCallbacks callbacks) override {
    callbacks.onCandidacy =
        loopOnly("the contender's onCandidacy", std::move(callbacks.onCandidacy));
    callbacks.onCandidacyLost =
        loopOnly("the contender's onCandidacyLost", std::move(callbacks.onCandidacyLost));
    (void)guardVoid(label_, "contend()", "this master holds no candidacy and will not lead",
                    [&] { module_->contend(std::move(callbacks)); });
  }

 private:
  ModuleLabel label_;
  std::unique_ptr<GuardedRuntime> runtime_;  // outlives the module
  ModuleInstance<MasterContender> module_;
};

class GuardedDetector final : public MasterDetector {
 public:
  GuardedDetector(ModuleInstance<MasterDetector> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Result<void> initialize(Runtime& runtime) override {
    runtime_ = std::make_unique<GuardedRuntime>(runtime, label_);
    answers_.setRuntime(&runtime);
    return guardResult(label_, "initialize()", [&] { return module_->initialize(*runtime_); });
  }
  void detect(const std::optional<v1::MasterInfo>& previous, DetectCallback callback) override {
    answers_.call("detect()", "the detector's callback", std::move(callback),
                  [&](const DetectCallback& answer) { module_->detect(previous, answer); });
  }

 private:
  ModuleLabel label_;
  std::unique_ptr<GuardedRuntime> runtime_;  // outlives the module
  CallbackAnswers answers_{label_};
  ModuleInstance<MasterDetector> module_;
};

}  // namespace

std::unique_ptr<MasterContender> guard(ModuleInstance<MasterContender> module, ModuleLabel label) {
  return std::make_unique<GuardedContender>(std::move(module), std::move(label));
}

std::unique_ptr<MasterDetector> guard(ModuleInstance<MasterDetector> module, ModuleLabel label) {
  return std::make_unique<GuardedDetector>(std::move(module), std::move(label));
}

}  // namespace plexus::module
