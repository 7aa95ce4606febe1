// Dynamic reservations on the agent: the master sends the agent's new total after
// every RESERVE/UNRESERVE; the agent keeps it in --work_dir (with the total it was
// made over) and registers with it from then on, so reservations outlive agent
// restarts and master failovers, as Mesos's checkpointed resources do.
#include <filesystem>
#include <fstream>

#include <plexus/logging.hpp>

#include "agent/agent.hpp"
#include "agent/paths.hpp"

namespace plexus::agent {

void Agent::checkpointResources(const google::protobuf::RepeatedPtrField<v1::Resource>& total) {
  auto parsed = Resources::fromWire(total);
  if (!parsed) {
    PLEXUS_LOG(Warning) << "Ignoring checkpointed resources from the master: "
                        << parsed.error().message();
    return;
  }
  internal::ResourcesCheckpoint checkpoint;
  *checkpoint.mutable_detected() = detectedResources_;
  *checkpoint.mutable_total() = total;
  // Written next to the final file and renamed over it: a crash leaves the old or the new.
  std::string path = paths::resourcesCheckpoint(context_.flags.workDir);
  std::string temporary = path + ".tmp";
  bool written =
      paths::createDirectories(std::filesystem::path(path).parent_path().string()) && [&] {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        return checkpoint.SerializeToOstream(&out) && out.flush().good();
      }();
  std::error_code error;
  if (written) std::filesystem::rename(temporary, path, error);
  if (!written || error) {
    PLEXUS_LOG(Error) << "Could not checkpoint the agent's resources to " << path << ": "
                      << (error ? error.message() : "write failed")
                      << "; the reservations are lost if the agent restarts";
  }
  *info_.mutable_resources() = total;
  PLEXUS_LOG(Info) << "Agent resources are now " << *parsed;
}

Result<void> Agent::recoverCheckpointedResources(const Resources& detected) {
  detected.toWire(&detectedResources_);
  std::string path = paths::resourcesCheckpoint(context_.flags.workDir);
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};  // nothing reserved yet
  internal::ResourcesCheckpoint checkpoint;
  if (!checkpoint.ParseFromIstream(&in)) {
    return fail(path + " is not a resources checkpoint; remove it to start without the " +
                "agent's dynamic reservations");
  }
  auto before = Resources::fromWire(checkpoint.detected());
  auto total = Resources::fromWire(checkpoint.total());
  if (!before || !total) {
    return fail(path + ": " + (before ? total.error() : before.error()).message());
  }
  if (*before != detected) {
    // As Mesos: the reservations were made on other resources; refuse to guess.
    return fail("the agent's resources (" + detected.toString() +
                ") differ from those its dynamic reservations in " + path + " were made on (" +
                before->toString() + "); restore --resources or remove " + path);
  }
  total->toWire(info_.mutable_resources());
  PLEXUS_LOG(Info) << "Recovered the agent's dynamically reserved resources: " << *total;
  return {};
}

}  // namespace plexus::agent
