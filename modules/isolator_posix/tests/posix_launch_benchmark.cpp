// Per-launch overhead of isolator_posix: prepare + isolate + cleanup of one
// container around a real child process (fork, wait on a pipe, exit on release).
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "posix_isolator.hpp"

namespace plexus::posix {
namespace {

void BM_PosixLaunch(benchmark::State& state) {
  PosixOptions options;
  options.rlimits = *parseRLimits("NOFILE=1024:4096;CORE=0");
  PosixIsolator isolator(options);
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
    if (!isolator.cleanup(id)) state.SkipWithError("cleanup");
  }
}
BENCHMARK(BM_PosixLaunch)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace plexus::posix
