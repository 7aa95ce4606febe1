// The detector_zk library: its manifest and factories, three modules sharing one
// set of parameters. The logic is in zk_contender.hpp, zk_detector.hpp and
// zk_registry_store.hpp.
#include <plexus/master_contender.hpp>
#include <plexus/master_detector.hpp>
#include <plexus/module.hpp>
#include <plexus/registry_store.hpp>

#include "zk_contender.hpp"
#include "zk_detector.hpp"
#include "zk_registry_store.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"zk", plexus::ParameterType::String, nullptr,
     "ZooKeeper group (required): zk://host:port[,host:port...]/path, "
     "zk://user:pass@hosts/path (digest auth), or file:///path holding such a URL."},
    {"session_timeout", plexus::ParameterType::Duration, "10secs",
     "ZooKeeper session timeout (Mesos's --zk_session_timeout); the server may clamp it."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(
    plexus::moduleManifest<plexus::MasterContender, plexus::detector_zk::ZkContender>(
        {.name = "detector_zk_contender",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Leader election in ZooKeeper: an ephemeral sequential json.info_ znode "
                        "holding the MasterInfo, as Mesos's masters create.",
         .parameters = kParameters}),
    plexus::moduleManifest<plexus::MasterDetector, plexus::detector_zk::ZkDetector>(
        {.name = "detector_zk_detector",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Follows the leading master in ZooKeeper: the json.info_ znode with the "
                        "lowest sequence number, as Mesos's detectors read it.",
         .parameters = kParameters}),
    plexus::moduleManifest<plexus::RegistryStore, plexus::detector_zk::ZkRegistryStore>(
        {.name = "detector_zk_registry",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "The master's registry in the znode '<group path>_registry', each write "
                        "conditional on the version last read or written.",
         .parameters = kParameters}))
