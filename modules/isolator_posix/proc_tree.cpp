#include "proc_tree.hpp"

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include <plexus/file.hpp>

namespace plexus::posix {

namespace {

bool isPidName(const char* name) {
  if (*name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return false;
  }
  return true;
}

// With open/read, not std::ifstream: libstdc++ throws when a read fails, and reading
// /proc/<pid>/* fails with ESRCH when the process exits meanwhile.
std::optional<std::string> slurp(const std::string& path) {
  auto text = readFile(path);
  if (!text) return std::nullopt;
  return std::move(*text);
}

}  // namespace

Result<ProcessEntry> parseProcStat(std::string_view text) {
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return fail("malformed /proc stat line (no '(command)')");
  }
  ProcessEntry entry;
  std::istringstream head{std::string(text.substr(0, open))};
  head >> entry.pid;
  // Fields 3.. after the command: state ppid pgrp session tty_nr tpgid flags minflt
  // cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads
  // itrealvalue starttime vsize rss.
  std::istringstream fields{std::string(text.substr(close + 1))};
  std::string state;
  long long tty = 0, tpgid = 0;
  unsigned long long flags = 0, minflt = 0, cminflt = 0, majflt = 0, cmajflt = 0;
  long long priority = 0, nice = 0, itreal = 0;
  unsigned long long vsize = 0;
  long long threads = 0, rss = 0;
  if (!(fields >> state >> entry.ppid >> entry.pgrp >> entry.session >> tty >> tpgid >> flags >>
        minflt >> cminflt >> majflt >> cmajflt >> entry.utimeTicks >> entry.stimeTicks >>
        entry.cutimeTicks >> entry.cstimeTicks >> priority >> nice >> threads >> itreal >>
        entry.startTicks >> vsize >> rss) ||
      state.size() != 1 || entry.pid <= 0) {
    return fail("malformed /proc stat line (fields after the command)");
  }
  entry.state = state[0];
  entry.threads = threads > 0 ? static_cast<std::uint32_t>(threads) : 0;
  entry.rssPages = rss > 0 ? static_cast<std::uint64_t>(rss) : 0;
  return entry;
}

std::optional<ProcessEntry> readProcess(pid_t pid, const std::string& procRoot) {
  auto text = slurp(procRoot + "/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto entry = parseProcStat(*text);
  if (!entry) return std::nullopt;
  return *entry;
}

std::vector<ProcessEntry> readProcessTable(const std::string& procRoot) {
  std::vector<ProcessEntry> table;
  DIR* dir = ::opendir(procRoot.c_str());
  if (dir == nullptr) return table;
  while (dirent* item = ::readdir(dir)) {
    if (!isPidName(item->d_name)) continue;
    auto text = slurp(procRoot + "/" + item->d_name + "/stat");
    if (!text) continue;  // it exited meanwhile
    if (auto entry = parseProcStat(*text)) table.push_back(*entry);
  }
  ::closedir(dir);
  return table;
}

std::vector<ProcessEntry> containerProcesses(const std::vector<ProcessEntry>& table, pid_t root,
                                             std::uint64_t rootStart,
                                             const std::set<pid_t>& known) {
  std::set<pid_t> members;
  for (const ProcessEntry& entry : table) {
    bool isRoot = entry.pid == root && entry.startTicks == rootStart;
    bool inSession = root > 1 && (entry.session == root || entry.pgrp == root);
    if (isRoot || inSession || known.contains(entry.pid)) members.insert(entry.pid);
  }
  // Descendants by parent pid, to a fixed point (a child may be listed before its parent).
  std::multimap<pid_t, pid_t> children;
  for (const ProcessEntry& entry : table)
    children.emplace(entry.ppid, entry.pid);
  std::vector<pid_t> frontier(members.begin(), members.end());
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      if (members.insert(it->second).second) frontier.push_back(it->second);
    }
  }
  std::vector<ProcessEntry> result;
  for (const ProcessEntry& entry : table) {
    if (members.contains(entry.pid) && entry.pid > 1) result.push_back(entry);
  }
  return result;
}

TreeUsage sumUsage(const std::vector<ProcessEntry>& processes, long ticksPerSecond, long pageSize) {
  TreeUsage usage;
  std::uint64_t user = 0, system = 0;
  for (const ProcessEntry& entry : processes) {
    if (entry.state == 'Z' || entry.state == 'X') continue;
    user += entry.utimeTicks + entry.cutimeTicks;
    system += entry.stimeTicks + entry.cstimeTicks;
    usage.rssBytes += entry.rssPages * static_cast<std::uint64_t>(pageSize);
    usage.processes += 1;
    usage.threads += entry.threads;
  }
  if (ticksPerSecond > 0) {
    usage.userSecs = static_cast<double>(user) / static_cast<double>(ticksPerSecond);
    usage.systemSecs = static_cast<double>(system) / static_cast<double>(ticksPerSecond);
  }
  return usage;
}

std::size_t killContainerProcesses(pid_t root, std::uint64_t rootStart, int attempts) {
  std::set<pid_t> known;
  std::size_t alive = 0;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (root > 1) ::kill(-root, SIGKILL);  // the process group, in one call
    auto members = containerProcesses(readProcessTable(), root, rootStart, known);
    alive = 0;
    // Stop first so that nothing forks between our reading and our killing.
    for (const ProcessEntry& entry : members) {
      if (entry.state == 'Z' || entry.state == 'X') continue;
      known.insert(entry.pid);
      ::kill(entry.pid, SIGSTOP);
      ++alive;
    }
    for (const ProcessEntry& entry : members) {
      if (entry.state != 'Z' && entry.state != 'X') ::kill(entry.pid, SIGKILL);
    }
    if (alive == 0) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 5 ? 2 : 20));
  }
  return alive;
}

}  // namespace plexus::posix
