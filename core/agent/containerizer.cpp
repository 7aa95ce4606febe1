#include "agent/containerizer.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <plexus/logging.hpp>

#include "agent/sandbox_logger.hpp"

namespace plexus::agent {

namespace {

// The argv and envp of the exec, built before fork() (the child may only make
// async-signal-safe calls).
struct ExecPlan {
  std::string program;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string directory;
  std::string stdoutPath;
  std::string stderrPath;
  // From the ContainerLogger: descriptors to dup2() instead of opening the paths
  // (-1: open the path). Owned by the launch; closed in the parent after fork().
  int stdoutFd = -1;
  int stderrFd = -1;
  // Set when the container runs as another user.
  std::optional<uid_t> uid;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// Looks `user` up (thread-safe) and gives it the sandbox and its output files.
Result<void> planUser(const std::string& user, ExecPlan* plan) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  int error = ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (error != 0) return fail("cannot look up user '" + user + "': " + std::strerror(error));
  if (found == nullptr) {
    return fail("user '" + user +
                "' does not exist on this agent (create it, or run the task as a known user)");
  }
  plan->uid = entry.pw_uid;
  plan->gid = entry.pw_gid;
  int count = 64;
  plan->groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(user.c_str(), entry.pw_gid, plan->groups.data(), &count) < 0) {
    plan->groups.resize(static_cast<std::size_t>(count));
    ::getgrouplist(user.c_str(), entry.pw_gid, plan->groups.data(), &count);
  }
  plan->groups.resize(static_cast<std::size_t>(std::max(count, 0)));
  std::vector<std::string> owned = {plan->directory};
  if (plan->stdoutFd < 0) owned.push_back(plan->stdoutPath);
  if (plan->stderrFd < 0) owned.push_back(plan->stderrPath);
  for (std::size_t i = 1; i < owned.size(); ++i) {
    int fd = ::open(owned[i].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  for (const std::string& path : owned) {
    if (::chown(path.c_str(), entry.pw_uid, entry.pw_gid) != 0) {
      return fail("cannot give " + path + " to user '" + user + "': " + std::strerror(errno));
    }
  }
  return {};
}

// What planExec applies of an isolator's launch information: its environment (plain
// values) and its command. Anything else (namespaces, mounts, a root filesystem,
// rlimits, pre-exec commands, secrets...) is refused naming the field, never dropped.
Result<void> appliedLaunchInfo(const v1::ContainerLaunchInfo& info) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  info.GetReflection()->ListFields(info, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->name() == "environment" || field->name() == "command") continue;
    return fail("ContainerLaunchInfo." + field->name() +
                " is not applied by this agent (it applies environment and command only)");
  }
  for (const auto& variable : info.environment().variables()) {
    if (variable.type() != v1::Environment::Variable::VALUE &&
        variable.type() != v1::Environment::Variable::UNKNOWN) {
      return fail("ContainerLaunchInfo.environment variable '" + variable.name() +
                  "' is a secret, which this agent does not resolve");
    }
  }
  return {};
}

ExecPlan planExec(const LaunchRequest& request, const std::vector<v1::ContainerLaunchInfo>& infos) {
  ExecPlan plan;
  std::map<std::string, std::string> environment = request.environment;
  v1::CommandInfo command = request.config.command_info();
  for (const v1::ContainerLaunchInfo& info : infos) {
    for (const auto& variable : info.environment().variables()) {
      environment[variable.name()] = variable.value();
    }
    if (info.has_command()) command = info.command();
  }
  if (command.shell()) {
    plan.program = "/bin/sh";
    plan.argv = {"sh", "-c", command.value()};
  } else {
    // Mesos: `value` is the program, `arguments` the whole argv (argv[0] included).
    plan.program = command.value();
    plan.argv.assign(command.arguments().begin(), command.arguments().end());
    if (plan.argv.empty()) plan.argv.push_back(command.value());
  }
  for (const auto& [name, value] : environment)
    plan.envp.push_back(name + "=" + value);
  plan.directory = request.config.directory();
  return plan;
}

// Where the ContainerLogger sends the output; takes the descriptors it hands over.
void planOutput(const ContainerIO& io, ExecPlan* plan) {
  auto assign = [](const ContainerOutput& output, std::string* path, int* fd) {
    if (output.type == ContainerOutput::Type::kFd) {
      *fd = output.fd;
    } else {
      *path = output.path;
    }
  };
  assign(io.out, &plan->stdoutPath, &plan->stdoutFd);
  assign(io.err, &plan->stderrPath, &plan->stderrFd);
}

void closeOutputFds(const ExecPlan& plan) {
  for (int fd : {plan.stdoutFd, plan.stderrFd}) {
    if (fd >= 0) ::close(fd);
  }
}

void closeFrom(int lowest) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, static_cast<unsigned>(lowest), ~0U, 0) == 0) return;
#endif
  long max = ::sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = lowest; fd < max; ++fd)
    ::close(fd);
}

