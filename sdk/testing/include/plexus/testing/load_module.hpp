// loadModule<Interface>(): loads one module from a library the way the daemons'
// loader does, for tests outside this repository (the conformance suites).
//
// It opens the library (RTLD_NOW, so an undefined symbol is an error here, not a
// crash later), checks the manifest's magic, module API version, ABI tag and the
// module's kind, validates `parameters` against the module's declarations, and
// makes an instance that the module's own deleter destroys. Libraries stay loaded
// for the life of the process. Every refusal is an Error naming the library, the
// module and the reason (both values for a version or tag mismatch).
//
//   auto hook = plexus::testing::loadModule<plexus::Hook>("build/libenv_hook.so", "env_hook",
//                                                         {{"variables", "A=1"}});
//   if (!hook) FAIL() << hook.error().message();
//
// Thread-safety: call from one thread at a time (tests' set-up).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/module.hpp>

namespace plexus::testing {

using ModuleParameters = std::vector<std::pair<std::string, std::string>>;

// An instance of some kind, as void*, and the module's deleter for it.
struct LoadedModule {
  void* instance;
  void (*destroy)(void*) noexcept;
};

// The kind-independent part: `kind` as manifests spell it ("Allocator", ...).
[[nodiscard]] Result<LoadedModule> loadModuleInstance(const std::filesystem::path& path,
                                                      const std::string& name,
                                                      const std::string& kind,
                                                      const ModuleParameters& parameters);

template <typename Interface>
[[nodiscard]] Result<std::shared_ptr<Interface>> loadModule(const std::filesystem::path& path,
                                                            const std::string& name,
                                                            const ModuleParameters& parameters) {
  auto loaded = loadModuleInstance(path, name, ModuleKindOf<Interface>::kName, parameters);
  if (!loaded) return fail(loaded.error());
  auto destroy = loaded->destroy;
  return std::shared_ptr<Interface>(static_cast<Interface*>(loaded->instance),
                                    [destroy](Interface* instance) { destroy(instance); });
}

}  // namespace plexus::testing
