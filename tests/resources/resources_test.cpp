// Unit tests of plexus::Resources: parsing (text and JSON), arithmetic, contains,
// filters by role and reservation, printing and the wire format.
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

// The tests use the deprecated pre-refinement `role` field on purpose.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace plexus {
namespace {

Resources R(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(Resources());
}

std::string parseError(std::string_view text, std::string_view defaultRole = "*") {
  auto parsed = Resources::parse(text, defaultRole);
  if (parsed) return "parsed as '" + parsed->toString() + "'";
  return parsed.error().message();
}

std::vector<Range> ranges(std::initializer_list<Range> list) {
  return list;
}

// ---------------------------------------------------------------------------
// Text parsing

TEST(ResourcesParse, ScalarsRangesAndSets) {
  Resources r = R("cpus:4;mem:8192;ports:[31000-32000];disk(role1):100;zones:{b,a,c}");
  EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(r.cpus(), 4.0);
  EXPECT_EQ(r.mem(), 8192.0);
  EXPECT_EQ(r.disk(), 100.0);
  EXPECT_EQ(r.ports(), ranges({{31000, 32000}}));
  EXPECT_EQ(r.set("zones"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.gpus(), std::nullopt);
  EXPECT_EQ(r.scalar("ports"), std::nullopt);  // wrong type
}

TEST(ResourcesParse, RangeSyntaxes) {
  EXPECT_EQ(R("ports:[1-10,20-30]").ports(), ranges({{1, 10}, {20, 30}}));
  EXPECT_EQ(R("ports:[1-10, 20-30]").ports(), ranges({{1, 10}, {20, 30}}));
  EXPECT_EQ(R("ports:[ 20-30 , 1-10 ]").ports(), ranges({{1, 10}, {20, 30}}));
  // Overlapping and adjacent ranges are coalesced, as Mesos does for the flag.
  EXPECT_EQ(R("ports:[1-10,5-20]").ports(), ranges({{1, 20}}));
  EXPECT_EQ(R("ports:[1-2,3-4,6-6]").ports(), ranges({{1, 4}, {6, 6}}));
  EXPECT_EQ(R("ports:[0-18446744073709551615]").ports(), ranges({{0, 18446744073709551615ull}}));
  EXPECT_TRUE(R("ports:[]").empty());
}

TEST(ResourcesParse, FixedPointScalars) {
  EXPECT_EQ(R("cpus:0.1") + R("cpus:0.2"), R("cpus:0.3"));
  EXPECT_EQ(R("cpus:0.1;cpus:0.2").cpus(), 0.3);
  EXPECT_EQ(R("cpus:1.0005").begin()->scalarMillis(), 1001);  // nearest thousandth
  EXPECT_EQ(R("cpus:1.0004").begin()->scalarMillis(), 1000);
  EXPECT_TRUE(R("cpus:0.0004").empty());  // rounds to zero: dropped
  EXPECT_TRUE(R("cpus:0").empty());
  EXPECT_EQ(R("mem:1e3").mem(), 1000.0);
}

TEST(ResourcesParse, ReservationsAndRoles) {
  Resources r = R("cpus:1;cpus(*):2;cpus(eng):4;cpus(eng/web):8");
  EXPECT_EQ(r.size(), 3u);  // cpus and cpus(*) are the same identity
  EXPECT_EQ(r.unreserved().cpus(), 3.0);
  EXPECT_EQ(r.reserved("eng").cpus(), 4.0);
  EXPECT_EQ(r.reserved("eng/web").cpus(), 8.0);
  const Resource web = *r.reserved("eng/web").begin();
  ASSERT_EQ(web.reservations().size(), 1u);
  EXPECT_EQ(web.reservations()[0].type, Reservation::Type::kStatic);
  EXPECT_EQ(web.reservationRole(), "eng/web");
  EXPECT_FALSE(web.isDynamicallyReserved());
}

TEST(ResourcesParse, WhitespaceAndEmptyTokens) {
  EXPECT_EQ(R("  cpus : 4 ;; mem (eng) :  2 ; "), R("cpus:4;mem(eng):2"));
  EXPECT_TRUE(R("").empty());
  EXPECT_TRUE(R(" ; ").empty());
}

TEST(ResourcesParse, DefaultRole) {
  auto r = Resources::parse("cpus:1;mem(*):2;disk(dev):3", "eng");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->reserved("eng").cpus(), 1.0);
  EXPECT_EQ(r->unreserved().mem(), 2.0);
  EXPECT_EQ(r->reserved("dev").disk(), 3.0);
  EXPECT_EQ(parseError("cpus:1", "/bad"),
            "invalid default role: invalid role '/bad': it starts with a slash");
}

TEST(ResourcesParse, AnnotationsPrintedByToString) {
  Resources r =
      R("cpus(allocated: web)(reservations: [(STATIC,eng),(DYNAMIC,eng/web,alice,{team: a, "
        "b})]){REV}:0.5");
  ASSERT_EQ(r.size(), 1u);
  const Resource& c = *r.begin();
  EXPECT_EQ(c.allocationRole(), "web");
  EXPECT_TRUE(c.isRevocable());
  ASSERT_EQ(c.reservations().size(), 2u);
  EXPECT_EQ(c.reservations()[0], Reservation::makeStatic("eng"));
  EXPECT_EQ(c.reservations()[1],
            Reservation::makeDynamic("eng/web", "alice",
                                     std::vector<Label>{{"team", "a"}, {"b", std::nullopt}}));
  EXPECT_EQ(c.scalar(), 0.5);
}

TEST(ResourcesParse, Errors) {
  EXPECT_EQ(parseError("cpus:abc"), "invalid resource 'cpus:abc': 'abc' is not a number");
  EXPECT_EQ(parseError("cpus:1;mem:x"), "invalid resource 'mem:x': 'x' is not a number");
  EXPECT_EQ(parseError("cpus"), "invalid resource 'cpus': missing ':' between name and value");
  EXPECT_EQ(parseError(":4"), "invalid resource ':4': empty name");
  EXPECT_EQ(parseError("(eng):4"), "invalid resource '(eng):4': empty name");
  EXPECT_EQ(parseError("cpus:"), "invalid resource 'cpus:': empty value");
  EXPECT_EQ(parseError("cpus:1:2"), "invalid resource 'cpus:1:2': '1:2' is not a number");
  EXPECT_EQ(parseError("cpus:-1"), "invalid resource 'cpus:-1': '-1' is negative");
  EXPECT_EQ(parseError("cpus:nan"), "invalid resource 'cpus:nan': 'nan' is not a finite number");
  EXPECT_EQ(parseError("cpus:inf"), "invalid resource 'cpus:inf': 'inf' is not a finite number");
  EXPECT_EQ(parseError("cpus:1e300"), "invalid resource 'cpus:1e300': '1e300' is too large");
  EXPECT_EQ(parseError("cpus:0x10"), "invalid resource 'cpus:0x10': '0x10' is not a number");
  EXPECT_EQ(parseError("ports:[10-1]"),
            "invalid resource 'ports:[10-1]': range '10-1' has begin > end");
  EXPECT_EQ(parseError("ports:[1-x]"),
            "invalid resource 'ports:[1-x]': 'x' is not a non-negative integer");
  EXPECT_EQ(parseError("ports:[-5-10]"),
            "invalid resource 'ports:[-5-10]': '' is not a non-negative integer");
  EXPECT_EQ(parseError("ports:[5]"),
            "invalid resource 'ports:[5]': '5' is not a range (expected begin-end)");
  EXPECT_EQ(parseError("ports:[1-10"), "invalid resource 'ports:[1-10': missing ']' in '[1-10'");
  EXPECT_EQ(
      parseError("ports:[1-99999999999999999999]"),
      "invalid resource 'ports:[1-99999999999999999999]': '99999999999999999999' is out of range");
  EXPECT_EQ(parseError("zones:{a,b"), "invalid resource 'zones:{a,b': missing '}' in '{a,b'");
  EXPECT_EQ(parseError("zones:{a,b,a}"),
            "invalid resource 'zones:{a,b,a}': duplicate item 'a' in set");
  EXPECT_EQ(parseError("cpus(eng:4"), "invalid resource 'cpus(eng:4': missing ')'");
  EXPECT_EQ(parseError("cpus(eng)x:4"),
            "invalid resource 'cpus(eng)x:4': unexpected 'x' after the name");
  EXPECT_EQ(parseError("cpus(eng)(dev):4"),
            "invalid resource 'cpus(eng)(dev):4': the reservation is given twice");
  EXPECT_EQ(parseError("disk[id:/path]:4"),
            "invalid resource 'disk[id:/path]:4': disk info cannot be written in the text format; "
            "use JSON");
  EXPECT_EQ(parseError("cpus{FOO}:4"),
            "invalid resource 'cpus{FOO}:4': unknown annotation '{FOO}'");
}

TEST(ResourcesParse, RoleErrors) {
  EXPECT_EQ(parseError("cpus():4"),
            "invalid resource 'cpus():4': invalid role: the role name is empty");
  EXPECT_EQ(parseError("cpus(/eng):4"),
            "invalid resource 'cpus(/eng):4': invalid role '/eng': it starts with a slash");
  EXPECT_EQ(parseError("cpus(eng/):4"),
            "invalid resource 'cpus(eng/):4': invalid role 'eng/': it ends with a slash");
  EXPECT_EQ(parseError("cpus(eng//web):4"),
            "invalid resource 'cpus(eng//web):4': invalid role 'eng//web': it contains two "
            "adjacent slashes");
  EXPECT_EQ(
      parseError("cpus(eng/..):4"),
      "invalid resource 'cpus(eng/..):4': invalid role 'eng/..': '..' is not a valid component");
  EXPECT_EQ(parseError("cpus(.):4"),
            "invalid resource 'cpus(.):4': invalid role '.': '.' is not a valid component");
  EXPECT_EQ(parseError("cpus(eng/*):4"),
            "invalid resource 'cpus(eng/*):4': invalid role 'eng/*': '*' is not a valid component");
  EXPECT_EQ(
      parseError("cpus(-eng):4"),
      "invalid resource 'cpus(-eng):4': invalid role '-eng': component '-eng' starts with '-'");
  EXPECT_EQ(parseError("cpus(a b):4"),
            "invalid resource 'cpus(a b):4': invalid role 'a b': it contains whitespace, backspace "
            "or DEL");
  EXPECT_EQ(parseError("cpus(reservations: [(STATIC,eng),(DYNAMIC,dev)]):1"),
            "invalid resource 'cpus(reservations: [(STATIC,eng),(DYNAMIC,dev)]):1': invalid "
            "refined reservation: "
            "role 'dev' is not a refinement of 'eng'");
  EXPECT_EQ(
      parseError("cpus(reservations: [(STATIC,eng),(STATIC,eng/web)]):1"),
      "invalid resource 'cpus(reservations: [(STATIC,eng),(STATIC,eng/web)]):1': invalid refined "
      "reservation: a refined reservation cannot be STATIC");
  EXPECT_EQ(parseError("cpus(reservations: [(DYNAMIC,*)]):1"),
            "invalid resource 'cpus(reservations: [(DYNAMIC,*)]):1': invalid reservation: role '*' "
            "cannot be "
            "reserved");
  EXPECT_EQ(parseError("cpus(reservations: [(FOO,eng)]):1"),
            "invalid resource 'cpus(reservations: [(FOO,eng)]):1': bad reservation type 'FOO' "
            "(expected STATIC "
            "or DYNAMIC)");
}

// ---------------------------------------------------------------------------
// JSON parsing

TEST(ResourcesJson, V1Shape) {
  auto r = Resources::parse(R"([
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 8192.5}, "role": "eng"},
    {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000},
                                                            {"begin": "1", "end": "10"}]}},
    {"name": "zones", "type": "SET", "set": {"item": ["b", "a"]}},
    {"name": "gpus", "type": "SCALAR", "scalar": {"value": 1},
     "reservations": [{"type": "STATIC", "role": "eng"},
                      {"type": "DYNAMIC", "role": "eng/ml", "principal": "alice",
                       "labels": {"labels": [{"key": "k", "value": "v"}]}}],
     "allocation_info": {"role": "eng/ml"}, "revocable": {}, "unknown_field": 1}
  ])");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size(), 5u);
  EXPECT_EQ(r->cpus(), 4.0);
  EXPECT_EQ(r->reserved("eng").mem(), 8192.5);
  EXPECT_EQ(r->ports(), ranges({{1, 10}, {31000, 32000}}));
  EXPECT_EQ(r->set("zones"), (std::vector<std::string>{"a", "b"}));
  const Resource gpus = *r->named("gpus").begin();
  EXPECT_EQ(gpus.reservationRole(), "eng/ml");
  EXPECT_TRUE(gpus.isDynamicallyReserved());
  EXPECT_EQ(gpus.reservations()[1].labels, (std::vector<Label>{{"k", "v"}}));
  EXPECT_EQ(gpus.allocationRole(), "eng/ml");
  EXPECT_TRUE(gpus.isRevocable());
}

