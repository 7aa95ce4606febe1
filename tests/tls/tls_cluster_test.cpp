// TLS end to end: certificates made here with openssl, a master and agents speaking
// https (LIBPROCESS_SSL_* in their environment, and in this process's for its
// clients), a task run through them, and clients that do not trust the CA failing
// with a clear error.
#include <cstdlib>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include "cluster.hpp"
#include "http/client.hpp"
#include "http/tls.hpp"

namespace plexus::testing {
namespace {

using v1::scheduler::Event;

// Runs a shell command; true when it exits 0.
bool run(const std::string& command) {
  return std::system(command.c_str()) == 0;
}

// Writes a CA and a certificate it signs for 127.0.0.1 / localhost into `dir`.
bool makeCertificates(const std::filesystem::path& dir, const std::string& ca) {
  std::string d = dir.string();
  std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  return run("cd " + d + " && openssl req -x509 " + key + " -keyout " + ca + ".key -out " + ca +
             ".pem -days 2 -subj /CN=" + ca + " 2>/dev/null") &&
         run("cd " + d + " && openssl req " + key + " -keyout " + ca + "-server.key -out " + ca +
             "-server.csr -subj /CN=localhost 2>/dev/null") &&
         run("cd " + d + " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext") &&
         run("cd " + d + " && openssl x509 -req -in " + ca + "-server.csr -CA " + ca +
             ".pem -CAkey " + ca + ".key -CAcreateserial -out " + ca +
             "-server.pem -days 2 -extfile san.ext 2>/dev/null");
}

class TlsTest : public ClusterFixture {
 protected:
  static void SetUpTestSuite() {
    certificates_ = new TempDir();
    ready_ = makeCertificates(certificates_->path(), "plexus-ca") &&
             makeCertificates(certificates_->path(), "other-ca");
    if (!ready_) return;
    // Before this process's first client: the http::Client reads it once.
    std::string dir = certificates_->path().string();
    ::setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    ::setenv("LIBPROCESS_SSL_CERT_FILE", (dir + "/plexus-ca-server.pem").c_str(), 1);
    ::setenv("LIBPROCESS_SSL_KEY_FILE", (dir + "/plexus-ca-server.key").c_str(), 1);
    ::setenv("LIBPROCESS_SSL_CA_FILE", (dir + "/plexus-ca.pem").c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) GTEST_SKIP() << "openssl could not make the test's certificates";
    ClusterFixture::SetUp();
  }

  static std::string dir() { return certificates_->path().string(); }

  static inline TempDir* certificates_ = nullptr;
  static inline bool ready_ = false;
};

TEST_F(TlsTest, ATaskRunsEndToEndOverTls) {
  ASSERT_EQ(std::string(http::defaultScheme()), "https");
  EXPECT_NE(master_->err().find("listening on https://127.0.0.1:"), std::string::npos);
  Scheduler scheduler(port_, Wire::kProtobuf);
  ASSERT_EQ(scheduler.subscribe(framework()), 200u) << master_->err();
  auto offers = scheduler.next(Event::OFFERS);
  ASSERT_TRUE(offers) << logs();
  const v1::Offer& offer = offers->offers().offers(0);
  ASSERT_EQ(scheduler.call(launch(offer, {commandTask(offer, "t1", "echo over tls")})).status,
            202u);
  std::optional<v1::TaskStatus> status;
  do {
    status = nextUpdate(scheduler);
    ASSERT_TRUE(status) << logs();
  } while (status->state() == v1::TASK_STARTING || status->state() == v1::TASK_RUNNING);
  EXPECT_EQ(status->state(), v1::TASK_FINISHED) << status->message() << logs();
  v1::scheduler::Call teardown;
  teardown.set_type(v1::scheduler::Call::TEARDOWN);
  EXPECT_EQ(scheduler.call(teardown).status, 202u);  // its offers go back for the next one

  // plexus-execute, a separate process with the same environment, runs one too.
  Process execute("plexus-execute",
                  {"--master=127.0.0.1:" + std::to_string(port_), "--command=echo execute",
                   "--resources=cpus:0.1;mem:32"},
                  dir_.path());
  EXPECT_EQ(execute.wait(std::chrono::seconds(60)), 0) << execute.out() << execute.err();
}

TEST_F(TlsTest, PlainHttpIsNotAnsweredAsHttp) {
  boost::asio::io_context io;
  auto plain =
      http::fetch("127.0.0.1", static_cast<uint16_t>(port_), {.method = "GET", .target = "/health"},
                  http::ClientOptions{.connectTimeout = std::chrono::seconds(5),
                                      .requestTimeout = std::chrono::seconds(5),
                                      .plainHttp = true});
  EXPECT_FALSE(plain && plain->status == 200) << "a plain-HTTP client got an answer";
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheCaFailsClearly) {
  // In this process: a client whose CA is another one.
  http::TlsConfig config;
  config.enabled = true;
  config.caFile = dir() + "/other-ca.pem";
  auto context = http::makeClientTlsContext(config);
  ASSERT_TRUE(context) << context.error().message();
  auto answer =
      http::fetch("127.0.0.1", static_cast<uint16_t>(port_), {.method = "GET", .target = "/health"},
                  http::ClientOptions{.tls = *context});
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message().find("TLS handshake with 127.0.0.1:" + std::to_string(port_) +
                                          " failed: certificate verify failed"),
            std::string::npos)
      << answer.error().message();

