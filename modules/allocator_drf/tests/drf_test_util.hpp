// Shared fixture of the allocator_drf unit tests: a DrfAllocator on a FakeRuntime
// whose offer callbacks are recorded, plus helpers to build wire types and to
// answer offers the way a master would (launch, decline, filters).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/allocator.hpp>
#include <plexus/resources.hpp>
#include <plexus/testing/fake_runtime.hpp>
#include <plexus/v1/mesos.pb.h>

#include "drf_allocator.hpp"

namespace plexus::drf::test {

inline Resources R(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(Resources());
}

// `text` with every entry allocated to `role`, as offers and recoveries carry them.
inline Resources allocatedTo(std::string_view text, std::string_view role) {
  Resources resources = R(text);
  resources.allocate(role);
  return resources;
}

inline Resources allocatedTo(Resources resources, std::string_view role) {
  resources.allocate(role);
  return resources;
}

inline v1::Filters refuse(double seconds) {
  v1::Filters filters;
  filters.set_refuse_seconds(seconds);
  return filters;
}

inline v1::FrameworkInfo frameworkInfo(
    const std::string& role = "*",
    std::initializer_list<v1::FrameworkInfo::Capability::Type> capabilities = {}) {
  v1::FrameworkInfo info;
  info.set_user("test");
  info.set_name("test");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  info.set_role(role);
#pragma GCC diagnostic pop
  for (auto type : capabilities) {
    info.add_capabilities()->set_type(type);
  }
  return info;
}

inline v1::FrameworkInfo multiRoleInfo(std::initializer_list<std::string> roles) {
  v1::FrameworkInfo info = frameworkInfo("*", {v1::FrameworkInfo::Capability::MULTI_ROLE});
  for (const auto& role : roles) {
    info.add_roles(role);
  }
  return info;
}

inline v1::AgentInfo agentInfo(const std::string& hostname) {
  v1::AgentInfo info;
  info.set_hostname(hostname);
  return info;
}

// One (framework, role, agent) entry of an offer callback.
struct Offer {
  FrameworkId framework;
  std::string role;
  AgentId agent;
  Resources resources;
};

class DrfTest : public ::testing::Test {
 protected:
  static AllocatorOptions defaultOptions() { return AllocatorOptions{}; }

  void start(AllocatorOptions options = defaultOptions(),
             DrfConfig config = {.agentOrder = AgentOrder::kSorted, .seed = 1}) {
    allocator = std::make_unique<DrfAllocator>(config);
    AllocatorCallbacks callbacks;
    callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& resources) {
      ++offerCalls;
      for (const auto& [role, agents] : resources) {
        for (const auto& [agent, offered] : agents) {
          pending.push_back({framework, role, agent, offered});
        }
      }
    };
    callbacks.inverseOffer = [this](const FrameworkId& framework,
                                    const std::map<AgentId, v1::InverseOffer>& inverseOffers) {
      for (const auto& [agent, inverseOffer] : inverseOffers) {
        inverse.emplace_back(framework, inverseOffer);
      }
    };
    auto initialized = allocator->initialize(options, std::move(callbacks), *loop);
    ASSERT_TRUE(initialized.has_value()) << initialized.error().message();
  }

  void addAgent(const std::string& id, std::string_view resources,
                const std::map<FrameworkId, Resources>& used = {}) {
    allocator->addAgent(AgentId(id), agentInfo("host-" + id), std::nullopt, R(resources), used);
  }

  void addFramework(const std::string& id, const v1::FrameworkInfo& info = frameworkInfo(),
                    bool active = true, FrameworkOptions options = {}) {
    allocator->addFramework(FrameworkId(id), info, {}, active, std::move(options));
  }

  // Runs the loop's pending work and returns the offers made meanwhile.
  std::vector<Offer> takeOffers() {
    runtime.runPosted();
    return std::exchange(pending, {});
  }

  // Answers an offer as the master does for an ACCEPT that launches `used` (a
  // subset of the offer, without allocation role) and declines the rest.
  void launchAndDecline(const Offer& offer, std::string_view used,
                        std::optional<v1::Filters> filters = refuse(0)) {
    Resources launched = allocatedTo(used, offer.role);
    ASSERT_TRUE(offer.resources.contains(launched));
    if (!launched.empty()) allocator->transitionOfferedToAllocated(offer.agent, launched);
    Resources rest = offer.resources - launched;
    if (!rest.empty()) {
      allocator->recoverResources(offer.framework, offer.agent, rest, filters, false);
    }
  }

  void decline(const Offer& offer, std::optional<v1::Filters> filters = refuse(0)) {
    allocator->recoverResources(offer.framework, offer.agent, offer.resources, filters, false);
  }

  static std::set<std::string> frameworksOf(const std::vector<Offer>& offers) {
    std::set<std::string> frameworks;
    for (const auto& offer : offers) {
      frameworks.insert(offer.framework.value());
    }
    return frameworks;
  }

  static std::set<std::string> agentsOf(const std::vector<Offer>& offers) {
    std::set<std::string> agents;
    for (const auto& offer : offers) {
      agents.insert(offer.agent.value());
    }
    return agents;
  }

  plexus::testing::FakeRuntime runtime;
  Runtime* loop = &runtime;  // what start() gives the allocator (a test may wrap runtime)
  std::unique_ptr<DrfAllocator> allocator;
  std::vector<Offer> pending;
  std::vector<std::pair<FrameworkId, v1::InverseOffer>> inverse;
  int offerCalls = 0;
};

}  // namespace plexus::drf::test