TEST(ResourcesJson, DeprecatedReservationAndDefaultRole) {
  auto r = Resources::parse(R"([
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "role": "eng", "reservation": {"principal": "p"}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 2}}
  ])",
                            "dev");
  ASSERT_TRUE(r) << r.error().message();
  const Resource cpus = *r->named("cpus").begin();
  EXPECT_EQ(cpus.reservations(), std::vector<Reservation>{Reservation::makeDynamic("eng", "p")});
  EXPECT_EQ(r->reserved("dev").mem(), 2.0);
}

TEST(ResourcesJson, DiskInfoAndSharedVolumes) {
  auto r = Resources::parseJson(R"([
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 64}, "role": "eng",
     "disk": {"persistence": {"id": "vol1", "principal": "alice"},
              "volume": {"container_path": "data", "mode": "RW"}},
     "shared": {}, "provider_id": {"value": "rp1"}}
  ])");
  ASSERT_TRUE(r) << r.error().message();
  const Resource& disk = *r->begin();
  EXPECT_TRUE(disk.isPersistentVolume());
  EXPECT_TRUE(disk.isShared());
  EXPECT_EQ(disk.providerId(), "rp1");
  EXPECT_EQ(disk.toString(), "disk(eng)[vol1:data]<SHARED>:64");
  v1::Resource wire;
  disk.toWire(&wire);
  EXPECT_EQ(wire.disk().persistence().id(), "vol1");
  EXPECT_EQ(wire.disk().volume().container_path(), "data");
}

