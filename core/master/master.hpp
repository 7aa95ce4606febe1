// Master: keeps the cluster's state and runs the offer cycle (DESIGN.md).
//
// One Master per plexus-master process, living on the daemon's event loop: every
// method runs on that loop, so the state needs no locks. The endpoints see it only
// through narrow interfaces: the v1 scheduler API (scheduler_api.cpp) through
// SchedulerCalls, the agents' internal protocol (agent_api.cpp) through AgentCalls
// (master_calls.hpp), the operator API (operator_api.cpp) through OperatorCalls and
// the read-only endpoints (/state, /metrics/snapshot, /flags: state_json.cpp)
// through MasterReader (master_view.hpp). In-process tests drive it the same way.
//
// The state lives in books that own their records and keep their invariants:
// FrameworkBook, AgentBook, OfferBook, and each framework's TaskBook. The Master
// orchestrates them by responsibility: frameworks.cpp (subscription, failover,
// teardown), agents.cpp (registration, pings, unreachable agents), offers.cpp (the
// allocator's callbacks, accept/decline, rescinds), launch.cpp (LAUNCH and
// LAUNCH_GROUP in steps), tasks.cpp (status updates, kill, reconciliation),
// recovery.cpp (the registry) and leadership.cpp (the election).
//
// The allocator module decides every offer; hooks decorate launches. Both are
// owned by the daemon and outlive the Master.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <plexus/allocator.hpp>
#include <plexus/hook.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/resource_conversions.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/quota.pb.h>
#include <plexus/v1/scheduler.pb.h>

#include "agent_protocol.pb.h"
#include "auth/acls.hpp"
#include "common/flags.hpp"
#include "hooks/hook_chain.hpp"
#include "http/server.hpp"
#include "master/agent_book.hpp"
#include "master/framework_book.hpp"
#include "master/master_calls.hpp"
#include "master/master_flags.hpp"
#include "master/master_state.hpp"
#include "master/master_view.hpp"
#include "master/metrics.hpp"
#include "master/offer_book.hpp"
#include "master/registrar.hpp"

namespace plexus::master {

// The contender and detector modules (owned by the daemon), or both null for the
// built-in standalone election: the master leads at once.
struct Election {
  MasterContender* contender = nullptr;
  MasterDetector* detector = nullptr;
};

// What the master needs from its daemon (daemon.hpp's DaemonContext, or a test's
// FakeRuntime): the loop's clocks and timers, where it serves, the flags /flags
// shows, and how to end the process when it steps down.
struct MasterContext {
  Runtime& runtime;
  std::string ip;
  uint16_t port = 0;
  std::string hostname;
  std::string workDir;  // where the built-in file registry lives
  const Flags& allFlags;
  std::function<void(int status)> stop;  // empty: std::_Exit
};

struct LaunchPlan;  // launch.cpp

class Master final : public SchedulerCalls, public AgentCalls, public OperatorCalls {
 public:
  Master(MasterContext context, const MasterFlags& flags, Allocator& allocator,
         hooks::HookChain hooks, std::shared_ptr<const auth::Acls> acls = nullptr,
         Election election = {}, std::shared_ptr<RegistryStore> registryStore = nullptr);
  ~Master() override;
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Initializes the allocator and the registrar, registers the HTTP routes on
  // `server` and starts contending.
  [[nodiscard]] Result<void> start(http::Server& server);
  // start() without HTTP, for in-process tests: initialize(), then startElection().
  [[nodiscard]] Result<void> initialize();
  [[nodiscard]] Result<void> startElection();

  const v1::MasterInfo& info() const { return info_; }
  // True while this master leads: its candidacy holds and the detector names it.
  bool elected() const { return elected_; }

  // SchedulerCalls (master_calls.cpp; subscribe in frameworks.cpp).
  void countRequest() override;
  void countCall(v1::scheduler::Call::Type type) override;
  std::optional<http::Response> authorizeSubscribe(const v1::FrameworkInfo& info) const override;
  Result<void> validateFrameworkInfo(const v1::FrameworkInfo& info) const override;
  Result<FrameworkId> subscribe(const v1::scheduler::Call::Subscribe& subscribe,
                                Subscription subscription) override;
  const FrameworkRecord* framework(const FrameworkId& id) const override;
  Result<void> call(const v1::scheduler::Call& call) override;

  // AgentCalls (master_calls.cpp; registerAgent in agents.cpp).
  std::string newAgentStreamId() override;
  Result<AgentId> registerAgent(const internal::AgentCall& call,
                                Subscription subscription) override;
  const AgentRecord* agent(const AgentId& id) const override;
  void agentCall(const internal::AgentCall& call) override;

