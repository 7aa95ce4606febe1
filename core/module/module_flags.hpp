// The flags that choose which module libraries a daemon loads, and what it prints
// for --list-modules. Shared by plexus-master and plexus-agent.
//
//   --modules=<inline JSON | path | file:// URL>   (Mesos's format)
//   --modules_dir=<dir>                             (every *.json in it, sorted)
//   --module_path=<dir[:dir...]>                    (where library "name"s are looked up,
//                                                    after the installed modules folder)
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <plexus/error.hpp>

#include "common/flags.hpp"
#include "module/module_registry.hpp"

namespace plexus::module {

struct ModuleFlags {
  std::string modules;
  std::string modulesDir;
  std::string modulePath;
};

void addModuleFlags(Flags& flags, ModuleFlags* values);

// The folders searched for a library given by name: the modules folder next to the
// running binary (<prefix>/lib/plexus/modules, also the build tree's layout), the
// configured install folder, then each --module_path entry.
std::vector<std::filesystem::path> moduleSearchPath(const ModuleFlags& flags);

// Reads the config named by the flags and loads it. Every error is one line that
// names the source, the library, the module and the reason.
[[nodiscard]] Result<std::unique_ptr<ModuleRegistry>> loadModules(const ModuleFlags& flags);

// The --list-modules listing: each module's kind, name, version, library, author,
// description and declared parameters with their types, defaults, docs and values.
void printModules(const ModuleRegistry& registry, std::ostream& out);

}  // namespace plexus::module
