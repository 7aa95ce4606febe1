// The ContainerLogger behind the barrier: an exception from prepare() is its Error,
// which fails the container's launch like any logger error, naming the module and
// the method.
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

class GuardedContainerLogger final : public ContainerLogger {
 public:
  GuardedContainerLogger(ModuleInstance<ContainerLogger> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  Result<ContainerIO> prepare(const ContainerId& container,
                              const v1::ContainerConfig& config) override {
    return guardResult(label_, "prepare()", [&] { return module_->prepare(container, config); });
  }

 private:
  ModuleLabel label_;
  ModuleInstance<ContainerLogger> module_;
};

}  // namespace

std::unique_ptr<ContainerLogger> guard(ModuleInstance<ContainerLogger> module, ModuleLabel label) {
  return std::make_unique<GuardedContainerLogger>(std::move(module), std::move(label));
}

}  // namespace plexus::module