  // MasterReader and OperatorCalls (master_calls.cpp; the rest as commented below).
  MasterView view() const override;
  // recovery.cpp
  size_t unreachableAgentCount() const override;
  void persistWeightsAndQuota() override;
  // authorization.cpp: decisions of --acls (auth/acls.hpp). Each refusal is
  // logged and its message names the ACL rule that refused.
  std::optional<std::string> aclRefusal(std::string_view action,
                                        const std::optional<std::string>& principal,
                                        const std::optional<std::string>& object) const override;
  // reserve_resources / unreserve_resources, for every resource of `operation`.
  std::optional<std::string> authorizeReservation(
      const v1::Offer::Operation& operation,
      const std::optional<std::string>& principal) const override;
  void afterWrites(std::function<void()> then) override;
  bool teardown(const FrameworkId& id) override;
  void setWeights(const std::vector<v1::WeightInfo>& weights) override;
  void setQuota(const v1::quota::QuotaConfig& config) override;
  Result<std::vector<ResourceConversion>> operatorConversions(
      const v1::Offer::Operation& operation) const override;
  // reservations.cpp
  Result<void> applyOperatorOperation(const AgentId& agent,
                                      const v1::Offer::Operation& operation) override;
  void rescindOffer(const OfferId& id) override;

 private:
  // Registers the HTTP routes (start()).
  Result<void> serve(http::Server& server);
  // leadership.cpp: the election, and what a master that does not lead answers.
  void contend();
  void detect();
  void leaderDetected(Result<std::optional<v1::MasterInfo>> leader);
  void candidacyLost(const Error& reason);
  // Once the master holds its candidacy and the detector names it: reads the
  // registry, then leads (recovery.cpp).
  void checkElected();
  // Stops acting as leader at once and ends the process (see docs/high-availability.md).
  void stepDown(const std::string& why);
  // Wraps a leader-only route: a master that does not lead redirects instead.
  http::Handler leaderOnly(http::Handler handler);
  // 307 to the leader (Location: //host:port<path>), or 503 while no leader is known.
  void redirect(const http::Request& request, const http::Responder& responder, bool bare);

  // recovery.cpp: the registry (registrar.hpp) and what a new leader makes of it.
  Result<void> createRegistrar();
  // Restores weights, quota and frameworks, and waits for the admitted agents.
  void recovered(const internal::Registry& registry);
  // --agent_reregister_timeout after the election: the admitted agents that did not
  // re-register are marked unreachable in the registry.
  void reregisterTimedOut();
  // Admits the agent (registered or re-registered) in the registry, then `done`.
  void admitAgent(const AgentRecord& agent, std::function<void()> done);
  // Stores the framework's info in the registry (unless it holds it already), then `done`.
  void persistFramework(const v1::FrameworkInfo& info, std::function<void()> done);
  void forgetFramework(const FrameworkId& id);
  // True if the registry lists `id` among the unreachable agents.
  bool unreachableInRegistry(const AgentId& id) const;
  // Moves `agents` from the registry's admitted agents to its unreachable ones
  // (stamped now, pruned as --registry_max_agent_* say), then `done`.
  void markUnreachableInRegistry(std::vector<v1::AgentInfo> agents, std::function<void()> done);
  // Every --registry_gc_interval: prunes the registry's unreachable agents.
  void scheduleRegistryGc();

  // frameworks.cpp
  // Why a SUBSCRIBE with `info` is refused, if it is.
  std::optional<std::string> refuseSubscription(const v1::FrameworkInfo& info) const;
  // Adds or fails over the framework and sends SUBSCRIBED (the registry holds it).
  void completeSubscription(const v1::scheduler::Call::Subscribe& subscribe, v1::FrameworkInfo info,
                            Subscription subscription);
  // Its steps: the new stream replaces the old (ERROR "Framework failed over");
  // the allocator adds a new framework, or updates (and reactivates) a known one;
  // SUBSCRIBED goes out.
  void replaceSubscription(FrameworkRecord& framework, Subscription subscription);
  void addFramework(FrameworkRecord& framework, v1::FrameworkInfo info,
                    const FrameworkOptions& options);
  void failOverFramework(FrameworkRecord& framework, v1::FrameworkInfo info,
                         const FrameworkOptions& options);
  void sendSubscribed(FrameworkRecord& framework);
  void sendEvent(FrameworkRecord& framework, const v1::scheduler::Event& event);
  void heartbeat(const FrameworkId& id);
  void frameworkDisconnected(const FrameworkId& id, const std::string& streamId);
  void failoverTimedOut(const FrameworkId& id);
  void removeFramework(const FrameworkId& id, const std::string& why);
  Result<void> updateFramework(FrameworkRecord& framework,
                               const v1::scheduler::Call::UpdateFramework& update);
  FrameworkRecord* findFramework(const FrameworkId& id);
  // Adds a framework an agent reports but this master does not know: inactive,
  // with its failover timeout running until it re-subscribes.
  // `source` says where it came from, for the log.
  void recoverFramework(const v1::FrameworkInfo& info, const std::string& source);

