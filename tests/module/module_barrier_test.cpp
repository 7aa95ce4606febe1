// The barrier at every module call (core/module/guarded_modules.hpp), in process:
// a module's exception becomes an Error naming the module, the kind and the method;
// work it hands the Runtime is guarded too; an isolator's calls for one container
// never overlap; and PLEXUS_ASSERT_ON_LOOP stops a daemon whose state is touched off
// its loop thread. The daemons themselves are in tests/barrier/.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <plexus/testing/fake_runtime.hpp>

#include "common/loop_affinity.hpp"
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

template <typename T>
void destroy(void* instance) noexcept {
  delete static_cast<T*>(instance);
}

template <typename Interface, typename T>
ModuleInstance<Interface> instance(T* module) {
  return ModuleInstance<Interface>(module, ModuleDeleter{&destroy<T>});
}

// Throws from prepare() and cleanup(); its usage() records how many calls for one
// container run at once.
class TestIsolator final : public Isolator {
 public:
  Result<std::optional<v1::ContainerLaunchInfo>> prepare(const ContainerId&,
                                                         const v1::ContainerConfig&) override {
    throw std::runtime_error("no room");
  }
  Result<void> cleanup(const ContainerId&) override { throw 7; }
  Result<v1::ResourceStatistics> usage(const ContainerId&) override {
    int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --inside;
    return v1::ResourceStatistics();
  }

  std::atomic<int> inside{0};
  std::atomic<int> most{0};
};

TEST(ModuleBarrier, AnExceptionBecomesAnErrorNamingModuleKindAndMethod) {
  auto* raw = new TestIsolator();
  auto isolator = guard(instance<Isolator>(raw), ModuleLabel{"test_isolator", "Isolator"});
  auto prepared = isolator->prepare(ContainerId("c1"), v1::ContainerConfig());
  ASSERT_FALSE(prepared);
  EXPECT_EQ(prepared.error().message(),
            "module 'test_isolator' (Isolator) threw from prepare(): no room");
  auto cleaned = isolator->cleanup(ContainerId("c1"));
  ASSERT_FALSE(cleaned);
  EXPECT_EQ(cleaned.error().message(),
            "module 'test_isolator' (Isolator) threw from cleanup(): a non-standard exception");
}

TEST(ModuleBarrier, IsolatorCallsForOneContainerNeverOverlap) {
  auto* raw = new TestIsolator();
  auto isolator = guard(instance<Isolator>(raw), ModuleLabel{"test_isolator", "Isolator"});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] { EXPECT_TRUE(isolator->usage(ContainerId("c1"))); });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(raw->most.load(), 1);
}

// An allocator whose timer and posted function throw.
class TimerAllocator final : public Allocator {
 public:
  Result<void> initialize(const AllocatorOptions&, AllocatorCallbacks, Runtime& runtime) override {
    runtime.schedule(std::chrono::seconds(1), [] { throw std::runtime_error("timer"); });
    runtime.post([] { throw std::runtime_error("posted"); });
    return {};
  }
  void recover(int, const std::map<std::string, Quota>&) override {}
  void addFramework(const FrameworkId&, const v1::FrameworkInfo&,
                    const std::map<AgentId, Resources>&, bool, FrameworkOptions) override {
    throw std::runtime_error("no frameworks");
  }
  void removeFramework(const FrameworkId&) override {}
  void activateFramework(const FrameworkId&) override {}
  void deactivateFramework(const FrameworkId&) override {}
  void updateFramework(const FrameworkId&, const v1::FrameworkInfo&, FrameworkOptions) override {}
  void addAgent(const AgentId&, const v1::AgentInfo&, const std::optional<v1::Unavailability>&,
                const Resources&, const std::map<FrameworkId, Resources>&) override {}
  void removeAgent(const AgentId&) override {}
  void updateAgent(const AgentId&, const v1::AgentInfo&, const std::optional<Resources>&) override {
  }
  void activateAgent(const AgentId&) override {}
  void deactivateAgent(const AgentId&) override {}
  void updateWhitelist(const std::optional<std::set<std::string>>&) override {}
  void requestResources(const FrameworkId&, const std::vector<v1::Request>&) override {}
  void updateAllocation(const FrameworkId&, const AgentId&, const Resources&,
                        const std::vector<ResourceConversion>&) override {}
  Result<void> updateAvailable(const AgentId&, const std::vector<v1::Offer::Operation>&) override {
    throw std::runtime_error("nothing available");
  }
  void updateUnavailability(const AgentId&, const std::optional<v1::Unavailability>&) override {}
  void updateInverseOffer(const AgentId&, const FrameworkId&, bool,
                          const std::optional<v1::Filters>&) override {}
  void transitionOfferedToAllocated(const AgentId&, const Resources&) override {}
  void recoverResources(const FrameworkId&, const AgentId&, const Resources&,
                        const std::optional<v1::Filters>&, bool) override {}
  void suppressOffers(const FrameworkId&, const std::set<std::string>&) override {}
  void reviveOffers(const FrameworkId&, const std::set<std::string>&) override {}
  void updateQuota(const std::string&, const Quota&) override {}
  void updateWeights(const std::vector<v1::WeightInfo>&) override {}
  void pause() override {}
  void resume() override {}
};

TEST(ModuleBarrier, AllocatorTimersPostedWorkAndVoidMethodsAreGuarded) {
  testing::FakeRuntime runtime;
  auto allocator =
      guard(instance<Allocator>(new TimerAllocator()), ModuleLabel{"timer_alloc", "Allocator"});
  ASSERT_TRUE(allocator->initialize(AllocatorOptions(), AllocatorCallbacks(), runtime));
  EXPECT_NO_THROW(runtime.runPosted());
  EXPECT_NO_THROW(runtime.advance(std::chrono::seconds(2)));
  EXPECT_NO_THROW(allocator->addFramework(FrameworkId("f1"), v1::FrameworkInfo(), {}, true, {}));
  auto available = allocator->updateAvailable(AgentId("a1"), {});
  ASSERT_FALSE(available);
  EXPECT_EQ(available.error().message(),
            "module 'timer_alloc' (Allocator) threw from updateAvailable(): nothing available");
}

#if !defined(NDEBUG) || defined(PLEXUS_LOOP_CHECKS)
TEST(LoopAffinityDeathTest, StateTouchedOffTheLoopThreadAborts) {
  EXPECT_DEATH(
      {
        LoopAffinity::bindToThisThread();
        std::thread([] { PLEXUS_ASSERT_ON_LOOP_IN("a test's entry point"); }).join();
      },
      "in a test's entry point: daemon state touched off its loop thread");
}
#endif

TEST(LoopAffinity, TheLoopThreadAndAnUnboundProcessPass) {
  LoopAffinity::unbind();
  EXPECT_TRUE(LoopAffinity::onLoop());
  std::thread([] { EXPECT_TRUE(LoopAffinity::onLoop()); }).join();
  LoopAffinity::bindToThisThread();
  EXPECT_TRUE(LoopAffinity::onLoop());
  std::thread([] { EXPECT_FALSE(LoopAffinity::onLoop()); }).join();
  LoopAffinity::unbind();
}

}  // namespace
}  // namespace plexus::module
