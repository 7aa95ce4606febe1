#include "auth/acls.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include <plexus/file.hpp>

namespace plexus::auth {
namespace {

namespace bj = boost::json;

Result<AclEntity> parseEntity(const bj::value& value, const std::string& where) {
  if (!value.is_object()) return fail(where + ": expected an object with 'values' or 'type'");
  const bj::object& object = value.as_object();
  AclEntity entity;
  for (const auto& [key, field] : object) {
    if (key == "type") {
      if (!field.is_string()) return fail(where + ".type: expected \"ANY\" or \"NONE\"");
      std::string_view type = field.as_string();
      if (type == "ANY")
        entity.type = AclEntity::Type::kAny;
      else if (type == "NONE")
        entity.type = AclEntity::Type::kNone;
      else if (type == "SOME")
        entity.type = AclEntity::Type::kSome;
      else
        return fail(where + ".type: '" + std::string(type) + "' is not ANY, NONE or SOME");
    } else if (key == "values") {
      if (!field.is_array()) return fail(where + ".values: expected an array of strings");
      for (const bj::value& item : field.as_array()) {
        if (!item.is_string()) return fail(where + ".values: expected an array of strings");
        entity.values.emplace_back(item.as_string());
      }
    } else {
      return fail(where + ": unknown field '" + std::string(key) + "' (expected values or type)");
    }
  }
  // As Mesos: values make it SOME unless a type says otherwise.
  if (!object.contains("type")) entity.type = AclEntity::Type::kSome;
  return entity;
}

bool matches(const std::optional<std::string>& request, const AclEntity& rule) {
  if (rule.type != AclEntity::Type::kSome) return true;
  if (!request) return false;
  return std::find(rule.values.begin(), rule.values.end(), *request) != rule.values.end();
}

bool allows(const std::optional<std::string>& request, const AclEntity& rule) {
  if (!request) return rule.type == AclEntity::Type::kAny;
  if (rule.type == AclEntity::Type::kAny) return true;
  if (rule.type == AclEntity::Type::kNone) return false;
  return std::find(rule.values.begin(), rule.values.end(), *request) != rule.values.end();
}

Result<std::string> readAclFile(const std::string& path) {
  auto text = plexus::readFile(path);
  if (!text) return fail("cannot read '" + path + "': " + text.error().message());
  return text;
}

}  // namespace

const std::map<std::string, std::string, std::less<>>& aclObjectKeys() {
  static const std::map<std::string, std::string, std::less<>> keys{
      {"register_frameworks", "roles"},
      {"run_tasks", "users"},
      {"teardown_frameworks", "framework_principals"},
      {"reserve_resources", "roles"},
      {"unreserve_resources", "reserver_principals"},
      {"update_quotas", "roles"},
      {"update_weights", "roles"},
      {"view_flags", "flags"},
      {"get_endpoints", "paths"},
  };
  return keys;
}

Result<Acls> Acls::load(std::string_view source) {
  std::size_t first = source.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && source[first] == '{') return parse(source);
  std::string path(source.starts_with("file://") ? source.substr(7) : source);
  auto text = readAclFile(path);
  if (!text) return fail(text.error());
  auto acls = parse(*text);
  if (!acls) return fail(acls.error().context("'" + path + "'"));
  return acls;
}

Result<Acls> Acls::parse(std::string_view json) {
  boost::system::error_code error;
  bj::value root = bj::parse(json, error);
  if (error) return fail("not valid JSON: " + error.message());
  if (!root.is_object()) return fail("expected a JSON object of actions");
  Acls acls;
  for (const auto& [key, value] : root.as_object()) {
    std::string action(key);
    if (action == "permissive") {
      if (!value.is_bool()) return fail("permissive: expected true or false");
      acls.permissive_ = value.as_bool();
      continue;
    }
    auto objectKey = aclObjectKeys().find(action);
    if (objectKey == aclObjectKeys().end()) {
      std::string known;
      for (const auto& [name, unused] : aclObjectKeys())
        known += (known.empty() ? "" : ", ") + name;
      return fail("'" + action + "' is not an action Plexus enforces (enforced: " + known + ")");
    }
    if (!value.is_array()) return fail(action + ": expected an array of rules");
    std::vector<AclRule>& rules = acls.rules_[action];
    for (std::size_t i = 0; i < value.as_array().size(); ++i) {
      const bj::value& item = value.as_array()[i];
      std::string where = action + "[" + std::to_string(i) + "]";
      if (!item.is_object()) return fail(where + ": expected an object");
      AclRule rule;
      bool subject = false, object = false;
      for (const auto& [field, entity] : item.as_object()) {
        if (field == "principals") {
          auto parsed = parseEntity(entity, where + ".principals");
          if (!parsed) return fail(parsed.error());
          rule.principals = std::move(*parsed);
          subject = true;
        } else if (field == objectKey->second) {
          auto parsed = parseEntity(entity, where + "." + objectKey->second);
          if (!parsed) return fail(parsed.error());
          rule.objects = std::move(*parsed);
          object = true;
        } else {
          return fail(where + ": unknown field '" + std::string(field) +
                      "' (expected principals and " + objectKey->second + ")");
        }
      }
      if (!subject || !object)
        return fail(where + ": needs both 'principals' and '" + objectKey->second + "'");
      rules.push_back(std::move(rule));
    }
  }
  return acls;
}

AclDecision Acls::authorize(std::string_view action, const std::optional<std::string>& principal,
                            const std::optional<std::string>& objectValue) const {
  if (auto rules = rules_.find(action); rules != rules_.end()) {
    for (std::size_t i = 0; i < rules->second.size(); ++i) {
      const AclRule& rule = rules->second[i];
      if (matches(principal, rule.principals) && matches(objectValue, rule.objects)) {
        return {allows(principal, rule.principals) && allows(objectValue, rule.objects),
                "ACL " + std::string(action) + "[" + std::to_string(i) + "]"};
      }
    }
  }
  return {permissive_,
          std::string("the ACLs' default (permissive: ") + (permissive_ ? "true" : "false") + ")"};
}

}  // namespace plexus::auth