void writeAll(int fd, const char* text) {
  [[maybe_unused]] auto n = ::write(fd, text, std::strlen(text));
}

// In the child, after fork(): async-signal-safe calls only.
[[noreturn]] void runChild(const ExecPlan& plan, const std::vector<char*>& argv,
                           const std::vector<char*>& envp, int ready, int gate) {
  ::setsid();
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &defaults, nullptr);
  // In our own session now, with default signal handling: a kill of the
  // session reaches us from here on. Tell the parent.
  [[maybe_unused]] ssize_t told = ::write(ready, "r", 1);
  ::close(ready);

  int in = ::open("/dev/null", O_RDONLY);
  int out = plan.stdoutFd >= 0
                ? plan.stdoutFd
                : ::open(plan.stdoutPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int err = plan.stderrFd >= 0
                ? plan.stderrFd
                : ::open(plan.stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in >= 0) ::dup2(in, 0);
  if (out >= 0) ::dup2(out, 1);
  if (err >= 0) ::dup2(err, 2);
  if (::chdir(plan.directory.c_str()) != 0) {
    writeAll(2, "plexus-agent: cannot enter the sandbox directory\n");
    ::_exit(127);
  }
  // Wait until every isolator has isolated us.
  char go = 0;
  ssize_t got;
  do {
    got = ::read(gate, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(127);
  // Isolated as root; now become the task's user, for good.
  if (plan.uid) {
    if (::setgroups(plan.groups.size(), plan.groups.data()) != 0 || ::setgid(plan.gid) != 0 ||
        ::setuid(*plan.uid) != 0) {
      writeAll(2, "plexus-agent: cannot switch to the task's user: ");
      writeAll(2, ::strerror(errno));
      writeAll(2, "\n");
      ::_exit(127);
    }
  }
  closeFrom(3);
  ::execvpe(plan.program.c_str(), argv.data(), envp.data());
  writeAll(2, "plexus-agent: failed to exec the executor: ");
  writeAll(2, ::strerror(errno));
  writeAll(2, "\n");
  ::_exit(127);
}

ContainerLogger& defaultLogger() {
  static SandboxLogger logger;
  return logger;
}

void waitBlocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

void signalSession(pid_t session, int signal) {
  if (session <= 1) return;
  ::kill(-session, signal);
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 1) continue;
    // Not std::ifstream: reading the stat of a process that is exiting fails with
    // ESRCH, and libstdc++'s filebuf throws on a read error, killing the agent.
    std::string path = std::string("/proc/") + entry->d_name + "/stat";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buffer[1024];
    ssize_t got = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (got <= 0) continue;
    std::string line(buffer, static_cast<std::size_t>(got));
    std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    // After "(comm)": state ppid pgrp session ...
    std::istringstream fields(line.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0, sid = 0;
    if (!(fields >> state >> ppid >> pgrp >> sid)) continue;
    if (sid == session && state != "Z") ::kill(static_cast<pid_t>(pid), signal);
  }
  ::closedir(proc);
}

Containerizer::Containerizer(boost::asio::io_context& io, Runtime& runtime,
                             std::vector<Isolator*> isolators, std::size_t threads,
                             ContainerLogger* logger)
    : io_(io),
      runtime_(runtime),
      isolators_(std::move(isolators)),
      logger_(logger != nullptr ? logger : &defaultLogger()),
      pool_(threads),
      sigchld_(io) {
  boost::system::error_code ignored;
  sigchld_.add(SIGCHLD, ignored);
  waitSigchld();
}

Containerizer::~Containerizer() {
  *alive_ = false;
  boost::system::error_code ignored;
  sigchld_.cancel(ignored);
  pool_.join();
  for (auto& [id, container] : containers_) {
    if (container.killTimer != 0) runtime_.cancel(container.killTimer);
    if (container.state == State::kRunning && container.pid > 0) {
      PLEXUS_LOG(Info) << "Killing container " << id << " (pid " << container.pid
                       << ") as the agent stops";
      signalSession(container.pid, SIGKILL);
      if (!container.adopted) waitBlocking(container.pid);  // not our child otherwise
      cleanupIsolators(id);
    }
  }
}

std::optional<pid_t> Containerizer::pid(const ContainerId& id) const {
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.pid <= 0) return std::nullopt;
  return it->second.pid;
}

