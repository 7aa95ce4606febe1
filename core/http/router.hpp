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

#include <map>
#include <string>
#include <string_view>

#include <plexus/error.hpp>

#include "http/responder.hpp"

namespace plexus::http {

class Router {
 public:
  // Registers `handler` for `path`, replacing any handler already there.
  // Fails if `path` does not start with '/' or `handler` is empty.
  [[nodiscard]] Result<void> add(std::string_view path, Handler handler);

  // Removes the handler of `path`; returns whether there was one.
  bool remove(std::string_view path);

  // The handler for `path` (a decoded request path), or nullptr.
  const Handler* match(std::string_view path) const;

  std::size_t size() const { return routes_.size(); }

 private:
  std::map<std::string, Handler, std::less<>> routes_;
};

}  // namespace plexus::http
