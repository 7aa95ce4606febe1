// ModuleRegistry: loads module libraries, checks them, and makes module instances.
//
// A daemon builds one registry at start-up from the operator's ModulesConfig and a
// search path for libraries given by `name` (the installed modules folder, then
// --module_path). load() opens each library with Boost.DLL and refuses, with one
// line naming the config source, the library file, the module and the reason:
// a missing file, a file that is not a loadable shared library (with the loader's
// own message, e.g. an undefined symbol), no manifest symbol, a symbol that is not
// a manifest, a module API version or ABI tag mismatch (both values shown), a
// module the library does not hold, an unknown kind, a duplicate module name, and
// parameters that do not match the module's declarations. create<T>() then makes
// an instance for a role flag, refusing a kind mismatch or a factory error.
//
// Libraries are never unloaded (their code must outlive every instance and every
// object whose vtable lives in them); instances are destroyed by their module's
// own destroy function when the ModuleInstance goes away. Not thread-safe: used
// from the daemon's start-up and loop thread only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/module.hpp>
#include <plexus/parameters.hpp>

#include "module/modules_config.hpp"

namespace plexus::module {

// Destroys an instance through the module's own destroy function.
struct ModuleDeleter {
  void (*destroy)(void*) noexcept = nullptr;
  template <typename T>
  void operator()(T* instance) const noexcept {
    if (instance != nullptr && destroy != nullptr) destroy(static_cast<void*>(instance));
  }
};

template <typename T>
using ModuleInstance = std::unique_ptr<T, ModuleDeleter>;

struct LoadedModule {
  const ModuleManifest* manifest = nullptr;
  std::string name;
  std::string kind;
  std::string libraryPath;
  std::string source;
  Parameters parameters;
  std::vector<std::pair<std::string, std::string>> givenParameters;

  std::span<const ParameterSpec> declaredParameters() const {
    return {manifest->parameters, manifest->parameterCount};
  }
};

class ModuleRegistry {
 public:
  explicit ModuleRegistry(std::vector<std::filesystem::path> searchPath);

  // Loads and checks every library and module in `config`.
  [[nodiscard]] Result<void> load(const ModulesConfig& config);

  // Loads module `name` from the library of the same name on the search path (e.g.
  // allocator_drf from libplexus_allocator_drf.so) unless a module of that name is
  // loaded already. `why` names the flag whose default this is, for errors.
  [[nodiscard]] Result<void> loadByName(const std::string& name, const std::string& why);

  // The module called `name`, or nullptr.
  const LoadedModule* find(std::string_view name) const;

  // Every loaded module, in load order.
  const std::vector<std::unique_ptr<LoadedModule>>& modules() const { return modules_; }

  const std::vector<std::filesystem::path>& searchPath() const { return searchPath_; }

  // Makes an instance of module `name` for `flag` (e.g. "--allocator"), which must
  // be of T's kind.
  template <typename T>
  [[nodiscard]] Result<ModuleInstance<T>> create(std::string_view name,
                                                 std::string_view flag) const {
    auto made = createRaw(name, ModuleKindOf<T>::kName, flag);
    if (!made) return fail(made.error());
    return ModuleInstance<T>(static_cast<T*>(made->first), ModuleDeleter{made->second});
  }

 private:
  Result<std::pair<void*, void (*)(void*) noexcept>> createRaw(std::string_view name,
                                                               std::string_view kind,
                                                               std::string_view flag) const;
  Result<std::filesystem::path> resolve(const LibraryEntry& library) const;
  Result<const LibraryManifest*> open(const std::filesystem::path& path);
  Result<void> addModule(const LibraryEntry& library, const std::filesystem::path& path,
                         const LibraryManifest& manifest, const ModuleEntry& entry);

  std::vector<std::filesystem::path> searchPath_;
  std::vector<std::unique_ptr<LoadedModule>> modules_;
  std::map<std::string, const LibraryManifest*> libraries_;
};

// "<source>: library '<file>', module '<name>': " — the prefix of every refusal.
std::string refusalPrefix(const std::string& source, const std::string& library,
                          const std::string& module);

}  // namespace plexus::module
