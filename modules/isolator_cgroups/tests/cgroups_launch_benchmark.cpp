// Per-launch overhead of isolator_cgroups on this machine's real cgroups (root):
// prepare + isolate + cleanup of one container around a real child process,
// under a parent cgroup unique to the run, removed at the end.
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "cgroup_test_util.hpp"
#include "cgroups_isolator.hpp"

namespace plexus::cgroups {
namespace {

void BM_CgroupsLaunch(benchmark::State& state) {
  if (auto why = testing::realCgroupsSkipReason()) {
    state.SkipWithError(why->c_str());
    return;
  }
  CgroupsOptions options;
  options.root = testing::uniqueRoot("bench");
  options.cfsQuota = true;
  options.pidsMax = 100;
  {
    auto made = CgroupsIsolator::make(options);
    if (!made) {
      state.SkipWithError(made.error().message().c_str());
      return;
    }
    CgroupsIsolator& isolator = **made;
    v1::ContainerConfig config;
    Resources::parse("cpus:0.5;mem:64")->toWire(config.mutable_resources());
    config.mutable_command_info()->set_value("x");
    config.set_directory("/tmp");
    int n = 0;
    for (auto _ : state) {
      ContainerId id("bench-" + std::to_string(n++));
      int gate[2];
      if (::pipe(gate) != 0) state.SkipWithError("pipe");
      pid_t pid = ::fork();
      if (pid == 0) {
        ::setsid();
        ::close(gate[1]);  // so the parent's close is our EOF
        char c;
        [[maybe_unused]] auto r = ::read(gate[0], &c, 1);
        ::_exit(0);
      }
      ::close(gate[0]);
      if (!isolator.prepare(id, config)) state.SkipWithError("prepare");
      if (!isolator.isolate(id, pid)) state.SkipWithError("isolate");
      ::close(gate[1]);
      ::waitpid(pid, nullptr, 0);
      if (auto cleaned = isolator.cleanup(id); !cleaned)
        state.SkipWithError(cleaned.error().message().c_str());
    }
  }
  testing::removeRootEverywhere(options.root);
}
BENCHMARK(BM_CgroupsLaunch)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace plexus::cgroups
