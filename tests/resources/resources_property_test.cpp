// Property tests of plexus::Resources over randomly generated values.
//
// Every test draws from a std::mt19937 seeded with kSeed (or PLEXUS_RESOURCES_SEED
// from the environment) and prints the seed, the iteration and the operands when a
// property fails, so a failure can be replayed exactly. Values are generated on the
// wire and converted with fromWire, so the generator also exercises validation.
// An independent reference model (identity from the wire form, scalars as
// integers, ranges as sets of points, sets as std::set) checks addition and
// subtraction entry by entry.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

// The tests use the deprecated pre-refinement `role` field on purpose.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace plexus {
namespace {

constexpr std::uint32_t kSeed = 20240601;
constexpr int kIterations = 3000;
constexpr std::uint64_t kPortSpace = 200;  // small, so that ranges overlap often

std::uint32_t seed() {
  if (const char* env = std::getenv("PLEXUS_RESOURCES_SEED"))
    return static_cast<std::uint32_t>(std::stoul(env));
  return kSeed;
}

// Which part of the range/set space a generator draws from: kDisjointLow and
// kDisjointHigh never overlap, so (a + b) - b == a holds exactly.
enum class Space { kAny, kDisjointLow, kDisjointHigh };

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }

  // Between 0 and 6 random wire resources, valid by construction.
  std::vector<v1::Resource> wires(Space space = Space::kAny) {
    std::vector<v1::Resource> result;
    for (int i = pick(7); i > 0; --i)
      result.push_back(wire(space));
    return result;
  }

  Resources resources(Space space = Space::kAny) {
    Resources result;
    for (const v1::Resource& w : wires(space)) {
      auto resource = Resource::fromWire(w);
      EXPECT_TRUE(resource) << resource.error().message();
      if (resource) result += *resource;
    }
    return result;
  }

  // A resource that is in `base` in part or whole, to make contains() true often.
  Resources partOf(const Resources& base) {
    Resources result;
    for (const Resource& r : base) {
      if (chance(30)) continue;
      v1::Resource w;
      r.toWire(&w);
      if (r.isPersistentVolume() || r.isShared() || chance(50)) {
        result += r;
        continue;
      }
      // Sometimes miss by the smallest possible amount, so that contains() is
      // tested right at its edges.
      const bool nearMiss = chance(10);
      switch (r.type()) {
        case ValueType::kScalar: {
          const std::int64_t millis =
              nearMiss ? r.scalarMillis() + 1 : pick(static_cast<int>(r.scalarMillis()) + 1);
          w.mutable_scalar()->set_value(static_cast<double>(millis) / 1000);
          break;
        }
        case ValueType::kRanges: {
          w.mutable_ranges()->clear_range();
          for (const Range& range : r.ranges()) {
            if (chance(50) && !nearMiss) continue;
            std::uint64_t a = range.begin + pick(static_cast<int>(range.end - range.begin + 1));
            std::uint64_t b = a + pick(static_cast<int>(range.end - a + 1));
            if (nearMiss) {
              // One point past either end of a range of `r` (never inside another).
              if (chance(50) || range.begin == 0) {
                b = range.end + 1;
              } else {
                a = range.begin - 1;
              }
            }
            auto* out = w.mutable_ranges()->add_range();
            out->set_begin(a);
            out->set_end(b);
            if (nearMiss) break;
          }
          break;
        }
        case ValueType::kSet: {
          w.mutable_set()->clear_item();
          for (const std::string& item : r.set()) {
            if (chance(50)) w.mutable_set()->add_item(item);
          }
          if (nearMiss) {
            for (char c = 'a'; c <= 'h'; ++c) {
              const std::string item(1, c);
              if (!std::binary_search(r.set().begin(), r.set().end(), item)) {
                w.mutable_set()->add_item(item);
                break;
              }
            }
          }
          break;
        }
      }
      auto part = Resource::fromWire(w);
      EXPECT_TRUE(part) << part.error().message();
      if (part) result += *part;
    }
    return result;
  }

 private:
  v1::Resource wire(Space space) {
    v1::Resource w;
    const int kind = pick(10);
    if (kind == 9) return volume();
    static const char* const kScalarNames[] = {"cpus", "mem", "disk", "gpus"};
    if (kind < 6) {
      w.set_name(kScalarNames[pick(4)]);
      w.set_type(v1::Value::SCALAR);
      // Thousandths, with decimal fractions that doubles cannot represent exactly.
      w.mutable_scalar()->set_value(static_cast<double>(pick(20000)) / 1000);
    } else if (kind < 8) {
      w.set_name("ports");
      w.set_type(v1::Value::RANGES);
      w.mutable_ranges();  // present even when empty, as Mesos requires
      std::set<std::uint64_t> points;
      for (int i = pick(4); i > 0; --i) {
        std::uint64_t begin = pick(kPortSpace);
        std::uint64_t end = std::min<std::uint64_t>(kPortSpace - 1, begin + pick(30));
        for (std::uint64_t p = begin; p <= end; ++p) {
          if (inSpace(p, space)) points.insert(p);
        }
      }
      // Emit maximal runs (the wire must not carry overlapping ranges); touching
      // runs are fine and get coalesced.
      for (auto it = points.begin(); it != points.end();) {
        std::uint64_t begin = *it, end = *it;
        while (++it != points.end() && *it == end + 1)
          end = *it;
        auto* range = w.mutable_ranges()->add_range();
        range->set_begin(begin);
        range->set_end(end);
      }
    } else {
      w.set_name("zones");
      w.set_type(v1::Value::SET);
      w.mutable_set();
      const int offset = space == Space::kDisjointHigh ? 4 : 0;
      const int width = space == Space::kAny ? 8 : 4;
      for (int i = 0; i < width; ++i) {
        if (chance(40))
          w.mutable_set()->add_item(std::string(1, static_cast<char>('a' + offset + i)));
      }
    }
    identity(&w);
    return w;
  }

  static bool inSpace(std::uint64_t point, Space space) {
    if (space == Space::kAny) return true;
    return ((point / 10) % 2 == 0) == (space == Space::kDisjointLow);
  }

  void identity(v1::Resource* w) {
    using Info = v1::Resource::ReservationInfo;
    auto reserve = [&](Info::Type type, const char* role, const char* principal) {
      Info* r = w->add_reservations();
      r->set_type(type);
      r->set_role(role);
      if (principal) r->set_principal(principal);
      return r;
    };
    switch (pick(6)) {
      case 0:
        reserve(Info::STATIC, "eng", nullptr);
        break;
      case 1:
        reserve(Info::STATIC, "eng", nullptr);
        reserve(Info::DYNAMIC, "eng/web", "alice");
        break;
      case 2: {
        Info* r = reserve(Info::DYNAMIC, "dev", "bob");
        auto* label = r->mutable_labels()->add_labels();
        label->set_key("team");
        label->set_value("x");
        break;
      }
      case 3:
        w->set_role("eng");  // pre-refinement format
      default:
        break;  // unreserved
    }
    if (chance(20)) w->mutable_allocation_info()->set_role(chance(50) ? "web" : "eng/web");
    if (chance(15)) w->mutable_revocable();
  }

  v1::Resource volume() {
    v1::Resource w;
    w.set_name("disk");
    w.set_type(v1::Value::SCALAR);
    w.mutable_scalar()->set_value(10 * (1 + pick(3)));
    auto* r = w.add_reservations();
    r->set_type(v1::Resource::ReservationInfo::DYNAMIC);
    r->set_role("eng");
    w.mutable_disk()->mutable_persistence()->set_id(chance(50) ? "v1" : "v2");
    if (chance(50)) w.mutable_shared();
    return w;
  }

  std::mt19937 rng_;
};

