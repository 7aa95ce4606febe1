// Reading a module library without loading it: its ELF note, and why dlopen
// would refuse it.
//
// PLEXUS_MODULE_LIBRARY (<plexus/module.hpp>) puts an ELF note in the library,
// section `.note.plexus.module`, holding the module API version and the ABI tag
// it was compiled with. The loader (core/module/), plexus-module-info and
// plexus::testing::loadModule read it before dlopen, so a library built against
// another standard library, protobuf or SDK is refused naming both tags, never
// with the `undefined symbol` its mismatched symbols would cause. The note is
// read from the file with plain reads; nothing of the library runs.
//
// Called by anyone, on any thread (no shared state). Errors are values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

struct ModuleNote {
  std::uint32_t moduleApiVersion = 0;
  std::string abiTag;
};

// The library's note; std::nullopt when it is an ELF shared object without one
// (built without PLEXUS_MODULE_LIBRARY, or by an SDK before module API version 5).
// Fails, saying why, when the file is missing or unreadable ("file not found",
// "cannot read: ..."), is not ELF ("not a shared library (no ELF header)"), is
// not a 64-bit little-endian shared object, is truncated, or its note is malformed.
[[nodiscard]] PLEXUS_API Result<std::optional<ModuleNote>> readModuleNote(
    const std::filesystem::path& path);

// Why dlopen(RTLD_NOW) refuses the library, in dlerror()'s words (e.g.
// "not a loadable shared library: ...: undefined symbol: _ZN..."); "" when it
// loads (it is closed again at once, so its initialisers do run).
PLEXUS_API std::string libraryLoadError(const std::filesystem::path& path);

}  // namespace plexus
