// plexus-module-info: what a module library holds and what it was built for: the
// module API version and ABI tag of its ELF note (read from the file, before any
// loading) next to this SDK's, then, once the library loads, each module's kind,
// name, version, author, description and declared parameters. A file it cannot
// read is named with the reason: missing, not ELF, another ABI (both tags), an
// unresolved symbol (which), no manifest. For module authors debugging a refused module, and for
// scripts/check-module-docs.sh (--parameters: one tab-separated line per parameter).
//
//   plexus-module-info build/libplexus_binpack_allocator.so
//   plexus-module-info --parameters lib/plexus/modules/libplexus_allocator_drf.so
//
// Exit status: 0 when the library would load into daemons of this SDK, 1 when it
// would be refused (the reason is printed), 2 on a usage error.
#include <cstring>
#include <iostream>
#include <string>

#include <boost/dll/shared_library.hpp>

#include <plexus/module.hpp>
#include <plexus/module_note.hpp>
#include <plexus/parameters.hpp>

namespace {

int usage() {
  std::cerr << "usage: plexus-module-info [--parameters] <library.so>\n"
               "Prints the library's module API version, ABI tag and modules (with\n"
               "--parameters: module, parameter, type, default, doc, tab-separated).\n";
  return 2;
}

int unrecognised(const std::string& flag) {
  std::cerr << "plexus-module-info: unrecognised option '" << flag << "'\n";
  return usage();
}

const char* orNone(const char* text) {
  return text != nullptr ? text : "(none)";
}

// The library's API version and ABI tag next to this SDK's, marking differences;
// `from` says where they were read (the ELF note, or the manifest once loaded).
void printVersions(const std::string& path, std::uint32_t version, const char* tag,
                   const char* from) {
  const bool apiMatches = version == plexus::kModuleApiVersion;
  const bool tagMatches = tag != nullptr && plexus::kAbiTag == std::string(tag);
  std::cout << "library:            " << path << "\n"
            << "module API version: " << version << " (this SDK: " << plexus::kModuleApiVersion
            << (apiMatches ? ", same" : ", DIFFERENT") << "; from the " << from << ")\n"
            << "ABI tag:            " << orNone(tag) << "\n"
            << "this SDK's tag:     " << plexus::kAbiTag
            << (tagMatches ? " (same)" : " (DIFFERENT)") << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::strcmp(argv[argc - 1], "--help") == 0) return usage();
  // Only the whole name --parameters is a flag: anything else is refused, naming it.
  if (argc == 3 && std::strcmp(argv[1], "--parameters") != 0) return unrecognised(argv[1]);
  const std::string path = argv[argc - 1];
  if (path.starts_with("-")) return unrecognised(path);
  const bool parametersOnly = argc == 3;

  // The note first, read from the file: a library built for another ABI or API
  // version is described (both tags) and refused without being loaded.
  auto note = plexus::readModuleNote(path);
  if (!note) {
    std::cerr << path << ": cannot read: " << note.error().message() << "\n";
    return 1;
  }
  if (*note) {
    const bool apiMatches = (*note)->moduleApiVersion == plexus::kModuleApiVersion;
    const bool tagMatches = (*note)->abiTag == plexus::kAbiTag;
    if (!parametersOnly || !apiMatches || !tagMatches)
      printVersions(path, (*note)->moduleApiVersion, (*note)->abiTag.c_str(), "ELF note");
    if (!apiMatches) {
      std::cerr << path << ": module API version " << (*note)->moduleApiVersion
                << ", this SDK needs " << plexus::kModuleApiVersion
                << ": the daemons would refuse it; rebuild it against this SDK\n";
      return 1;
    }
    if (!tagMatches) {
      std::cerr << path << ": ABI tag mismatch: the library was built as '" << (*note)->abiTag
                << "', this SDK is '" << plexus::kAbiTag
                << "': the daemons would refuse it before loading it\n";
      return 1;
    }
  } else if (!parametersOnly) {
    std::cout << "module note:        none (no " << plexus::kModuleNoteSection
              << " section: not built with PLEXUS_MODULE_LIBRARY of module API version 5 or "
                 "later)\n";
  }

  boost::dll::shared_library library;
  boost::dll::fs::error_code error;
  library.load(path, error, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (error || !library.is_loaded()) {
    const std::string reason = plexus::libraryLoadError(path);
    std::cerr << path << ": cannot load: " << (reason.empty() ? error.message() : reason) << "\n";
    return 1;
  }
  if (!library.has(plexus::kLibraryManifestSymbol)) {
    std::cerr << path << ": no module manifest (no symbol '" << plexus::kLibraryManifestSymbol
              << "'; build it with PLEXUS_MODULE_LIBRARY)\n";
    return 1;
  }
  const auto& manifest =
      library.get_alias<const plexus::LibraryManifest>(plexus::kLibraryManifestSymbol);
  if (manifest.magic != plexus::kLibraryManifestMagic) {
    std::cerr << path << ": '" << plexus::kLibraryManifestSymbol
              << "' is not a Plexus module manifest\n";
    return 1;
  }
  const bool apiMatches = manifest.moduleApiVersion == plexus::kModuleApiVersion;
  const bool tagMatches =
      manifest.abiTag != nullptr && plexus::kAbiTag == std::string(manifest.abiTag);
  if (!parametersOnly && !*note)
    printVersions(path, manifest.moduleApiVersion, manifest.abiTag, "manifest");
  if (!apiMatches) {
    std::cerr << path << ": module API version " << manifest.moduleApiVersion << ", this SDK needs "
              << plexus::kModuleApiVersion << ": its modules cannot be read; rebuild it\n";
    return 1;
  }
  if (!parametersOnly) std::cout << "SDK version:        " << orNone(manifest.sdkVersion) << "\n";
  for (std::size_t i = 0; i < manifest.moduleCount; ++i) {
    const plexus::ModuleManifest& module = manifest.modules[i];
    if (!parametersOnly) {
      std::cout << "\n"
                << orNone(module.kind) << " " << orNone(module.name) << " "
                << orNone(module.version) << "\n  author:      " << orNone(module.author)
                << "\n  description: " << orNone(module.description)
                << "\n  parameters:" << (module.parameterCount == 0 ? "  none" : "") << "\n";
    }
    for (std::size_t p = 0; p < module.parameterCount; ++p) {
      const plexus::ParameterSpec& spec = module.parameters[p];
      const std::string type = plexus::parameterTypeName(spec.type);
      if (parametersOnly) {
        std::cout << orNone(module.name) << "\t" << orNone(spec.name) << "\t" << type << "\t"
                  << (spec.defaultValue ? spec.defaultValue : "(required)") << "\t"
                  << orNone(spec.doc) << "\n";
      } else {
        std::cout << "    " << orNone(spec.name) << " (" << type << ", "
                  << (spec.defaultValue ? "default \"" + std::string(spec.defaultValue) + "\""
                                        : std::string("required"))
                  << ")\n      " << orNone(spec.doc) << "\n";
      }
    }
  }
  if (!tagMatches) {
    std::cerr << path << ": ABI tag mismatch: the library was built as '" << orNone(manifest.abiTag)
              << "', this SDK is '" << plexus::kAbiTag << "': the daemons would refuse it\n";
    return 1;
  }
  return 0;
}
