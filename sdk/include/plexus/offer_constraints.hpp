// OfferConstraintsFilter: a framework's offer constraints, compiled once, asked per
// agent.
//
// Mesos 1.11's `scheduler::OfferConstraints` (SUBSCRIBE and UPDATE_FRAMEWORK): per
// role, groups of attribute constraints; an agent qualifies for a role when every
// constraint of at least one of the role's groups holds, and every agent qualifies
// for a role without constraints. The master compiles a framework's constraints with
// create() (refusing invalid ones, with the reason) and hands the filter to the
// allocator in FrameworkOptions; an allocator asks isAgentExcluded() before offering
// an agent's resources to that framework and role.
//
// The predicates are Mesos's: Exists / NotExists; TextEquals, TextNotEquals,
// TextMatches, TextNotMatches, which hold for any attribute that is not TEXT (the
// framework filters those itself). A selector names the first attribute of that name,
// or the HOSTNAME, REGION or ZONE pseudo-attribute. Regular expressions match the
// whole text; Mesos uses RE2, Plexus std::regex's ECMAScript grammar with polynomial
// matching: the common syntax is the same, but RE2-only syntax ((?i), (?P<name>...),
// \pL) and backreferences are refused as invalid, as is a pattern over 256 characters.
//
//   auto filter = OfferConstraintsFilter::create(call.subscribe().offer_constraints());
//   if (!filter) return badRequest(filter.error().message());
//   if (filter->isAgentExcluded("web", agentInfo)) ...  // offer nothing of it to "web"
//
// A filter is an immutable value, cheap to copy (it shares its compiled state), safe
// to read from any thread. The default filter excludes nothing.
#pragma once

#include <memory>
#include <string>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/scheduler.pb.h>

namespace plexus {

class PLEXUS_API OfferConstraintsFilter {
 public:
  OfferConstraintsFilter() = default;

  // Compiles `constraints`; an error names the role and what is wrong (an empty
  // group list or group, an unset selector or predicate, an invalid regex).
  [[nodiscard]] static Result<OfferConstraintsFilter> create(
      const v1::scheduler::OfferConstraints& constraints);

  // True when `role` has constraints and `agent` satisfies none of its groups.
  bool isAgentExcluded(const std::string& role, const v1::AgentInfo& agent) const;

  // True when no role has constraints.
  bool empty() const { return impl_ == nullptr; }

  // What the filter was created from (empty for the default filter).
  const v1::scheduler::OfferConstraints& constraints() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace plexus