std::string describe(std::uint32_t seed, int iteration, const Resources& a, const Resources& b) {
  std::ostringstream out;
  out << "seed=" << seed << " (set PLEXUS_RESOURCES_SEED to replay) iteration=" << iteration
      << "\n  a = " << a << "\n  b = " << b;
  return out.str();
}

// The identity of a wire resource, computed without the code under test: the
// post-refinement wire form without its value.
std::string identityKey(v1::Resource w) {
  if (w.reservations_size() == 0 && w.role() != "*") {
    auto* r = w.add_reservations();
    r->set_type(w.has_reservation() ? v1::Resource::ReservationInfo::DYNAMIC
                                    : v1::Resource::ReservationInfo::STATIC);
    r->set_role(w.role());
    if (w.reservation().has_principal()) r->set_principal(w.reservation().principal());
    if (w.reservation().has_labels()) *r->mutable_labels() = w.reservation().labels();
  }
  w.clear_role();
  w.clear_reservation();
  w.clear_scalar();
  w.clear_ranges();
  w.clear_set();
  std::string key;
  w.SerializeToString(&key);
  return key;
}

std::string identityKey(const Resource& r) {
  v1::Resource w;
  r.toWire(&w);
  return identityKey(w);
}

// Canonical form: no empty entries; no two divisible entries with one identity.
::testing::AssertionResult canonical(const Resources& r) {
  for (auto i = r.begin(); i != r.end(); ++i) {
    if (i->empty()) return ::testing::AssertionFailure() << "empty entry " << *i;
    if (i->scalarMillis() < 0) return ::testing::AssertionFailure() << "negative entry " << *i;
    if (i->isPersistentVolume() && !i->isShared()) continue;
    for (auto j = std::next(i); j != r.end(); ++j) {
      if (identityKey(*i) == identityKey(*j) && (!i->isShared() || *i == *j)) {
        return ::testing::AssertionFailure() << "unmerged entries " << *i << " and " << *j;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// The reference model of one divisible entry's value.
struct Model {
  std::int64_t millis = 0;
  std::set<std::uint64_t> points;
  std::set<std::string> items;
};

Model model(const Resource& r) {
  Model m;
  m.millis = r.scalarMillis();
  for (const Range& range : r.ranges()) {
    for (std::uint64_t p = range.begin; p <= range.end; ++p)
      m.points.insert(p);
  }
  m.items.insert(r.set().begin(), r.set().end());
  return m;
}

void addTo(Model* m, const v1::Resource& w) {
  m->millis += std::llround(w.scalar().value() * 1000);
  for (const auto& range : w.ranges().range()) {
    for (std::uint64_t p = range.begin(); p <= range.end(); ++p)
      m->points.insert(p);
  }
  m->items.insert(w.set().item().begin(), w.set().item().end());
}

bool operator==(const Model& a, const Model& b) {
  return a.millis == b.millis && a.points == b.points && a.items == b.items;
}

const Resource* sameIdentityIn(const Resources& rs, const Resource& r) {
  const std::string key = identityKey(r);
  for (const Resource& x : rs) {
    if (identityKey(x) == key) return &x;
  }
  return nullptr;
}

TEST(ResourcesProperty, AdditionMatchesReferenceModel) {
  const std::uint32_t s = seed() + 7;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    std::vector<v1::Resource> parts = gen.wires();
    Resources sum;
    std::map<std::string, Model> expected;  // divisible resources by identity
    std::ostringstream where;
    where << "seed=" << s << " iteration=" << i << " parts:";
    for (const v1::Resource& w : parts) {
      auto r = Resource::fromWire(w);
      ASSERT_TRUE(r) << r.error().message();
      where << "\n  " << *r;
      sum += *r;
      if (!w.has_disk()) addTo(&expected[identityKey(w)], w);
    }
    where << "\n  sum = " << sum;
    std::size_t divisible = 0;
    for (const Resource& x : sum) {
      if (x.hasDisk()) continue;
      ++divisible;
      auto it = expected.find(identityKey(x));
      ASSERT_NE(it, expected.end()) << where.str() << "\n  unexpected entry " << x;
      ASSERT_TRUE(model(x) == it->second) << where.str() << "\n  entry " << x;
    }
    std::size_t nonEmpty = 0;
    for (const auto& [key, m] : expected)
      nonEmpty += (m == Model()) ? 0 : 1;
    ASSERT_EQ(divisible, nonEmpty) << where.str();
  }
}

TEST(ResourcesProperty, AdditionAndSubtraction) {
  const std::uint32_t s = seed();
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources(), b = gen.resources();
    const std::string where = describe(s, i, a, b);
    Resources sum = a + b, difference = a - b;
    ASSERT_TRUE(a.contains(a)) << where;
    ASSERT_EQ(a, a) << where;
    ASSERT_TRUE(sum.contains(a)) << where;
    ASSERT_TRUE(sum.contains(b)) << where;
    ASSERT_EQ(sum, b + a) << where;
    ASSERT_TRUE(canonical(sum)) << where;
    ASSERT_TRUE(canonical(difference)) << where;  // includes: nothing negative or empty
    ASSERT_TRUE(a.contains(difference)) << where;
    ASSERT_TRUE((difference + b).contains(a)) << where;
    ASSERT_TRUE((a - a).empty()) << where;
    // A shared volume held twice is still one volume: it counts once (as in Mesos).
    ASSERT_EQ(sum.nonShared().quantities(), a.nonShared().quantities() + b.nonShared().quantities())
        << where;
    ASSERT_TRUE((a.quantities() + b.quantities()).contains(sum.quantities())) << where;
    ASSERT_TRUE(sum.quantities().contains(a.quantities())) << where;
  }
}

TEST(ResourcesProperty, SubtractionMatchesReferenceModel) {
  const std::uint32_t s = seed() + 1;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources(), b = gen.resources();
    const std::string where = describe(s, i, a, b);
    Resources difference = a - b;
    for (const Resource& x : a) {
      if (x.isPersistentVolume()) continue;  // indivisible; covered below
      Model expected = model(x);
      if (const Resource* y = sameIdentityIn(b, x)) {
        Model taken = model(*y);
        expected.millis = std::max<std::int64_t>(0, expected.millis - taken.millis);
        for (auto p : taken.points)
          expected.points.erase(p);
        for (const auto& item : taken.items)
          expected.items.erase(item);
      }
      const bool expectEmpty =
          expected.millis == 0 && expected.points.empty() && expected.items.empty();
      const Resource* got = sameIdentityIn(difference, x);
      if (expectEmpty) {
        ASSERT_EQ(got, nullptr) << where << "\n  entry " << x;
        continue;
      }
      ASSERT_NE(got, nullptr) << where << "\n  entry " << x;
      Model actual = model(*got);
      ASSERT_EQ(actual.millis, expected.millis) << where << "\n  entry " << x;
      ASSERT_EQ(actual.points, expected.points) << where << "\n  entry " << x;
      ASSERT_EQ(actual.items, expected.items) << where << "\n  entry " << x;
    }
    // Nothing appears in a - b that was not in a.
    for (const Resource& y : difference)
      ASSERT_NE(sameIdentityIn(a, y), nullptr) << where << "\n  entry " << y;
  }
}

TEST(ResourcesProperty, AddThenSubtractIsIdentityWhenDisjoint) {
  const std::uint32_t s = seed() + 2;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    // Scalars always cancel exactly; ranges and sets only when a and b share no
    // element (ports [1-5] + [3-8] is [1-8], and [1-8] - [3-8] is [1-2]).
    Resources a = gen.resources(Space::kDisjointLow), b = gen.resources(Space::kDisjointHigh);
    const std::string where = describe(s, i, a, b);
    ASSERT_EQ((a + b) - b, a) << where;
    ASSERT_EQ((a + b) - a, b) << where;
  }
}