  // agents.cpp
  // Why a re-registering agent's tasks are announced (it was unreachable, or is
  // unknown), or "".
  std::string rejoinReason(const v1::AgentInfo& info, const AgentRecord* known) const;
  // A re-registering agent's frameworks, executors and tasks, adopted as the master's.
  void adoptReregisteredState(AgentRecord& agent,
                              const internal::AgentCall::Reregister& reregister);
  // Once the registry admits it: hands the agent to the allocator, sends REGISTERED.
  // `rejoined`: why the agent's tasks are announced to their frameworks once it is
  // admitted again (it was unreachable, or unknown to this master), or empty.
  void finishRegistration(const AgentId& id, const std::string& streamId, bool reregister,
                          const std::string& rejoined);
  // As Mesos 1.11: the latest state of each task of a rejoined agent, sent to its
  // framework (partition-aware or not) with REASON_AGENT_REREGISTERED.
  void announceRejoinedTasks(const AgentRecord& agent, const std::string& message);
  // agent_reconciliation.cpp: tasks a known agent re-registers without end lost;
  // an agent registering anew at an agent's address replaces it.
  void reconcileReregisteredTasks(const AgentId& agent,
                                  const internal::AgentCall::Reregister& reregister);
  void removeAgentsAt(const std::string& endpoint);
  // The frameworks hear of the tasks of an agent marked unreachable.
  void reportUnreachableTasks(const AgentId& id);
  void sendToAgent(AgentRecord& agent, const internal::AgentEvent& event);
  void pingAgent(const AgentId& id);
  void agentPonged(AgentRecord& agent);
  void agentDisconnected(const AgentId& id, const std::string& streamId);
  void markUnreachable(const AgentId& id);
  void executorExited(AgentRecord& agent, const internal::AgentCall::ExecutorExited& exited);
  void executorMessage(AgentRecord& agent, const internal::AgentCall::Message& message);
  AgentRecord* findAgent(const AgentId& id);

  // offers.cpp
  void offer(const FrameworkId& framework, const OfferedResources& resources);
  // --offer_timeout after the offer: rescinded, its resources back to the allocator.
  void offerTimedOut(const OfferId& id);
  void accept(FrameworkRecord& framework, const v1::scheduler::Call::Accept& accept);
  // The steps of accept(): the named offers taken out of the book and checked
  // together; their refusal (tasks TASK_DROPPED or TASK_LOST, resources back).
  struct AcceptedOffers;
  AcceptedOffers takeAcceptedOffers(const FrameworkRecord& framework,
                                    const v1::scheduler::Call::Accept& accept);
  void refuseAccept(FrameworkRecord& framework, const v1::scheduler::Call::Accept& accept,
                    const AcceptedOffers& offers);
  void decline(FrameworkRecord& framework, const v1::scheduler::Call::Decline& decline);
  // Removes the offer; its resources go back to the allocator unless `recover` is false.
  void removeOffer(const OfferId& id, bool rescind, bool recover = true);
  void rescindOffersOf(const AgentId& agent);

  // reservations.cpp: RESERVE and UNRESERVE, from ACCEPT or from the operator.
  // The conversions `operation` makes, after Mesos's validation of it (for a
  // framework: its principal and roles; for the operator: any valid role).
  Result<std::vector<ResourceConversion>> reservationConversions(
      const v1::Offer::Operation& operation, const FrameworkRecord* framework) const;
  // Applies an ACCEPT's RESERVE/UNRESERVE to the offered resources `available`.
  void applyOfferOperation(FrameworkRecord& framework, AgentRecord& agent,
                           const v1::Offer::Operation& operation, Resources* available);
  // Moves the agent's total by `conversions` and sends it to the agent to checkpoint.
  void updateAgentTotal(AgentRecord& agent, const std::vector<ResourceConversion>& conversions);

