#include <sys/stat.h>

#include <plexus/container_logger.hpp>

namespace plexus {

Result<void> checkSandbox(const ContainerId& container, const v1::ContainerConfig& config) {
  const std::string& sandbox = config.directory();
  struct stat st {};
  if (sandbox.empty() || ::stat(sandbox.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail("the sandbox '" + sandbox + "' of container " + container.value() +
                " is not a directory");
  }
  return {};
}

}  // namespace plexus