TEST(ResourcesJson, Errors) {
  auto error = [](std::string_view text) {
    auto r = Resources::parse(text);
    return r ? "parsed as '" + r->toString() + "'" : r.error().message();
  };
  EXPECT_EQ(error("[{"), "invalid resources JSON: incomplete JSON");
  EXPECT_EQ(Resources::parseJson(R"({"name": "cpus"})").error().message(),
            "invalid resources JSON: expected an array of Resource objects");
  EXPECT_EQ(error("[4]"),
            "invalid resource (JSON array element 0): a resource must be a JSON object");
  EXPECT_EQ(error(R"([{"type": "SCALAR"}])"),
            "invalid resource (JSON array element 0): field 'name' is required");
  EXPECT_EQ(error(R"([{"name": "cpus", "scalar": {"value": 1}}])"),
            "invalid resource 'cpus' (JSON array element 0): field 'type' is required");
  EXPECT_EQ(error(R"([{"name": "cpus", "type": "NUMBER"}])"),
            "invalid resource 'cpus' (JSON array element 0): field 'type' has an unknown value "
            "\"NUMBER\"");
  EXPECT_EQ(
      error(R"([{"name": "cpus", "type": "SCALAR", "scalar": {"value": "x"}}])"),
      "invalid resource 'cpus' (JSON array element 0): field 'scalar.value' must be a number");
  EXPECT_EQ(error(R"([{"name": "m", "type": "SCALAR", "scalar": {"value": 1}},
                      {"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}])"),
            "invalid resource 'cpus' (JSON array element 1): scalar value -1 is negative");
  EXPECT_EQ(error(R"([{"name": "cpus", "type": "SCALAR", "scalar": {"value": "NaN"}}])"),
            "invalid resource 'cpus' (JSON array element 0): scalar value nan is not finite");
  EXPECT_EQ(error(R"([{"name": "t", "type": "TEXT"}])"),
            "invalid resource 't' (JSON array element 0): unsupported type TEXT (expected SCALAR, "
            "RANGES or SET)");
  EXPECT_EQ(error(R"([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 5},
                                                                            {"begin": 5, "end": 9}]}}])"),
            "invalid resource 'p' (JSON array element 0): ranges 1-5 and 5-9 overlap");
  EXPECT_EQ(
      error(R"([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": -1, "end": 5}]}}])"),
      "invalid resource 'p' (JSON array element 0): field 'ranges.range[].begin' must be a "
      "non-negative "
      "integer");
  EXPECT_EQ(
      error(R"([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "shared": {}}])"),
      "invalid resource 'cpus' (JSON array element 0): only persistent volumes can be shared");
  EXPECT_EQ(error(R"([{"name": "disk", "type": "SCALAR", "scalar": {"value": 1},
                       "disk": {"persistence": {"id": "v"}}}])"),
            "invalid resource 'disk' (JSON array element 0): persistent volumes cannot be created "
            "from unreserved "
            "resources");
}

