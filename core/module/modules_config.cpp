#include "module/modules_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace plexus::module {
namespace {

namespace json = boost::json;

// Line and column (both from 1) of byte `offset` in `text`.
std::pair<size_t, size_t> lineAndColumn(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

Result<json::value> parseJson(std::string_view text, const std::string& source) {
  json::stream_parser parser;
  boost::system::error_code ec;
  size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    ec = json::make_error_code(json::error::extra_data);
  }
  if (!ec) parser.finish(ec);
  if (ec) {
    auto [line, column] = lineAndColumn(text, consumed);
    return fail(source + ": malformed JSON at line " + std::to_string(line) + ", column " +
                std::to_string(column) + ": " + ec.message());
  }
  return parser.release();
}

Result<std::string> stringField(const json::object& object, std::string_view key,
                                const std::string& where) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return fail(where + "." + std::string(key) + ": expected a string");
  return std::string(value->get_string());
}

Result<const json::array*> arrayField(const json::object& object, std::string_view key,
                                      const std::string& where) {
  static const json::array kEmpty;
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return &kEmpty;
  if (!value->is_array()) return fail(where + "." + std::string(key) + ": expected an array");
  return &value->get_array();
}

Result<ModuleEntry> parseModule(const json::value& value, const std::string& where) {
  if (!value.is_object()) return fail(where + ": expected an object");
  const json::object& object = value.get_object();
  ModuleEntry module;
  auto name = stringField(object, "name", where);
  if (!name) return fail(name.error());
  if (name->empty()) return fail(where + ": module name not provided");
  module.name = *name;
  auto parameters = arrayField(object, "parameters", where);
  if (!parameters) return fail(parameters.error());
  for (size_t i = 0; i < (*parameters)->size(); ++i) {
    std::string at = where + ".parameters[" + std::to_string(i) + "]";
    const json::value& parameter = (**parameters)[i];
    if (!parameter.is_object()) return fail(at + ": expected an object with key and value");
    auto key = stringField(parameter.get_object(), "key", at);
    if (!key) return fail(key.error());
    if (key->empty()) return fail(at + ": parameter key not provided");
    if (!parameter.get_object().contains("value")) {
      return fail(at + ": parameter '" + *key + "' has no value");
    }
    auto text = stringField(parameter.get_object(), "value", at);
    if (!text) return fail(text.error());
    module.parameters.emplace_back(*key, *text);
  }
  return module;
}

Result<LibraryEntry> parseLibrary(const json::value& value, const std::string& where,
                                  const std::string& source) {
  if (!value.is_object()) return fail(where + ": expected an object");
  const json::object& object = value.get_object();
  LibraryEntry library;
  library.source = source;
  auto file = stringField(object, "file", where);
  if (!file) return fail(file.error());
  auto name = stringField(object, "name", where);
  if (!name) return fail(name.error());
  if (file->empty() && name->empty()) {
    return fail(where + ": library name or path not provided (give \"file\" or \"name\")");
  }
  library.file = *file;
  library.name = *name;
  auto modules = arrayField(object, "modules", where);
  if (!modules) return fail(modules.error());
  for (size_t i = 0; i < (*modules)->size(); ++i) {
    auto module = parseModule((**modules)[i], where + ".modules[" + std::to_string(i) + "]");
    if (!module) return fail(module.error());
    library.modules.push_back(std::move(*module));
  }
  return library;
}

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail("cannot read modules file '" + path.string() + "': no such file or not readable");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Result<ModulesConfig> parseModulesJson(std::string_view text, const std::string& source) {
  auto document = parseJson(text, source);
  if (!document) return fail(document.error());
  if (!document->is_object()) return fail(source + ": expected a JSON object with \"libraries\"");
  auto libraries = arrayField(document->get_object(), "libraries", "");
  if (!libraries) return fail(source + ": " + libraries.error().message().substr(1));
  ModulesConfig config;
  for (size_t i = 0; i < (*libraries)->size(); ++i) {
    auto library = parseLibrary((**libraries)[i], "libraries[" + std::to_string(i) + "]", source);
    if (!library) return fail(library.error().context(source));
    config.libraries.push_back(std::move(*library));
  }
  return config;
}

Result<ModulesConfig> readModulesFlag(std::string_view value) {
  size_t first = value.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && value[first] == '{') {
    return parseModulesJson(value, "--modules");
  }
  std::string path(value);
  if (path.starts_with("file://")) path = path.substr(7);
  auto text = readFile(path);
  if (!text) return fail(text.error());
  return parseModulesJson(*text, path);
}

Result<ModulesConfig> readModulesDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail("--modules_dir '" + dir.string() + "' is not a directory");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return fail("cannot list --modules_dir '" + dir.string() + "': " + ec.message());
  // Mesos fails to start on an entry of --modules_dir it cannot read as a file;
  // so do we, saying what the entry is rather than calling it malformed JSON.
  for (const auto& file : files) {
    if (std::filesystem::is_directory(file, ec)) {
      return fail("--modules_dir '" + dir.string() + "': '" + file.string() +
                  "' is a directory, not a modules file (remove or rename it)");
    }
    if (!std::filesystem::is_regular_file(file, ec)) {
      return fail("--modules_dir '" + dir.string() + "': '" + file.string() +
                  "' is not a regular file (remove or rename it)");
    }
  }
  std::sort(files.begin(), files.end());
  ModulesConfig merged;
  for (const auto& file : files) {
    auto text = readFile(file);
    if (!text) return fail(text.error());
    auto config = parseModulesJson(*text, file.string());
    if (!config) return fail(config.error());
    for (auto& library : config->libraries)
      merged.libraries.push_back(std::move(library));
  }
  return merged;
}

}  // namespace plexus::module
