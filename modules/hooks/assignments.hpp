// Parsing and substitution shared by the hooks: "key=value,key=value" lists and
// ${NAME} placeholders.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <plexus/error.hpp>

namespace plexus::hooks {

using Assignments = std::vector<std::pair<std::string, std::string>>;

// Parses "k1=v1,k2=v2" (spaces around items are kept in values, trimmed from keys).
// Errors name `what` (the parameter) and the bad item: an item without '=', an
// empty key, or a key given twice.
[[nodiscard]] Result<Assignments> parseAssignments(std::string_view text, std::string_view what);

// The names of the ${NAME} placeholders in `text`; an Error for a '${' without '}'.
[[nodiscard]] Result<std::vector<std::string>> placeholders(std::string_view text);

// Replaces every ${NAME} in `text` by values.at(NAME); names not in `values` are
// replaced by "" (callers check placeholders() first).
std::string substitute(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace plexus::hooks
