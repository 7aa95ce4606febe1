// Daemon: the start-up and shutdown that plexus-master and plexus-agent share.
//
// runDaemon() parses the flags (command line, then PLEXUS_<FLAG> environment
// variables), answers --help and --version, sets the log level, loads the module
// libraries named by --modules / --modules_dir and answers --list-modules. Then it
// builds the event loop, the Runtime and the HTTP server (serving /health and
// /version), calls the role's start(), which creates the role's modules and its
// routes, and runs the loop until SIGINT or SIGTERM.
//
// Every start-up refusal (a bad flag, a module refused by the loader, a module the
// role cannot create) ends the process with exit status 1 and one last line on
// stderr saying what was refused and why. Module instances the role made are
// destroyed before the process exits.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>

#include "common/flags.hpp"
#include "http/io_runtime.hpp"
#include "http/server.hpp"
#include "module/guarded_modules.hpp"
#include "module/module_flags.hpp"
#include "module/module_registry.hpp"

namespace plexus::daemon {

struct CommonFlags {
  std::string ip;
  int port = 0;
  std::string hostname;
  std::string workDir;
  std::string loggingLevel;
  // Log files (glog's names): --log_dir (empty: stderr only), --max_log_size (a
  // bare number is megabytes, as glog; or a byte size such as "64KB"), and our
  // --max_log_files (rotated files kept).
  std::string logDir;
  std::string maxLogSize;
  int maxLogFiles = 10;
  // TLS (docs/security.md): the flags override the LIBPROCESS_SSL_* environment.
  std::string sslCertFile;
  std::string sslKeyFile;
  std::string sslCaFile;
  bool sslRequireClientCert = false;
  // The HTTP server's limits (docs/security.md, "Hardening"), as given.
  std::string httpIdleTimeout;
  std::string httpHeaderTimeout;
  std::string httpBodyTimeout;
  std::string httpMaxRequestBody;
  std::string httpRequestBodyBudget;
  int httpMaxConnections = 0;
  int httpReservedConnections = 0;
  module::ModuleFlags modules;
};

// The HTTP server's options from the --http_* flags: durations and sizes parsed,
// the connection cap (0: three quarters of the soft RLIMIT_NOFILE) and its reserve
// (0: a tenth of the cap) worked out. Errors name the flag.
[[nodiscard]] Result<http::ServerOptions> httpServerOptions(const CommonFlags& flags);

// What a role's start() works with; all of it lives until the loop stops.
struct DaemonContext {
  const CommonFlags& flags;
  boost::asio::io_context& io;
  http::IoRuntime& runtime;
  http::Server& server;
  module::ModuleRegistry& modules;
  const Flags& allFlags;
  // Stops serving at once (the listener and every connection close) and ends the
  // loop; runDaemon() then destroys the role's objects and returns `status`.
  std::function<void(int status)> stop;
};

struct DaemonSpec {
  std::string program;      // "plexus-master"
  std::string description;  // one line for --help
  int defaultPort = 0;
  std::string defaultWorkDir;
  // Adds the role's own flags.
  std::function<void(Flags&)> addFlags;
  // Creates the role's modules and routes. Returns the objects to keep alive
  // until shutdown (destroyed in reverse order, before the libraries' process exits).
  std::function<Result<std::vector<std::shared_ptr<void>>>(DaemonContext&)> start;
};

// --max_log_size in bytes: a bare number is megabytes (glog's unit), otherwise a
// byte size ("64KB"). The error names the flag.
[[nodiscard]] Result<std::uint64_t> parseMaxLogSize(const std::string& text);

// Logs that module `name` serves `flag`.
void logModuleUse(std::string_view flag, const std::string& name);

int runDaemon(int argc, char** argv, const DaemonSpec& spec);

// Creates one instance of each module named in `names` for `flag` (e.g. "--hooks"),
// behind the barrier (module/guarded_modules.hpp), appending it to `keep` (which
// owns it) and returning plain pointers in order.
template <typename T>
Result<std::vector<T*>> createModules(const module::ModuleRegistry& registry, std::string_view flag,
                                      const std::vector<std::string>& names,
                                      std::vector<std::shared_ptr<void>>* keep) {
  std::vector<T*> made;
  for (const std::string& name : names) {
    auto instance = module::createGuarded<T>(registry, name, flag);
    if (!instance) return fail(instance.error());
    made.push_back(instance->get());
    keep->push_back(std::shared_ptr<T>(std::move(*instance)));
    logModuleUse(flag, name);
  }
  return made;
}

// The shipped ZooKeeper modules (modules/detector_zk) that --zk and --master=zk://
// stand for.
inline constexpr const char* kZooKeeperLibrary = "detector_zk";
inline constexpr const char* kZooKeeperContender = "detector_zk_contender";
inline constexpr const char* kZooKeeperDetector = "detector_zk_detector";
inline constexpr const char* kZooKeeperRegistryStore = "detector_zk_registry";

// True for a ZooKeeper master address: "zk://..." or "file://..." (a file holding one).
bool isZooKeeperUrl(std::string_view address);

// Loads detector_zk's detector (and, for a master, `withContender`, its contender
// and registry store) with the parameters zk=`url` and
// session_timeout=`sessionTimeout`, as --modules would.
// `flag` names the flag in errors; a module of that name already loaded by --modules
// is refused.
[[nodiscard]] Result<void> loadZooKeeperModules(module::ModuleRegistry& registry,
                                                const std::string& flag, const std::string& url,
                                                Duration sessionTimeout, bool withContender);

// Splits "a,b,c" into {"a","b","c"}, dropping empty entries and spaces.
std::vector<std::string> splitList(const std::string& list);

}  // namespace plexus::daemon
