// The module contract: how a .so tells Plexus what it holds, and how it is made.
//
// A module library exports exactly one symbol, `plexus_module_library` (a pointer,
// with C linkage), made by PLEXUS_MODULE_LIBRARY, and carries an ELF note with its
// module API version and ABI tag (kModuleNoteSection), which loaders read from the
// file before dlopen. The symbol points at a LibraryManifest: a
// fixed header (magic, module API version, ABI tag, SDK version) that the loader
// reads before it trusts anything else, then one ModuleManifest per module (kind,
// name, version, author, description, declared parameters, factory).
//
// The loader (core/module/) refuses a library whose magic, API version or ABI tag
// differ from its own, with both values in the message, and refuses parameters
// that do not match the declarations before the factory runs. The factory is
// noexcept: moduleManifest<Interface, Impl>() wraps Impl::create so a stray
// exception becomes an Error naming the module, never a crash. Instances are
// destroyed through the manifest's `destroy`, i.e. by code inside the module.
// Libraries stay loaded for the life of the process.
//
// A module author writes, in the module's module.cpp:
//
//   constexpr plexus::ParameterSpec kParameters[] = {
//       {"weight", plexus::ParameterType::Double, "1.0", "Weight of the default role."}};
//   PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Allocator, MyAllocator>({
//       .name = "my_allocator", .version = "1.0.0", .author = "Site ops <ops@example.com>",
//       .description = "Packs tasks onto the fullest agent.", .parameters = kParameters}));
//
// where MyAllocator derives from plexus::Allocator and has
//   static plexus::Result<std::unique_ptr<MyAllocator>> create(const plexus::Parameters&);
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>

#include <google/protobuf/stubs/common.h>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/parameters.hpp>
#include <plexus/version.hpp>

