#include "zookeeper.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "ports.hpp"
#include "process.hpp"

extern char** environ;

namespace plexus::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* const kInstallHint =
    "run scripts/install-deps.sh (it installs Debian's zookeeper package and Java)";

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string javaBinary() {
  std::string java = envOr("JAVA", "");
  if (!java.empty()) return java;
  std::string home = envOr("JAVA_HOME", "");
  return home.empty() ? "/usr/bin/java" : home + "/bin/java";
}

// Sends a four-letter word to 127.0.0.1:`port` and returns the whole answer
// (empty when nothing answers).
std::string fourLetterWord(int port, const std::string& word) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{.tv_sec = 1, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, word.data(), word.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(word.size())) {
    char buffer[1024];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
      answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

bool serving(int port) {
  return fourLetterWord(port, "ruok") == "imok" &&
         fourLetterWord(port, "srvr").find("Mode: ") != std::string::npos;
}

// SIGTERM, then SIGKILL when it has not exited after `grace`; reaps it.
void terminate(pid_t pid, std::chrono::seconds grace) {
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

std::expected<std::unique_ptr<ZooKeeper>, std::string> ZooKeeper::start(const fs::path& dir,
                                                                        int nodes) {
  if (nodes != 1 && nodes != 3)
    return std::unexpected("ZooKeeper: 1 or 3 nodes, not " + std::to_string(nodes));
  const std::string jar = envOr("ZK_JAR", "/usr/share/java/zookeeper.jar");
  if (!fs::exists(jar)) {
    return std::unexpected("ZooKeeper's server is not installed (no " + jar + "): " + kInstallHint);
  }
  if (::access(javaBinary().c_str(), X_OK) != 0) {
    return std::unexpected("no Java to run ZooKeeper (" + javaBinary() + "): " + kInstallHint);
  }
  std::string why;
  // A server that loses the race for a port exits at once: try new ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<ZooKeeper> zk(new ZooKeeper(dir));
    std::vector<int> ports = freePorts(static_cast<size_t>(nodes) * 3);
    std::vector<size_t> all;
    for (int i = 0; i < nodes; ++i) {
      Node node;
      node.dir = dir / ("node" + std::to_string(i + 1));
      node.clientPort = ports[static_cast<size_t>(i) * 3];
      node.quorumPort = ports[static_cast<size_t>(i) * 3 + 1];
      node.electionPort = ports[static_cast<size_t>(i) * 3 + 2];
      std::error_code error;
      fs::remove_all(node.dir, error);
      fs::create_directories(node.dir / "data", error);
      if (error)
        return std::unexpected("cannot create " + node.dir.string() + ": " + error.message());
      zk->nodes_.push_back(node);
      all.push_back(static_cast<size_t>(i));
    }
    why.clear();
    for (size_t i : all) {
      why = zk->writeConfig(i);
      if (why.empty()) why = zk->launch(i);
      if (!why.empty()) break;
    }
    if (why.empty()) why = zk->waitUntilServing(all, 30s);
    if (why.empty()) return zk;
  }
  return std::unexpected(why);
}

ZooKeeper::~ZooKeeper() {
  stop();
}

std::string ZooKeeper::servers() const {
  std::string servers;
  for (const Node& node : nodes_)
    servers +=
        (servers.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(node.clientPort);
  return servers;
}

std::string ZooKeeper::writeConfig(size_t index) const {
  const Node& node = nodes_[index];
  std::ostringstream config;
  // A short tick so that session timeouts down to 400 ms are allowed; no admin
  // server (port 8080); only the four-letter words the readiness check uses; no
  // per-IP connection limit (every test client comes from 127.0.0.1); no fsync.
  config << "tickTime=200\ninitLimit=50\nsyncLimit=25\n"
         << "maxSessionTimeout=60000\n"
         << "dataDir=" << (node.dir / "data").string() << "\n"
         << "clientPort=" << node.clientPort << "\nclientPortAddress=127.0.0.1\n"
         << "maxClientCnxns=0\nadmin.enableServer=false\n"
         << "4lw.commands.whitelist=ruok,srvr,mntr,stat\n"
         << "forceSync=no\npreAllocSize=4096\n";
  if (nodes_.size() > 1) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      config << "server." << i + 1 << "=127.0.0.1:" << nodes_[i].quorumPort << ":"
             << nodes_[i].electionPort << "\n";
    }
    std::ofstream(node.dir / "data" / "myid") << index + 1 << "\n";
  }
  std::ofstream file(node.dir / "zoo.cfg");
  file << config.str();
  file.close();
  if (!file) return "cannot write " + (node.dir / "zoo.cfg").string();
  return "";
}

std::string ZooKeeper::launch(size_t index) {
  Node& node = nodes_[index];
  const std::string jar = envOr("ZK_JAR", "/usr/share/java/zookeeper.jar");
  // slf4j-simple gives the server a log (without a binding it logs nothing).
  std::vector<std::string> args = {
      javaBinary(),
      "-Xmx" + envOr("ZK_HEAP", "256m"),
      "-XX:-UsePerfData",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=" + envOr("ZK_LOG_LEVEL", "info"),
      "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-Dzookeeper.jmx.log4j.disable=true",
      "-cp",
      jar + ":/usr/share/java/slf4j-simple.jar",
      "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      (node.dir / "zoo.cfg").string()};
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log = (node.dir / "zookeeper.log").string();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    // The watchdog: the JVM dies with the test (a crash included).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  node.pid = pid;
  std::ofstream(node.dir / "zookeeper.pid") << pid << "\n";
  return "";
}

std::string ZooKeeper::waitUntilServing(const std::vector<size_t>& indexes,
                                        std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<size_t> waiting = indexes;
  while (!waiting.empty()) {
    for (size_t i : waiting) {
      int status = 0;
      if (::waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
        nodes_[i].pid = -1;
        return "ZooKeeper node " + std::to_string(i + 1) +
               " (127.0.0.1:" + std::to_string(nodes_[i].clientPort) +
               ") exited while starting; its log:\n" + logTail(i);
      }
    }
    std::erase_if(waiting, [&](size_t i) { return serving(nodes_[i].clientPort); });
    if (waiting.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return "ZooKeeper node " + std::to_string(waiting.front() + 1) +
             " (127.0.0.1:" + std::to_string(nodes_[waiting.front()].clientPort) +
             ") does not serve after " + std::to_string(timeout.count()) + " s; its log:\n" +
             logTail(waiting.front());
    }
    std::this_thread::sleep_for(50ms);
  }
  return "";
}

void ZooKeeper::stopNode(size_t index) {
  Node& node = nodes_.at(index);
  if (node.pid <= 0) return;
  terminate(node.pid, 10s);
  node.pid = -1;
}

std::string ZooKeeper::startNode(size_t index) {
  if (nodes_.at(index).pid > 0) return "";
  std::string why = launch(index);
  return why.empty() ? waitUntilServing({index}, 30s) : why;
}

void ZooKeeper::stop() {
  for (size_t i = 0; i < nodes_.size(); ++i)
    stopNode(i);
}

std::string ZooKeeper::restart() {
  std::vector<size_t> stopped;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].pid > 0) continue;
    std::string why = launch(i);
    if (!why.empty()) return why;
    stopped.push_back(i);
  }
  return waitUntilServing(stopped, 30s);
}

pid_t ZooKeeper::pid(size_t index) const {
  return nodes_.at(index).pid;
}

std::string ZooKeeper::logTail(size_t index, size_t lines) const {
  std::string text = readFile(nodes_.at(index).dir / "zookeeper.log");
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n)
    at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

}  // namespace plexus::testing
