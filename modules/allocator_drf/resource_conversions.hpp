// What offer operations do to an agent's resources, for the allocator's books.
//
// The master applies operator operations (RESERVE, UNRESERVE, CREATE, DESTROY,
// GROW_VOLUME, SHRINK_VOLUME) to an agent's unoffered resources through
// Allocator::updateAvailable; the allocator turns each into ResourceConversions
// (`consumed` become `converted`, Mesos's getResourceConversions) and applies
// them to its copy of the agent's available and total resources. LAUNCH and
// LAUNCH_GROUP convert nothing. CREATE_DISK / DESTROY_DISK need a resource
// provider and are refused. Pure functions; errors name the operation or the
// missing resources.
#pragma once

#include <vector>

#include <plexus/allocator.hpp>
#include <plexus/error.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::drf {

// The conversions `operation` makes, on unallocated resources.
[[nodiscard]] Result<std::vector<ResourceConversion>> conversionsOf(
    const v1::Offer::Operation& operation);

// Applies `conversions` in order; fails, naming what is missing, if a conversion
// consumes something `resources` (as converted so far) does not contain.
[[nodiscard]] Result<Resources> applyConversions(
    Resources resources, const std::vector<ResourceConversion>& conversions);

}  // namespace plexus::drf
