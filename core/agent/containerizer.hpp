// Containerizer: runs each executor in a container made by the configured isolators.
//
// launch() prepares the container with every isolator (merging the environment and
// command of any ContainerLaunchInfo they return), forks a child that starts a new
// session (setsid), points stdout/stderr where the ContainerLogger says (by default
// the sandbox's `stdout` and `stderr` files) and then blocks on a
// pipe; the parent calls isolate(pid) on every isolator and registers watch()
// callbacks, and only then releases the child, which execs. So no executor code
// runs before every isolator has isolated it. A failed prepare or isolate kills
// the child and fails the launch.
//
// destroy() sends SIGTERM to the container's session (its process group and any
// other process of the session), then SIGKILL after the grace period. A limitation
// reported through watch() destroys the container at once. When the container's
// first process has been reaped (SIGCHLD), the rest of its session is killed, the
// isolators clean up (in reverse order) and `terminated` runs with the wait status
// and the limitation, if any.
//
// Threading: every method and callback on the agent's loop; prepare/fork/isolate/
// cleanup run on a small thread pool owned here and post their results back.
// Destruction kills every container still running (SIGKILL) and waits for them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <plexus/container_logger.hpp>
#include <plexus/duration.hpp>
#include <plexus/error.hpp>
#include <plexus/ids.hpp>
#include <plexus/isolator.hpp>
#include <plexus/runtime.hpp>
#include <plexus/v1/containerizer.pb.h>

namespace plexus::agent {

struct LaunchRequest {
  ContainerId id;
  // executor_info, command_info, directory, resources; the command to exec is
  // command_info (shell: /bin/sh -c value; otherwise value with `arguments` as argv).
  v1::ContainerConfig config;
  // The executor's environment (isolators' launch infos are merged over it).
  std::map<std::string, std::string> environment;
  // The user the container runs as (setgid/setuid before exec; its sandbox is
  // given to it). Unset: the agent's own user. A user this machine does not know
  // fails the launch.
  std::optional<std::string> user;
  // Runs on the pool before the isolators prepare (the agent's post-fetch hooks);
  // an Error fails the launch.
  std::function<Result<void>()> prelaunch;
  // Runs on the pool with the child's pid once forked, before it is isolated and
  // execs (the agent checkpoints the pid there).
  std::function<void(pid_t pid)> forked;
};

struct Termination {
  int status = 0;  // waitpid(2) status of the container's first process
  std::optional<v1::ContainerLimitation> limitation;
  // False for a container recovered after an agent restart: its first process was
  // not our child, so its exit status is unknown (`status` is 0).
  bool statusKnown = true;
};

class Containerizer {
 public:
  using Launched = std::function<void(Result<pid_t> pid)>;
  using Terminated = std::function<void(const Termination& termination)>;

  // `logger` (may be null: the built-in SandboxLogger) says where each
  // container's stdout and stderr go; it must outlive the containerizer.
  Containerizer(boost::asio::io_context& io, Runtime& runtime, std::vector<Isolator*> isolators,
                std::size_t threads = 2, ContainerLogger* logger = nullptr);
  ~Containerizer();
  Containerizer(const Containerizer&) = delete;
  Containerizer& operator=(const Containerizer&) = delete;

  // Starts the container. `launched` runs once with the pid or the launch error;
  // after a successful launch, `terminated` runs once when the container is gone.
  void launch(LaunchRequest request, Launched launched, Terminated terminated);

  // Kills the container: SIGTERM to its session, SIGKILL after `grace` (zero: at
  // once). `limitation`, if given, is reported in the Termination. Unknown ids are
  // ignored; a container still launching is killed as soon as it has a pid.
  void destroy(const ContainerId& id, Duration grace,
               std::optional<v1::ContainerLimitation> limitation = std::nullopt);

  bool contains(const ContainerId& id) const { return containers_.contains(id); }

  // After an agent restart (container_recovery.cpp): kills the first process of each
  // of `orphans` (and the rest of its session), then every isolator's recover() with
  // `live` and the orphans' ids, on the pool; `done` on the loop with the isolators'
  // errors. Each of `adopted` (live ones, not our children) is then running as if
  // launched here: watched through a pidfd, its limitations through watch(), and
  // `terminated` runs when its first process is gone.
  struct Adopted {
    ContainerId id;
    pid_t pid = 0;
    Terminated terminated;
  };
  void recover(std::vector<v1::ContainerState> live,
               std::vector<std::pair<ContainerId, pid_t>> orphans, std::vector<Adopted> adopted,
               std::function<void(Result<void>)> done);

  // Forgets a running container without killing it: the agent stops and leaves it
  // to the next agent, which recovers it.
  void release(const ContainerId& id);

  // The running container's resources changed (tasks joined its executor or
  // ended): every isolator's update(), on the pool, in order. A failure is
  // logged with the container and the reason; the container keeps running.
  // Ignored for a container that is not running.
  void update(const ContainerId& id, Resources resources);

  // The limitation a container reached, while it is being destroyed for it.
  std::optional<v1::ContainerLimitation> limitation(const ContainerId& id) const;

  // Measures each running container of `ids` on the pool (every isolator's usage()
  // merged, in isolator order) and runs `done` on the loop with one result per id
  // (an error for a container that is not running or that no isolator measured).
  using UsageDone = std::function<void(std::vector<Result<v1::ResourceStatistics>> usage)>;
  void usage(std::vector<ContainerId> ids, UsageDone done);
  std::optional<pid_t> pid(const ContainerId& id) const;

 private:
  enum class State { kLaunching, kRunning, kCleaningUp };
  struct Container {
    State state = State::kLaunching;
    pid_t pid = 0;
    Terminated terminated;
    std::optional<v1::ContainerLimitation> limitation;
    bool destroying = false;
    std::optional<Duration> pendingGrace;  // destroy() called while launching
    Runtime::TimerId killTimer = 0;
    bool adopted = false;  // recovered: not our child, watched through pidfd
    std::shared_ptr<void> pidfd;  // boost::asio::posix::stream_descriptor, when adopted
  };

  // On the pool.
  Result<pid_t> forkAndIsolate(const LaunchRequest& request);
  void cleanupIsolators(const ContainerId& id);

  // On the loop.
  void onLaunched(const ContainerId& id, Result<pid_t> pid, const Launched& launched);
  void onLimitation(const ContainerId& id, const v1::ContainerLimitation& limitation);
  void kill(const ContainerId& id, Container& container, Duration grace);
  void waitSigchld();
  void reap();
  // The first process of container `id` is gone: the rest of its session is killed,
  // the isolators clean up, then `terminated` runs.
  void finish(const ContainerId& id, int status, bool statusKnown);
  void adopt(Adopted adopted);
  void watchAdopted(const ContainerId& id, const std::shared_ptr<void>& pidfd);

  boost::asio::io_context& io_;
  Runtime& runtime_;
  std::vector<Isolator*> isolators_;
  ContainerLogger* logger_;
  boost::asio::thread_pool pool_;
  boost::asio::signal_set sigchld_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<ContainerId, Container> containers_;
};

// Sends `signal` to the process group `session` and to every other process whose
// session id is `session` (read from /proc). Blocking (reads /proc).
void signalSession(pid_t session, int signal);

}  // namespace plexus::agent
