// Containerizer::recover() and release(): containers that outlive an agent.
//
// A recovered container's first process is not a child of this agent (the agent
// that forked it is gone; it was re-parented), so SIGCHLD never tells of it: the
// containerizer holds a pidfd (pidfd_open(2)) that becomes readable when the
// process exits. Its exit status cannot be known.
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <plexus/logging.hpp>

#include "agent/containerizer.hpp"

namespace plexus::agent {

namespace {

using Descriptor = boost::asio::posix::stream_descriptor;

int openPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

void Containerizer::recover(std::vector<v1::ContainerState> live,
                            std::vector<std::pair<ContainerId, pid_t>> orphans,
                            std::vector<Adopted> adopted, std::function<void(Result<void>)> done) {
  auto alive = alive_;
  boost::asio::post(pool_, [this, alive, live = std::move(live), orphans = std::move(orphans),
                            adopted = std::move(adopted), done = std::move(done)]() mutable {
    std::set<ContainerId> orphanIds;
    for (const auto& [id, pid] : orphans) {
      PLEXUS_LOG(Info) << "Killing orphan container " << id << " (pid " << pid << ")";
      signalSession(pid, SIGKILL);
      orphanIds.insert(id);
    }
    std::string errors;
    for (Isolator* isolator : isolators_) {
      if (auto recovered = isolator->recover(live, orphanIds); !recovered) {
        errors += (errors.empty() ? "" : "; ") + recovered.error().message();
      }
    }
    boost::asio::post(io_, [this, alive, adopted = std::move(adopted), done = std::move(done),
                            errors = std::move(errors)]() mutable {
      if (!*alive) return;
      for (Adopted& container : adopted)
        adopt(std::move(container));
      if (errors.empty()) return done({});
      done(fail("isolator recover: " + errors));
    });
  });
}

void Containerizer::adopt(Adopted adopted) {
  Container& container = containers_[adopted.id];
  container.state = State::kRunning;
  container.pid = adopted.pid;
  container.adopted = true;
  container.terminated = std::move(adopted.terminated);
  ContainerId id = adopted.id;
  auto alive = alive_;
  for (Isolator* isolator : isolators_) {
    isolator->watch(id, [this, alive, id](const v1::ContainerLimitation& limitation) {
      boost::asio::post(io_, [this, alive, id, limitation] {
        if (*alive) onLimitation(id, limitation);
      });
    });
  }
  int fd = openPidfd(adopted.pid);
  if (fd < 0) {
    // Gone already (ESRCH), or no pidfd on this kernel: it is over either way.
    PLEXUS_LOG(Info) << "Recovered container " << id << " (pid " << adopted.pid
                     << ") is gone: " << std::strerror(errno);
    boost::asio::post(io_, [this, alive, id] {
      if (*alive) finish(id, 0, false);
    });
    return;
  }
  auto descriptor = std::make_shared<Descriptor>(io_, fd);
  container.pidfd = descriptor;
  watchAdopted(id, descriptor);
}

void Containerizer::watchAdopted(const ContainerId& id, const std::shared_ptr<void>& pidfd) {
  auto descriptor = std::static_pointer_cast<Descriptor>(pidfd);
  auto alive = alive_;
  descriptor->async_wait(Descriptor::wait_read,
                         [this, alive, id, descriptor](const boost::system::error_code& error) {
                           if (!*alive || error == boost::asio::error::operation_aborted) return;
                           finish(id, 0, false);
                         });
}

void Containerizer::release(const ContainerId& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  if (it->second.killTimer != 0) runtime_.cancel(it->second.killTimer);
  PLEXUS_LOG(Info) << "Leaving container " << id << " (pid " << it->second.pid
                   << ") running for the next agent to recover";
  containers_.erase(it);
}

}  // namespace plexus::agent