// ---------------------------------------------------------------------------
// Arithmetic and contains

TEST(ResourcesArithmetic, AddMergesSameIdentityOnly) {
  EXPECT_EQ(R("cpus:1") + R("cpus:2"), R("cpus:3"));
  Resources mixed = R("cpus:1") + R("cpus(eng):2");
  EXPECT_EQ(mixed.size(), 2u);
  EXPECT_EQ(mixed.cpus(), 3.0);
  EXPECT_EQ((R("ports:[1-10]") + R("ports:[11-20,30-40]")).ports(), ranges({{1, 20}, {30, 40}}));
  EXPECT_EQ((R("z:{a,b}") + R("z:{b,c}")).set("z"), (std::vector<std::string>{"a", "b", "c"}));
  Resources r = R("cpus:1");
  r += r;
  EXPECT_EQ(r, R("cpus:2"));
}

TEST(ResourcesArithmetic, SubtractionNeverGoesNegative) {
  EXPECT_EQ(R("cpus:3;mem:10") - R("cpus:1"), R("cpus:2;mem:10"));
  EXPECT_EQ(R("cpus:1;mem:10") - R("cpus:2"), R("mem:10"));  // floored, and dropped when zero
  EXPECT_TRUE((R("cpus:1") - R("cpus:1")).empty());
  EXPECT_EQ(R("cpus(eng):2") - R("cpus:1"), R("cpus(eng):2"));  // other identity: no-op
  EXPECT_EQ((R("ports:[1-10]") - R("ports:[3-5,9-20]")).ports(), ranges({{1, 2}, {6, 8}}));
  EXPECT_EQ((R("z:{a,b,c}") - R("z:{b,d}")).set("z"), (std::vector<std::string>{"a", "c"}));
  Resources r = R("cpus:1");
  r -= r;
  EXPECT_TRUE(r.empty());
}

TEST(ResourcesArithmetic, Contains) {
  Resources agent = R("cpus:4;mem:1024;ports:[1000-2000,3000-3010];z:{a,b,c};cpus(eng):2");
  EXPECT_TRUE(agent.contains(agent));
  EXPECT_TRUE(agent.contains(Resources()));
  EXPECT_TRUE(agent.contains(R("cpus:4;mem:1")));
  EXPECT_FALSE(agent.contains(R("cpus:4.001")));
  EXPECT_FALSE(agent.contains(R("cpus:5")));  // 4 unreserved + 2 reserved do not make 5 unreserved
  EXPECT_TRUE(agent.contains(R("cpus(eng):2")));
  EXPECT_FALSE(agent.contains(R("cpus(dev):1")));
  EXPECT_TRUE(agent.contains(R("ports:[1000-1000,1500-2000,3005-3010]")));
  EXPECT_FALSE(agent.contains(R("ports:[1999-3000]")));
  EXPECT_TRUE(agent.contains(R("z:{c,a}")));
  EXPECT_FALSE(agent.contains(R("z:{d}")));
  EXPECT_FALSE(agent.contains(R("gpus:1")));
  EXPECT_FALSE(agent.contains(R("cpus{REV}:1")));
}

