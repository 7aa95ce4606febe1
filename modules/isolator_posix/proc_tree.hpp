// The process table as /proc shows it, and the process tree of one container.
//
// isolator_posix has no kernel object that holds a container's processes, so it
// finds them in /proc: the container's first process (identified by pid and start
// time, so a recycled pid is not mistaken for it), every process of its session
// and process group (the containerizer makes the first process a session leader),
// and every descendant of those by parent pid. Blocking (reads /proc); no state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <plexus/error.hpp>

namespace plexus::posix {

// One line of /proc/<pid>/stat, the fields this module uses.
struct ProcessEntry {
  pid_t pid = 0;
  char state = '?';  // 'R', 'S', 'Z', ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  std::uint64_t utimeTicks = 0;   // own user time, clock ticks
  std::uint64_t stimeTicks = 0;   // own system time
  std::uint64_t cutimeTicks = 0;  // waited-for children's user time
  std::uint64_t cstimeTicks = 0;
  std::uint32_t threads = 0;
  std::uint64_t startTicks = 0;  // since boot
  std::uint64_t rssPages = 0;
};

// Parses the text of /proc/<pid>/stat (the command may hold spaces and ')').
[[nodiscard]] Result<ProcessEntry> parseProcStat(std::string_view text);

// Every process under `procRoot` (default /proc) that could be read.
std::vector<ProcessEntry> readProcessTable(const std::string& procRoot = "/proc");

// The entry of `pid`, if it exists.
std::optional<ProcessEntry> readProcess(pid_t pid, const std::string& procRoot = "/proc");

// Which processes of `table` belong to the container whose first process is
// `root` started at `rootStart` (clock ticks since boot): the root itself if it is
// still that process, every member of the session and process group `root`, and
// their descendants; `known` (pids seen before, for a kill loop) and their
// descendants as well. Zombies are included (they hold no resources but are
// members); callers filter.
std::vector<ProcessEntry> containerProcesses(const std::vector<ProcessEntry>& table, pid_t root,
                                             std::uint64_t rootStart,
                                             const std::set<pid_t>& known = {});

struct TreeUsage {
  double userSecs = 0;
  double systemSecs = 0;
  std::uint64_t rssBytes = 0;
  std::uint32_t processes = 0;
  std::uint32_t threads = 0;
};

// Sums the live (non-zombie) processes: own plus waited-for children's cpu time,
// resident set size, processes and threads.
TreeUsage sumUsage(const std::vector<ProcessEntry>& processes, long ticksPerSecond, long pageSize);

// Stops and kills (SIGSTOP, then SIGKILL) every process of the container until
// none is left, or gives up after `attempts` rounds. Returns how many were still
// alive (not zombies) at the end.
std::size_t killContainerProcesses(pid_t root, std::uint64_t rootStart, int attempts = 50);

}  // namespace plexus::posix
