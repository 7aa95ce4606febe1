#include "module/module_flags.hpp"

#include <algorithm>
#include <sstream>
#include <unistd.h>

namespace plexus::module {
namespace fs = std::filesystem;
namespace po = boost::program_options;

void addModuleFlags(Flags& flags, ModuleFlags* values) {
  flags.add()("modules", po::value<std::string>(&values->modules)->default_value("", "\"\""),
              "Module libraries to load, in Mesos's --modules JSON format: inline JSON, a "
              "path, or a file:// URL.")(
      "modules_dir", po::value<std::string>(&values->modulesDir)->default_value("", "\"\""),
      "Load every *.json file in this folder (sorted by name) as a --modules config; a "
      "*.json entry that is not a regular file is refused. Not together with --modules.")(
      "module_path", po::value<std::string>(&values->modulePath)->default_value("", "\"\""),
      "Colon-separated folders searched for libraries given by \"name\", after the "
      "installed modules folder (" PLEXUS_INSTALLED_MODULES_DIR ").");
}

std::vector<fs::path> moduleSearchPath(const ModuleFlags& flags) {
  std::vector<fs::path> path;
  auto addUnique = [&path](const fs::path& dir) {
    if (dir.empty()) return;
    if (std::find(path.begin(), path.end(), dir) == path.end()) path.push_back(dir);
  };
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    addUnique((self.parent_path().parent_path() / "lib" / "plexus" / "modules").lexically_normal());
  addUnique(PLEXUS_INSTALLED_MODULES_DIR);
  std::stringstream entries(flags.modulePath);
  for (std::string entry; std::getline(entries, entry, ':');)
    addUnique(entry);
  return path;
}

Result<std::unique_ptr<ModuleRegistry>> loadModules(const ModuleFlags& flags) {
  auto registry = std::make_unique<ModuleRegistry>(moduleSearchPath(flags));
  if (!flags.modules.empty() && !flags.modulesDir.empty()) {
    return fail("only one of --modules or --modules_dir should be specified");
  }
  Result<ModulesConfig> config = ModulesConfig{};
  if (!flags.modules.empty()) config = readModulesFlag(flags.modules);
  if (!flags.modulesDir.empty()) config = readModulesDir(flags.modulesDir);
  if (!config) return fail(config.error());
  PLEXUS_TRY(registry->load(*config));
  return registry;
}

void printModules(const ModuleRegistry& registry, std::ostream& out) {
  const auto& modules = registry.modules();
  out << "Loaded modules (" << modules.size() << "):\n";
  for (const auto& module : modules) {
    const ModuleManifest& manifest = *module->manifest;
    out << "\n"
        << module->kind << " " << module->name << " " << manifest.version << "\n"
        << "  library:     " << module->libraryPath << " (from " << module->source << ")\n";
    if (manifest.author) out << "  author:      " << manifest.author << "\n";
    if (manifest.description) out << "  description: " << manifest.description << "\n";
    auto declared = module->declaredParameters();
    if (declared.empty()) {
      out << "  parameters:  none\n";
      continue;
    }
    out << "  parameters:\n";
    for (const ParameterSpec& spec : declared) {
      out << "    " << spec.name << " (" << parameterTypeName(spec.type) << ", "
          << (spec.defaultValue ? "default \"" + std::string(spec.defaultValue) + "\""
                                : std::string("required"))
          << ")";
      if (module->parameters.given(spec.name)) {
        for (const auto& [key, value] : module->parameters.entries()) {
          if (key == spec.name) out << " = \"" << value << "\"";
        }
      }
      out << "\n      " << (spec.doc ? spec.doc : "") << "\n";
    }
  }
}

}  // namespace plexus::module
