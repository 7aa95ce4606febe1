// Every binary matches flags by their whole names only: a prefix of a known flag (which
// Boost.Program_options would otherwise guess) and an unknown flag are refused, naming
// the flag, and nothing starts.
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

namespace {

using plexus::testing::Process;
using plexus::testing::TempDir;

struct Refused {
  std::string name;
  std::string binary;
  std::vector<std::string> args;
  std::string flag;  // the name the refusal must quote
};

void PrintTo(const Refused& refused, std::ostream* out) {
  *out << refused.binary << " " << refused.args.front();
}

class ExactFlags : public testing::TestWithParam<Refused> {};

TEST_P(ExactFlags, RefusesTheFlagNamingIt) {
  TempDir dir;
  const Refused& refused = GetParam();
  std::vector<std::string> args = refused.args;
  // Were the flag taken, a daemon would start: on a port of its own choosing, in `dir`.
  if (refused.binary == "plexus-master" || refused.binary == "plexus-agent") {
    args.push_back("--port=0");
    args.push_back("--work_dir=" + (dir.path() / "work").string());
  }
  Process process(refused.binary, args, dir.path());
  int status = process.wait();
  EXPECT_GT(status, 0) << process.err();
  // Boost quotes the whole argument: '--recov=reconnect'.
  EXPECT_NE(process.err().find("unrecognised option '" + refused.flag), std::string::npos)
      << refused.binary << " said: " << process.err();
}

INSTANTIATE_TEST_SUITE_P(
    Binaries, ExactFlags,
    testing::Values(
        // A prefix of both --recover and --recovery_timeout is neither.
        Refused{"AgentPrefixOfRecover",
                "plexus-agent",
                {"--recov=reconnect"},
                "--recov"},
        Refused{"AgentUnknownFlag", "plexus-agent", {"--no_such_flag=1"}, "--no_such_flag"},
        Refused{"MasterPrefixOfAllocationInterval",
                "plexus-master",
                {"--allocation=1secs"},
                "--allocation"},
        Refused{"MasterPrefixOfOfferTimeout", "plexus-master", {"--offer=1mins"}, "--offer"},
        Refused{"ExecuteTaskIsNotTaskGroup", "plexus-execute", {"--task=x"}, "--task"},
        Refused{"ExecutePrefixOfCommand", "plexus-execute", {"--comm=true"}, "--comm"},
        Refused{"ExecutorTakesNoFlags", "plexus-executor", {"--work_dir=/tmp"}, "--work_dir"},
        Refused{"ModuleInfoPrefixOfParameters",
                "plexus-module-info",
                {"--param", "libx.so"},
                "--param"},
        Refused{"PiPrefixOfSamples", "plexus-pi", {"--sample=5"}, "--sample"},
        Refused{"PiExecutorTakesNoFlags", "plexus-pi-executor", {"--samples=5"}, "--samples"},
        Refused{"WordcountPrefixOfParallelism", "plexus-wordcount", {"--parallel=2"}, "--parallel"},
        Refused{
            "WordcountExecutorTakesNoFlags", "plexus-wordcount-executor", {"--top=1"}, "--top"}),
    [](const testing::TestParamInfo<Refused>& info) { return info.param.name; });

// The full name still works, from the command line and from the environment.
TEST(ExactFlagsFullNames, AreAccepted) {
  TempDir dir;
  Process agent("plexus-agent", {"--help", "--recovery_timeout=1mins"}, dir.path());
  EXPECT_EQ(agent.wait(), 0) << agent.err();
  Process execute("plexus-execute", {"--help", "--task_group=x"}, dir.path());
  EXPECT_EQ(execute.wait(), 0) << execute.err();
}

}  // namespace
