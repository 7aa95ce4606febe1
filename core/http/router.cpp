#include "http/router.hpp"

namespace plexus::http {
namespace {

std::string_view normalise(std::string_view path) {
  while (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  return path;
}

}  // namespace

Result<void> Router::add(std::string_view path, Handler handler, RouteOptions options) {
  if (path.empty() || path.front() != '/') {
    return fail("route '" + std::string(path) + "' must start with '/'");
  }
  if (!handler) return fail("route '" + std::string(path) + "' has an empty handler");
  routes_.insert_or_assign(std::string(normalise(path)),
                           Route{std::move(handler), std::move(options)});
  return {};
}

bool Router::remove(std::string_view path) {
  auto it = routes_.find(normalise(path));
  if (it == routes_.end()) return false;
  routes_.erase(it);
  return true;
}

const Handler* Router::match(std::string_view path) const {
  const Route* route = matchRoute(path);
  return route == nullptr ? nullptr : &route->handler;
}

const Route* Router::matchRoute(std::string_view path) const {
  if (path.empty() || path.front() != '/') return nullptr;
  // Strip trailing segments until a registered prefix remains, as libprocess does.
  std::string_view candidate = normalise(path);
  while (true) {
    if (auto it = routes_.find(candidate); it != routes_.end()) return &it->second;
    if (candidate == "/") return nullptr;
    auto slash = candidate.rfind('/');
    candidate = slash == 0 ? std::string_view("/") : normalise(candidate.substr(0, slash));
  }
}

}  // namespace plexus::http
