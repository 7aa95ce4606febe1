// Resource and attribute detection for the agent's AgentInfo.
//
// detectResources() reads the machine the way Mesos's containerizer does
// (src/slave/containerizer/containerizer.cpp, Containerizer::resources):
//   cpus  = online CPUs (1 if that cannot be read);
//   mem   = total RAM - 1GB when total >= 2GB, total / 2 otherwise (in MB);
//   disk  = size of the filesystem holding --work_dir - 5GB when it is >= 10GB,
//           half of it otherwise (in MB). Mesos uses the filesystem's total size
//           (fs::size), not its free space, and so do we;
//   ports = [31000-32000].
// Then --resources (text or JSON) is merged over them: every name it gives
// replaces the detected entry of that name; other names are added.
// parseAttributes() reads --attributes ("rack:a;zone:1;r:[1-5]") as Mesos's
// Attributes::parse: a value is a scalar if it is a number, ranges in [..], a set in
// {..}, text otherwise. Pure functions (they read /proc and statvfs only).
#pragma once

#include <string>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::agent {

struct MachineResources {
  double cpus = 1;
  double memMb = 0;
  double diskMb = 0;
};

// What the machine has, with Mesos's reserves subtracted.
MachineResources detectMachine(const std::string& workDir);

// Detected resources merged with the `--resources` text (may be empty).
[[nodiscard]] Result<Resources> detectResources(const std::string& workDir,
                                                const std::string& resourcesFlag,
                                                const std::string& defaultRole = "*");

[[nodiscard]] Result<std::vector<v1::Attribute>> parseAttributes(const std::string& text);

}  // namespace plexus::agent
