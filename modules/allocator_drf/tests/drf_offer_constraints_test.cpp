// Offer constraints (Mesos 1.11): the SDK's OfferConstraintsFilter evaluates them as
// Mesos does, and the DRF allocator never offers an excluded agent to that role of
// the framework, leaving its resources to others in the same cycle.
#include <functional>
#include <map>
#include <string>

#include <plexus/offer_constraints.hpp>
#include <plexus/v1/scheduler.pb.h>

#include "drf_test_util.hpp"

namespace plexus::drf::test {
namespace {

using v1::scheduler::AttributeConstraint;
using v1::scheduler::OfferConstraints;

v1::AgentInfo agent(const std::string& hostname, const std::string& attributes) {
  v1::AgentInfo info;
  info.set_hostname(hostname);
  // "name=text" pairs separated by ';', or "name#scalar".
  std::size_t start = 0;
  while (start < attributes.size()) {
    std::size_t end = attributes.find(';', start);
    if (end == std::string::npos) end = attributes.size();
    const std::string item = attributes.substr(start, end - start);
    auto* attribute = info.add_attributes();
    if (auto hash = item.find('#'); hash != std::string::npos) {
      attribute->set_name(item.substr(0, hash));
      attribute->set_type(v1::Value::SCALAR);
      attribute->mutable_scalar()->set_value(std::stod(item.substr(hash + 1)));
    } else {
      auto eq = item.find('=');
      attribute->set_name(item.substr(0, eq));
      attribute->set_type(v1::Value::TEXT);
      attribute->mutable_text()->set_value(item.substr(eq + 1));
    }
    start = end + 1;
  }
  return info;
}

// One group of one constraint on `attribute` for `role`.
OfferConstraints constraint(const std::string& role, const std::string& attribute,
                            const std::function<void(AttributeConstraint::Predicate&)>& predicate) {
  OfferConstraints constraints;
  auto* added =
      (*constraints.mutable_role_constraints())[role].add_groups()->add_attribute_constraints();
  if (attribute == "HOSTNAME") {
    added->mutable_selector()->set_pseudoattribute_type(AttributeConstraint::Selector::HOSTNAME);
  } else {
    added->mutable_selector()->set_attribute_name(attribute);
  }
  predicate(*added->mutable_predicate());
  return constraints;
}

OfferConstraintsFilter filterOf(const OfferConstraints& constraints) {
  auto filter = OfferConstraintsFilter::create(constraints);
  EXPECT_TRUE(filter.has_value()) << filter.error().message();
  return filter.value_or(OfferConstraintsFilter());
}

TEST(OfferConstraintsFilter, PredicatesAsMesos) {
  using P = AttributeConstraint::Predicate;
  const v1::AgentInfo a = agent("a.example", "rack=r1;zone=eu-1;cores#8");
  const v1::AgentInfo b = agent("b.example", "rack=r2");
  auto excluded = [](const OfferConstraints& c, const v1::AgentInfo& info) {
    return filterOf(c).isAgentExcluded("web", info);
  };
  auto exists = constraint("web", "zone", [](P& p) { p.mutable_exists(); });
  EXPECT_FALSE(excluded(exists, a));
  EXPECT_TRUE(excluded(exists, b));
  auto notExists = constraint("web", "zone", [](P& p) { p.mutable_not_exists(); });
  EXPECT_TRUE(excluded(notExists, a));
  EXPECT_FALSE(excluded(notExists, b));
  auto equals = constraint("web", "rack", [](P& p) { p.mutable_text_equals()->set_value("r1"); });
  EXPECT_FALSE(excluded(equals, a));
  EXPECT_TRUE(excluded(equals, b));
  auto notEquals =
      constraint("web", "rack", [](P& p) { p.mutable_text_not_equals()->set_value("r1"); });
  EXPECT_TRUE(excluded(notEquals, a));
  EXPECT_FALSE(excluded(notEquals, b));
  // The whole text must match.
  auto matches =
      constraint("web", "zone", [](P& p) { p.mutable_text_matches()->set_regex("eu-[0-9]+"); });
  EXPECT_FALSE(excluded(matches, a));
  EXPECT_TRUE(excluded(matches, b));  // absent
  auto partial = constraint("web", "zone", [](P& p) { p.mutable_text_matches()->set_regex("eu"); });
  EXPECT_TRUE(excluded(partial, a));
  auto notMatches =
      constraint("web", "zone", [](P& p) { p.mutable_text_not_matches()->set_regex("eu-.*"); });
  EXPECT_TRUE(excluded(notMatches, a));
  EXPECT_FALSE(excluded(notMatches, b));  // absent
  // Text predicates hold for attributes that are not TEXT.
  auto scalar =
      constraint("web", "cores", [](P& p) { p.mutable_text_equals()->set_value("anything"); });
  EXPECT_FALSE(excluded(scalar, a));
  // The HOSTNAME pseudo-attribute.
  auto host =
      constraint("web", "HOSTNAME", [](P& p) { p.mutable_text_matches()->set_regex("b\\..*"); });
  EXPECT_TRUE(excluded(host, a));
  EXPECT_FALSE(excluded(host, b));
  // Other roles are not constrained.
  EXPECT_FALSE(filterOf(equals).isAgentExcluded("batch", b));
}

TEST(OfferConstraintsFilter, GroupsAreAlternativesOfConjunctions) {
  using P = AttributeConstraint::Predicate;
  OfferConstraints constraints =
      constraint("web", "rack", [](P& p) { p.mutable_text_equals()->set_value("r1"); });
  // Second group: rack r2 and a zone.
  auto* group = (*constraints.mutable_role_constraints())["web"].add_groups();
  auto* rack = group->add_attribute_constraints();
  rack->mutable_selector()->set_attribute_name("rack");
  rack->mutable_predicate()->mutable_text_equals()->set_value("r2");
  auto* zone = group->add_attribute_constraints();
  zone->mutable_selector()->set_attribute_name("zone");
  zone->mutable_predicate()->mutable_exists();
  OfferConstraintsFilter filter = filterOf(constraints);
  EXPECT_FALSE(filter.isAgentExcluded("web", agent("a", "rack=r1")));
  EXPECT_TRUE(filter.isAgentExcluded("web", agent("b", "rack=r2")));
  EXPECT_FALSE(filter.isAgentExcluded("web", agent("c", "rack=r2;zone=z")));
}

TEST(OfferConstraintsFilter, InvalidConstraintsAreRefusedSayingWhy) {
  using P = AttributeConstraint::Predicate;
  auto refusal = [](const OfferConstraints& constraints) {
    auto filter = OfferConstraintsFilter::create(constraints);
    return filter ? std::string() : filter.error().message();
  };
  OfferConstraints noGroups;
  (*noGroups.mutable_role_constraints())["web"];
  EXPECT_NE(refusal(noGroups).find("'groups' is empty"), std::string::npos) << refusal(noGroups);
  OfferConstraints emptyGroup;
  (*emptyGroup.mutable_role_constraints())["web"].add_groups();
  EXPECT_NE(refusal(emptyGroup).find("'attribute_constraints' is empty"), std::string::npos);
  auto badRegex =
      constraint("web", "zone", [](P& p) { p.mutable_text_matches()->set_regex("eu-[0-9"); });
  EXPECT_NE(refusal(badRegex).find("invalid regex 'eu-[0-9'"), std::string::npos)
      << refusal(badRegex);
  auto backreference =
      constraint("web", "zone", [](P& p) { p.mutable_text_matches()->set_regex("(a)\\1"); });
  EXPECT_NE(refusal(backreference).find("invalid regex"), std::string::npos);
  auto noPredicate = constraint("web", "zone", [](P&) {});
  EXPECT_NE(refusal(noPredicate).find("'predicate' is not set"), std::string::npos);
  EXPECT_EQ(refusal(OfferConstraints()), "");
  EXPECT_TRUE(filterOf(OfferConstraints()).empty());
}

// The allocator skips an excluded agent for that role and leaves it to other
// frameworks in the same cycle: a01 (rack r2) is visited first and a-picky, first in
// the order, wants rack r1 only.
TEST_F(DrfTest, OfferConstraintsKeepExcludedAgentsFromTheRole) {
  start();
  allocator->addAgent(AgentId("a01"), agent("host-a01", "rack=r2"), std::nullopt,
                      R("cpus:2;mem:1024"), {});
  allocator->addAgent(AgentId("a02"), agent("host-a02", "rack=r1"), std::nullopt,
                      R("cpus:2;mem:1024"), {});
  FrameworkOptions options;
  options.offerConstraints =
      filterOf(constraint("*", "rack", [](AttributeConstraint::Predicate& p) {
        p.mutable_text_equals()->set_value("r1");
      }));
  addFramework("a-picky", frameworkInfo("*"), true, options);
  addFramework("b-other", frameworkInfo("*"));
  auto offers = takeOffers();
  ASSERT_EQ(offers.size(), 2u);
  std::map<std::string, std::string> agentOf;
  for (const auto& offer : offers)
    agentOf[offer.framework.value()] = offer.agent.value();
  EXPECT_EQ(agentOf["a-picky"], "a02");
  EXPECT_EQ(agentOf["b-other"], "a01");

  // Lifting the constraints (UPDATE_FRAMEWORK) makes a01 offerable to it.
  allocator->removeFramework(FrameworkId("b-other"));
  for (const auto& offer : offers) {
    if (offer.framework == FrameworkId("a-picky")) decline(offer, refuse(3600));
  }
  allocator->updateFramework(FrameworkId("a-picky"), frameworkInfo("*"), FrameworkOptions{});
  offers = takeOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, AgentId("a01"));
}

}  // namespace
}  // namespace plexus::drf::test
