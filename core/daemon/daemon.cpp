#include "daemon/daemon.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include <plexus/logging.hpp>
#include <plexus/version.hpp>

#include "common/build_info.hpp"
#include "http/tls.hpp"

namespace plexus::daemon {
namespace po = boost::program_options;

namespace {

std::string defaultHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

void addCommonFlags(Flags& flags, CommonFlags* values, const DaemonSpec& spec) {
  flags.add()("ip", po::value<std::string>(&values->ip)->default_value("127.0.0.1"),
              "IP address to listen on (0.0.0.0 for every interface).")(
      "port", po::value<int>(&values->port)->default_value(spec.defaultPort), "Port to listen on.")(
      "hostname", po::value<std::string>(&values->hostname)->default_value("", "\"\""),
      "Hostname to advertise; empty means the machine's hostname.")(
      "work_dir", po::value<std::string>(&values->workDir)->default_value(spec.defaultWorkDir),
      "Folder for this daemon's persistent state.")(
      "logging_level", po::value<std::string>(&values->loggingLevel)->default_value("INFO"),
      "Lowest level logged to stderr (and to --log_dir): DEBUG, INFO, WARNING or ERROR.")(
      "log_dir", po::value<std::string>(&values->logDir)->default_value("", "\"\""),
      ("Folder for this daemon's log file, <log_dir>/" + spec.program +
       ".log, written besides stderr and rotated by --max_log_size and --max_log_files "
       "(made if missing). Empty: stderr only.")
          .c_str())(
      "max_log_size", po::value<std::string>(&values->maxLogSize)->default_value("1800"),
      "Largest size of the --log_dir file before it is rotated: a bare number is megabytes "
      "(glog's flag and default), or a byte size such as 64KB.")(
      "max_log_files", po::value<int>(&values->maxLogFiles)->default_value(10),
      ("Rotated --log_dir files kept, " + spec.program + ".log.1 (the newest) to " + spec.program +
       ".log.N; 0 empties the file instead.")
          .c_str())(
      "ssl_cert_file", po::value<std::string>(&values->sslCertFile)->default_value("", "\"\""),
      "PEM certificate of this daemon. With --ssl_key_file it turns on TLS: every endpoint "
      "and every client of the daemon (and of the executors an agent starts) speaks https. "
      "Empty: LIBPROCESS_SSL_CERT_FILE / LIBPROCESS_SSL_ENABLED decide (plain HTTP when unset).")(
      "ssl_key_file", po::value<std::string>(&values->sslKeyFile)->default_value("", "\"\""),
      "PEM private key for --ssl_cert_file.")(
      "ssl_ca_file", po::value<std::string>(&values->sslCaFile)->default_value("", "\"\""),
      "PEM CA certificate(s) that peers' certificates must chain to (the system's CAs when "
      "empty); clients verify the server's certificate and host name.")(
      "ssl_require_client_cert",
      po::value<bool>(&values->sslRequireClientCert)->default_value(false)->implicit_value(true),
      "Require and verify a certificate from every client (against --ssl_ca_file).")(
      "http_idle_timeout",
      po::value<std::string>(&values->httpIdleTimeout)->default_value("60secs"),
      "Close an HTTP connection that waits this long for its next request. Event streams "
      "(schedulers', executors', agents') and requests being answered are never timed out.")(
      "http_header_timeout",
      po::value<std::string>(&values->httpHeaderTimeout)->default_value("10secs"),
      "A request's line and headers (and a TLS handshake) must arrive within this; else 408 "
      "and the connection closes (slow senders cannot hold connections).")(
      "http_body_timeout",
      po::value<std::string>(&values->httpBodyTimeout)->default_value("60secs"),
      "A request's body must arrive within this of its headers; else 408 and the connection "
      "closes.")(
      "http_max_request_body",
      po::value<std::string>(&values->httpMaxRequestBody)->default_value("64MB"),
      "Largest request body; more gets 413 (endpoints that take no body, such as /health and "
      "/state, refuse any).")(
      "http_request_body_budget",
      po::value<std::string>(&values->httpRequestBodyBudget)->default_value("256MB"),
      "Memory for the request bodies of every connection together; a body that would go past "
      "it gets 503 with Retry-After.")(
      "http_max_connections", po::value<int>(&values->httpMaxConnections)->default_value(0),
      "Most HTTP connections open at once; at the limit a new one closes the connection idle "
      "the longest, or gets 503. 0: three quarters of the soft RLIMIT_NOFILE.")(
      "http_reserved_connections",
      po::value<int>(&values->httpReservedConnections)->default_value(0),
      "The last connections below --http_max_connections, kept for agents, executors and the "
      "calls of open event streams (one request each). 0: a tenth of --http_max_connections.");
  module::addModuleFlags(flags, &values->modules);
}

// The --ssl_* flags become the LIBPROCESS_SSL_* environment the TLS configuration
// is read from (once, on first use: nothing has read it yet), so the daemon's
// clients and the executors an agent starts get the same configuration.
Result<void> exportTlsFlags(const CommonFlags& flags) {
  const bool any = !flags.sslCertFile.empty() || !flags.sslKeyFile.empty() ||
                   !flags.sslCaFile.empty() || flags.sslRequireClientCert;
  if (!any) return {};
  if (flags.sslCertFile.empty() || flags.sslKeyFile.empty())
    return fail("TLS needs both --ssl_cert_file and --ssl_key_file");
  ::setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
  ::setenv("LIBPROCESS_SSL_CERT_FILE", flags.sslCertFile.c_str(), 1);
  ::setenv("LIBPROCESS_SSL_KEY_FILE", flags.sslKeyFile.c_str(), 1);
  if (!flags.sslCaFile.empty()) ::setenv("LIBPROCESS_SSL_CA_FILE", flags.sslCaFile.c_str(), 1);
  ::setenv("LIBPROCESS_SSL_REQUIRE_CERT", flags.sslRequireClientCert ? "true" : "false", 1);
  return {};
}

Result<std::chrono::milliseconds> timeoutFlag(const std::string& name, const std::string& text) {
  auto parsed = parseDuration(text);
  if (!parsed) return fail(parsed.error().context("--" + name));
  return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

Result<std::uint64_t> bytesFlag(const std::string& name, const std::string& text) {
  auto parsed = parseBytes(text);
  if (!parsed) return fail(parsed.error().context("--" + name));
  return *parsed;
}

void serveBasics(http::Server& server) {
  auto health = [](http::Request request, http::Responder responder) {
    responder.respond(http::response(200, "", "text/plain"));
  };
  auto version = [](http::Request request, http::Responder responder) {
    boost::json::object body{{"version", kMesosApiVersion},
                             {"plexus_version", kPlexusVersion},
                             {"build_date", build::kDate},
                             {"build_time", build::kTime},
                             {"build_user", build::kUser}};
    responder.respond(http::jsonOk(request, http::serializeJson(body)));
  };
  for (const char* path : {"/health", "/master/health", "/slave(1)/health"}) {
    (void)server.route(path, health, {.maxBodyBytes = 0});
  }
  (void)server.route("/version", version, {.maxBodyBytes = 0});
}

// Prints the refusal as the last line on stderr and returns the exit status.
int refuse(const DaemonSpec& spec, const std::string& message) {
  std::cerr << spec.program << ": " << message << std::endl;
  return 1;
}

}  // namespace

Result<std::uint64_t> parseMaxLogSize(const std::string& text) {
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  auto bytes = parseBytes(digits ? text + "MB" : text);
  if (!bytes) return fail(bytes.error().context("--max_log_size"));
  if (*bytes == 0) return fail("--max_log_size must be positive");
  return *bytes;
}

void logModuleUse(std::string_view flag, const std::string& name) {
  PLEXUS_LOG(Info) << "Using module '" << name << "' for " << flag;
}

std::vector<std::string> splitList(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    auto begin = item.find_first_not_of(' ');
    auto end = item.find_last_not_of(' ');
    if (begin != std::string::npos) items.push_back(item.substr(begin, end - begin + 1));
  }
  return items;
}

int runDaemon(int argc, char** argv, const DaemonSpec& spec) {
  CommonFlags common;
  Flags flags(spec.program, "Usage: " + spec.program + " [flags]\n" + spec.description +
                                "\nTLS (https for every endpoint and client) is set by the "
                                "--ssl_* flags or, as in Mesos, the environment:\n"
                                "LIBPROCESS_SSL_ENABLED, LIBPROCESS_SSL_CERT_FILE, "
                                "LIBPROCESS_SSL_KEY_FILE, LIBPROCESS_SSL_CA_FILE, ... (see "
                                "docs/security.md).");
  flags.addSwitch("version", "Print the version and exit.");
  flags.addSwitch("list-modules",
                  "Load the modules named by --modules or --modules_dir, print each one's kind, "
                  "name, version and declared parameters, and exit.");
  addCommonFlags(flags, &common, spec);
  if (spec.addFlags) spec.addFlags(flags);

  if (auto parsed = flags.parse(argc, argv); !parsed) return refuse(spec, parsed.error().message());
  if (flags.given("help")) {
    std::cout << flags.help();
    return 0;
  }
  if (flags.given("version")) {
    std::cout << spec.program << " " << kPlexusVersion << "\n";
    return 0;
  }
  LogLevel level;
  if (!parseLogLevel(common.loggingLevel, &level)) {
    return refuse(spec, "--logging_level=" + common.loggingLevel +
                            ": expected DEBUG, INFO, WARNING or ERROR");
  }
  setMinLogLevel(level);
  if (!common.logDir.empty()) {
    auto size = parseMaxLogSize(common.maxLogSize);
    if (!size) return refuse(spec, size.error().message());
    if (common.maxLogFiles < 0) return refuse(spec, "--max_log_files must not be negative");
    std::error_code error;
    std::filesystem::create_directories(common.logDir, error);
    if (error) return refuse(spec, "--log_dir=" + common.logDir + ": " + error.message());
    auto file = setLogFile(common.logDir + "/" + spec.program + ".log", *size,
                           static_cast<std::uint32_t>(common.maxLogFiles));
    if (!file) return refuse(spec, "--log_dir: " + file.error().message());
  }
  if (common.port < 0 || common.port > 65535) {
    return refuse(spec, "--port=" + std::to_string(common.port) + ": expected 0 to 65535");
  }
  if (common.hostname.empty()) common.hostname = defaultHostname();

  auto registry = module::loadModules(common.modules);
  if (!registry) return refuse(spec, "refusing to start: " + registry.error().message());
  if (flags.given("list-modules")) {
    module::printModules(**registry, std::cout);
    return 0;
  }

  PLEXUS_LOG(Info) << "Starting " << spec.program << " " << kPlexusVersion << " with"
                   << flags.effectiveValues();
  for (const auto& module : (*registry)->modules()) {
    PLEXUS_LOG(Info) << "Loaded " << module->kind << " module '" << module->name << "' "
                     << module->manifest->version << " from " << module->libraryPath;
  }

  if (auto exported = exportTlsFlags(common); !exported)
    return refuse(spec, "refusing to start: " + exported.error().message());
  const auto& tls = http::tlsFromEnvironment();
  if (!tls) return refuse(spec, "refusing to start: " + tls.error().message());
  auto httpOptions = httpServerOptions(common);
  if (!httpOptions) return refuse(spec, "refusing to start: " + httpOptions.error().message());
  http::ServerOptions serverOptions = std::move(*httpOptions);
  PLEXUS_LOG(Info) << "HTTP: at most " << serverOptions.maxConnections << " connections ("
                   << serverOptions.reservedConnections
                   << " of them kept for agents, executors and event streams' calls)";
  if (tls->enabled) {
    auto context = http::makeServerTlsContext(*tls);
    if (!context) return refuse(spec, "refusing to start: " + context.error().message());
    serverOptions.tls = std::move(*context);
  }

  boost::asio::io_context io;
  http::IoRuntime runtime(io);
  http::Server server(io, serverOptions);
  serveBasics(server);
  int exitStatus = 0;
  DaemonContext context{common, io, runtime, server, **registry, flags, {}};
  context.stop = [&](int status) {
    exitStatus = status;
    server.stop();
    io.stop();
  };

  // Bind first, so a role that advertises its address knows the port; no request
  // is served before the loop runs, and by then the role's routes are in place.
  if (auto listening = server.listen(common.ip, static_cast<std::uint16_t>(common.port));
      !listening) {
    return refuse(spec, "cannot listen on " + common.ip + ":" + std::to_string(common.port) + ": " +
                            listening.error().message());
  }
  std::vector<std::shared_ptr<void>> keep;
  if (spec.start) {
    auto started = spec.start(context);
    if (!started) return refuse(spec, "refusing to start: " + started.error().message());
    keep = std::move(*started);
  }
  PLEXUS_LOG(Info) << spec.program << " listening on " << http::defaultScheme() << "://"
                   << common.ip << ":" << server.port() << " (try /health and /version)";

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    PLEXUS_LOG(Info) << "Received " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
                     << ", shutting down";
    server.stop();
    io.stop();
  });
  LoopAffinity::bindToThisThread();  // PLEXUS_ASSERT_ON_LOOP's loop from here on
  io.run();
  LoopAffinity::unbind();

  // Module instances go first, while their libraries (never unloaded) still serve them.
  while (!keep.empty())
    keep.pop_back();
  PLEXUS_LOG(Info) << spec.program << " stopped" << (exitStatus != 0 ? " (exit status " : "")
                   << (exitStatus != 0 ? std::to_string(exitStatus) + ")" : "");
  return exitStatus;
}