TEST(ResourcesProperty, ContainsAgreesWithSubtraction) {
  const std::uint32_t s = seed() + 3;
  Generator gen(s);
  int containedCases = 0;
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources();
    Resources b = gen.chance(50) ? gen.partOf(a) : gen.resources();
    const std::string where = describe(s, i, a, b);
    const bool contains = a.contains(b);
    ASSERT_EQ(contains, (b - a).empty()) << where;
    ASSERT_EQ(contains && b.contains(a), a == b) << where;
    if (contains) {
      ++containedCases;
      ASSERT_EQ((a - b) + b, a) << where;
    }
    // contains is monotone: adding to a never breaks it.
    if (contains) {
      ASSERT_TRUE((a + gen.resources()).contains(b)) << where;
    }
  }
  // The generator must make both outcomes common for the property to mean much.
  EXPECT_GT(containedCases, kIterations / 4);
  EXPECT_LT(containedCases, kIterations * 3 / 4);
}

TEST(ResourcesProperty, Associativity) {
  const std::uint32_t s = seed() + 4;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources(), b = gen.resources(), c = gen.resources();
    const std::string where = describe(s, i, a, b) + "\n  c = " + c.toString();
    ASSERT_EQ((a + b) + c, a + (b + c)) << where;
    ASSERT_EQ((a - b) - c, a - (b + c)) << where;
  }
}

