// Unit tests of the operation -> conversion rules the allocator applies in
// updateAvailable and the master to agents' totals (Mesos's getResourceConversions).
#include <gtest/gtest.h>

#include <plexus/resource_conversions.hpp>

namespace plexus {
namespace {

Resources R(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(Resources());
}

Resources dynamic(std::string_view text, const std::string& role) {
  auto reserved = R(text).pushReservation(Reservation::makeDynamic(role, "ops"));
  EXPECT_TRUE(reserved.has_value());
  return reserved.value_or(Resources());
}

Result<Resources> apply(const Resources& resources, const v1::Offer::Operation& operation) {
  auto conversions = conversionsOf(operation);
  if (!conversions) return fail(conversions.error());
  return applyConversions(resources, *conversions);
}

// A persistent volume on `disk` MB of plain disk.
Resources volume(double disk, const std::string& role, const std::string& id) {
  v1::Resource wire;
  R("disk:1").begin()->toWire(&wire);
  wire.mutable_scalar()->set_value(disk);
  auto* reservation = wire.add_reservations();
  reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role(role);
  reservation->set_principal("ops");
  wire.mutable_disk()->mutable_persistence()->set_id(id);
  wire.mutable_disk()->mutable_volume()->set_container_path("data");
  wire.mutable_disk()->mutable_volume()->set_mode(v1::Volume::RW);
  auto resource = Resource::fromWire(wire);
  EXPECT_TRUE(resource.has_value()) << resource.error().message();
  return resource ? Resources(*resource) : Resources();
}

TEST(ResourceConversions, ReserveAndUnreserve) {
  v1::Offer::Operation reserve;
  reserve.set_type(v1::Offer::Operation::RESERVE);
  dynamic("cpus:1", "eng").toWire(reserve.mutable_reserve()->mutable_resources());
  auto reserved = apply(R("cpus:4;mem:128"), reserve);
  ASSERT_TRUE(reserved.has_value()) << reserved.error().message();
  EXPECT_EQ(*reserved, R("cpus:3;mem:128") + dynamic("cpus:1", "eng"));

  v1::Offer::Operation unreserve;
  unreserve.set_type(v1::Offer::Operation::UNRESERVE);
  dynamic("cpus:1", "eng").toWire(unreserve.mutable_unreserve()->mutable_resources());
  auto unreserved = apply(*reserved, unreserve);
  ASSERT_TRUE(unreserved.has_value());
  EXPECT_EQ(*unreserved, R("cpus:4;mem:128"));
}

TEST(ResourceConversions, ReserveWithASourceChangesTheReservation) {
  v1::Offer::Operation reserve;
  reserve.set_type(v1::Offer::Operation::RESERVE);
  dynamic("cpus:1", "eng").toWire(reserve.mutable_reserve()->mutable_source());
  dynamic("cpus:1", "web").toWire(reserve.mutable_reserve()->mutable_resources());
  auto moved = apply(R("cpus:1") + dynamic("cpus:1", "eng"), reserve);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(*moved, R("cpus:1") + dynamic("cpus:1", "web"));
}

TEST(ResourceConversions, CreateGrowShrinkAndDestroyAVolume) {
  const Resources plain = dynamic("disk:100", "eng");
  v1::Offer::Operation create;
  create.set_type(v1::Offer::Operation::CREATE);
  volume(60, "eng", "v1").toWire(create.mutable_create()->mutable_volumes());
  auto created = apply(plain, create);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  EXPECT_EQ(*created, dynamic("disk:40", "eng") + volume(60, "eng", "v1"));

  v1::Offer::Operation grow;
  grow.set_type(v1::Offer::Operation::GROW_VOLUME);
  volume(60, "eng", "v1").begin()->toWire(grow.mutable_grow_volume()->mutable_volume());
  dynamic("disk:10", "eng").begin()->toWire(grow.mutable_grow_volume()->mutable_addition());
  auto grown = apply(*created, grow);
  ASSERT_TRUE(grown.has_value()) << grown.error().message();
  EXPECT_EQ(*grown, dynamic("disk:30", "eng") + volume(70, "eng", "v1"));

  v1::Offer::Operation shrink;
  shrink.set_type(v1::Offer::Operation::SHRINK_VOLUME);
  volume(70, "eng", "v1").begin()->toWire(shrink.mutable_shrink_volume()->mutable_volume());
  shrink.mutable_shrink_volume()->mutable_subtract()->set_value(20);
  auto shrunk = apply(*grown, shrink);
  ASSERT_TRUE(shrunk.has_value()) << shrunk.error().message();
  EXPECT_EQ(*shrunk, dynamic("disk:50", "eng") + volume(50, "eng", "v1"));

  v1::Offer::Operation destroy;
  destroy.set_type(v1::Offer::Operation::DESTROY);
  volume(50, "eng", "v1").toWire(destroy.mutable_destroy()->mutable_volumes());
  auto destroyed = apply(*shrunk, destroy);
  ASSERT_TRUE(destroyed.has_value()) << destroyed.error().message();
  EXPECT_EQ(*destroyed, plain);
}

TEST(ResourceConversions, LaunchConvertsNothing) {
  v1::Offer::Operation launch;
  launch.set_type(v1::Offer::Operation::LAUNCH);
  auto conversions = conversionsOf(launch);
  ASSERT_TRUE(conversions.has_value());
  EXPECT_TRUE(conversions->empty());
}

TEST(ResourceConversions, MissingResourcesAndUnsupportedOperationsFail) {
  v1::Offer::Operation reserve;
  reserve.set_type(v1::Offer::Operation::RESERVE);
  dynamic("cpus:2", "eng").toWire(reserve.mutable_reserve()->mutable_resources());
  auto missing = apply(R("cpus:1"), reserve);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("not available"), std::string::npos);

  v1::Offer::Operation unreserveUnreserved;
  unreserveUnreserved.set_type(v1::Offer::Operation::UNRESERVE);
  R("cpus:1").toWire(unreserveUnreserved.mutable_unreserve()->mutable_resources());
  EXPECT_FALSE(conversionsOf(unreserveUnreserved).has_value());

  v1::Offer::Operation createDisk;
  createDisk.set_type(v1::Offer::Operation::CREATE_DISK);
  EXPECT_FALSE(conversionsOf(createDisk).has_value());

  v1::Offer::Operation shrinkAll;
  shrinkAll.set_type(v1::Offer::Operation::SHRINK_VOLUME);
  volume(10, "eng", "v1").begin()->toWire(shrinkAll.mutable_shrink_volume()->mutable_volume());
  shrinkAll.mutable_shrink_volume()->mutable_subtract()->set_value(10);
  EXPECT_FALSE(conversionsOf(shrinkAll).has_value());
}

}  // namespace
}  // namespace plexus