TEST(ResourcesArithmetic, EqualityIgnoresOrder) {
  EXPECT_EQ(R("cpus:1;mem:2;ports:[1-2]"), R("ports:[1-2];mem:2;cpus:1"));
  EXPECT_NE(R("cpus:1"), R("cpus:1;mem:1"));
  EXPECT_NE(R("cpus:1"), R("cpus(eng):1"));
  EXPECT_NE(R("cpus:1"), R("cpus:1.001"));
}

TEST(ResourcesArithmetic, ScalarsSaturate) {
  Resources big = R("mem:9000000000000000");
  EXPECT_EQ((big + big + big).begin()->scalarMillis(), std::numeric_limits<std::int64_t>::max());
}

TEST(ResourcesArithmetic, Quantities) {
  Resources r = R("cpus:1;cpus(eng):2.5;mem:3;ports:[1-100];z:{a}");
  ResourceQuantities q = r.quantities();
  EXPECT_EQ(q.get("cpus"), 3.5);
  EXPECT_EQ(q.get("mem"), 3.0);
  EXPECT_EQ(q.get("ports"), 0.0);  // scalars only
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.toString(), "cpus:3.5; mem:3");

  auto minimum = ResourceQuantities::parse("cpus:0.01;mem:32");
  ASSERT_TRUE(minimum) << minimum.error().message();
  EXPECT_TRUE(R("cpus:1;mem:32").contains(*minimum));
  EXPECT_FALSE(R("cpus:1;mem:31.999").contains(*minimum));
  auto ports = ResourceQuantities::parse("ports:100");
  ASSERT_TRUE(ports);
  EXPECT_TRUE(r.contains(*ports));  // range lengths count toward the quantity
  EXPECT_FALSE(R("ports:[1-99]").contains(*ports));

  EXPECT_EQ((q - *minimum).toString(), "cpus:3.49");
  EXPECT_EQ((q + *minimum).get("mem"), 35.0);
  EXPECT_TRUE(q.contains(*ResourceQuantities::parse("cpus:3.5")));
  EXPECT_FALSE(q.contains(*ResourceQuantities::parse("gpus:1")));
  EXPECT_EQ(ResourceQuantities::parse("ports:[1-2]").error().message(),
            "invalid quantity 'ports:[1-2]': only scalar values are allowed");
}

// ---------------------------------------------------------------------------
// Filters, reservations and allocations

TEST(ResourcesFilter, HierarchicalRoles) {
  Resources r = R("cpus:1;cpus(eng):2;cpus(eng/web):4;cpus(dev):8;cpus(engineering):16");
  EXPECT_EQ(r.reserved().cpus(), 30.0);
  EXPECT_EQ(r.unreserved().cpus(), 1.0);
  EXPECT_EQ(r.reserved("eng").cpus(), 2.0);  // exact role only
  EXPECT_EQ(r.allocatableTo("eng").cpus(), 3.0);
  EXPECT_EQ(r.allocatableTo("eng/web").cpus(), 7.0);  // its own, its ancestor's, unreserved
  EXPECT_EQ(r.allocatableTo("eng/web/api").cpus(), 7.0);
  EXPECT_EQ(r.allocatableTo("engineering").cpus(), 17.0);  // "eng" is not its ancestor
  EXPECT_EQ(r.allocatableTo("other").cpus(), 1.0);
  auto byRole = r.reservations();
  EXPECT_EQ(byRole.size(), 4u);
  EXPECT_EQ(byRole["eng/web"], R("cpus(eng/web):4"));
  EXPECT_TRUE(Resources::isStrictSubrole("eng/web", "eng"));
  EXPECT_FALSE(Resources::isStrictSubrole("eng", "eng"));
  EXPECT_FALSE(Resources::isStrictSubrole("engineering", "eng"));
}

TEST(ResourcesFilter, RevocableNamesAndPredicates) {
  Resources r = R("cpus:1;cpus{REV}:2;mem:3;ports:[1-5]");
  EXPECT_EQ(r.revocable(), R("cpus{REV}:2"));
  EXPECT_EQ(r.nonRevocable(), R("cpus:1;mem:3;ports:[1-5]"));
  EXPECT_EQ(r.cpus(), 3.0);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"cpus", "mem", "ports"}));
  EXPECT_EQ(r.named("cpus").size(), 2u);
  EXPECT_EQ(r.scalars(), R("cpus:1;cpus{REV}:2;mem:3"));
  EXPECT_EQ(r.filter([](const Resource& x) { return x.name() == "mem"; }), R("mem:3"));
}

