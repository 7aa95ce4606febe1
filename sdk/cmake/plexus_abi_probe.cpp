// Prints the module API version and the ABI tag a module compiled with the current
// compiler and flags would carry. PlexusConfig.cmake runs it at configure time and
// compares with the installed Plexus, so a mismatch is refused before anything is built.
#include <cstdio>

#include <plexus/module.hpp>

int main() {
  std::printf("%u|%s", static_cast<unsigned>(plexus::kModuleApiVersion), PLEXUS_ABI_TAG);
  return 0;
}
