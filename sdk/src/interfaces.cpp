// Out-of-line destructors: they anchor each interface's vtable and type
// information in libplexus_sdk.so, so the core and every module share one copy.
#include <strings.h>

#include <plexus/allocator.hpp>
#include <plexus/authenticator.hpp>
#include <plexus/container_logger.hpp>
#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/registry_store.hpp>
#include <plexus/runtime.hpp>

namespace plexus {

Runtime::~Runtime() = default;
Allocator::~Allocator() = default;
Isolator::~Isolator() = default;
Hook::~Hook() = default;
Authenticator::~Authenticator() = default;
MasterContender::~MasterContender() = default;
MasterDetector::~MasterDetector() = default;
RegistryStore::~RegistryStore() = default;
ContainerLogger::~ContainerLogger() = default;

std::optional<std::string_view> HttpRequestView::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

}  // namespace plexus