Result<http::ServerOptions> httpServerOptions(const CommonFlags& flags) {
  http::ServerOptions options;
  auto idle = timeoutFlag("http_idle_timeout", flags.httpIdleTimeout);
  auto header = timeoutFlag("http_header_timeout", flags.httpHeaderTimeout);
  auto body = timeoutFlag("http_body_timeout", flags.httpBodyTimeout);
  auto maxBody = bytesFlag("http_max_request_body", flags.httpMaxRequestBody);
  auto budget = bytesFlag("http_request_body_budget", flags.httpRequestBodyBudget);
  for (const Error* error : {idle ? nullptr : &idle.error(), header ? nullptr : &header.error(),
                             body ? nullptr : &body.error(), maxBody ? nullptr : &maxBody.error(),
                             budget ? nullptr : &budget.error()}) {
    if (error != nullptr) return fail(*error);
  }
  options.idleTimeout = *idle;
  options.headerTimeout = *header;
  options.bodyTimeout = *body;
  options.maxBodyBytes = *maxBody;
  options.bodyBudgetBytes = *budget;
  if (options.bodyBudgetBytes < options.maxBodyBytes) {
    return fail("--http_request_body_budget=" + flags.httpRequestBodyBudget +
                " is less than --http_max_request_body=" + flags.httpMaxRequestBody +
                ": one largest body must fit in the budget");
  }
  if (flags.httpMaxConnections < 0 || flags.httpReservedConnections < 0) {
    return fail("--http_max_connections and --http_reserved_connections must not be negative");
  }
  std::size_t cap = static_cast<std::size_t>(flags.httpMaxConnections);
  if (cap == 0) {
    // Leave a quarter of the descriptors to everything else (the registry, the
    // executors' pipes and logs, outgoing connections), so accept() does not run dry.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    rlim_t soft = limit.rlim_cur == RLIM_INFINITY ? rlim_t(1) << 20 : limit.rlim_cur;
    cap = std::max<std::size_t>(static_cast<std::size_t>(soft / 4 * 3), 16);
  }
  std::size_t reserved = static_cast<std::size_t>(flags.httpReservedConnections);
  if (reserved == 0) reserved = std::max<std::size_t>(cap / 10, 1);
  if (reserved >= cap) {
    return fail("--http_reserved_connections=" + std::to_string(reserved) +
                " must be less than --http_max_connections (" + std::to_string(cap) + ")");
  }
  options.maxConnections = cap;
  options.reservedConnections = reserved;
  return options;
}

bool isZooKeeperUrl(std::string_view address) {
  return address.starts_with("zk://") || address.starts_with("file://");
}

Result<void> loadZooKeeperModules(module::ModuleRegistry& registry, const std::string& flag,
                                  const std::string& url, Duration sessionTimeout,
                                  bool withContender) {
  std::vector<std::string> names = {kZooKeeperDetector};
  if (withContender) {
    names.insert(names.begin(), kZooKeeperContender);
    names.push_back(kZooKeeperRegistryStore);
  }
  module::LibraryEntry library;
  library.name = kZooKeeperLibrary;
  library.source = flag;
  for (const std::string& name : names) {
    if (registry.find(name) != nullptr) {
      return fail(flag + ": module '" + name +
                  "' is already loaded by --modules; drop that entry or use --master_detector");
    }
    library.modules.push_back(
        {name, {{"zk", url}, {"session_timeout", formatDuration(sessionTimeout)}}});
  }
  module::ModulesConfig config;
  config.libraries.push_back(std::move(library));
  return registry.load(config);
}

}  // namespace plexus::daemon
