// The master's Registrar (core/master/registrar.hpp): writes batched in order, each
// conditional on the version last stored, done only once stored, failure stops
// everything; the file store round trip, and the SDK's registry store conformance
// suite on the built-in file store.
#include "master/registrar.hpp"

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include <plexus/testing/fake_runtime.hpp>
#include <plexus/testing/registry_store_conformance.hpp>

#include "process.hpp"

namespace plexus::master {
namespace {

// A store whose writes complete when the test says so.
class ManualStore final : public RegistryStore {
 public:
  struct State {
    std::vector<internal::Registry> written;  // what each write held
    std::vector<std::int64_t> expected;       // the version each write expected
    std::vector<std::function<void(Result<std::int64_t>)>> inFlight;
  };
  explicit ManualStore(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Result<void> initialize(Runtime&) override { return {}; }
  void read(std::function<void(Result<StoredRegistry>)> done) override { done(StoredRegistry{}); }
  void write(const std::string& data, std::int64_t expected,
             std::function<void(Result<std::int64_t>)> done) override {
    state_->written.emplace_back().ParseFromString(data);
    state_->expected.push_back(expected);
    state_->inFlight.push_back(std::move(done));
  }
  std::string describe() const override { return "manual store"; }

 private:
  std::shared_ptr<State> state_;
};

Registrar::Mutation addWeight(const std::string& role, double weight) {
  return [role, weight](internal::Registry& registry) {
    v1::WeightInfo* info = registry.add_weights();
    info->set_role(role);
    info->set_weight(weight);
  };
}

TEST(RegistrarTest, ChangesMadeDuringAWriteGoTogetherInTheNextAndDoneWaitsForTheStore) {
  auto state = std::make_shared<ManualStore::State>();
  std::vector<std::string> failures;
  Registrar registrar(std::make_unique<ManualStore>(state),
                      [&](const Error& error) { failures.push_back(error.message()); });
  std::vector<int> done;
  registrar.apply(addWeight("a", 1), [&] { done.push_back(1); });
  registrar.apply(addWeight("b", 2), [&] { done.push_back(2); });
  registrar.apply(addWeight("c", 3), [&] { done.push_back(3); });
  ASSERT_EQ(state->written.size(), 1u);  // b and c wait for a's write
  EXPECT_EQ(state->written[0].weights_size(), 1);
  EXPECT_TRUE(done.empty());
  EXPECT_EQ(registrar.registry().weights_size(), 0);  // not stored yet

  bool after = false;
  registrar.afterWrites([&] { after = true; });
  EXPECT_FALSE(after);

  auto first = std::move(state->inFlight[0]);
  first(7);
  EXPECT_EQ(done, std::vector<int>{1});
  ASSERT_EQ(state->written.size(), 2u);  // b and c in one write, after a
  ASSERT_EQ(state->written[1].weights_size(), 3);
  EXPECT_EQ(state->written[1].weights(1).role(), "b");
  EXPECT_EQ(state->written[1].weights(2).role(), "c");
  auto second = std::move(state->inFlight[1]);
  second(8);
  EXPECT_EQ(done, (std::vector<int>{1, 2, 3}));
  // Each write expects the version the store answered for the one before.
  EXPECT_EQ(state->expected, (std::vector<std::int64_t>{kNothingStored, 7}));
  EXPECT_TRUE(after);
  EXPECT_EQ(registrar.registry().weights_size(), 3);
  EXPECT_EQ(state->written.size(), 2u);  // the empty afterWrites change rode along

  bool idle = false;
  registrar.afterWrites([&] { idle = true; });
  EXPECT_TRUE(idle);  // nothing pending: at once, no write
  EXPECT_EQ(state->written.size(), 2u);
  EXPECT_TRUE(failures.empty());
}

TEST(RegistrarTest, AFailedWriteReportsOnceAndNothingMoreIsWrittenOrDone) {
  auto state = std::make_shared<ManualStore::State>();
  std::vector<std::string> failures;
  Registrar registrar(std::make_unique<ManualStore>(state),
                      [&](const Error& error) { failures.push_back(error.message()); });
  bool done = false;
  registrar.apply(addWeight("a", 1), [&] { done = true; });
  registrar.apply(addWeight("b", 2), [&] { done = true; });
  auto first = std::move(state->inFlight[0]);
  first(fail("disk full"));
  EXPECT_FALSE(done);
  EXPECT_EQ(failures, std::vector<std::string>{"disk full"});
  registrar.apply(addWeight("c", 3), [&] { done = true; });
  EXPECT_EQ(state->written.size(), 1u);
  EXPECT_FALSE(done);
  EXPECT_EQ(registrar.registry().weights_size(), 0);
}

// Runs what was posted until `done`: the file store answers from its own thread.
bool runUntil(testing::FakeRuntime& runtime, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    runtime.runPosted();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

std::unique_ptr<RegistryStore> fileStore(Runtime& runtime, const std::string& workDir) {
  auto store = fileRegistryStore(workDir);
  EXPECT_TRUE(store.has_value()) << store.error().message();
  if (!store) return nullptr;
  auto initialized = (*store)->initialize(runtime);
  EXPECT_TRUE(initialized.has_value()) << initialized.error().message();
  return std::move(*store);
}

TEST(RegistrarTest, FileStoreRoundTripAndCorruptFile) {
  testing::TempDir dir;
  testing::FakeRuntime runtime;
  std::string workDir = (dir.path() / "master").string();
  {
    Registrar registrar(fileStore(runtime, workDir), [](const Error&) { FAIL(); });
    std::optional<Result<internal::Registry>> recovered;
    registrar.recover([&](Result<internal::Registry> registry) { recovered = registry; });
    runtime.runPosted();
    ASSERT_TRUE(recovered && *recovered);  // no file yet: an empty registry
    EXPECT_EQ((*recovered)->weights_size(), 0);
    bool stored = false;
    registrar.apply(addWeight("a", 2.5), [&] { stored = true; });
    EXPECT_TRUE(runUntil(runtime, [&] { return stored; }));
    EXPECT_TRUE(std::filesystem::exists(workDir + "/registry.pb"));
    EXPECT_FALSE(std::filesystem::exists(workDir + "/registry.pb.tmp"));
  }
  {
    Registrar registrar(fileStore(runtime, workDir), [](const Error&) { FAIL(); });
    std::optional<Result<internal::Registry>> recovered;
    registrar.recover([&](Result<internal::Registry> registry) { recovered = registry; });
    runtime.runPosted();
    ASSERT_TRUE(recovered && *recovered);
    ASSERT_EQ((*recovered)->weights_size(), 1);
    EXPECT_EQ((*recovered)->weights(0).weight(), 2.5);
  }
  dir.write("master/registry.pb", "\xff\xff\xff not a registry");
  Registrar registrar(fileStore(runtime, workDir), [](const Error&) { FAIL(); });
  std::optional<Result<internal::Registry>> recovered;
  registrar.recover([&](Result<internal::Registry> registry) { recovered = registry; });
  runtime.runPosted();
  ASSERT_TRUE(recovered);
  ASSERT_FALSE(*recovered);
  EXPECT_NE(recovered->error().message().find("registry.pb"), std::string::npos);
}

// Two masters must not share a --work_dir: the second cannot take the registry's lock.
TEST(RegistrarTest, FileStoreLocksTheWorkDir) {
  testing::TempDir dir;
  testing::FakeRuntime runtime;
  std::string workDir = (dir.path() / "master").string();
  {
    auto first = fileRegistryStore(workDir);
    ASSERT_TRUE(first.has_value()) << first.error().message();
    auto second = fileRegistryStore(workDir);
    ASSERT_FALSE(second.has_value());
    EXPECT_NE(second.error().message().find(workDir + "/registry.lock"), std::string::npos)
        << second.error().message();
    EXPECT_NE(second.error().message().find("its own --work_dir"), std::string::npos)
        << second.error().message();
  }
  // Released with the store.
  EXPECT_TRUE(fileRegistryStore(workDir).has_value());
}

// The SDK's conformance suite on the built-in file store: one process at a time
// (the lock), so not `shared`. Each test gets an empty --work_dir.
std::unique_ptr<testing::TempDir>& conformanceDir() {
  static std::unique_ptr<testing::TempDir> dir;
  return dir;
}

testing::RegistryStoreConformanceConfig builtInFileStore() {
  return {.name = "file",
          .make = []() -> Result<std::shared_ptr<RegistryStore>> {
            auto store = fileRegistryStore((conformanceDir()->path() / "master").string());
            if (!store) return fail(store.error());
            return std::shared_ptr<RegistryStore>(std::move(*store));
          },
          .setUp = [] { conformanceDir() = std::make_unique<testing::TempDir>(); },
          .tearDown = [] { conformanceDir().reset(); }};
}

PLEXUS_REGISTRY_STORE_CONFORMANCE(BuiltIn, builtInFileStore());

// --registry_max_agent_age and --registry_max_agent_count.
TEST(RegistryPruning, DropsAgentsOlderThanTheMaxAgeThenTheOldestBeyondTheMaxCount) {
  using std::chrono::seconds;
  constexpr int64_t kSecond = 1'000'000'000;
  internal::Registry registry;
  // Out of order on purpose: a5 was marked first.
  for (auto [id, time] : std::vector<std::pair<std::string, int64_t>>{
           {"a1", 100}, {"a2", 40}, {"a3", 90}, {"a4", 95}, {"a5", 10}}) {
    auto* agent = registry.add_unreachable_agents();
    agent->mutable_id()->set_value(id);
    agent->set_time_nanos(time * kSecond);
  }
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& agent : registry.unreachable_agents())
      out.push_back(agent.id().value());
    return out;
  };
  // Nothing is old or too many: nothing goes (the order may change).
  EXPECT_EQ(pruneUnreachable(registry, 100 * kSecond, seconds(1000), 10), 0u);
  EXPECT_EQ(registry.unreachable_agents_size(), 5);
  // At 150 s with a 100 s age: marked before 50 s go (a5 at 10 s, a2 at 40 s).
  EXPECT_EQ(pruneUnreachable(registry, 150 * kSecond, seconds(100), 10), 2u);
  EXPECT_EQ(ids(), (std::vector<std::string>{"a3", "a4", "a1"}));
  // At most 2: the oldest of the rest goes.
  EXPECT_EQ(pruneUnreachable(registry, 150 * kSecond, seconds(100), 2), 1u);
  EXPECT_EQ(ids(), (std::vector<std::string>{"a4", "a1"}));
  // Exactly at the age limit stays; a nanosecond older goes.
  EXPECT_EQ(pruneUnreachable(registry, 195 * kSecond, seconds(100), 2), 0u);
  EXPECT_EQ(pruneUnreachable(registry, 195 * kSecond + 1, seconds(100), 2), 1u);
  EXPECT_EQ(ids(), (std::vector<std::string>{"a1"}));
  // Admitted agents are never touched.
  registry.add_admitted_agents()->mutable_id()->set_value("b1");
  EXPECT_EQ(pruneUnreachable(registry, 10'000 * kSecond, seconds(1), 1), 1u);
  EXPECT_EQ(registry.unreachable_agents_size(), 0);
  EXPECT_EQ(registry.admitted_agents_size(), 1);
}

}  // namespace
}  // namespace plexus::master