  // authorization.cpp: run_tasks, for every user the launch of `task` can run a process as: the
  // task's and, when it has one (custom, or the task group's), its executor's.
  std::optional<std::string> authorizeTask(const FrameworkRecord& framework,
                                           const v1::TaskInfo& task,
                                           const v1::ExecutorInfo* executor) const;

  // launch.cpp: validates and launches the tasks of one LAUNCH or LAUNCH_GROUP on
  // `agent`, taking their resources out of `available`. Invalid tasks get
  // TASK_ERROR. The steps: plan (the tasks and the group's executor), check each
  // task, then refuse or add each; a group goes out as one RUN_TASK_GROUP.
  void launch(FrameworkRecord& framework, AgentRecord& agent, const v1::Offer::Operation& operation,
              Resources* available);
  LaunchPlan planLaunch(FrameworkRecord& framework, AgentRecord& agent,
                        const v1::Offer::Operation& operation, const Resources& available);
  void checkTasks(const FrameworkRecord& framework, const AgentRecord& agent,
                  const Resources& available, LaunchPlan* plan) const;
  void refuseTask(FrameworkRecord& framework, const AgentRecord& agent, const LaunchPlan& plan,
                  size_t i);
  void addTask(FrameworkRecord& framework, AgentRecord& agent, LaunchPlan& plan, size_t i);
  void sendRunTaskGroup(FrameworkRecord& framework, AgentRecord& agent, const LaunchPlan& plan);

  // tasks.cpp
  void statusUpdate(AgentRecord& agent, const internal::AgentCall::Update& update);
  void acknowledge(FrameworkRecord& framework, const v1::scheduler::Call::Acknowledge& ack);
  void kill(FrameworkRecord& framework, const v1::scheduler::Call::Kill& kill);
  // Sends KILL_TASK for `task` (task_id, framework_id and the task's kill policy
  // are filled in).
  void sendKill(FrameworkRecord& framework, const TaskRecord& task, AgentRecord& agent,
                internal::AgentEvent::KillTask kill);
  // preemption.cpp: the allocator's reclaim callback. Kills running tasks of
  // `framework` on `agent`, allocated to the roles of `resources`, until what they
  // hold covers `resources`, never freeing more than `atMost`; they end
  // TASK_KILLED with REASON_CONTAINER_PREEMPTED.
  void reclaim(const FrameworkId& framework, const AgentId& agent, const Resources& resources,
               const ResourceQuantities& atMost);
  void reconcile(FrameworkRecord& framework, const v1::scheduler::Call::Reconcile& reconcile);
  void frameworkMessage(FrameworkRecord& framework, const v1::scheduler::Call::Message& message);
  void shutdownExecutor(FrameworkRecord& framework, const v1::scheduler::Call::Shutdown& shutdown);
  // Sends the framework an update the master made itself (no uuid).
  void sendMasterUpdate(FrameworkRecord& framework, const v1::TaskID& task,
                        const std::optional<AgentId>& agent, v1::TaskState state,
                        v1::TaskStatus::Reason reason, const std::string& message);
  // Moves a task to its terminal state: frees its resources and archives it.
  void taskTerminated(FrameworkRecord& framework, const TaskId& task);
  void recordStatus(TaskRecord& task, const v1::TaskStatus& status);

  MasterContext context_;
  const MasterFlags& flags_;
  Allocator& allocator_;
  hooks::HookChain hooks_;
  std::shared_ptr<const auth::Acls> acls_;  // null: everything allowed
  Election election_;
  v1::MasterInfo info_;
  std::chrono::system_clock::time_point startTime_;
  bool candidacy_ = false;  // the contender holds our candidacy
  bool elected_ = false;
  bool steppingDown_ = false;
  bool recovering_ = false;  // elected, reading the registry before leading
  // The --registry_store module (owned by the daemon), or null for the built-in file.
  std::shared_ptr<RegistryStore> registryStore_;
  std::unique_ptr<Registrar> registrar_;
  std::optional<Runtime::TimerId> reregisterTimer_;
  std::optional<Runtime::TimerId> registryGcTimer_;
  std::optional<v1::MasterInfo> leader_;  // as the detector last told
  std::optional<std::chrono::system_clock::time_point> electedTime_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Metrics metrics_;

  FrameworkBook frameworks_;
  // With the admitted agents (from the registry) not re-registered since the election.
  AgentBook agents_;
  OfferBook offers_{context_.runtime, frameworks_, agents_};
  std::map<std::string, double> weights_;                 // roles not listed weigh 1
  std::map<std::string, v1::quota::QuotaConfig> quotas_;  // by role
};

}  // namespace plexus::master