TEST(ResourcesFilter, AllocateAndUnallocate) {
  Resources r = R("cpus:1;mem:2;cpus(eng):3");
  r.allocate("web");
  for (const Resource& x : r)
    EXPECT_EQ(x.allocationRole(), "web");
  EXPECT_EQ(r.allocatedTo("web").size(), 3u);
  EXPECT_TRUE(r.allocatedTo("eng").empty());
  EXPECT_TRUE(r.unallocated().empty());
  EXPECT_NE(r, R("cpus:1;mem:2;cpus(eng):3"));  // allocation is part of identity
  EXPECT_EQ(r.toString(),
            "cpus(allocated: web):1; mem(allocated: web):2; cpus(allocated: web)(eng):3");

  Resources other = R("cpus:4");
  other.allocate("api");
  Resources both = r + other;
  EXPECT_EQ(both.allocations().size(), 2u);
  both.allocate("web");  // entries that now agree merge
  EXPECT_EQ(both.size(), 3u);
  EXPECT_EQ(both.unreserved().cpus(), 5.0);
  both.unallocate();
  EXPECT_EQ(both, R("cpus:5;mem:2;cpus(eng):3"));
}

TEST(ResourcesFilter, PushAndPopReservations) {
  Resources r = R("cpus:1;mem:2");
  auto eng = r.pushReservation(Reservation::makeDynamic("eng", "alice"));
  ASSERT_TRUE(eng) << eng.error().message();
  EXPECT_EQ(eng->reserved("eng"), *eng);
  EXPECT_EQ(
      eng->toString(),
      "cpus(reservations: [(DYNAMIC,eng,alice)]):1; mem(reservations: [(DYNAMIC,eng,alice)]):2");
  auto web = eng->pushReservation(Reservation::makeDynamic("eng/web"));
  ASSERT_TRUE(web) << web.error().message();
  EXPECT_EQ(web->reserved("eng/web").size(), 2u);
  EXPECT_EQ(web->popReservation(), eng);
  EXPECT_EQ(eng->popReservation(), r);
  EXPECT_EQ(web->toUnreserved(), r);

  EXPECT_EQ(eng->pushReservation(Reservation::makeDynamic("dev")).error().message(),
            "cannot reserve 'cpus(reservations: [(DYNAMIC,eng,alice)]):1': invalid refined "
            "reservation: role 'dev' "
            "is not a refinement of 'eng'");
  EXPECT_EQ(eng->pushReservation(Reservation::makeStatic("eng/web")).error().message(),
            "cannot reserve 'cpus(reservations: [(DYNAMIC,eng,alice)]):1': invalid refined "
            "reservation: a refined "
            "reservation cannot be STATIC");
  EXPECT_EQ(r.pushReservation(Reservation::makeDynamic("*")).error().message(),
            "cannot reserve 'cpus:1': invalid reservation: role '*' cannot be reserved");
  EXPECT_EQ(r.popReservation().error().message(),
            "cannot pop a reservation of unreserved resource 'cpus:1'");
  // Mixed: pops merge identities that become equal.
  Resources mixed =
      R("cpus(eng):1") + *R("cpus(eng):2").pushReservation(Reservation::makeDynamic("eng/a"));
  EXPECT_EQ(mixed.size(), 2u);
  auto refinedOnly = mixed.reserved("eng/a").popReservation();
  ASSERT_TRUE(refinedOnly);
  EXPECT_EQ(*refinedOnly + mixed.reserved("eng"), R("cpus(eng):3"));
}

// ---------------------------------------------------------------------------
// Printing

TEST(ResourcesPrint, MesosTextStyle) {
  EXPECT_EQ(R("cpus:4;mem:8192;ports:[31000-32000];disk(role1):100").toString(),
            "cpus:4; mem:8192; ports:[31000-32000]; disk(role1):100");
  EXPECT_EQ(R("cpus:0.5;mem:1.25;disk:3.3333;gpus:1000000").toString(),
            "cpus:0.5; mem:1.25; disk:3.333; gpus:1000000");
  EXPECT_EQ(R("ports:[1-10,20-30];z:{c,a,b}").toString(), "ports:[1-10, 20-30]; z:{a, b, c}");
  EXPECT_EQ(Resources().toString(), "");
  std::ostringstream out;
  out << R("cpus{REV}:1");
  EXPECT_EQ(out.str(), "cpus{REV}:1");
}

TEST(ResourcesPrint, RoundTripsThroughParse) {
  for (const char* text : {
           "cpus:4; mem:8192; ports:[31000-32000]; disk(role1):100",
           "cpus:0.001; mem(eng/web/api):1.5; z:{a, b}",
           "cpus(allocated: web)(reservations: [(STATIC,eng),(DYNAMIC,eng/web,alice,{k: v, "
           "flag})]){REV}:2",
           "cpus(reservations: [(DYNAMIC,eng,)]):1",    // empty principal is kept
           "cpus(reservations: [(DYNAMIC,eng,{})]):1",  // empty labels are kept
           "cpus(allocated: *):1",
       }) {
    Resources parsed = R(text);
    EXPECT_EQ(parsed.toString(), text);
    EXPECT_EQ(R(parsed.toString()), parsed) << text;
  }
}

// ---------------------------------------------------------------------------
// Wire format

v1::Resource scalarWire(const std::string& name, double value) {
  v1::Resource wire;
  wire.set_name(name);
  wire.set_type(v1::Value::SCALAR);
  wire.mutable_scalar()->set_value(value);
  return wire;
}