std::optional<v1::ContainerLimitation> Containerizer::limitation(const ContainerId& id) const {
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.limitation;
}

void Containerizer::usage(std::vector<ContainerId> ids, UsageDone done) {
  std::vector<bool> running;
  for (const ContainerId& id : ids) {
    auto it = containers_.find(id);
    running.push_back(it != containers_.end() && it->second.state == State::kRunning);
  }
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, ids = std::move(ids), running = std::move(running),
                            done = std::move(done)]() mutable {
    std::vector<Result<v1::ResourceStatistics>> results;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!running[i]) {
        results.push_back(fail("container " + ids[i].value() + " is not running"));
        continue;
      }
      v1::ResourceStatistics merged;
      bool measured = false;
      for (Isolator* isolator : isolators_) {
        auto usage = isolator->usage(ids[i]);
        if (!usage) continue;  // e.g. it has just been cleaned up
        merged.MergeFrom(*usage);
        measured = true;
      }
      if (!measured) {
        results.push_back(fail("no isolator measured container " + ids[i].value()));
        continue;
      }
      if (!merged.has_timestamp()) {
        merged.set_timestamp(
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count());
      }
      results.push_back(std::move(merged));
    }
    boost::asio::post(io_, [alive, results = std::move(results), done = std::move(done)]() mutable {
      if (*alive) done(std::move(results));
    });
  });
}

void Containerizer::launch(LaunchRequest request, Launched launched, Terminated terminated) {
  Container& container = containers_[request.id];
  container.terminated = std::move(terminated);
  auto alive = alive_;
  boost::asio::post(
      pool_, [this, alive, request = std::move(request), launched = std::move(launched)]() mutable {
        Result<pid_t> pid = forkAndIsolate(request);
        boost::asio::post(io_, [this, alive, id = request.id, pid = std::move(pid),
                                launched = std::move(launched)]() mutable {
          if (!*alive) return;
          onLaunched(id, std::move(pid), launched);
        });
      });
}

