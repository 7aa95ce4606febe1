// Random (version 4) UUIDs, as Mesos uses them: status update uuids travel as 16
// raw bytes (base64 in JSON); IDs such as the master's id, container ids and
// Mesos-Stream-Id use the 36-character text form. Safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include <plexus/export.hpp>

namespace plexus {

// 16 random bytes with the version-4 and RFC 4122 variant bits set.
PLEXUS_API std::string randomUuidBytes();

// "6ba7b810-9dad-41d1-80b4-00c04fd430c8" for 16 bytes; "" for anything else.
PLEXUS_API std::string uuidToString(std::string_view bytes);

// uuidToString(randomUuidBytes()).
PLEXUS_API std::string randomUuidString();

}  // namespace plexus