std::string wireError(const v1::Resource& wire) {
  auto r = Resource::fromWire(wire);
  return r ? "converted to '" + r->toString() + "'" : r.error().message();
}

TEST(ResourcesWire, RoundTrip) {
  google::protobuf::RepeatedPtrField<v1::Resource> wire;
  Resources original = R("cpus:4;mem(eng):8.5;ports:[1-10,20-30];z:{a,b};cpus{REV}:1") +
                       *R("gpus(eng):1").pushReservation(Reservation::makeDynamic("eng/ml", "bob"));
  original.allocate("eng/ml");
  original.toWire(&wire);
  EXPECT_EQ(wire.size(), 6);
  auto back = Resources::fromWire(wire);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, original);
  EXPECT_EQ(back->toString(), original.toString());
  const v1::Resource& mem = wire.Get(1);
  EXPECT_EQ(mem.reservations_size(), 1);
  EXPECT_EQ(mem.reservations(0).type(), v1::Resource::ReservationInfo::STATIC);
  EXPECT_EQ(mem.reservations(0).role(), "eng");
  EXPECT_EQ(mem.allocation_info().role(), "eng/ml");
  EXPECT_EQ(mem.scalar().value(), 8.5);
}

TEST(ResourcesWire, PreRefinementInput) {
  v1::Resource wire = scalarWire("cpus", 2);
  wire.set_role("eng");  // deprecated format: a STATIC reservation
  auto staticRes = Resource::fromWire(wire);
  ASSERT_TRUE(staticRes) << staticRes.error().message();
  EXPECT_EQ(staticRes->reservations(), std::vector<Reservation>{Reservation::makeStatic("eng")});

  wire.mutable_reservation()->set_principal("alice");  // with `reservation`: DYNAMIC
  auto dynamicRes = Resource::fromWire(wire);
  ASSERT_TRUE(dynamicRes) << dynamicRes.error().message();
  EXPECT_EQ(dynamicRes->reservations(),
            std::vector<Reservation>{Reservation::makeDynamic("eng", "alice")});

  v1::Resource out;
  dynamicRes->toWire(&out);  // post-refinement only
  EXPECT_FALSE(out.has_role());
  EXPECT_FALSE(out.has_reservation());
  ASSERT_EQ(out.reservations_size(), 1);
  EXPECT_EQ(out.reservations(0).principal(), "alice");

  dynamicRes->toWire(&out, WireFormat::kEndpoint);  // both, for older clients
  EXPECT_EQ(out.role(), "eng");
  EXPECT_EQ(out.reservation().principal(), "alice");
  EXPECT_EQ(out.reservations_size(), 1);
  auto again = Resource::fromWire(out);  // and Mesos accepts the consistent mix
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *dynamicRes);
}

TEST(ResourcesWire, ValidationErrors) {
  v1::Resource w = scalarWire("", 1);
  EXPECT_EQ(wireError(w), "invalid resource: empty name");
  EXPECT_EQ(wireError(scalarWire("cpus", -1)),
            "invalid resource 'cpus': scalar value -1 is negative");
  EXPECT_EQ(wireError(scalarWire("cpus", std::numeric_limits<double>::infinity())),
            "invalid resource 'cpus': scalar value inf is not finite");

  w = scalarWire("cpus", 1);
  w.mutable_ranges();
  EXPECT_EQ(wireError(w),
            "invalid resource 'cpus': a SCALAR resource must have (only) 'scalar' set");

  w = scalarWire("p", 1);
  w.clear_scalar();
  w.set_type(v1::Value::RANGES);
  auto* range = w.mutable_ranges()->add_range();
  range->set_begin(9);
  range->set_end(1);
  EXPECT_EQ(wireError(w), "invalid resource 'p': range 9-1 has begin > end");

  w = scalarWire("z", 1);
  w.clear_scalar();
  w.set_type(v1::Value::SET);
  w.mutable_set()->add_item("a");
  w.mutable_set()->add_item("a");
  EXPECT_EQ(wireError(w), "invalid resource 'z': duplicate item 'a' in set");

  w = scalarWire("cpus", 1);
  w.add_reservations()->set_role("eng");
  EXPECT_EQ(wireError(w), "invalid resource 'cpus': invalid reservation: 'type' must be set");

  w = scalarWire("cpus", 1);
  w.mutable_reservation()->set_principal("p");
  EXPECT_EQ(
      wireError(w),
      "invalid resource 'cpus': invalid reservation: role '*' cannot be dynamically reserved");

  w = scalarWire("cpus", 1);
  w.set_role("dev");
  auto* r = w.add_reservations();
  r->set_type(v1::Resource::ReservationInfo::STATIC);
  r->set_role("eng");
  EXPECT_EQ(wireError(w),
            "invalid resource 'cpus': 'role' is 'dev' but 'reservations' reserve to 'eng'");

  w = scalarWire("cpus", 1);
  w.mutable_disk();
  EXPECT_EQ(wireError(w),
            "invalid resource 'cpus': 'disk' info is only valid for the 'disk' resource");

  w = scalarWire("cpus", 1);
  w.mutable_allocation_info();
  EXPECT_EQ(wireError(w), "invalid resource 'cpus': 'allocation_info.role' must be set");

  google::protobuf::RepeatedPtrField<v1::Resource> list;
  *list.Add() = scalarWire("cpus", 1);
  *list.Add() = scalarWire("mem", -2);
  EXPECT_EQ(Resources::fromWire(list).error().message(),
            "resource #1: invalid resource 'mem': scalar value -2 is negative");
}

