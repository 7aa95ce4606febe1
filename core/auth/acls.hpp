// Acls: Mesos's local authorizer over its ACL format (`--acls`).
//
//   {"permissive": false,
//    "register_frameworks": [{"principals": {"values": ["web"]}, "roles": {"values": ["web"]}},
//                            {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}]}
//
// Each action holds a list of rules, a subject entity ("principals") and an object
// entity (e.g. "roles"); an entity is {"values": [...]} or {"type": "ANY" | "NONE"}.
// A request is decided by the first rule whose entities both match it, as Mesos's
// local authorizer decides: a rule matches a named principal when it lists it or
// is ANY or NONE, and an unnamed one (no authentication) only when ANY or NONE; a
// matching rule allows unless an entity is NONE (or, for an unnamed principal,
// the subject is not ANY). No matching rule: `permissive` decides (default true).
//
// Supported actions and their object entity (the rest of Mesos's actions are
// refused at start-up, so an ACL is never silently ignored):
//   register_frameworks / roles, run_tasks / users, teardown_frameworks /
//   framework_principals, reserve_resources / roles, unreserve_resources /
//   reserver_principals, update_quotas / roles, update_weights / roles,
//   view_flags / flags (ANY or NONE), get_endpoints / paths.
//
// An immutable value: safe to read from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <plexus/error.hpp>

namespace plexus::auth {

struct AclEntity {
  enum class Type { kSome, kAny, kNone };
  Type type = Type::kAny;
  std::vector<std::string> values;
};

struct AclRule {
  AclEntity principals;
  AclEntity objects;
};

struct AclDecision {
  bool allowed = true;
  // Which rule decided, for the 403 and the log: e.g. "ACL register_frameworks[1]"
  // or "the ACLs' default (permissive: false)".
  std::string by;
};

class Acls {
 public:
  // No rules, permissive: everything is allowed (the default without --acls).
  Acls() = default;

  // `source`: inline JSON (starts with '{'), a file:// URL or a path. Errors name
  // the action, rule and field that is wrong.
  [[nodiscard]] static Result<Acls> load(std::string_view source);
  [[nodiscard]] static Result<Acls> parse(std::string_view json);

  // May `principal` (nullopt: not authenticated) do `action` on `object` (nullopt:
  // the action has no object, as view_flags)?
  AclDecision authorize(std::string_view action, const std::optional<std::string>& principal,
                        const std::optional<std::string>& object) const;

  bool permissive() const { return permissive_; }
  bool empty() const { return rules_.empty(); }

 private:
  bool permissive_ = true;
  std::map<std::string, std::vector<AclRule>, std::less<>> rules_;
};

// The object entity's key of each supported action ("roles" for register_frameworks).
const std::map<std::string, std::string, std::less<>>& aclObjectKeys();

}  // namespace plexus::auth
