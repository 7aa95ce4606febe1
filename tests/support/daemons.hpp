// Test support: a plexus-master started the way most integration tests want it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process.hpp"

namespace plexus::testing {

// Starts plexus-master on a free port with its work dir in `dir`/master and a 50 ms
// allocation interval (plus `extra` flags). The caller checks waitForPort() > 0.
inline std::unique_ptr<Process> startTestMaster(const TempDir& dir,
                                                std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--port=0", "--work_dir=" + (dir.path() / "master").string(),
                                "--allocation_interval=50ms"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<Process>("plexus-master", std::move(args), dir.path());
}

}  // namespace plexus::testing