v1::Resource volumeWire(const std::string& id, double size, bool shared) {
  v1::Resource wire = scalarWire("disk", size);
  auto* reservation = wire.add_reservations();
  reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role("eng");
  wire.mutable_disk()->mutable_persistence()->set_id(id);
  if (shared) wire.mutable_shared();
  return wire;
}

Resource fromWire(const v1::Resource& wire) {
  auto r = Resource::fromWire(wire);
  EXPECT_TRUE(r) << r.error().message();
  return r.value_or(*Resource::makeScalar("invalid", 1));
}

TEST(ResourcesWire, PersistentVolumesNeverMergeOrSplit) {
  Resource volume = fromWire(volumeWire("v1", 100, false));
  Resources twice = Resources(volume) + volume;
  EXPECT_EQ(twice.size(), 2u);
  EXPECT_EQ(twice.disk(), 200.0);
  EXPECT_TRUE(twice.contains(Resources(volume)));
  EXPECT_FALSE(Resources(volume).contains(twice));
  EXPECT_EQ(twice - volume, Resources(volume));
  // A smaller volume with the same id is not a part of it.
  Resource half = fromWire(volumeWire("v1", 50, false));
  EXPECT_FALSE(Resources(volume).contains(half));
  EXPECT_EQ(Resources(volume) - half, Resources(volume));
  EXPECT_EQ(twice.persistentVolumes(), twice);

  // MOUNT disks are exclusive too.
  v1::Resource mountWire = scalarWire("disk", 100);
  mountWire.mutable_disk()->mutable_source()->set_type(v1::Resource::DiskInfo::Source::MOUNT);
  mountWire.mutable_disk()->mutable_source()->mutable_mount()->set_root("/mnt/a");
  Resource mount = fromWire(mountWire);
  mountWire.mutable_scalar()->set_value(50);
  EXPECT_FALSE(Resources(mount).contains(fromWire(mountWire)));
  EXPECT_EQ((Resources(mount) + mount).size(), 2u);
  EXPECT_EQ(mount.toString(), "disk[MOUNT(/mnt/a)]:100");
}

TEST(ResourcesWire, SharedVolumesCountCopies) {
  Resource shared = fromWire(volumeWire("s1", 10, true));
  Resources twice = Resources(shared) + shared;
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice.begin()->sharedCount(), 2u);
  EXPECT_EQ(twice.disk(), 10.0);  // one volume, used twice
  EXPECT_TRUE(twice.contains(Resources(shared)));
  EXPECT_FALSE(Resources(shared).contains(twice));
  EXPECT_EQ(twice - shared, Resources(shared));
  EXPECT_EQ(twice.shared(), twice);
  EXPECT_TRUE(twice.nonShared().empty());
  google::protobuf::RepeatedPtrField<v1::Resource> wire;
  twice.toWire(&wire);
  EXPECT_EQ(wire.size(), 2);
  EXPECT_EQ(Resources::fromWire(wire), twice);
}

TEST(ResourcesResource, Factories) {
  auto cpus = Resource::makeScalar("cpus", 1.5);
  ASSERT_TRUE(cpus);
  EXPECT_EQ(cpus->toString(), "cpus:1.5");
  EXPECT_EQ(Resource::makeScalar("cpus", -1).error().message(),
            "invalid resource 'cpus': value is negative");
  EXPECT_EQ(Resource::makeScalar("", 1).error().message(), "invalid resource: empty name");
  auto ports = Resource::makeRanges("ports", {{20, 30}, {1, 10}, {11, 12}});
  ASSERT_TRUE(ports);
  EXPECT_EQ(ports->ranges(), ranges({{1, 12}, {20, 30}}));
  EXPECT_EQ(Resource::makeRanges("ports", {{2, 1}}).error().message(),
            "invalid resource 'ports': range 2-1 has begin > end");
  EXPECT_EQ(Resource::makeSet("z", {"a", "a"}).error().message(),
            "invalid resource 'z': duplicate item 'a' in set");

  Resource c = *cpus;
  ASSERT_TRUE(c.pushReservation(Reservation::makeStatic("eng")));
  EXPECT_TRUE(c.isAllocatableTo("eng/x"));
  EXPECT_FALSE(c.isAllocatableTo("dev"));
  c.setRevocable(true);
  c.allocate("eng");
  EXPECT_EQ(c.toString(), "cpus(allocated: eng)(eng){REV}:1.5");
  EXPECT_FALSE(c.sameIdentity(*cpus));
  EXPECT_EQ(Resources(c) + Resources(*cpus), R(c.toString() + ";" + cpus->toString()));
}

}  // namespace
}  // namespace plexus