Result<pid_t> Containerizer::forkAndIsolate(const LaunchRequest& request) {
  std::vector<v1::ContainerLaunchInfo> infos;
  std::size_t prepared = 0;
  auto failPrepared = [&](Error error) -> Result<pid_t> {
    cleanupIsolators(request.id);
    return fail(std::move(error));
  };
  if (request.prelaunch) {
    if (auto ready = request.prelaunch(); !ready) return fail(ready.error());
  }
  for (Isolator* isolator : isolators_) {
    auto info = isolator->prepare(request.id, request.config);
    ++prepared;
    if (!info) return failPrepared(info.error().context("isolator prepare"));
    if (*info) {
      if (auto applied = appliedLaunchInfo(**info); !applied)
        return failPrepared(applied.error().context("isolator prepare"));
      infos.push_back(std::move(**info));
    }
  }
  (void)prepared;

  ExecPlan plan = planExec(request, infos);
  v1::ContainerConfig logged = request.config;
  if (request.user) logged.set_user(*request.user);
  auto io = logger_->prepare(request.id, logged);
  if (!io) return failPrepared(io.error().context("container logger"));
  planOutput(*io, &plan);
  if (request.user) {
    if (auto switched = planUser(*request.user, &plan); !switched) {
      closeOutputFds(plan);
      return failPrepared(switched.error());
    }
  }
  std::vector<char*> argv;
  for (auto& arg : plan.argv)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& variable : plan.envp)
    envp.push_back(variable.data());
  envp.push_back(nullptr);

  // `ready`: the child says it has its own session (until then, killing the
  // session would miss it); `gate`: the parent lets it exec once isolated.
  int ready[2];
  int gate[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    int error = errno;
    closeOutputFds(plan);
    return failPrepared(Error(std::string("pipe: ") + std::strerror(error)));
  }
  if (::pipe2(gate, O_CLOEXEC) != 0) {
    int error = errno;
    ::close(ready[0]);
    ::close(ready[1]);
    closeOutputFds(plan);
    return failPrepared(Error(std::string("pipe: ") + std::strerror(error)));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    for (int fd : {ready[0], ready[1], gate[0], gate[1]})
      ::close(fd);
    closeOutputFds(plan);
    return failPrepared(Error(std::string("fork: ") + std::strerror(error)));
  }
  if (pid == 0) {
    ::close(ready[0]);
    ::close(gate[1]);
    runChild(plan, argv, envp, ready[1], gate[0]);
  }
  // The child holds the logger's descriptors now; ours would keep its reader waiting.
  closeOutputFds(plan);
  ::close(ready[1]);
  ::close(gate[0]);
  char told = 0;
  while (::read(ready[0], &told, 1) < 0 && errno == EINTR) {
  }
  ::close(ready[0]);  // a child that died first is reaped as any other
  if (request.forked) request.forked(pid);
  for (Isolator* isolator : isolators_) {
    auto isolated = isolator->isolate(request.id, pid);
    if (!isolated) {
      ::close(gate[1]);
      ::kill(pid, SIGKILL);
      waitBlocking(pid);
      return failPrepared(isolated.error().context("isolator isolate"));
    }
  }
  auto alive = alive_;
  for (Isolator* isolator : isolators_) {
    isolator->watch(request.id, [this, alive, id = request.id](const v1::ContainerLimitation& l) {
      boost::asio::post(io_, [this, alive, id, l] {
        if (*alive) onLimitation(id, l);
      });
    });
  }
  char go = 1;
  ssize_t written;
  do {
    written = ::write(gate[1], &go, 1);
  } while (written < 0 && errno == EINTR);
  ::close(gate[1]);
  return pid;
}

void Containerizer::update(const ContainerId& id, Resources resources) {
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.state != State::kRunning) return;
  boost::asio::post(pool_, [this, id, resources = std::move(resources)] {
    for (Isolator* isolator : isolators_) {
      if (auto updated = isolator->update(id, resources, {}); !updated) {
        PLEXUS_LOG(Warning) << "Isolator update of container " << id << " to " << resources
                            << " failed: " << updated.error().message();
      }
    }
  });
}

void Containerizer::cleanupIsolators(const ContainerId& id) {
  for (auto it = isolators_.rbegin(); it != isolators_.rend(); ++it) {
    if (auto cleaned = (*it)->cleanup(id); !cleaned) {
      PLEXUS_LOG(Warning) << "Isolator cleanup of container " << id
                          << " failed: " << cleaned.error().message();
    }
  }
}

