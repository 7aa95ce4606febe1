#include "module/module_barrier.hpp"

#include <plexus/logging.hpp>

namespace plexus::module {
namespace {

std::string describeThrown(std::exception_ptr thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

// Wraps work a module hands the loop so that its exception stops here.
std::function<void()> guarded(std::shared_ptr<const ModuleLabel> module, const char* what,
                              std::function<void()> callback) {
  return [module = std::move(module), what, callback = std::move(callback)]() noexcept {
    (void)guardVoid(*module, what, "the daemon goes on", callback);
  };
}

}  // namespace

Error thrownError(const ModuleLabel& module, std::string_view method,
                  std::exception_ptr thrown) noexcept {
  try {
    return Error("module '" + module.name + "' (" + module.kind + ") threw from " +
                 std::string(method) + ": " + describeThrown(thrown));
  } catch (...) {
    return Error("a module threw and its error could not be described");
  }
}

void logModuleError(const Error& error, std::string_view consequence) noexcept {
  PLEXUS_LOG(Error) << error.message() << " (" << consequence << ")";
}

GuardedRuntime::GuardedRuntime(Runtime& inner, ModuleLabel module)
    : inner_(inner), module_(std::make_shared<const ModuleLabel>(std::move(module))) {}

Runtime::TimerId GuardedRuntime::schedule(Duration delay, std::function<void()> callback) {
  return inner_.schedule(delay, guarded(module_, "a timer callback", std::move(callback)));
}

void GuardedRuntime::post(std::function<void()> callback) {
  inner_.post(guarded(module_, "a function it posted to the loop", std::move(callback)));
}

}  // namespace plexus::module
