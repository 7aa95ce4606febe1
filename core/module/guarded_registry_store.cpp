// The RegistryStore behind the barrier: an exception from read() or write() is
// answered to `done` as the operation's Error, on the loop and never inside the
// call (the contract of plexus/registry_store.hpp), so the master steps down as
// on any store failure. A throwing watch() is logged: no change will be told.
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

class GuardedRegistryStore final : public RegistryStore {
 public:
  GuardedRegistryStore(ModuleInstance<RegistryStore> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Result<void> initialize(Runtime& runtime) override {
    runtime_ = std::make_unique<GuardedRuntime>(runtime, label_);
    answers_.setRuntime(&runtime);
    return guardResult(label_, "initialize()", [&] { return module_->initialize(*runtime_); });
  }
  void read(std::function<void(Result<StoredRegistry>)> done) override {
    answers_.call("read()", "a registry store's answer", std::move(done),
                  [&](const auto& answer) { module_->read(answer); });
  }
  void write(const std::string& data, std::int64_t expected,
             std::function<void(Result<std::int64_t>)> done) override {
    answers_.call("write()", "a registry store's answer", std::move(done),
                  [&](const auto& answer) { module_->write(data, expected, answer); });
  }
  void watch(std::function<void()> changed) override {
    (void)guardVoid(label_, "watch()", "no change by another writer will be noticed", [&] {
      module_->watch(loopOnly("a registry store's change callback", std::move(changed)));
    });
  }
  std::string describe() const override {
    std::string description = "the registry store module '" + label_.name + "'";
    (void)guardVoid(label_, "describe()", "described by its name",
                    [&] { description = module_->describe(); });
    return description;
  }

 private:
  ModuleLabel label_;
  std::unique_ptr<GuardedRuntime> runtime_;  // outlives the module
  CallbackAnswers answers_{label_};
  ModuleInstance<RegistryStore> module_;
};

}  // namespace

std::unique_ptr<RegistryStore> guard(ModuleInstance<RegistryStore> module, ModuleLabel label) {
  return std::make_unique<GuardedRegistryStore>(std::move(module), std::move(label));
}

}  // namespace plexus::module
