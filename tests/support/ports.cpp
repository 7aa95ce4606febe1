#include "ports.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <random>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace plexus::testing {
namespace {

// Whether 127.0.0.1:`port` can be bound now.
bool portFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace

std::vector<int> freePorts(std::size_t count) {
  static std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pick(15000, 31999);
  std::set<int> chosen;
  while (chosen.size() < count) {
    int port = pick(random);
    if (!chosen.contains(port) && portFree(port)) chosen.insert(port);
  }
  std::vector<int> ports(chosen.begin(), chosen.end());
  std::shuffle(ports.begin(), ports.end(), random);
  return ports;
}

}  // namespace plexus::testing
