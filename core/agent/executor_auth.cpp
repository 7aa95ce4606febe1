// Executor authentication, as Mesos's agent does it (docs/authentication.md,
// "Executor"): each executor gets a JWT in MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
// signed with the agent's key and claiming its framework (fid), executor (eid) and
// container (cid); with --authenticate_http_executors every call to
// /api/v1/executor must carry it as `Authorization: Bearer <token>`, and may speak
// only for what it claims.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plexus/file.hpp>
#include <plexus/logging.hpp>

#include "agent/agent.hpp"

namespace plexus::agent {
namespace {

// Mesos's realm for executor authentication.
constexpr const char* kRealm = "mesos-agent-executor";
constexpr std::size_t kGeneratedKeyBytes = 32;

http::Response unauthorized(const std::string& why) {
  http::Response response = http::text(401, "Unauthorized: " + why + "\n");
  response.headers.set("WWW-Authenticate", std::string("Bearer realm=\"") + kRealm + "\"");
  return response;
}

// Creates `path` holding a fresh key, readable by its owner only; the key already
// there when another start created it first.
Result<std::string> createKeyFile(const std::string& path) {
  auto key = auth::randomKey(kGeneratedKeyBytes);
  if (!key) return fail(key.error());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return readFile(path);
  if (fd < 0) return fail(std::strerror(errno));
  const char* data = key->data();
  std::size_t left = key->size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      return fail(why);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail(std::strerror(errno));
  return key;
}

}  // namespace

Result<void> Agent::loadExecutorSecretKey() {
  if (!flags_.jwtSecretKey.empty()) {
    auto key = readFile(flags_.jwtSecretKey);
    if (!key) return fail("--jwt_secret_key " + flags_.jwtSecretKey + ": " + key.error().message());
    if (key->empty())
      return fail("--jwt_secret_key " + flags_.jwtSecretKey + ": the file is empty");
    struct stat info {};
    if (::stat(flags_.jwtSecretKey.c_str(), &info) == 0 && (info.st_mode & S_IRWXO) != 0) {
      PLEXUS_LOG(Warning) << "Permissions on the executor secret key file '" << flags_.jwtSecretKey
                          << "' are too open; it is recommended that others cannot access it";
    }
    executorSecretKey_ = std::move(*key);
    return {};
  }
  const std::string path = context_.flags.workDir + "/jwt_secret_key";
  auto existing = readFileIfExists(path);
  if (!existing) return fail(path + ": " + existing.error().message());
  if (*existing && !(*existing)->empty()) {
    executorSecretKey_ = std::move(**existing);
    return {};
  }
  auto created = createKeyFile(path);
  if (!created)
    return fail("cannot create the executor secret key " + path + ": " + created.error().message());
  PLEXUS_LOG(Info) << "Created the key that signs executors' tokens in " << path;
  executorSecretKey_ = std::move(*created);
  return {};
}

std::string Agent::executorToken(const Executor& executor) const {
  return auth::createJwt({{"fid", executor.framework.value()},
                          {"eid", executor.info.executor_id().value()},
                          {"cid", executor.container.value()}},
                         executorSecretKey_);
}

std::expected<std::optional<auth::JwtClaims>, http::Response> Agent::authenticateExecutor(
    const http::Request& request) const {
  if (!flags_.authenticateHttpExecutors) return std::nullopt;
  auto header = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header) return std::unexpected(unauthorized("this agent requires an executor's token"));
  if (!header->starts_with(kBearer))
    return std::unexpected(unauthorized("expecting 'Authorization: Bearer <token>'"));
  auto claims = auth::verifyJwt(header->substr(kBearer.size()), executorSecretKey_);
  if (!claims) {
    PLEXUS_LOG(Warning) << "Refused an executor call from " << request.remote << ": "
                        << claims.error().message();
    return std::unexpected(unauthorized("invalid token: " + claims.error().message()));
  }
  return std::move(*claims);
}

std::optional<http::Response> Agent::verifyExecutorClaims(const auth::JwtClaims& claims,
                                                          const v1::executor::Call& call,
                                                          const Executor& executor) const {
  // Mesos's checks and words (src/slave/http.cpp, verifyExecutorClaims).
  auto claim = [&](const char* name) -> const std::string* {
    auto it = claims.find(name);
    return it == claims.end() ? nullptr : &it->second;
  };
  std::string refusal;
  if (const std::string* fid = claim("fid"); fid == nullptr || *fid != call.framework_id().value())
    refusal = "does not contain an 'fid' claim with the framework ID " +
              call.framework_id().value() + ", which is set in the call";
  else if (const std::string* eid = claim("eid");
           eid == nullptr || *eid != call.executor_id().value())
    refusal = "does not contain an 'eid' claim with the executor ID " + call.executor_id().value() +
              ", which is set in the call";
  else if (const std::string* cid = claim("cid");
           cid == nullptr || *cid != executor.container.value())
    refusal = "does not contain a 'cid' claim with the correct active ContainerID";
  if (refusal.empty()) return std::nullopt;
  PLEXUS_LOG(Warning) << "Refused an executor call for executor " << call.executor_id().value()
                      << " of framework " << call.framework_id().value() << ": the token "
                      << refusal;
  return http::text(403, "Authenticated principal " + refusal + "\n");
}

}  // namespace plexus::agent
