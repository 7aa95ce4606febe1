// A Hook that does nothing, for scripts/check-sdk.sh: built against the installed
// SDK with -D_GLIBCXX_USE_CXX11_ABI=0 it carries an ABI tag that differs from the
// daemons' in one field, and must be refused with both tags named. It touches no
// SDK function that takes or returns a std::string, so it links despite the flag.
#include <memory>

#include <plexus/hook.hpp>
#include <plexus/module.hpp>

namespace {

class NothingHook final : public plexus::Hook {
 public:
  static plexus::Result<std::unique_ptr<NothingHook>> create(const plexus::Parameters&) {
    return std::make_unique<NothingHook>();
  }
};

}  // namespace

PLEXUS_MODULE_LIBRARY(plexus::moduleManifest<plexus::Hook, NothingHook>(
    {.name = "abi_mismatch_hook",
     .version = "1.0.0",
     .author = "Plexus tests",
     .description = "Does nothing; built with another ABI tag to be refused."}));
