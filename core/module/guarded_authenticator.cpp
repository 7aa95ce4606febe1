// The Authenticator behind the barrier: an exception from initialize() stops the
// daemon at start-up with the module named; one from authenticate() is that
// request's Error, which the daemon logs with the module and answers with 500
// naming only the authenticator (core/auth/http_authentication.cpp).
#include "module/guarded_modules.hpp"

namespace plexus::module {
namespace {

class GuardedAuthenticator final : public Authenticator {
 public:
  GuardedAuthenticator(ModuleInstance<Authenticator> module, ModuleLabel label)
      : label_(std::move(label)), module_(std::move(module)) {}

  // A scheme the module cannot name is none: no challenge is sent for it.
  std::string scheme() const override {
    std::string scheme;
    (void)guardVoid(label_, "scheme()", "it names no scheme", [&] { scheme = module_->scheme(); });
    return scheme;
  }
  Result<void> initialize(const std::vector<v1::Credential>& credentials) override {
    return guardResult(label_, "initialize()", [&] { return module_->initialize(credentials); });
  }
  Result<AuthenticationResult> authenticate(const HttpRequestView& request,
                                            std::string_view realm) override {
    return guardResult(label_, "authenticate()",
                       [&] { return module_->authenticate(request, realm); });
  }

 private:
  ModuleLabel label_;
  ModuleInstance<Authenticator> module_;
};

}  // namespace

std::unique_ptr<Authenticator> guard(ModuleInstance<Authenticator> module, ModuleLabel label) {
  return std::make_unique<GuardedAuthenticator>(std::move(module), std::move(label));
}

}  // namespace plexus::module
