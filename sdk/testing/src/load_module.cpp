#include "plexus/testing/load_module.hpp"

#include <span>

#include <boost/dll/shared_library.hpp>

#include <plexus/module_note.hpp>
#include <plexus/parameters.hpp>

namespace plexus::testing {

Result<LoadedModule> loadModuleInstance(const std::filesystem::path& path, const std::string& name,
                                        const std::string& kind,
                                        const ModuleParameters& parameters) {
  // Never unloaded: module code must outlive its instances.
  static std::vector<std::unique_ptr<boost::dll::shared_library>> libraries;
  const std::string where = "library '" + path.string() + "', module '" + name + "'";
  // The note first, from the file, as the daemons read it (<plexus/module_note.hpp>).
  auto note = readModuleNote(path);
  if (!note) return fail(where + ": " + note.error().message());
  if (*note && (*note)->moduleApiVersion != kModuleApiVersion) {
    return fail(where + ": module API version mismatch: the library has " +
                std::to_string((*note)->moduleApiVersion) + ", this SDK needs " +
                std::to_string(kModuleApiVersion));
  }
  if (*note && (*note)->abiTag != kAbiTag) {
    return fail(where + ": ABI tag mismatch: the library was built as '" + (*note)->abiTag +
                "', this SDK is '" + kAbiTag + "'");
  }
  auto library = std::make_unique<boost::dll::shared_library>();
  boost::dll::fs::error_code error;
  library->load(path.string(), error,
                boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (error || !library->is_loaded()) {
    const std::string reason = libraryLoadError(path);
    return fail(where + ": cannot load: " + (reason.empty() ? error.message() : reason));
  }
  if (!library->has(kLibraryManifestSymbol)) {
    return fail(where + ": no symbol " + kLibraryManifestSymbol +
                " (build it with PLEXUS_MODULE_LIBRARY)");
  }
  const LibraryManifest& manifest =
      library->get_alias<const LibraryManifest>(kLibraryManifestSymbol);
  if (manifest.magic != kLibraryManifestMagic)
    return fail(where + ": not a Plexus module manifest");
  if (manifest.moduleApiVersion != kModuleApiVersion) {
    return fail(where + ": module API version mismatch: the library has " +
                std::to_string(manifest.moduleApiVersion) + ", this SDK needs " +
                std::to_string(kModuleApiVersion));
  }
  const std::string tag = manifest.abiTag != nullptr ? manifest.abiTag : "(none)";
  if (tag != kAbiTag) {
    return fail(where + ": ABI tag mismatch: the library was built as '" + tag +
                "', this SDK is '" + kAbiTag + "'");
  }
  for (std::size_t i = 0; i < manifest.moduleCount; ++i) {
    const ModuleManifest& module = manifest.modules[i];
    if (module.name == nullptr || name != module.name) continue;
    if (module.kind == nullptr || kind != module.kind) {
      return fail(where + ": a " + (module.kind ? module.kind : "(no kind)") + ", not a " + kind);
    }
    auto checked = Parameters::validate(
        std::span<const ParameterSpec>(module.parameters, module.parameterCount), parameters);
    if (!checked) return fail(checked.error().context(where));
    auto made = module.create(*checked);
    if (!made) return fail(made.error().context(where));
    libraries.push_back(std::move(library));
    return LoadedModule{*made, module.destroy};
  }
  return fail(where + ": the library holds no such module");
}

}  // namespace plexus::testing
