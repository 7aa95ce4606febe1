#include "module/module_registry.hpp"

#include <boost/dll/shared_library.hpp>

#include <plexus/module_note.hpp>

namespace plexus::module {
namespace {

namespace fs = std::filesystem;

// Keeps every library loaded until the process exits, on purpose: instances and
// objects whose vtables live in a library may outlive the registry.
std::vector<boost::dll::shared_library>& keptLibraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

bool isKnownKind(std::string_view kind) {
  for (const char* known : kModuleKinds) {
    if (kind == known) return true;
  }
  return false;
}

std::string article(std::string_view kind) {
  return (kind.starts_with("A") || kind.starts_with("I") ? "an " : "a ") + std::string(kind);
}

std::string apiVersionMismatch(std::uint32_t version) {
  return "module API version mismatch: the library has version " + std::to_string(version) +
         ", this Plexus needs version " + std::to_string(kModuleApiVersion) +
         " (rebuild the module against this SDK)";
}

std::string abiTagMismatch(const std::string& tag) {
  return "ABI tag mismatch: the library was built as '" + tag + "', this Plexus is '" + kAbiTag +
         "' (rebuild the module with the same compiler, C++ standard, SDK, protobuf and Boost)";
}

std::string moduleNames(const LibraryEntry& library) {
  std::string names;
  for (const auto& module : library.modules)
    names += (names.empty() ? "" : ", ") + module.name;
  return names.empty() ? "(none listed)" : names;
}

}  // namespace

std::string refusalPrefix(const std::string& source, const std::string& library,
                          const std::string& module) {
  return source + ": library '" + library + "', module '" + module + "': ";
}

ModuleRegistry::ModuleRegistry(std::vector<fs::path> searchPath)
    : searchPath_(std::move(searchPath)) {}

Result<fs::path> ModuleRegistry::resolve(const LibraryEntry& library) const {
  if (!library.file.empty()) {
    std::error_code ec;
    if (!fs::exists(library.file, ec)) return fail("file not found");
    return fs::path(library.file);
  }
  // Mesos expands name "x" to "libx.so"; ours are also named libplexus_<name>.so.
  std::vector<std::string> candidates = {"lib" + library.name + ".so",
                                         "libplexus_" + library.name + ".so"};
  std::string looked;
  for (const fs::path& dir : searchPath_) {
    for (const std::string& candidate : candidates) {
      std::error_code ec;
      fs::path path = dir / candidate;
      if (fs::exists(path, ec)) return path;
    }
    looked += (looked.empty() ? "" : ", ") + dir.string();
  }
  return fail("library not found: looked for " + candidates[0] + " and " + candidates[1] + " in " +
              (looked.empty() ? "(an empty module path)" : looked) +
              " (add the folder with --module_path, or give \"file\")");
}

Result<const LibraryManifest*> ModuleRegistry::open(const fs::path& path) {
  std::string key = fs::weakly_canonical(path).string();
  if (auto it = libraries_.find(key); it != libraries_.end()) return it->second;

  // The note first, read from the file: a library built for another ABI is refused
  // naming both tags before dlopen resolves (and trips over) any of its symbols.
  auto note = readModuleNote(path);
  if (!note) return fail(note.error());
  if (*note && (*note)->moduleApiVersion != kModuleApiVersion)
    return fail(apiVersionMismatch((*note)->moduleApiVersion));
  if (*note && (*note)->abiTag != kAbiTag) return fail(abiTagMismatch((*note)->abiTag));

  boost::dll::shared_library library;
  boost::dll::fs::error_code ec;
  library.load(path.string(), ec,
               boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec || !library.is_loaded()) {
    std::string reason = libraryLoadError(path);
    return fail(reason.empty() ? "the library could not be loaded" : reason);
  }
  if (!library.has(kLibraryManifestSymbol)) {
    return fail(std::string("no module manifest: the library does not export '") +
                kLibraryManifestSymbol + "' (build it with PLEXUS_MODULE_LIBRARY)");
  }
  const LibraryManifest& manifest =
      library.get_alias<const LibraryManifest>(kLibraryManifestSymbol);
  if (manifest.magic != kLibraryManifestMagic) {
    return fail(std::string("'") + kLibraryManifestSymbol +
                "' is not a Plexus module manifest (wrong type or layout; build it with "
                "PLEXUS_MODULE_LIBRARY)");
  }
  if (manifest.moduleApiVersion != kModuleApiVersion)
    return fail(apiVersionMismatch(manifest.moduleApiVersion));
  std::string tag = manifest.abiTag != nullptr ? manifest.abiTag : "(none)";
  if (tag != kAbiTag) return fail(abiTagMismatch(tag));
  keptLibraries().push_back(std::move(library));
  libraries_.emplace(key, &manifest);
  return &manifest;
}

Result<void> ModuleRegistry::addModule(const LibraryEntry& library, const fs::path& path,
                                       const LibraryManifest& manifest, const ModuleEntry& entry) {
  const ModuleManifest* found = nullptr;
  std::string held;
  for (size_t i = 0; i < manifest.moduleCount; ++i) {
    const ModuleManifest& candidate = manifest.modules[i];
    std::string name = candidate.name != nullptr ? candidate.name : "";
    held += (held.empty() ? "" : ", ") + name;
    if (name != entry.name) continue;
    if (found != nullptr) return fail("the library declares this module name twice");
    found = &candidate;
  }
  if (found == nullptr) {
    return fail("the library holds no such module (it holds: " + (held.empty() ? "none" : held) +
                ")");
  }
  if (found->kind == nullptr || found->version == nullptr || found->create == nullptr ||
      found->destroy == nullptr || (found->parameterCount > 0 && found->parameters == nullptr)) {
    return fail("incomplete manifest (kind, version, create and destroy are required)");
  }
  if (!isKnownKind(found->kind)) {
    std::string kinds;
    for (const char* kind : kModuleKinds)
      kinds += (kinds.empty() ? "" : ", ") + std::string(kind);
    return fail("unknown module kind '" + std::string(found->kind) + "' (known: " + kinds + ")");
  }
  if (const LoadedModule* existing = find(entry.name)) {
    // Even the same entry twice is refused (Mesos lets it pass): a copy left in a
    // second file is a mistake waiting for the two copies to drift apart.
    bool identical = existing->manifest == found && existing->givenParameters == entry.parameters;
    return fail(std::string(identical ? "duplicate module entry: the same module, with the same "
                                        "parameters, is already loaded"
                                      : "duplicate module name: already loaded") +
                " from library '" + existing->libraryPath + "' (" + existing->source +
                "); list each module once");
  }
  auto parameters =
      Parameters::validate({found->parameters, found->parameterCount}, entry.parameters);
  if (!parameters) return fail(parameters.error());

  auto module = std::make_unique<LoadedModule>();
  module->manifest = found;
  module->name = entry.name;
  module->kind = found->kind;
  module->libraryPath = path.string();
  module->source = library.source;
  module->parameters = std::move(*parameters);
  module->givenParameters = entry.parameters;
  modules_.push_back(std::move(module));
  return {};
}

Result<void> ModuleRegistry::load(const ModulesConfig& config) {
  for (const LibraryEntry& library : config.libraries) {
    std::string shown = library.file.empty() ? library.name : library.file;
    auto path = resolve(library);
    if (!path) {
      return fail(refusalPrefix(library.source, shown, moduleNames(library)) +
                  path.error().message());
    }
    shown = path->string();
    auto manifest = open(*path);
    if (!manifest) {
      return fail(refusalPrefix(library.source, shown, moduleNames(library)) +
                  manifest.error().message());
    }
    for (const ModuleEntry& entry : library.modules) {
      auto added = addModule(library, *path, **manifest, entry);
      if (!added) {
        return fail(refusalPrefix(library.source, shown, entry.name) + added.error().message());
      }
    }
  }
  return {};
}

Result<void> ModuleRegistry::loadByName(const std::string& name, const std::string& why) {
  if (find(name) != nullptr) return {};
  ModulesConfig config;
  LibraryEntry library;
  library.name = name;
  library.source = why;
  library.modules.push_back(ModuleEntry{name, {}});
  config.libraries.push_back(std::move(library));
  return load(config);
}

const LoadedModule* ModuleRegistry::find(std::string_view name) const {
  for (const auto& module : modules_) {
    if (module->name == name) return module.get();
  }
  return nullptr;
}

Result<std::pair<void*, void (*)(void*) noexcept>> ModuleRegistry::createRaw(
    std::string_view name, std::string_view kind, std::string_view flag) const {
  const LoadedModule* module = find(name);
  if (module == nullptr) {
    std::string loaded;
    for (const auto& m : modules_) {
      if (m->kind == kind) loaded += (loaded.empty() ? "" : ", ") + m->name;
    }
    return fail(std::string(flag) + "=" + std::string(name) + ": no " + std::string(kind) +
                " module named '" + std::string(name) + "' is loaded (loaded " + std::string(kind) +
                " modules: " + (loaded.empty() ? "none" : loaded) +
                "; name its library in --modules)");
  }
  std::string prefix = refusalPrefix(module->source, module->libraryPath, module->name);
  if (module->kind != kind) {
    return fail(prefix + "kind mismatch: " + std::string(flag) + " needs " + article(kind) +
                " module, but '" + module->name + "' is " + article(module->kind));
  }
  auto made = module->manifest->create(module->parameters);
  if (!made) return fail(prefix + "create() failed: " + made.error().message());
  if (*made == nullptr) return fail(prefix + "create() failed: it returned no instance");
  return std::make_pair(*made, module->manifest->destroy);
}

}  // namespace plexus::module
