// The operation -> conversion rules now live in the SDK (<plexus/resource_conversions.hpp>),
// shared with the master; the allocator keeps its old names for them.
#pragma once

#include <plexus/resource_conversions.hpp>

namespace plexus::drf {

using plexus::applyConversions;
using plexus::conversionsOf;

}  // namespace plexus::drf
