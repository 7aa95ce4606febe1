#include "plexus/testing/registry_store_conformance.hpp"

#include <thread>

namespace plexus::testing {

using namespace std::chrono_literals;

bool linkRegistryStoreConformance() {
  return true;
}

void RegistryStoreConformance::SetUp() {
  if (GetParam().setUp) GetParam().setUp();
  setUpRan_ = true;
  if (GetParam().skipReason) {
    if (auto reason = GetParam().skipReason()) GTEST_SKIP() << *reason;
  }
}

void RegistryStoreConformance::TearDown() {
  // Instances are destroyed by the tests; run what they left posted.
  runtime_.runPosted();
  if (setUpRan_ && GetParam().tearDown) GetParam().tearDown();
}

bool RegistryStoreConformance::pumpUntil(const std::function<bool()>& done) {
  return runtime_.runUntil(done, GetParam().timeout);
}

std::shared_ptr<RegistryStore> RegistryStoreConformance::make() {
  auto made = GetParam().make();
  if (!made) {
    ADD_FAILURE() << "make: " << made.error().message();
    return nullptr;
  }
  auto initialized = (*made)->initialize(runtime_);
  if (!initialized) {
    ADD_FAILURE() << "initialize: " << initialized.error().message();
    return nullptr;
  }
  return *made;
}

std::optional<Result<StoredRegistry>> RegistryStoreConformance::read(RegistryStore& store) {
  std::optional<Result<StoredRegistry>> answer;
  const auto loop = std::this_thread::get_id();
  store.read([&answer, loop](Result<StoredRegistry> stored) {
    EXPECT_EQ(std::this_thread::get_id(), loop) << "read answered off the loop";
    answer = std::move(stored);
  });
  EXPECT_FALSE(answer.has_value()) << "read answered inside the call";
  pumpUntil([&] { return answer.has_value(); });
  return answer;
}

std::optional<Result<std::int64_t>> RegistryStoreConformance::write(RegistryStore& store,
                                                                    const std::string& data,
                                                                    std::int64_t expected) {
  std::optional<Result<std::int64_t>> answer;
  const auto loop = std::this_thread::get_id();
  store.write(data, expected, [&answer, loop](Result<std::int64_t> version) {
    EXPECT_EQ(std::this_thread::get_id(), loop) << "write answered off the loop";
    answer = std::move(version);
  });
  EXPECT_FALSE(answer.has_value()) << "write answered inside the call";
  pumpUntil([&] { return answer.has_value(); });
  return answer;
}

TEST_P(RegistryStoreConformance, AnEmptyStoreReadsNothing) {
  auto store = make();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->describe().empty());
  auto stored = read(*store);
  ASSERT_TRUE(stored) << "read never answered";
  ASSERT_TRUE(*stored) << (*stored).error().message();
  EXPECT_FALSE((*stored)->data.has_value());
  EXPECT_EQ((*stored)->version, kNothingStored);
}

TEST_P(RegistryStoreConformance, BytesWrittenReadBackWithTheirVersion) {
  const std::string bytes(
      "registry\0with\xff"
      "bytes",
      19);
  std::int64_t version = kNothingStored;
  {
    auto store = make();
    ASSERT_TRUE(store);
    ASSERT_TRUE(read(*store));
    auto written = write(*store, bytes, kNothingStored);
    ASSERT_TRUE(written) << "write never answered";
    ASSERT_TRUE(*written) << (*written).error().message();
    EXPECT_NE(**written, kNothingStored);
    version = **written;
    auto stored = read(*store);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->data, bytes);
    EXPECT_EQ((*stored)->version, version);
    auto again = write(*store, "second", version);
    ASSERT_TRUE(again && *again) << (again ? (*again).error().message() : "no answer");
    EXPECT_NE(**again, version);
    version = **again;
  }
  // A new instance (a master restarted) reads what the last one stored.
  auto store = make();
  ASSERT_TRUE(store);
  auto stored = read(*store);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->data, "second");
}

