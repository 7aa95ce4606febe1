// Leadership: the election through the MasterContender and MasterDetector modules,
// and how a master that does not lead answers (307 to the leader, or 503).
//
// A master leads while its candidacy holds AND the detector names it (Mesos's
// `leader == info_`). It is a standby until then: it serves /state, /flags,
// /metrics/snapshot and /health, and redirects every leader-only route. A leader
// that loses its candidacy, or hears from the detector that another master leads,
// steps down by ending the process with status 1, as Mesos's master aborts: the
// soft state it built (agents, frameworks, tasks, offers) may already be stale, and
// a fresh process that rejoins as a standby cannot keep any of it by mistake.
// Under a supervisor (systemd, the tests' harness) it is back as a standby at once.
#include <plexus/logging.hpp>

#include "master/master.hpp"

namespace plexus::master {
namespace {

std::string describe(const v1::MasterInfo& master) {
  const std::string& host = master.hostname().empty() ? master.address().ip() : master.hostname();
  return master.id() + " at " + host + ":" + std::to_string(master.port());
}

}  // namespace

Result<void> Master::startElection() {
  if (election_.contender == nullptr) {
    candidacy_ = true;
    leader_ = info_;
    PLEXUS_LOG(Info) << "Master " << describe(info_) << " leads alone (standalone election)";
    checkElected();
    return {};
  }
  PLEXUS_TRY(election_.contender->initialize(info_, context_.runtime));
  PLEXUS_TRY(election_.detector->initialize(context_.runtime));
  PLEXUS_LOG(Info) << "Master " << describe(info_) << " is a standby, contending for leadership";
  contend();
  detect();
  return {};
}

void Master::contend() {
  auto alive = alive_;
  election_.contender->contend(ContenderCallbacks{
      .onCandidacy =
          [this, alive] {
            if (!*alive || steppingDown_) return;
            candidacy_ = true;
            PLEXUS_LOG(Info) << "Master " << info_.id()
                             << " holds a candidacy; it leads once the detector names it";
            checkElected();
          },
      .onCandidacyLost =
          [this, alive](const Error& reason) {
            if (*alive) candidacyLost(reason);
          },
  });
}

void Master::detect() {
  auto alive = alive_;
  election_.detector->detect(leader_, [this, alive](Result<std::optional<v1::MasterInfo>> leader) {
    if (*alive) leaderDetected(std::move(leader));
  });
}

void Master::candidacyLost(const Error& reason) {
  if (steppingDown_) return;
  candidacy_ = false;
  if (elected_) {
    stepDown("its candidacy was lost (" + reason.message() + ")");
    return;
  }
  PLEXUS_LOG(Warning) << "Master " << info_.id() << " lost its candidacy while a standby ("
                      << reason.message() << "); contending again";
  contend();
}

void Master::leaderDetected(Result<std::optional<v1::MasterInfo>> leader) {
  if (steppingDown_) return;
  if (!leader) {
    stepDown("the master detector failed and cannot recover: " + leader.error().message());
    return;
  }
  bool changed = leader_.has_value();  // the first answer is no failover
  leader_ = std::move(*leader);
  if (changed) metrics_.leaderChanges++;
  if (leader_) {
    PLEXUS_LOG(Info) << "Leading master is " << describe(*leader_)
                     << (leader_->id() == info_.id() ? " (this master)" : "");
  } else {
    PLEXUS_LOG(Warning) << "No master is leading";
  }
  if (elected_ && (!leader_ || leader_->id() != info_.id())) {
    stepDown("the detector now names " + (leader_ ? describe(*leader_) : "no master") +
             " as the leader");
    return;
  }
  checkElected();
  detect();
}

void Master::checkElected() {
  if (elected_ || recovering_ || steppingDown_ || !candidacy_ || !leader_ ||
      leader_->id() != info_.id())
    return;
  recovering_ = true;
  PLEXUS_LOG(Info) << "Master " << describe(info_) << " was elected; reading the registry from "
                   << registrar_->store().describe();
  auto alive = alive_;
  registrar_->recover([this, alive](Result<internal::Registry> registry) {
    if (!*alive || steppingDown_) return;
    recovering_ = false;
    if (!registry) {
      stepDown("cannot read the registry: " + registry.error().message() +
               ". Fix or move aside what the message names");
      return;
    }
    if (!candidacy_ || !leader_ || leader_->id() != info_.id()) {
      PLEXUS_LOG(Warning) << "Master " << info_.id()
                          << " is no longer elected after reading the registry; still a standby";
      return;
    }
    elected_ = true;
    electedTime_ = context_.runtime.wallNow();
    PLEXUS_LOG(Info) << "Master " << describe(info_) << " is the leading master";
    recovered(*registry);
  });
}

void Master::stepDown(const std::string& why) {
  if (steppingDown_) return;
  steppingDown_ = true;
  bool wasLeader = elected_;
  elected_ = false;
  if (wasLeader) {
    PLEXUS_LOG(Error) << "Master " << describe(info_) << " is stepping down as leader: " << why
                      << ". Exiting with status 1 so that no stale state survives; restart it "
                         "(a supervisor should) and it rejoins as a standby";
  } else {
    PLEXUS_LOG(Error) << "Master " << describe(info_) << " is exiting: " << why;
  }
  if (context_.stop) {
    context_.stop(1);
  } else {
    std::_Exit(1);
  }
}

http::Handler Master::leaderOnly(http::Handler handler) {
  return [this, handler = std::move(handler)](http::Request request, http::Responder responder) {
    if (elected_) {
      handler(std::move(request), std::move(responder));
      return;
    }
    if (leader_ && leader_->id() == info_.id()) {
      // Elected, still reading the registry: a redirect would point at this master.
      metrics_.redirects++;
      responder.respond(http::text(503, "The leading master is recovering its registry; retry"));
      return;
    }
    redirect(request, responder, false);
  };
}

void Master::redirect(const http::Request& request, const http::Responder& responder, bool bare) {
  if (!elected_) metrics_.redirects++;
  if (!leader_) {
    responder.respond(http::text(503, "No leader elected"));
    return;
  }
  const std::string& host =
      leader_->hostname().empty() ? leader_->address().ip() : leader_->hostname();
  std::string location = "//" + host + ":" + std::to_string(leader_->port());
  if (!bare) location += request.target;
  responder.respond(http::redirect(location));
}

}  // namespace plexus::master