  // A separate process: plexus-execute trusting the other CA gives up with the reason.
  Process execute("plexus-execute",
                  {"--master=127.0.0.1:" + std::to_string(port_), "--command=echo never",
                   "--logging_level=WARNING"},
                  dir_.path(), {"LIBPROCESS_SSL_CA_FILE=" + dir() + "/other-ca.pem"});
  EXPECT_TRUE(execute.waitForLog("certificate verify failed")) << execute.err();
  execute.signal(SIGTERM);
  execute.wait();
  // Nothing subscribed through it.
  auto state = masterJson("/state");
  ASSERT_TRUE(state.is_object());
  EXPECT_TRUE(state.at("frameworks").as_array().empty());
}

// TLS 1.2 with a CBC suite and SHA-1 MAC is refused by default (it was accepted);
// AEAD suites are accepted; LIBPROCESS_SSL_CIPHERS, Mesos's variable, lets an
// operator name other suites.
TEST_F(TlsTest, Tls12CbcSha1SuitesAreRefusedUnlessConfigured) {
  auto health = [](int port, const char* suite) {
    http::TlsConfig config;
    config.enabled = true;
    config.caFile = dir() + "/plexus-ca.pem";
    auto context = http::makeClientTlsContext(config);
    EXPECT_TRUE(context) << context.error().message();
    if (!context) return Result<http::Response>(fail("no context"));
    ::SSL_CTX_set_max_proto_version((*context)->native_handle(), TLS1_2_VERSION);
    EXPECT_EQ(::SSL_CTX_set_cipher_list((*context)->native_handle(), suite), 1) << suite;
    return http::fetch("127.0.0.1", static_cast<uint16_t>(port),
                       {.method = "GET", .target = "/health"},
                       http::ClientOptions{.tls = *context});
  };
  auto cbc = health(port_, "ECDHE-ECDSA-AES128-SHA");
  ASSERT_FALSE(cbc && cbc->status == 200) << "TLS 1.2 ECDHE-ECDSA-AES128-SHA was accepted";
  EXPECT_NE(cbc.error().message().find("TLS handshake with 127.0.0.1"), std::string::npos)
      << cbc.error().message();
  auto gcm = health(port_, "ECDHE-ECDSA-AES128-GCM-SHA256");
  ASSERT_TRUE(gcm) << gcm.error().message();
  EXPECT_EQ(gcm->status, 200u);

  Process master("plexus-master",
                 {"--port=0", "--work_dir=" + (dir_.path() / "cbc-master").string()}, dir_.path(),
                 {"LIBPROCESS_SSL_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA"});
  int port = master.waitForPort();
  ASSERT_GT(port, 0) << master.err();
  auto chosen = health(port, "ECDHE-ECDSA-AES128-SHA");
  ASSERT_TRUE(chosen) << chosen.error().message();
  EXPECT_EQ(chosen->status, 200u);
  master.signal(SIGTERM);
  EXPECT_EQ(master.wait(), 0) << master.err();

  Process unknown("plexus-master",
                  {"--port=0", "--work_dir=" + (dir_.path() / "bad-master").string()}, dir_.path(),
                  {"LIBPROCESS_SSL_CIPHERS=NO-SUCH-SUITE"});
  EXPECT_EQ(unknown.wait(), 1);
  EXPECT_NE(unknown.lastErrLine().find("LIBPROCESS_SSL_CIPHERS=NO-SUCH-SUITE"), std::string::npos)
      << unknown.err();
}

// The --ssl_* flags turn TLS on by themselves (here over an environment that says
// it is off), and a half-given pair is refused at start-up.
TEST_F(TlsTest, SslFlagsTurnOnTlsWithoutTheEnvironment) {
  const std::vector<std::string> off{"LIBPROCESS_SSL_ENABLED=false",
                                     "LIBPROCESS_SSL_CERT_FILE=", "LIBPROCESS_SSL_KEY_FILE="};
  Process master("plexus-master",
                 {"--port=0", "--work_dir=" + (dir_.path() / "flags-master").string(),
                  "--ssl_cert_file=" + dir() + "/plexus-ca-server.pem",
                  "--ssl_key_file=" + dir() + "/plexus-ca-server.key",
                  "--ssl_ca_file=" + dir() + "/plexus-ca.pem"},
                 dir_.path(), off);
  int port = master.waitForPort();
  ASSERT_GT(port, 0) << master.err();
  EXPECT_NE(master.err().find("listening on https://127.0.0.1:"), std::string::npos)
      << master.err();
  auto health =
      http::fetch("127.0.0.1", static_cast<uint16_t>(port), {.method = "GET", .target = "/health"});
  ASSERT_TRUE(health) << health.error().message();
  EXPECT_EQ(health->status, 200u);
  master.signal(SIGTERM);
  EXPECT_EQ(master.wait(), 0) << master.err();

  Process halfGiven("plexus-master",
                    {"--port=0", "--work_dir=" + (dir_.path() / "half-master").string(),
                     "--ssl_cert_file=" + dir() + "/plexus-ca-server.pem"},
                    dir_.path(), off);
  EXPECT_EQ(halfGiven.wait(), 1);
  EXPECT_NE(halfGiven.lastErrLine().find("TLS needs both --ssl_cert_file and --ssl_key_file"),
            std::string::npos)
      << halfGiven.err();
}

}  // namespace
}  // namespace plexus::testing
