// Ports on 127.0.0.1 for the daemons and servers a test starts on ports it must
// know in advance (a ZooKeeper ensemble, an agent restarted on the same port).
#pragma once

#include <cstddef>
#include <vector>

namespace plexus::testing {

// `count` distinct ports that can be bound now, below Linux's ephemeral range
// (32768+), so that no client socket of the tests takes one between this check
// and the server's bind.
std::vector<int> freePorts(std::size_t count);

}  // namespace plexus::testing
