// ModulesConfig: the operator's list of module libraries, in Mesos's --modules format.
//
//   {"libraries": [{"file": "/path/libx.so" | "name": "x",
//                   "modules": [{"name": "...", "parameters": [{"key": "k", "value": "v"}]}]}]}
//
// Read from `--modules` (inline JSON, a path, or a file:// URL) or `--modules_dir`
// (every *.json file in the folder, in sorted order). Unknown keys are ignored, as
// Mesos ignores them. Errors name the source (file or "--modules") and, for a
// malformed file, the line and column; for a schema error, the JSON path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <plexus/error.hpp>

namespace plexus::module {

struct ModuleEntry {
  std::string name;
  std::vector<std::pair<std::string, std::string>> parameters;
};

struct LibraryEntry {
  // Exactly as written: `file` wins over `name` when both are given.
  std::string file;
  std::string name;
  std::vector<ModuleEntry> modules;
  // Where this entry was read from: a file path, or "--modules" for inline JSON.
  std::string source;
};

struct ModulesConfig {
  std::vector<LibraryEntry> libraries;
};

// Parses one JSON document; `source` names it in errors.
[[nodiscard]] Result<ModulesConfig> parseModulesJson(std::string_view json,
                                                     const std::string& source);

// Reads the value of --modules: inline JSON (starts with '{'), file:///path, or a path.
[[nodiscard]] Result<ModulesConfig> readModulesFlag(std::string_view value);

// Reads every *.json file in `dir`, in sorted order, into one config.
[[nodiscard]] Result<ModulesConfig> readModulesDir(const std::filesystem::path& dir);

}  // namespace plexus::module