TEST_P(RegistryStoreConformance, AWriteOverAVersionThatMovedFails) {
  auto store = make();
  ASSERT_TRUE(store);
  ASSERT_TRUE(read(*store));
  auto first = write(*store, "first", kNothingStored);
  ASSERT_TRUE(first && *first);
  // Nothing stored was expected, but something is.
  auto stale = write(*store, "stale", kNothingStored);
  ASSERT_TRUE(stale) << "write never answered";
  EXPECT_FALSE(*stale) << "a write expecting an empty store overwrote " << **first;
  auto stored = read(*store);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->data, "first");
  EXPECT_EQ((*stored)->version, **first);
  auto next = write(*store, "next", **first);
  ASSERT_TRUE(next && *next);
  // The version `first` answered is gone now.
  auto old = write(*store, "old", **first);
  ASSERT_TRUE(old);
  EXPECT_FALSE(*old) << "a write over a version that moved succeeded";
  stored = read(*store);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->data, "next");
}

TEST_P(RegistryStoreConformance, NothingIsAnsweredAfterTheStoreIsDestroyed) {
  auto store = make();
  ASSERT_TRUE(store);
  ASSERT_TRUE(read(*store));
  auto answered = std::make_shared<int>(0);
  store->read([answered](Result<StoredRegistry>) { ++*answered; });
  store->write("x", kNothingStored, [answered](Result<std::int64_t>) { ++*answered; });
  store.reset();
  // Give anything still in flight time to come back.
  auto until = std::chrono::steady_clock::now() + 500ms;
  pumpUntil([&] { return std::chrono::steady_clock::now() >= until; });
  EXPECT_EQ(*answered, 0);
}

TEST_P(RegistryStoreConformance, AnotherWritersVersionMakesTheOldOneStale) {
  if (!GetParam().shared) GTEST_SKIP() << GetParam().name << ": one instance at a time";
  auto leader = make();
  auto next = make();
  ASSERT_TRUE(leader && next);
  auto seen = read(*leader);
  ASSERT_TRUE(seen && *seen);
  auto nextSeen = read(*next);
  ASSERT_TRUE(nextSeen && *nextSeen);
  auto written = write(*next, "new leader", (*nextSeen)->version);
  ASSERT_TRUE(written && *written);
  auto refused = write(*leader, "old leader", (*seen)->version);
  ASSERT_TRUE(refused) << "write never answered";
  EXPECT_FALSE(*refused) << "the old leader overwrote the new leader's registry";
  auto stored = read(*next);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->data, "new leader");
}

TEST_P(RegistryStoreConformance, WatchReportsAnotherWriterNotOwnWrites) {
  if (!GetParam().shared) GTEST_SKIP() << GetParam().name << ": one instance at a time";
  auto watched = make();
  auto other = make();
  ASSERT_TRUE(watched && other);
  auto seen = read(*watched);
  ASSERT_TRUE(seen && *seen);
  int changes = 0;
  const auto loop = std::this_thread::get_id();
  watched->watch([&changes, loop] {
    EXPECT_EQ(std::this_thread::get_id(), loop) << "watch called off the loop";
    ++changes;
  });
  // Its own writes are not changes.
  auto own = write(*watched, "own", (*seen)->version);
  ASSERT_TRUE(own && *own);
  auto ownAgain = write(*watched, "own again", **own);
  ASSERT_TRUE(ownAgain && *ownAgain);
  ASSERT_TRUE(read(*watched));  // a round trip after the writes
  EXPECT_EQ(changes, 0) << "watch reported the store's own write";
  // Another writer's is.
  auto otherSeen = read(*other);
  ASSERT_TRUE(otherSeen && *otherSeen);
  auto foreign = write(*other, "foreign", (*otherSeen)->version);
  ASSERT_TRUE(foreign && *foreign);
  EXPECT_TRUE(pumpUntil([&] { return changes > 0; })) << "watch missed another writer";
  EXPECT_EQ(changes, 1);
}

}  // namespace plexus::testing
