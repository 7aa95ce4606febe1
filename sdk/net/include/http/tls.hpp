// TLS for Plexus's HTTP, configured as Mesos's libprocess is: by environment.
//
//   LIBPROCESS_SSL_ENABLED=true|1        every server and client of the process speaks https
//   LIBPROCESS_SSL_CERT_FILE=<pem>       this process's certificate (servers; clients that
//   LIBPROCESS_SSL_KEY_FILE=<pem>        present one to a server requiring it)
//   LIBPROCESS_SSL_CA_FILE=<pem>         the CA(s) that peers' certificates must chain to
//   LIBPROCESS_SSL_CA_DIR=<dir>          a hashed CA folder, instead of or with the file
//   LIBPROCESS_SSL_VERIFY_CERT=true      clients verify the server's certificate and
//                                        host name (default **true**: unlike Mesos,
//                                        verification is on unless set to false)
//   LIBPROCESS_SSL_REQUIRE_CERT=false    servers require and verify client certificates
//   LIBPROCESS_SSL_CIPHERS=a:b:...       TLS 1.2 cipher suites, OpenSSL's names (default
//                                        kDefaultTlsCiphers: forward-secret AEAD suites
//                                        only, unlike Mesos's CBC-SHA1 default)
//
// TLS 1.0 and 1.1 are always refused; TLS 1.3 uses OpenSSL's suites (all AEAD).
// Daemons, plexus-execute, the SDK's scheduler and executor libraries and every
// http::Client read the same variables, and the agent passes them on to executors,
// so one environment turns a whole cluster to TLS. Plain HTTP stays the default.
//
// Thread-safety: the configuration is read once per process and is immutable after.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include <plexus/error.hpp>

namespace plexus::http {

// The TLS 1.2 suites offered and accepted unless LIBPROCESS_SSL_CIPHERS says
// otherwise: ECDHE or DHE key exchange with AES-GCM or ChaCha20-Poly1305, as modern
// servers do; no CBC suites (their SHA-1 MACs and padding oracles) and no RSA key
// exchange.
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

struct TlsConfig {
  bool enabled = false;
  std::string certFile;
  std::string keyFile;
  std::string caFile;
  std::string caDir;
  bool verifyCert = true;
  bool requireCert = false;
  std::string ciphers = kDefaultTlsCiphers;

  // From the LIBPROCESS_SSL_* variables; an Error names the bad variable.
  [[nodiscard]] static Result<TlsConfig> fromEnvironment();
};

// The process's TLS configuration from the environment, read on first use; an
// invalid one is reported by the first caller of tlsFromEnvironment() (daemons
// call it at start-up and refuse to start).
[[nodiscard]] const Result<TlsConfig>& tlsFromEnvironment();

// A context for servers (certificate and key required; client certificates
// verified against the CA when requireCert) and for clients (the server verified
// against the CA or the system's default paths when verifyCert; this process's
// certificate presented when given). Errors name the file that could not be used.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> makeServerTlsContext(
    const TlsConfig& config);
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> makeClientTlsContext(
    const TlsConfig& config);

// The client context every http::Client uses by default: the environment's, or
// nullptr for plain HTTP (or when the environment's configuration is invalid; the
// error then surfaces at each connection attempt).
std::shared_ptr<boost::asio::ssl::context> defaultClientTlsContext();

// "https" when this process speaks TLS, "http" otherwise (for URLs in logs and state).
const char* defaultScheme();

}  // namespace plexus::http
