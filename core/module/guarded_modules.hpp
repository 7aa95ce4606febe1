// Guarded modules: the per-kind wrappers the core calls instead of a module.
//
// Each guard() takes a module instance made by the ModuleRegistry and returns an
// object implementing the same interface that forwards every call behind the
// barrier (module_barrier.hpp): an exception becomes an Error naming the module,
// the kind and the method, then the kind's policy applies:
//   - Hook: the Error is returned like any hook error; HookChain logs it and the
//     chain goes on.
//   - Allocator, Isolator, Authenticator, MasterContender, MasterDetector,
//     RegistryStore, ContainerLogger: a method that answers a Result returns the Error as the
//     failure of the operation in progress (an isolator's or a container logger's
//     prepare() fails the launch, an authenticator's authenticate() is a 500, a store's read() or
//     write() answers the Error on the loop, a detector's detect() calls back with
//     it). A method with no way to answer (an allocator's addFramework(), a
//     contender's contend()) is logged with the module, kind and method, and the
//     daemon goes on.
//   - The Runtime a module receives in initialize() is a GuardedRuntime, so its
//     timers and posted functions are guarded too.
// The Isolator wrapper also keeps the promise of plexus/isolator.hpp that calls
// for one container never overlap: it serialises them per container.
//
// Threading: as the wrapped interface's contract says; the wrappers add no state
// the loop owns (the isolator's per-container locks are thread-safe).
#pragma once

#include <memory>

#include <plexus/allocator.hpp>
#include <plexus/authenticator.hpp>
#include <plexus/container_logger.hpp>
#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/registry_store.hpp>

#include "module/module_barrier.hpp"
#include "module/module_registry.hpp"

namespace plexus::module {

std::unique_ptr<Allocator> guard(ModuleInstance<Allocator> module, ModuleLabel label);
std::unique_ptr<Isolator> guard(ModuleInstance<Isolator> module, ModuleLabel label);
std::unique_ptr<Hook> guard(ModuleInstance<Hook> module, ModuleLabel label);
std::unique_ptr<Authenticator> guard(ModuleInstance<Authenticator> module, ModuleLabel label);
std::unique_ptr<ContainerLogger> guard(ModuleInstance<ContainerLogger> module, ModuleLabel label);
std::unique_ptr<MasterContender> guard(ModuleInstance<MasterContender> module, ModuleLabel label);
std::unique_ptr<MasterDetector> guard(ModuleInstance<MasterDetector> module, ModuleLabel label);
std::unique_ptr<RegistryStore> guard(ModuleInstance<RegistryStore> module, ModuleLabel label);

// Makes an instance of module `name` for `flag`, as ModuleRegistry::create<T>(),
// and puts it behind the barrier. What the core uses.
template <typename T>
[[nodiscard]] Result<std::unique_ptr<T>> createGuarded(const ModuleRegistry& registry,
                                                       std::string_view name,
                                                       std::string_view flag) {
  auto made = registry.create<T>(name, flag);
  if (!made) return fail(made.error());
  return guard(std::move(*made), ModuleLabel{std::string(name), ModuleKindOf<T>::kName});
}

}  // namespace plexus::module
