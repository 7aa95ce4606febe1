#include "http/tls.hpp"

#include <cstdlib>
#include <mutex>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace plexus::http {
namespace {

namespace ssl = boost::asio::ssl;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

Result<bool> flag(const char* name, bool fallback) {
  std::string value = env(name);
  if (value.empty()) return fallback;
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return fail(std::string(name) + "=" + value + ": expected true, false, 1 or 0");
}

std::string sslError(const boost::system::error_code& error) {
  return error.message();
}

Result<void> loadCa(ssl::context& context, const TlsConfig& config) {
  boost::system::error_code error;
  if (!config.caFile.empty()) {
    context.load_verify_file(config.caFile, error);
    if (error)
      return fail("LIBPROCESS_SSL_CA_FILE=" + config.caFile + ": cannot load: " + sslError(error));
  }
  if (!config.caDir.empty()) {
    context.add_verify_path(config.caDir, error);
    if (error)
      return fail("LIBPROCESS_SSL_CA_DIR=" + config.caDir + ": cannot use: " + sslError(error));
  }
  if (config.caFile.empty() && config.caDir.empty()) {
    context.set_default_verify_paths(error);
    if (error) return fail("cannot load the system's CA certificates: " + sslError(error));
  }
  return {};
}

// TLS 1.2's suites from LIBPROCESS_SSL_CIPHERS (TLS 1.3's are all AEAD already).
Result<void> setCiphers(ssl::context& context, const TlsConfig& config) {
  if (::SSL_CTX_set_cipher_list(context.native_handle(), config.ciphers.c_str()) != 1) {
    ::ERR_clear_error();
    return fail("LIBPROCESS_SSL_CIPHERS=" + config.ciphers +
                ": OpenSSL knows none of these cipher suites (expected names separated by ':', "
                "e.g. " +
                std::string(kDefaultTlsCiphers).substr(0, 29) + ")");
  }
  return {};
}

Result<void> loadIdentity(ssl::context& context, const TlsConfig& config) {
  boost::system::error_code error;
  context.use_certificate_chain_file(config.certFile, error);
  if (error) {
    return fail("LIBPROCESS_SSL_CERT_FILE=" + config.certFile +
                ": cannot load: " + sslError(error));
  }
  context.use_private_key_file(config.keyFile, ssl::context::pem, error);
  if (error)
    return fail("LIBPROCESS_SSL_KEY_FILE=" + config.keyFile + ": cannot load: " + sslError(error));
  if (::SSL_CTX_check_private_key(context.native_handle()) != 1) {
    return fail("LIBPROCESS_SSL_KEY_FILE=" + config.keyFile +
                " does not match the certificate of LIBPROCESS_SSL_CERT_FILE=" + config.certFile);
  }
  return {};
}

}  // namespace

Result<TlsConfig> TlsConfig::fromEnvironment() {
  TlsConfig config;
  auto enabled = flag("LIBPROCESS_SSL_ENABLED", false);
  if (!enabled) return fail(enabled.error());
  config.enabled = *enabled;
  config.certFile = env("LIBPROCESS_SSL_CERT_FILE");
  config.keyFile = env("LIBPROCESS_SSL_KEY_FILE");
  config.caFile = env("LIBPROCESS_SSL_CA_FILE");
  config.caDir = env("LIBPROCESS_SSL_CA_DIR");
  if (std::string ciphers = env("LIBPROCESS_SSL_CIPHERS"); !ciphers.empty())
    config.ciphers = std::move(ciphers);
  auto verify = flag("LIBPROCESS_SSL_VERIFY_CERT", true);
  if (!verify) return fail(verify.error());
  config.verifyCert = *verify;
  auto require = flag("LIBPROCESS_SSL_REQUIRE_CERT", false);
  if (!require) return fail(require.error());
  config.requireCert = *require;
  return config;
}

const Result<TlsConfig>& tlsFromEnvironment() {
  static const Result<TlsConfig> config = TlsConfig::fromEnvironment();
  return config;
}

Result<std::shared_ptr<ssl::context>> makeServerTlsContext(const TlsConfig& config) {
  if (config.certFile.empty() || config.keyFile.empty()) {
    return fail(
        "TLS is on (LIBPROCESS_SSL_ENABLED) but a server needs LIBPROCESS_SSL_CERT_FILE and "
        "LIBPROCESS_SSL_KEY_FILE");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  PLEXUS_TRY(setCiphers(*context, config));
  PLEXUS_TRY(loadIdentity(*context, config));
  if (config.requireCert) {
    PLEXUS_TRY(loadCa(*context, config));
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  return context;
}

Result<std::shared_ptr<ssl::context>> makeClientTlsContext(const TlsConfig& config) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  PLEXUS_TRY(setCiphers(*context, config));
  if (config.verifyCert) {
    PLEXUS_TRY(loadCa(*context, config));
    context->set_verify_mode(ssl::verify_peer);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  if (!config.certFile.empty() && !config.keyFile.empty())
    PLEXUS_TRY(loadIdentity(*context, config));
  return context;
}

std::shared_ptr<ssl::context> defaultClientTlsContext() {
  static std::once_flag once;
  static std::shared_ptr<ssl::context> context;
  std::call_once(once, [] {
    const auto& config = tlsFromEnvironment();
    if (!config || !config->enabled) return;
    auto made = makeClientTlsContext(*config);
    if (made) context = std::move(*made);
  });
  return context;
}

const char* defaultScheme() {
  const auto& config = tlsFromEnvironment();
  return config && config->enabled ? "https" : "http";
}

}  // namespace plexus::http
