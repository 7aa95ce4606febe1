// Typed module parameters: what a module declares and what it receives.
//
// A module declares each parameter it takes with a ParameterSpec (name, type,
// default, one line of doc). The loader validates the key/value pairs from the
// modules JSON against those declarations before the module's factory runs:
// unknown keys, ill-typed values, duplicates and missing required parameters are
// refused with a message naming the parameter. The factory then receives a
// Parameters holding one checked value for every declared parameter (the given
// value, or the default), so its typed getters cannot fail on declared names.
// Asking for an undeclared name, or with the wrong type, is a bug in the module:
// the getter throws std::invalid_argument, which the SDK's factory adapter turns
// into a refusal naming the module (see <plexus/module.hpp>).
//
//   constexpr plexus::ParameterSpec kParameters[] = {
//       {"interval", plexus::ParameterType::Duration, "1secs", "How often to allocate."},
//       {"root", plexus::ParameterType::String, nullptr, "Parent cgroup (required)."}};
//   ...
//   plexus::Duration interval = parameters.duration("interval");
//
// A Parameters is an immutable value; safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

enum class ParameterType { String, Int, Double, Bool, Duration, Bytes };

// "string", "int", "double", "bool", "duration", "bytes".
PLEXUS_API const char* parameterTypeName(ParameterType type) noexcept;

// One declared parameter. A null defaultValue makes the parameter required.
struct ParameterSpec {
  const char* name;
  ParameterType type;
  const char* defaultValue;
  const char* doc;
};

class PLEXUS_API Parameters {
 public:
  Parameters() = default;

  // Checks `given` (key/value pairs, in the order the operator wrote them) against
  // `specs` and fills in defaults. Errors name the offending parameter.
  [[nodiscard]] static Result<Parameters> validate(
      std::span<const ParameterSpec> specs,
      const std::vector<std::pair<std::string, std::string>>& given);

  // Typed getters for declared parameters; throw std::invalid_argument otherwise.
  const std::string& string(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  bool boolean(std::string_view name) const;
  Duration duration(std::string_view name) const;
  std::uint64_t bytes(std::string_view name) const;

  // True when the operator gave this parameter (rather than it taking its default).
  bool given(std::string_view name) const;

  // The checked values as text, in declaration order (for listings and logs).
  std::vector<std::pair<std::string, std::string>> entries() const;

 private:
  struct Value {
    ParameterType type;
    std::string text;
    bool given = false;
    std::int64_t integer = 0;
    std::uint64_t bytes = 0;
    double real = 0;
    bool boolean = false;
    Duration duration{0};
  };

  const Value& lookup(std::string_view name, ParameterType type) const;

  std::vector<std::string> order_;
  std::map<std::string, Value, std::less<>> values_;
};

// Parses `text` as a value of `type`; the error says why it is not one.
PLEXUS_API Result<void> checkParameterValue(ParameterType type, std::string_view text);

}  // namespace plexus
