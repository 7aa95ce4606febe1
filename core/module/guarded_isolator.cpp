// The Isolator behind the barrier, with calls for one container serialised.
//
// plexus/isolator.hpp promises an isolator that calls for one container never
// overlap, but the containerizer calls isolators from its thread pool, where a
// usage() for /monitor/statistics can meet an update() or a cleanup() of the same
// container. Each call here first takes that container's lock: calls for one
// container run one after the other, calls for different containers still run
// concurrently. A lock lives while some call holds or waits for it.
#include <condition_variable>
#include <mutex>

#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

// One lock per container, made on first use and dropped once no call uses it.
class ContainerLocks {
 public:
  class Held {
   public:
    Held(ContainerLocks& locks, const ContainerId& container)
        : locks_(locks), container_(container) {
      std::unique_lock lock(locks_.mutex_);
      Entry& entry = locks_.entries_[container_];
      ++entry.users;
      locks_.released_.wait(lock, [&] { return !entry.busy; });
      entry.busy = true;
    }
    ~Held() {
      std::lock_guard lock(locks_.mutex_);
      auto it = locks_.entries_.find(container_);
      it->second.busy = false;
      if (--it->second.users == 0) locks_.entries_.erase(it);
      locks_.released_.notify_all();
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    ContainerLocks& locks_;
    ContainerId container_;
  };

 private:
  struct Entry {
    int users = 0;  // holding or waiting
    bool busy = false;
  };
  std::mutex mutex_;
  std::condition_variable released_;
  std::map<ContainerId, Entry> entries_;  // std::map: references stay valid
};

class GuardedIsolator final : public Isolator {
 public:
  GuardedIsolator(ModuleInstance<Isolator> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  bool supportsNesting() const override {
    bool supports = false;
    auto done = guardVoid(label_, "supportsNesting()", "taken as no nesting support",
                          [&] { supports = module_->supportsNesting(); });
    return done && supports;
  }
  Result<void> recover(const std::vector<v1::ContainerState>& states,
                       const std::set<ContainerId>& orphans) override {
    return guardResult(label_, "recover()", [&] { return module_->recover(states, orphans); });
  }
  Result<std::optional<v1::ContainerLaunchInfo>> prepare(
      const ContainerId& container, const v1::ContainerConfig& config) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "prepare()", [&] { return module_->prepare(container, config); });
  }
  Result<void> isolate(const ContainerId& container, pid_t pid) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "isolate()", [&] { return module_->isolate(container, pid); });
  }
  void watch(const ContainerId& container, LimitationCallback onLimitation) override {
    ContainerLocks::Held held(locks_, container);
    (void)guardVoid(label_, "watch()", "no limitation of this container will be reported",
                    [&] { module_->watch(container, std::move(onLimitation)); });
  }
  Result<void> update(const ContainerId& container, const Resources& resources,
                      const std::map<std::string, double>& limits) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "update()",
                       [&] { return module_->update(container, resources, limits); });
  }
  Result<v1::ResourceStatistics> usage(const ContainerId& container) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "usage()", [&] { return module_->usage(container); });
  }
  Result<v1::ContainerStatus> status(const ContainerId& container) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "status()", [&] { return module_->status(container); });
  }
  Result<void> cleanup(const ContainerId& container) override {
    ContainerLocks::Held held(locks_, container);
    return guardResult(label_, "cleanup()", [&] { return module_->cleanup(container); });
  }

 private:
  ModuleLabel label_;
  ContainerLocks locks_;
  ModuleInstance<Isolator> module_;
};

}  // namespace

std::unique_ptr<Isolator> guard(ModuleInstance<Isolator> module, ModuleLabel label) {
  return std::make_unique<GuardedIsolator>(std::move(module), std::move(label));
}

}  // namespace plexus::module
