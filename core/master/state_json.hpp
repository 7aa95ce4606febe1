// StateWriter: the master's read-only JSON endpoints in Mesos's layout.
//
// /state (and /master/state): frameworks, agents ("slaves"), tasks and resources
// as Mesos writes them (v0 names such as slave_id; resources as an object of
// name -> value); /metrics/snapshot: Mesos's metric names (master/elected,
// master/tasks_running, master/slaves_active, master/cpus_total, ...); /flags.
#pragma once

#include <string>

#include "master/master_view.hpp"

namespace plexus::master {

class StateWriter {
 public:
  explicit StateWriter(const MasterReader& master) : master_(master) {}
  std::string state() const;
  std::string metrics() const;
  std::string flags() const;

 private:
  const MasterReader& master_;
};

}  // namespace plexus::master
