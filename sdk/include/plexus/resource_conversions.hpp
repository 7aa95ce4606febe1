// What offer operations do to an agent's resources: the master's and the allocator's books.
//
// Operations (RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME, SHRINK_VOLUME)
// become ResourceConversions (`consumed` become `converted`, Mesos's
// getResourceConversions): the master applies them to an agent's total, an
// allocator (Allocator::updateAvailable, updateAllocation) to its own books. LAUNCH and
// LAUNCH_GROUP convert nothing. CREATE_DISK / DESTROY_DISK need a resource
// provider and are refused. Pure functions; errors name the operation or the
// missing resources.
#pragma once

#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

// Resources converted by an operation (e.g. a reservation): `consumed` become `converted`.
struct ResourceConversion {
  Resources consumed;
  Resources converted;
};

// The conversions `operation` makes, on unallocated resources.
PLEXUS_API Result<std::vector<ResourceConversion>> conversionsOf(
    const v1::Offer::Operation& operation);

// Applies `conversions` in order; fails, naming what is missing, if a conversion
// consumes something `resources` (as converted so far) does not contain.
PLEXUS_API Result<Resources> applyConversions(Resources resources,
                                              const std::vector<ResourceConversion>& conversions);

}  // namespace plexus