namespace plexus {

// Bumped whenever LibraryManifest, ModuleManifest or any kind's interface changes
// in a way an already-built module cannot survive.
inline constexpr std::uint32_t kModuleApiVersion = 5;

// "PLXMODS1" read as a little-endian integer: marks a real LibraryManifest.
inline constexpr std::uint64_t kLibraryManifestMagic = 0x3153444F4D584C50ULL;

// The symbol every module library exports.
inline constexpr const char* kLibraryManifestSymbol = "plexus_module_library";

#define PLEXUS_ABI_STRINGIFY_(x) #x
#define PLEXUS_ABI_STRINGIFY(x) PLEXUS_ABI_STRINGIFY_(x)
#if defined(__clang__)
#define PLEXUS_ABI_COMPILER \
  "clang-" PLEXUS_ABI_STRINGIFY(__clang_major__) "." PLEXUS_ABI_STRINGIFY(__clang_minor__)
#elif defined(__GNUC__)
#define PLEXUS_ABI_COMPILER \
  "gcc-" PLEXUS_ABI_STRINGIFY(__GNUC__) "." PLEXUS_ABI_STRINGIFY(__GNUC_MINOR__)
#else
#define PLEXUS_ABI_COMPILER "unknown-compiler"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define PLEXUS_ABI_STDLIB                                                               \
  "libstdc++-" PLEXUS_ABI_STRINGIFY(_GLIBCXX_RELEASE) "-cxx11abi" PLEXUS_ABI_STRINGIFY( \
      _GLIBCXX_USE_CXX11_ABI)
#else
#define PLEXUS_ABI_STDLIB "unknown-stdlib"
#endif

// What must be equal between the core and a module for C++ objects to cross the
// .so boundary: compiler, C++ standard, standard library, SDK (major.minor) and
// protobuf. No Boost type crosses it (the interfaces use the standard library and
// the wire types only), so Boost's version is not part of it. Computed from the
// macros of whoever compiles this header, so a module carries the tag of its own
// build.
#define PLEXUS_ABI_TAG \
  PLEXUS_ABI_COMPILER ";c++" PLEXUS_ABI_STRINGIFY(__cplusplus) ";" PLEXUS_ABI_STDLIB \
  ";plexus-sdk-" PLEXUS_ABI_STRINGIFY(PLEXUS_VERSION_MAJOR) "." PLEXUS_ABI_STRINGIFY(   \
      PLEXUS_VERSION_MINOR) ";protobuf-" PLEXUS_ABI_STRINGIFY(GOOGLE_PROTOBUF_VERSION)

inline constexpr const char* kAbiTag = PLEXUS_ABI_TAG;

// The ELF note PLEXUS_MODULE_LIBRARY adds to the library: section
// `.note.plexus.module`, owner "Plexus", type "PLX1", its description the module
// API version (uint32) then the ABI tag (NUL-terminated). Loaders read it from the
// file before dlopen (<plexus/module_note.hpp>), so an ABI mismatch is refused
// naming both tags before any symbol is resolved.
inline constexpr const char* kModuleNoteSection = ".note.plexus.module";
inline constexpr char kModuleNoteName[] = "Plexus";
inline constexpr std::uint32_t kModuleNoteType = 0x31584C50;  // "PLX1"

namespace detail {
template <std::size_t TagSize>
struct ModuleNoteLayout {
  std::uint32_t nameSize;
  std::uint32_t descSize;
  std::uint32_t type;
  char name[(sizeof kModuleNoteName + 3) / 4 * 4];
  std::uint32_t moduleApiVersion;
  char abiTag[(TagSize + 3) / 4 * 4];
};
template <std::size_t TagSize>
constexpr ModuleNoteLayout<TagSize> moduleNote(std::uint32_t version, const char (&tag)[TagSize]) {
  ModuleNoteLayout<TagSize> note{};
  note.nameSize = sizeof kModuleNoteName;
  note.descSize = static_cast<std::uint32_t>(sizeof(std::uint32_t) + TagSize);
  note.type = kModuleNoteType;
  for (std::size_t i = 0; i < sizeof kModuleNoteName; ++i)
    note.name[i] = kModuleNoteName[i];
  note.moduleApiVersion = version;
  for (std::size_t i = 0; i < TagSize; ++i)
    note.abiTag[i] = tag[i];
  return note;
}
}  // namespace detail

// Emits the note for `version` and `tag` (a string literal). PLEXUS_MODULE_LIBRARY
// does it with this SDK's values; loader tests use it to forge other ones.
#define PLEXUS_MODULE_NOTE(version, tag)                   \
  [[gnu::section(".note.plexus.module"), gnu::used,        \
    gnu::aligned(4)]] constexpr auto plexus_module_note_ = \
      ::plexus::detail::moduleNote(version, tag)

// Each kind's header specialises this with its kind string, e.g. "Allocator".
template <typename Interface>
struct ModuleKindOf;

// The kinds this SDK defines, as manifests spell them.
inline constexpr const char* kModuleKinds[] = {"Allocator",     "Isolator",        "Hook",
                                               "Authenticator", "MasterContender", "MasterDetector",
                                               "RegistryStore", "ContainerLogger"};

// One module in a library.
struct ModuleManifest {
  const char* kind;
  const char* name;
  const char* version;
  const char* author;
  const char* description;
  const ParameterSpec* parameters;
  std::size_t parameterCount;
  // Makes an instance from validated parameters; the pointer is the kind's
  // interface (e.g. plexus::Allocator*) as void*. Never throws.
  Result<void*> (*create)(const Parameters& parameters) noexcept;
  // Destroys an instance made by create.
  void (*destroy)(void* instance) noexcept;
};

// What `plexus_module_library` points at. The first four fields never move, so a
// loader of any version can read them and refuse a library it cannot use.
struct LibraryManifest {
  std::uint64_t magic;
  std::uint32_t moduleApiVersion;
  const char* abiTag;
  const char* sdkVersion;
  const ModuleManifest* modules;
  std::size_t moduleCount;
};

// The descriptive part of a manifest, written by the author with designated initializers.
struct ModuleInfo {
  const char* name;
  const char* version;
  const char* author;
  const char* description;
  std::span<const ParameterSpec> parameters = {};
};

namespace detail {

template <typename Interface, typename Impl>
Result<void*> createModule(const Parameters& parameters) noexcept {
  try {
    auto made = Impl::create(parameters);
    if (!made) return fail(made.error());
    if (*made == nullptr) return fail("the factory returned no instance");
    Interface* instance = made->release();
    return static_cast<void*>(instance);
  } catch (const std::exception& e) {
    return fail(std::string("the factory threw: ") + e.what());
  } catch (...) {
    return fail("the factory threw a non-standard exception");
  }
}

template <typename Interface>
void destroyModule(void* instance) noexcept {
  delete static_cast<Interface*>(instance);
}

}  // namespace detail

// Builds the manifest of module Impl, which implements Interface.
template <typename Interface, typename Impl>
constexpr ModuleManifest moduleManifest(const ModuleInfo& info) {
  return ModuleManifest{ModuleKindOf<Interface>::kName,
                        info.name,
                        info.version,
                        info.author,
                        info.description,
                        info.parameters.data(),
                        info.parameters.size(),
                        &detail::createModule<Interface, Impl>,
                        &detail::destroyModule<Interface>};
}

// Runs `body` (which returns Result<T>) and turns any exception into an Error.
// Use it at the edges of a module where third-party code may throw.
template <typename Body>
auto catchToError(Body&& body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(std::string("exception: ") + e.what());
  } catch (...) {
    return fail("non-standard exception");
  }
}

}  // namespace plexus

// Exports the library's manifest. Use once per module library, in module.cpp.
#define PLEXUS_MODULE_LIBRARY(...)                                                         \
  namespace plexus_module_library_ {                                                       \
  constexpr ::plexus::ModuleManifest kModules[] = {__VA_ARGS__};                           \
  constexpr ::plexus::LibraryManifest kLibrary = {::plexus::kLibraryManifestMagic,         \
                                                  ::plexus::kModuleApiVersion,             \
                                                  PLEXUS_ABI_TAG,                          \
                                                  PLEXUS_VERSION_STRING,                   \
                                                  kModules,                                \
                                                  sizeof(kModules) / sizeof(kModules[0])}; \
  PLEXUS_MODULE_NOTE(::plexus::kModuleApiVersion, PLEXUS_ABI_TAG);                         \
  }                                                                                        \
  PLEXUS_MODULE_LIBRARY_SYMBOL(plexus_module_library_::kLibrary)

// Exports `plexus_module_library`, the pointer to `manifest` the loader looks up
// (the layout Boost.DLL's aliases have, which the loader reads with get_alias).
// PLEXUS_MODULE_LIBRARY uses it; a test fixture may point it at something else.
#define PLEXUS_MODULE_LIBRARY_SYMBOL(manifest)                   \
  extern "C" PLEXUS_API const void* const plexus_module_library; \
  extern "C" PLEXUS_API const void* const plexus_module_library = &(manifest);