TEST(ResourcesProperty, PrintingAndWireRoundTrip) {
  const std::uint32_t s = seed() + 5;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources();
    const std::string where = describe(s, i, a, Resources());
    google::protobuf::RepeatedPtrField<v1::Resource> wire;
    a.toWire(&wire);
    auto back = Resources::fromWire(wire);
    ASSERT_TRUE(back) << where << "\n  " << back.error().message();
    ASSERT_EQ(*back, a) << where;
    // The text format cannot express disk info.
    Resources printable = a.filter([](const Resource& r) { return !r.hasDisk(); });
    auto parsed = Resources::parse(printable.toString());
    ASSERT_TRUE(parsed) << where << "\n  " << parsed.error().message();
    ASSERT_EQ(*parsed, printable) << where;
    ASSERT_EQ(parsed->toString(), printable.toString()) << where;
  }
}

TEST(ResourcesProperty, FiltersPartitionAndRolesBehave) {
  const std::uint32_t s = seed() + 6;
  Generator gen(s);
  for (int i = 0; i < kIterations; ++i) {
    Resources a = gen.resources();
    const std::string where = describe(s, i, a, Resources());
    ASSERT_EQ(a.reserved() + a.unreserved(), a) << where;
    ASSERT_EQ(a.revocable() + a.nonRevocable(), a) << where;
    ASSERT_EQ(a.shared() + a.nonShared(), a) << where;
    Resources byRole;
    for (const auto& [role, part] : a.reservations())
      byRole += part;
    ASSERT_EQ(byRole, a.reserved()) << where;
    // allocatableTo a sub-role includes everything allocatable to its parent.
    ASSERT_TRUE(a.allocatableTo("eng/web").contains(a.allocatableTo("eng"))) << where;
    ASSERT_TRUE(a.allocatableTo("eng").contains(a.unreserved())) << where;
    ASSERT_TRUE(a.allocatableTo("dev").reserved("eng").empty()) << where;

    Resources allocated = a;
    allocated.allocate("web");
    ASSERT_EQ(allocated.allocatedTo("web"), allocated) << where;
    ASSERT_EQ(allocated.quantities(), a.quantities()) << where;
    Resources unallocated = allocated;
    unallocated.unallocate();
    Resources expected = a;
    expected.unallocate();
    ASSERT_EQ(unallocated, expected) << where;
    ASSERT_TRUE(canonical(allocated)) << where;

    Resources unreserved = a.toUnreserved();
    ASSERT_TRUE(unreserved.reserved().empty()) << where;
    ASSERT_EQ(unreserved.quantities(), a.quantities()) << where;
    ASSERT_TRUE(canonical(unreserved)) << where;

    auto pushed = a.unreserved().pushReservation(Reservation::makeDynamic("ops", "carol"));
    ASSERT_TRUE(pushed) << where << "\n  " << pushed.error().message();
    ASSERT_EQ(pushed->reserved("ops"), *pushed) << where;
    ASSERT_EQ(pushed->popReservation(), a.unreserved()) << where;
  }
}

}  // namespace
}  // namespace plexus
