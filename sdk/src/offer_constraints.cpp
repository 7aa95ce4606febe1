#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <vector>

#include <plexus/offer_constraints.hpp>

namespace plexus {
namespace {

using v1::scheduler::AttributeConstraint;

// Longer patterns are refused: std::regex compiles recursively.
constexpr std::size_t kMaxRegexLength = 256;

// One compiled AttributeConstraint.
struct Constraint {
  enum class Selector { kAttribute, kHostname, kRegion, kZone };
  enum class Predicate { kExists, kNotExists, kEquals, kNotEquals, kMatches, kNotMatches };
  Selector selector = Selector::kAttribute;
  std::string attribute;
  Predicate predicate = Predicate::kExists;
  std::string value;
  std::optional<std::regex> regex;

  // A predicate on an absent (pseudo)attribute, on text, or on a non-text attribute.
  bool onAbsent() const {
    return predicate == Predicate::kNotExists || predicate == Predicate::kNotEquals ||
           predicate == Predicate::kNotMatches;
  }
  bool onText(const std::string& text) const {
    switch (predicate) {
      case Predicate::kExists:
        return true;
      case Predicate::kNotExists:
        return false;
      case Predicate::kEquals:
        return text == value;
      case Predicate::kNotEquals:
        return text != value;
      case Predicate::kMatches:
        return std::regex_match(text, *regex);
      case Predicate::kNotMatches:
        return !std::regex_match(text, *regex);
    }
    return false;
  }
  // As Mesos: the text predicates hold for attributes that are not TEXT (SCALAR,
  // RANGES, SET), which the framework filters itself.
  bool onOther() const { return predicate != Predicate::kNotExists; }

  bool holds(const v1::AgentInfo& agent) const {
    switch (selector) {
      case Selector::kHostname:
        return onText(agent.hostname());
      case Selector::kRegion:
        if (!agent.domain().has_fault_domain()) return onAbsent();
        return onText(agent.domain().fault_domain().region().name());
      case Selector::kZone:
        if (!agent.domain().has_fault_domain()) return onAbsent();
        return onText(agent.domain().fault_domain().zone().name());
      case Selector::kAttribute:
        break;
    }
    const auto& attributes = agent.attributes();
    auto found = std::find_if(attributes.begin(), attributes.end(),
                              [&](const v1::Attribute& a) { return a.name() == attribute; });
    if (found == attributes.end()) return onAbsent();
    if (found->type() != v1::Value::TEXT) return onOther();
    return onText(found->text().value());
  }
};

Result<std::regex> compile(const std::string& pattern) {
  if (pattern.size() > kMaxRegexLength) {
    return fail("regex is longer than " + std::to_string(kMaxRegexLength) + " characters");
  }
  try {
    // __polynomial: libstdc++'s breadth-first matcher, whose time is polynomial in
    // the text's length (no backtracking blow-up), as RE2's; it refuses backreferences.
    return std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
  } catch (const std::regex_error& e) {
    return fail("invalid regex '" + pattern + "': " + e.what());
  }
}

Result<Constraint> compile(const AttributeConstraint& wire) {
  Constraint constraint;
  using Selector = AttributeConstraint::Selector;
  switch (wire.selector().selector_case()) {
    case Selector::kAttributeName:
      constraint.attribute = wire.selector().attribute_name();
      break;
    case Selector::kPseudoattributeType:
      switch (wire.selector().pseudoattribute_type()) {
        case Selector::HOSTNAME:
          constraint.selector = Constraint::Selector::kHostname;
          break;
        case Selector::REGION:
          constraint.selector = Constraint::Selector::kRegion;
          break;
        case Selector::ZONE:
          constraint.selector = Constraint::Selector::kZone;
          break;
        default:
          return fail("unknown pseudoattribute type");
      }
      break;
    case Selector::SELECTOR_NOT_SET:
      return fail("'selector' has neither 'attribute_name' nor 'pseudoattribute_type'");
  }
  using Predicate = AttributeConstraint::Predicate;
  const Predicate& predicate = wire.predicate();
  switch (predicate.predicate_case()) {
    case Predicate::kExists:
      constraint.predicate = Constraint::Predicate::kExists;
      break;
    case Predicate::kNotExists:
      constraint.predicate = Constraint::Predicate::kNotExists;
      break;
    case Predicate::kTextEquals:
      constraint.predicate = Constraint::Predicate::kEquals;
      constraint.value = predicate.text_equals().value();
      break;
    case Predicate::kTextNotEquals:
      constraint.predicate = Constraint::Predicate::kNotEquals;
      constraint.value = predicate.text_not_equals().value();
      break;
    case Predicate::kTextMatches:
    case Predicate::kTextNotMatches: {
      const bool matches = predicate.predicate_case() == Predicate::kTextMatches;
      constraint.predicate =
          matches ? Constraint::Predicate::kMatches : Constraint::Predicate::kNotMatches;
      auto regex = compile(matches ? predicate.text_matches().regex()
                                   : predicate.text_not_matches().regex());
      if (!regex) return fail(regex.error());
      constraint.regex = std::move(*regex);
      break;
    }
    case Predicate::PREDICATE_NOT_SET:
      return fail("'predicate' is not set");
  }
  return constraint;
}

}  // namespace

struct OfferConstraintsFilter::Impl {
  v1::scheduler::OfferConstraints wire;
  // role -> groups (any may hold) -> constraints (all must hold)
  std::map<std::string, std::vector<std::vector<Constraint>>, std::less<>> roles;
};

Result<OfferConstraintsFilter> OfferConstraintsFilter::create(
    const v1::scheduler::OfferConstraints& constraints) {
  OfferConstraintsFilter filter;
  if (constraints.role_constraints().empty()) return filter;
  auto impl = std::make_shared<Impl>();
  impl->wire = constraints;
  for (const auto& [role, roleConstraints] : constraints.role_constraints()) {
    const std::string where = "offer constraints of role '" + role + "'";
    if (roleConstraints.groups().empty()) return fail(where + ": 'groups' is empty");
    auto& groups = impl->roles[role];
    for (int g = 0; g < roleConstraints.groups_size(); ++g) {
      const auto& group = roleConstraints.groups(g);
      const std::string at = where + ", group " + std::to_string(g);
      if (group.attribute_constraints().empty())
        return fail(at + ": 'attribute_constraints' is empty");
      auto& compiled = groups.emplace_back();
      for (int c = 0; c < group.attribute_constraints_size(); ++c) {
        auto constraint = compile(group.attribute_constraints(c));
        if (!constraint) {
          return fail(constraint.error().context(at + ", constraint " + std::to_string(c)));
        }
        compiled.push_back(std::move(*constraint));
      }
    }
  }
  filter.impl_ = std::move(impl);
  return filter;
}

bool OfferConstraintsFilter::isAgentExcluded(const std::string& role,
                                             const v1::AgentInfo& agent) const {
  if (impl_ == nullptr) return false;
  auto found = impl_->roles.find(role);
  if (found == impl_->roles.end()) return false;
  return std::none_of(found->second.begin(), found->second.end(), [&](const auto& group) {
    return std::all_of(group.begin(), group.end(),
                       [&](const Constraint& constraint) { return constraint.holds(agent); });
  });
}

const v1::scheduler::OfferConstraints& OfferConstraintsFilter::constraints() const {
  return impl_ != nullptr ? impl_->wire : v1::scheduler::OfferConstraints::default_instance();
}

}  // namespace plexus
