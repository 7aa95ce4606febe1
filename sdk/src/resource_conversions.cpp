#include "plexus/resource_conversions.hpp"

#include <cmath>
#include <string>

namespace plexus {

namespace {

// A persistent volume without its persistence and volume info: the plain disk it
// was created from (Mesos strips the whole DiskInfo when the disk has no source).
// Only persistent volumes may be shared, so the plain disk is not.
Result<Resource> plainDiskOf(const Resource& volume) {
  v1::Resource wire;
  volume.toWire(&wire);
  if (wire.disk().has_source()) {
    wire.mutable_disk()->clear_persistence();
    wire.mutable_disk()->clear_volume();
  } else {
    wire.clear_disk();
  }
  wire.clear_shared();
  return Resource::fromWire(wire);
}

Result<Resource> withScalar(const Resource& resource, std::int64_t millis) {
  v1::Resource wire;
  resource.toWire(&wire);
  wire.mutable_scalar()->set_value(static_cast<double>(millis) / Resource::kScalarScale);
  return Resource::fromWire(wire);
}

Result<std::vector<ResourceConversion>> reserve(const v1::Offer::Operation::Reserve& reserve) {
  auto converted = Resources::fromWire(reserve.resources());
  if (!converted) return fail(converted.error().context("RESERVE"));
  if (reserve.source_size() > 0) {
    // Since Mesos 1.10 a RESERVE may name its source: a reservation being changed.
    auto source = Resources::fromWire(reserve.source());
    if (!source) return fail(source.error().context("RESERVE source"));
    return std::vector<ResourceConversion>{{*source, *converted}};
  }
  auto consumed = converted->popReservation();
  if (!consumed) return fail(consumed.error().context("RESERVE"));
  return std::vector<ResourceConversion>{{*consumed, *converted}};
}

Result<std::vector<ResourceConversion>> unreserve(
    const v1::Offer::Operation::Unreserve& unreserve) {
  auto consumed = Resources::fromWire(unreserve.resources());
  if (!consumed) return fail(consumed.error().context("UNRESERVE"));
  auto converted = consumed->popReservation();
  if (!converted) return fail(converted.error().context("UNRESERVE"));
  return std::vector<ResourceConversion>{{*consumed, *converted}};
}

// CREATE turns plain disks into volumes; DESTROY (create == false) the reverse.
Result<std::vector<ResourceConversion>> volumes(
    const google::protobuf::RepeatedPtrField<v1::Resource>& wire, bool create) {
  const char* what = create ? "CREATE" : "DESTROY";
  auto volumes = Resources::fromWire(wire);
  if (!volumes) return fail(volumes.error().context(what));
  std::vector<ResourceConversion> conversions;
  for (const Resource& volume : *volumes) {
    auto plain = plainDiskOf(volume);
    if (!plain) return fail(plain.error().context(what));
    Resources stripped(*plain);
    Resources full(volume);
    if (create) {
      conversions.push_back({stripped, full});
    } else {
      conversions.push_back({full, stripped});
    }
  }
  return conversions;
}

Result<std::vector<ResourceConversion>> growVolume(const v1::Offer::Operation::GrowVolume& grow) {
  auto volume = Resource::fromWire(grow.volume());
  if (!volume) return fail(volume.error().context("GROW_VOLUME"));
  auto addition = Resource::fromWire(grow.addition());
  if (!addition) return fail(addition.error().context("GROW_VOLUME"));
  auto grown = withScalar(*volume, volume->scalarMillis() + addition->scalarMillis());
  if (!grown) return fail(grown.error().context("GROW_VOLUME"));
  return std::vector<ResourceConversion>{{Resources(*volume) + *addition, Resources(*grown)}};
}

Result<std::vector<ResourceConversion>> shrinkVolume(
    const v1::Offer::Operation::ShrinkVolume& shrink) {
  auto volume = Resource::fromWire(shrink.volume());
  if (!volume) return fail(volume.error().context("SHRINK_VOLUME"));
  const double subtract = shrink.subtract().value();
  if (!std::isfinite(subtract) || subtract <= 0) {
    return fail("SHRINK_VOLUME: the amount to subtract must be positive");
  }
  const auto millis = static_cast<std::int64_t>(std::llround(subtract * Resource::kScalarScale));
  if (millis >= volume->scalarMillis()) {
    return fail("SHRINK_VOLUME: cannot subtract " + std::to_string(subtract) + " from " +
                volume->toString());
  }
  auto shrunk = withScalar(*volume, volume->scalarMillis() - millis);
  if (!shrunk) return fail(shrunk.error().context("SHRINK_VOLUME"));
  auto plain = plainDiskOf(*volume);
  if (!plain) return fail(plain.error().context("SHRINK_VOLUME"));
  auto freed = withScalar(*plain, millis);
  if (!freed) return fail(freed.error().context("SHRINK_VOLUME"));
  return std::vector<ResourceConversion>{{Resources(*volume), Resources(*shrunk) + *freed}};
}

}  // namespace

Result<std::vector<ResourceConversion>> conversionsOf(const v1::Offer::Operation& operation) {
  using Operation = v1::Offer::Operation;
  switch (operation.type()) {
    case Operation::LAUNCH:
    case Operation::LAUNCH_GROUP:
      return std::vector<ResourceConversion>{};
    case Operation::RESERVE:
      return reserve(operation.reserve());
    case Operation::UNRESERVE:
      return unreserve(operation.unreserve());
    case Operation::CREATE:
      return volumes(operation.create().volumes(), true);
    case Operation::DESTROY:
      return volumes(operation.destroy().volumes(), false);
    case Operation::GROW_VOLUME:
      return growVolume(operation.grow_volume());
    case Operation::SHRINK_VOLUME:
      return shrinkVolume(operation.shrink_volume());
    case Operation::CREATE_DISK:
    case Operation::DESTROY_DISK:
      return fail(Operation::Type_Name(operation.type()) +
                  " is not supported: it needs a resource provider");
    default:
      return fail("unknown operation type " + std::to_string(static_cast<int>(operation.type())));
  }
}

Result<Resources> applyConversions(Resources resources,
                                   const std::vector<ResourceConversion>& conversions) {
  for (const ResourceConversion& conversion : conversions) {
    if (!resources.contains(conversion.consumed)) {
      return fail("resources " + conversion.consumed.toString() + " are not available (have " +
                  resources.toString() + ")");
    }
    resources -= conversion.consumed;
    resources += conversion.converted;
  }
  return resources;
}

}  // namespace plexus
