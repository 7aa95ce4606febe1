// Offer constraints through the real master with two agents of different racks: a
// framework that asks for rack r1 is offered only the r1 agent, and after an
// UPDATE_FRAMEWORK asking for r2 only the r2 agent; invalid constraints get a 400
// naming the problem.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/json.hpp>

#include "cluster.hpp"
#include "daemons.hpp"

namespace plexus::testing {
namespace {

using namespace std::chrono_literals;
using v1::scheduler::AttributeConstraint;
using v1::scheduler::Call;
using v1::scheduler::Event;

v1::scheduler::OfferConstraints rackIs(const std::string& rack, const std::string& role = "*") {
  v1::scheduler::OfferConstraints constraints;
  auto* constraint =
      (*constraints.mutable_role_constraints())[role].add_groups()->add_attribute_constraints();
  constraint->mutable_selector()->set_attribute_name("rack");
  constraint->mutable_predicate()->mutable_text_equals()->set_value(rack);
  return constraints;
}

class OfferConstraints : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = startTestMaster(dir_);
    port_ = master_->waitForPort();
    ASSERT_GT(port_, 0) << master_->err();
    for (const char* rack : {"r1", "r2"}) {
      agents_.push_back(std::make_unique<Process>(
          "plexus-agent",
          std::vector<std::string>{"--port=0", "--master=127.0.0.1:" + std::to_string(port_),
                                   "--work_dir=" + (dir_.path() / rack).string(),
                                   "--resources=cpus:1;mem:256",
                                   std::string("--attributes=rack:") + rack, "--switch_user=false"},
          dir_.path()));
    }
    for (auto& agent : agents_)
      ASSERT_TRUE(agent->waitForLog(" as agent ")) << agent->err();
  }

  // The racks of the agents offered during a few allocation cycles; each offer is
  // declined at once (refuse_seconds 0), so every cycle may offer it again.
  static std::set<std::string> rackOfOffers(Scheduler& scheduler) {
    std::set<std::string> racks;
    auto deadline = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto event = scheduler.next(Event::OFFERS, 200ms);
      if (!event) continue;
      Call decline;
      decline.set_type(Call::DECLINE);
      for (const auto& offer : event->offers().offers()) {
        for (const auto& attribute : offer.attributes()) {
          if (attribute.name() == "rack") racks.insert(attribute.text().value());
        }
        *decline.mutable_decline()->add_offer_ids() = offer.id();
      }
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
      EXPECT_EQ(scheduler.call(decline).status, 202u);
    }
    return racks;
  }

  TempDir dir_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  int port_ = 0;
};

TEST_F(OfferConstraints, OnlyAgentsThatSatisfyThemAreOffered) {
  Scheduler scheduler(port_, Wire::kJson);
  Call::Subscribe subscribe;
  *subscribe.mutable_framework_info() = ClusterFixture::framework();
  *subscribe.mutable_offer_constraints() = rackIs("r1");
  ASSERT_EQ(scheduler.subscribe(subscribe), 200u);
  EXPECT_EQ(rackOfOffers(scheduler), std::set<std::string>{"r1"}) << master_->err();

  Call update;
  update.set_type(Call::UPDATE_FRAMEWORK);
  *update.mutable_update_framework()->mutable_framework_info() = ClusterFixture::framework();
  update.mutable_update_framework()->mutable_framework_info()->mutable_id()->set_value(
      scheduler.frameworkId());
  *update.mutable_update_framework()->mutable_offer_constraints() = rackIs("r2");
  ASSERT_EQ(scheduler.call(update).status, 200u);
  // Offers made before the update may still arrive: wait for the r2 agent's.
  bool sawR2 = false;
  std::set<std::string> after;
  for (int round = 0; round < 5 && !sawR2; ++round) {
    after = rackOfOffers(scheduler);
    sawR2 = after.contains("r2");
  }
  EXPECT_TRUE(sawR2) << master_->err();
  EXPECT_EQ(rackOfOffers(scheduler), std::set<std::string>{"r2"});
}

TEST_F(OfferConstraints, InvalidOnesAreRefusedWith400) {
  auto refusal = [this](const v1::scheduler::OfferConstraints& constraints) {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    *call.mutable_subscribe()->mutable_framework_info() = ClusterFixture::framework();
    *call.mutable_subscribe()->mutable_offer_constraints() = constraints;
    return post(port_, "/api/v1/scheduler", "application/json", toJson(call),
                {{"Accept", "application/json"}});
  };
  auto otherRole = refusal(rackIs("r1", "web"));
  EXPECT_EQ(otherRole.status, 400u);
  EXPECT_NE(otherRole.body.find("role 'web', which the framework does not subscribe to"),
            std::string::npos)
      << otherRole.body;

  v1::scheduler::OfferConstraints badRegex;
  auto* constraint =
      (*badRegex.mutable_role_constraints())["*"].add_groups()->add_attribute_constraints();
  constraint->mutable_selector()->set_attribute_name("rack");
  constraint->mutable_predicate()->mutable_text_matches()->set_regex("r[0-9");
  auto invalid = refusal(badRegex);
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_NE(invalid.body.find("invalid regex 'r[0-9'"), std::string::npos) << invalid.body;
}

}  // namespace
}  // namespace plexus::testing
