// plexus-master: keeps the cluster's state and offers agents' resources to frameworks.
#include <plexus/allocator.hpp>
#include <plexus/authenticator.hpp>
#include <plexus/hook.hpp>
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/registry_store.hpp>

#include "daemon/daemon.hpp"
#include "master/master.hpp"
#include "master/master_flags.hpp"
#include "master/security.hpp"

namespace {

using plexus::daemon::createModules;
using plexus::daemon::splitList;

// The built-in contender and detector, used unless a module is named.
constexpr const char* kStandalone = "standalone";
// The built-in registry store, <work_dir>/registry.pb.
constexpr const char* kFileStore = "file";

std::vector<std::string> unlessStandalone(const std::string& name) {
  if (name == kStandalone) return {};
  return {name};
}

// --zk: loads detector_zk's contender, detector and registry store with the URL and
// session timeout, as if --modules had named them, and makes them this master's
// contender, detector and (unless --registry_store names another module) store.
plexus::Result<void> loadZooKeeper(plexus::module::ModuleRegistry& modules,
                                   plexus::master::MasterFlags& flags) {
  if (flags.zk.empty()) return {};
  if (flags.masterContender != kStandalone || flags.masterDetector != kStandalone) {
    return plexus::fail(
        "--zk cannot be combined with --master_contender or --master_detector: "
        "use --zk alone, or name the modules (with their 'zk' parameter) in "
        "--modules and the two flags");
  }
  if (flags.registryStore == kFileStore) {
    return plexus::fail(
        "--registry_store=file cannot be combined with --zk: each master would keep its own "
        "registry; leave --registry_store empty (the registry then lives in ZooKeeper) or name "
        "a store module all masters share");
  }
  PLEXUS_TRY(plexus::daemon::loadZooKeeperModules(modules, "--zk", flags.zk,
                                                  flags.zkSessionTimeoutValue, true));
  flags.masterContender = plexus::daemon::kZooKeeperContender;
  flags.masterDetector = plexus::daemon::kZooKeeperDetector;
  if (flags.registryStore.empty()) flags.registryStore = plexus::daemon::kZooKeeperRegistryStore;
  return {};
}

// The --registry_store module, or null for the built-in file store.
plexus::Result<std::shared_ptr<plexus::RegistryStore>> registryStore(
    plexus::module::ModuleRegistry& modules, const plexus::master::MasterFlags& flags,
    std::vector<std::shared_ptr<void>>* keep) {
  if (flags.registryStore.empty() || flags.registryStore == kFileStore) return nullptr;
  auto stores = createModules<plexus::RegistryStore>(modules, "--registry_store",
                                                     {flags.registryStore}, keep);
  if (!stores) return plexus::fail(stores.error());
  // Owned by `keep`, which outlives the master.
  return std::shared_ptr<plexus::RegistryStore>(keep->back(), stores->front());
}

plexus::Result<std::vector<std::shared_ptr<void>>> start(plexus::daemon::DaemonContext& context,
                                                         plexus::master::MasterFlags& flags) {
  PLEXUS_TRY(flags.parse());
  std::vector<std::shared_ptr<void>> keep;
  auto& modules = context.modules;
  // The default allocator ships as a module; load it by name unless --modules did.
  PLEXUS_TRY(modules.loadByName(flags.allocator, "--allocator=" + flags.allocator));
  auto allocators =
      createModules<plexus::Allocator>(modules, "--allocator", {flags.allocator}, &keep);
  if (!allocators) return plexus::fail(allocators.error());
  auto hookNames = splitList(flags.hooks);
  auto hooks = createModules<plexus::Hook>(modules, "--hooks", hookNames, &keep);
  if (!hooks) return plexus::fail(hooks.error());
  auto authenticatorNames = splitList(flags.authenticators);
  if (authenticatorNames.empty() && flags.authenticates()) {
    PLEXUS_TRY(modules.loadByName("authenticator_basic",
                                  "--authenticators (the default when authenticating)"));
    authenticatorNames.push_back("authenticator_basic");
  }
  auto authenticators =
      createModules<plexus::Authenticator>(modules, "--authenticators", authenticatorNames, &keep);
  if (!authenticators) return plexus::fail(authenticators.error());
  auto acls = plexus::master::loadAcls(flags);
  if (!acls) return plexus::fail(acls.error());
  auto authentication = plexus::master::setUpAuthentication(
      context.server, flags, authenticatorNames, *authenticators, *acls);
  if (!authentication) return plexus::fail(authentication.error());
  keep.push_back(*authentication);
  PLEXUS_TRY(loadZooKeeper(modules, flags));
  auto contenders = createModules<plexus::MasterContender>(
      modules, "--master_contender", unlessStandalone(flags.masterContender), &keep);
  if (!contenders) return plexus::fail(contenders.error());
  auto detectors = createModules<plexus::MasterDetector>(
      modules, "--master_detector", unlessStandalone(flags.masterDetector), &keep);
  if (!detectors) return plexus::fail(detectors.error());
  if (contenders->empty() != detectors->empty()) {
    return plexus::fail(
        "--master_contender and --master_detector must both be modules or both 'standalone'");
  }
  plexus::master::Election election;
  if (!contenders->empty()) election = {contenders->front(), detectors->front()};
  auto store = registryStore(modules, flags, &keep);
  if (!store) return plexus::fail(store.error());

  plexus::master::MasterContext masterContext{.runtime = context.runtime,
                                              .ip = context.flags.ip,
                                              .port = context.server.port(),
                                              .hostname = context.flags.hostname,
                                              .workDir = context.flags.workDir,
                                              .allFlags = context.allFlags,
                                              .stop = context.stop};
  auto master = std::make_shared<plexus::master::Master>(
      std::move(masterContext), flags, *allocators->front(),
      plexus::hooks::HookChain(hookNames, *hooks), *acls, election, *store);
  PLEXUS_TRY(master->start(context.server));
  keep.push_back(master);  // Destroyed first, before the modules it uses.
  return keep;
}

}  // namespace

int main(int argc, char** argv) {
  plexus::master::MasterFlags flags;
  plexus::daemon::DaemonSpec spec{
      .program = "plexus-master",
      .description =
          "Runs a Plexus master: it keeps the cluster's state and offers agents' "
          "resources to frameworks.",
      .defaultPort = 5050,
      .defaultWorkDir = "/var/lib/plexus/master",
      .addFlags = [&flags](plexus::Flags& all) { flags.add(all); },
      .start = [&flags](plexus::daemon::DaemonContext& context) { return start(context, flags); },
  };
  return plexus::daemon::runDaemon(argc, argv, spec);
}
