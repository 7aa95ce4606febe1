// /proc parsing and the selection of a container's process tree, on made-up tables.
#include "proc_tree.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

namespace plexus::posix {
namespace {

TEST(ProcStat, ParsesACommandWithSpacesAndParentheses) {
  auto entry = parseProcStat(
      "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 3 0 "
      "987654 12345678 2048 18446744073709551615");
  ASSERT_TRUE(entry.has_value()) << entry.error().message();
  EXPECT_EQ(entry->pid, 4242);
  EXPECT_EQ(entry->state, 'S');
  EXPECT_EQ(entry->ppid, 1);
  EXPECT_EQ(entry->pgrp, 4242);
  EXPECT_EQ(entry->session, 4242);
  EXPECT_EQ(entry->utimeTicks, 250u);
  EXPECT_EQ(entry->stimeTicks, 50u);
  EXPECT_EQ(entry->cutimeTicks, 30u);
  EXPECT_EQ(entry->cstimeTicks, 20u);
  EXPECT_EQ(entry->threads, 3u);
  EXPECT_EQ(entry->startTicks, 987654u);
  EXPECT_EQ(entry->rssPages, 2048u);
}

TEST(ProcStat, RefusesTruncatedLines) {
  EXPECT_FALSE(parseProcStat("12 (x) S 1 2").has_value());
  EXPECT_FALSE(parseProcStat("garbage").has_value());
}

TEST(ProcStat, ReadsItself) {
  auto self = readProcess(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_GT(self->rssPages, 0u);
  EXPECT_FALSE(readProcessTable().empty());
}

ProcessEntry entry(pid_t pid, pid_t ppid, pid_t session, char state = 'S',
                   std::uint64_t start = 100) {
  ProcessEntry e;
  e.pid = pid;
  e.ppid = ppid;
  e.pgrp = session;
  e.session = session;
  e.state = state;
  e.startTicks = start;
  e.utimeTicks = 100;
  e.stimeTicks = 10;
  e.rssPages = 10;
  e.threads = 1;
  return e;
}

TEST(ContainerProcesses, SessionAndDescendants) {
  std::vector<ProcessEntry> table = {
      entry(1, 0, 1),        entry(50, 1, 50),  // the root, session leader
      entry(51, 50, 50),                        // its child
      entry(60, 51, 60),  // a grandchild that called setsid: a descendant still
      entry(61, 1, 50),   // reparented to init but still in the session
      entry(70, 1, 70),   // unrelated
      entry(71, 70, 70),  // unrelated
      entry(72, 61, 72, 'Z')};
  auto members = containerProcesses(table, 50, 100);
  std::vector<pid_t> pids;
  for (const auto& e : members)
    pids.push_back(e.pid);
  EXPECT_EQ(pids, (std::vector<pid_t>{50, 51, 60, 61, 72}));
  TreeUsage usage = sumUsage(members, 100, 4096);
  EXPECT_EQ(usage.processes, 4u);  // the zombie does not count
  EXPECT_DOUBLE_EQ(usage.userSecs, 4.0);
  EXPECT_DOUBLE_EQ(usage.systemSecs, 0.4);
  EXPECT_EQ(usage.rssBytes, 4u * 10 * 4096);
}

TEST(ContainerProcesses, ARecycledRootPidIsNotTheRoot) {
  std::vector<ProcessEntry> table = {entry(50, 1, 7, 'S', 999), entry(80, 50, 7)};
  EXPECT_TRUE(containerProcesses(table, 50, 100).empty());
  EXPECT_EQ(containerProcesses(table, 50, 999).size(), 2u);
}

}  // namespace
}  // namespace plexus::posix
