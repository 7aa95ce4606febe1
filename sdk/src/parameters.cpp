#include <charconv>
#include <cmath>
#include <stdexcept>

#include <plexus/parameters.hpp>

namespace plexus {
namespace {

Result<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return fail("'" + std::string(text) + "' is not an integer");
  }
  return value;
}

Result<double> parseReal(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    return fail("'" + std::string(text) + "' is not a finite number");
  }
  return value;
}

Result<bool> parseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return fail("'" + std::string(text) + "' is not a boolean (use true or false)");
}

// "an integer", "a duration": the type as a sentence names it.
const char* typeInWords(ParameterType type) {
  switch (type) {
    case ParameterType::String:
      return "a string";
    case ParameterType::Int:
      return "an integer";
    case ParameterType::Double:
      return "a number";
    case ParameterType::Bool:
      return "a boolean";
    case ParameterType::Duration:
      return "a duration";
    case ParameterType::Bytes:
      return "a byte size";
  }
  return "a value";
}

}  // namespace

const char* parameterTypeName(ParameterType type) noexcept {
  switch (type) {
    case ParameterType::String:
      return "string";
    case ParameterType::Int:
      return "int";
    case ParameterType::Double:
      return "double";
    case ParameterType::Bool:
      return "bool";
    case ParameterType::Duration:
      return "duration";
    case ParameterType::Bytes:
      return "bytes";
  }
  return "unknown";
}

Result<void> checkParameterValue(ParameterType type, std::string_view text) {
  switch (type) {
    case ParameterType::String:
      return {};
    case ParameterType::Int:
      PLEXUS_TRY(parseInteger(text));
      return {};
    case ParameterType::Double:
      PLEXUS_TRY(parseReal(text));
      return {};
    case ParameterType::Bool:
      PLEXUS_TRY(parseBool(text));
      return {};
    case ParameterType::Duration:
      PLEXUS_TRY(parseDuration(text));
      return {};
    case ParameterType::Bytes:
      PLEXUS_TRY(parseBytes(text));
      return {};
  }
  return fail("unknown parameter type");
}

Result<Parameters> Parameters::validate(
    std::span<const ParameterSpec> specs,
    const std::vector<std::pair<std::string, std::string>>& given) {
  Parameters parameters;
  std::string declared;
  for (const ParameterSpec& spec : specs) {
    if (spec.name == nullptr) return fail("a declared parameter has no name");
    declared += (declared.empty() ? "" : ", ") + std::string(spec.name);
  }
  if (declared.empty()) declared = "none";

  std::map<std::string, std::string, std::less<>> byKey;
  for (const auto& [key, value] : given) {
    const ParameterSpec* spec = nullptr;
    for (const ParameterSpec& candidate : specs) {
      if (key == candidate.name) spec = &candidate;
    }
    if (spec == nullptr) {
      return fail("unknown parameter '" + key + "' (declared: " + declared + ")");
    }
    if (!byKey.emplace(key, value).second) {
      return fail("parameter '" + key + "' is given more than once");
    }
  }

  for (const ParameterSpec& spec : specs) {
    Value value;
    value.type = spec.type;
    if (auto it = byKey.find(spec.name); it != byKey.end()) {
      value.text = it->second;
      value.given = true;
    } else if (spec.defaultValue != nullptr) {
      value.text = spec.defaultValue;
    } else {
      return fail("missing required parameter '" + std::string(spec.name) + "' (" +
                  parameterTypeName(spec.type) + ": " + (spec.doc ? spec.doc : "") + ")");
    }
    auto checked = checkParameterValue(spec.type, value.text);
    if (!checked) {
      return fail("parameter '" + std::string(spec.name) + "' must be " + typeInWords(spec.type) +
                  ": " + checked.error().message() +
                  (value.given ? "" : " (in the module's declared default)"));
    }
    switch (spec.type) {
      case ParameterType::String:
        break;
      case ParameterType::Int:
        value.integer = *parseInteger(value.text);
        break;
      case ParameterType::Double:
        value.real = *parseReal(value.text);
        break;
      case ParameterType::Bool:
        value.boolean = *parseBool(value.text);
        break;
      case ParameterType::Duration:
        value.duration = *parseDuration(value.text);
        break;
      case ParameterType::Bytes:
        value.bytes = *parseBytes(value.text);
        break;
    }
    if (!parameters.values_.emplace(spec.name, std::move(value)).second) {
      return fail("parameter '" + std::string(spec.name) + "' is declared twice by the module");
    }
    parameters.order_.emplace_back(spec.name);
  }
  return parameters;
}

const Parameters::Value& Parameters::lookup(std::string_view name, ParameterType type) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    throw std::invalid_argument("parameter '" + std::string(name) + "' is not declared");
  }
  if (it->second.type != type) {
    throw std::invalid_argument("parameter '" + std::string(name) + "' is declared as " +
                                parameterTypeName(it->second.type) + ", read as " +
                                parameterTypeName(type));
  }
  return it->second;
}

const std::string& Parameters::string(std::string_view name) const {
  return lookup(name, ParameterType::String).text;
}
std::int64_t Parameters::integer(std::string_view name) const {
  return lookup(name, ParameterType::Int).integer;
}
double Parameters::real(std::string_view name) const {
  return lookup(name, ParameterType::Double).real;
}
bool Parameters::boolean(std::string_view name) const {
  return lookup(name, ParameterType::Bool).boolean;
}
Duration Parameters::duration(std::string_view name) const {
  return lookup(name, ParameterType::Duration).duration;
}
std::uint64_t Parameters::bytes(std::string_view name) const {
  return lookup(name, ParameterType::Bytes).bytes;
}

bool Parameters::given(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.given;
}

std::vector<std::pair<std::string, std::string>> Parameters::entries() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& name : order_)
    out.emplace_back(name, values_.find(name)->second.text);
  return out;
}

}  // namespace plexus
