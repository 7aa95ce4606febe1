// Router: maps a request path to the handler of its longest registered prefix.
//
// Matching follows libprocess (and so Mesos clients' expectations): an exact match
// wins; otherwise the longest registered path that is a prefix of the request path
// on a segment boundary. A handler on "/api/v1" serves "/api/v1", "/api/v1/" and
// "/api/v1/operator", but not "/api/v1x". "/" matches everything, and only if
// registered. Registered paths are normalised: a trailing '/' is dropped ("/a/" is
// "/a") and they must start with '/'.
//
//   Router router;
//   router.add("/api/v1", operatorApi);
//   router.add("/master/api/v1/scheduler", schedulerApi);
//   const Handler* h = router.match("/api/v1/operator");   // operatorApi
//
// Owned by a Server (server.hpp); used on its io_context thread only.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include <plexus/error.hpp>

#include "http/responder.hpp"

namespace plexus::http {

// What the server enforces for a route before its handler runs (server.hpp).
struct RouteOptions {
  // The largest request body the route takes (the server's maxBodyBytes caps it
  // too); more gets 413 before the body is read. 0: the route takes no body
  // (GET endpoints, /health).
  std::uint64_t maxBodyBytes = std::numeric_limits<std::uint64_t>::max();
  // Its requests may use the server's reserved connections (ServerOptions::
  // reservedConnections): the agents' protocol, the executors' API.
  bool reserved = false;
  // Its requests carrying this header may use them too (e.g. "Mesos-Stream-Id": the
  // calls of a scheduler whose event stream is open). Empty: none.
  std::string reservedWithHeader{};
};

struct Route {
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  // Registers `handler` for `path`, replacing any handler already there.
  // Fails if `path` does not start with '/' or `handler` is empty.
  [[nodiscard]] Result<void> add(std::string_view path, Handler handler, RouteOptions options = {});

  // Removes the handler of `path`; returns whether there was one.
  bool remove(std::string_view path);

  // The handler for `path` (a decoded request path), or nullptr.
  const Handler* match(std::string_view path) const;
  // The route (handler and options) for `path`, or nullptr.
  const Route* matchRoute(std::string_view path) const;

  std::size_t size() const { return routes_.size(); }

 private:
  std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace plexus::http