void Containerizer::onLaunched(const ContainerId& id, Result<pid_t> pid, const Launched& launched) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  if (!pid) {
    containers_.erase(it);
    launched(fail(pid.error()));
    return;
  }
  Container& container = it->second;
  container.pid = *pid;
  container.state = State::kRunning;
  launched(*pid);
  // `launched` may have destroyed it already; re-find.
  it = containers_.find(id);
  if (it == containers_.end()) return;
  if (it->second.pendingGrace) kill(id, it->second, *it->second.pendingGrace);
  reap();  // it may have exited before we knew its pid
}

void Containerizer::destroy(const ContainerId& id, Duration grace,
                            std::optional<v1::ContainerLimitation> limitation) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  Container& container = it->second;
  if (limitation && !container.limitation) container.limitation = std::move(limitation);
  if (container.state == State::kLaunching) {
    if (!container.pendingGrace || grace < *container.pendingGrace) container.pendingGrace = grace;
    return;
  }
  if (container.state != State::kRunning) return;
  kill(id, container, grace);
}

void Containerizer::kill(const ContainerId& id, Container& container, Duration grace) {
  pid_t pid = container.pid;
  if (grace <= Duration::zero()) {
    if (container.killTimer != 0) runtime_.cancel(container.killTimer);
    container.killTimer = 0;
    boost::asio::post(pool_, [pid] { signalSession(pid, SIGKILL); });
    return;
  }
  if (container.destroying) return;  // already counting down
  container.destroying = true;
  boost::asio::post(pool_, [pid] { signalSession(pid, SIGTERM); });
  container.killTimer = runtime_.schedule(grace, [this, id] {
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second.state != State::kRunning) return;
    it->second.killTimer = 0;
    pid_t pid = it->second.pid;
    PLEXUS_LOG(Info) << "Container " << id << " outlived its grace period; sending SIGKILL";
    boost::asio::post(pool_, [pid] { signalSession(pid, SIGKILL); });
  });
}

void Containerizer::onLimitation(const ContainerId& id, const v1::ContainerLimitation& limitation) {
  PLEXUS_LOG(Info) << "Container " << id << " reached a limitation: " << limitation.message();
  destroy(id, Duration::zero(), limitation);
}

void Containerizer::waitSigchld() {
  auto alive = alive_;
  sigchld_.async_wait([this, alive](const boost::system::error_code& ec, int) {
    if (ec || !*alive) return;
    reap();
    waitSigchld();
  });
}

void Containerizer::reap() {
  std::vector<std::pair<ContainerId, int>> done;
  for (auto& [id, container] : containers_) {
    if (container.state != State::kRunning || container.pid <= 0 || container.adopted) continue;
    int status = 0;
    if (::waitpid(container.pid, &status, WNOHANG) == container.pid) done.emplace_back(id, status);
  }
  for (const auto& [id, status] : done)
    finish(id, status, true);
}

void Containerizer::finish(const ContainerId& id, int status, bool statusKnown) {
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.state != State::kRunning) return;
  Container& container = it->second;
  container.state = State::kCleaningUp;
  if (container.killTimer != 0) runtime_.cancel(container.killTimer);
  container.killTimer = 0;
  pid_t session = container.pid;
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, key = id, session, status, statusKnown] {
    signalSession(session, SIGKILL);  // whatever of the session outlived its leader
    cleanupIsolators(key);
    boost::asio::post(io_, [this, alive, key, status, statusKnown] {
      if (!*alive) return;
      auto it = containers_.find(key);
      if (it == containers_.end()) return;
      Termination termination{status, std::move(it->second.limitation), statusKnown};
      Terminated terminated = std::move(it->second.terminated);
      containers_.erase(it);
      if (terminated) terminated(termination);
    });
  });
}

}  // namespace plexus::agent
