// plexus-bench-allocator: how long one allocation cycle takes, and how much memory
// the allocator's state needs, for the allocator modules loaded through the core's
// module loader (as the master loads them) on a FakeRuntime.
//
// Shapes (see README.md):
//  * DeclineOffers (Mesos's HierarchicalAllocator_BENCHMARK_Test.DeclineOffers):
//    agents of cpus:24;mem:4096;disk:4096;ports:[31000-32000], each with
//    cpus:16;mem:2014;disk:1024 and 16 port ranges already in use by one
//    framework (round robin); every framework declines every offer with an
//    effectively infinite filter (refuse_seconds INT_MAX). Rounds of "decline
//    everything, run the cycle the declines trigger" go on until a cycle makes no
//    offer (every framework has refused every agent); each round's cycle is
//    timed (round_*). The benchmark's iterations then time the periodic cycle over
//    all agents in that state (median_ms): "every framework declines every offer,
//    one cycle measured".
//  * QuotaHeavy: N agents (cpus:24;mem:4096;disk:4096;ports), N roles each with a
//    quota (guarantee cpus:8;mem:1024, limit cpus:16;mem:2048), one framework per
//    role; each iteration builds the cluster afresh (not timed) and times the
//    first cycle over all agents.
//  * Memory: the allocator's heap (mallinfo2, in use after minus before) for N
//    agents and M frameworks in the DeclineOffers shape after one cycle whose
//    offers were all declined (one filter per agent).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <malloc.h>
#include <memory>
#include <optional>
#include <string>
#include <time.h>
#include <vector>

#include <benchmark/benchmark.h>

#include <plexus/allocator.hpp>
#include <plexus/logging.hpp>
#include <plexus/testing/fake_runtime.hpp>

#include "module/module_registry.hpp"
#include "module/modules_config.hpp"

namespace plexus {
namespace {

const std::filesystem::path kModuleDir = PLEXUS_ALLOCATOR_MODULE_DIR;
using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// CPU time of this thread: on a shared machine, what the cycle itself cost.
double threadCpuMillis() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::size_t heapInUse() {
  return mallinfo2().uordblks;
}

Resources parse(const std::string& text) {
  auto parsed = Resources::parse(text);
  if (!parsed) {
    std::fprintf(stderr, "bad resources %s\n", text.c_str());
    std::abort();
  }
  return *parsed;
}

std::string numbered(const char* prefix, int i) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s-%06d", prefix, i);
  return buffer;
}

v1::FrameworkInfo frameworkInfo(const std::string& role) {
  v1::FrameworkInfo info;
  info.set_user("bench");
  info.set_name("bench");
  info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  return info;
}

// The headline figures of each DeclineOffers run, printed after all benchmarks.
struct Summary {
  std::string module;
  int agents = 0;
  int frameworks = 0;
  double roundMedianMs = 0;
  double roundMaxMs = 0;
  double roundMedianCpuMs = 0;
  double roundMaxCpuMs = 0;
  double allRefusedCycleMs = 0;
  std::size_t rounds = 0;
};

std::vector<Summary>& summaries() {
  static std::vector<Summary> all;
  return all;
}

// Mesos's published figure for the same shape (issue 20: Mesos 1.8's "round N
// allocate() took ... to make N offers"), where one is known.
const char* mesosFigure(int agents, int frameworks) {
  if (agents == 10000 && frameworks == 1000) return "about 1100 ms (Mesos 1.8)";
  return "not published";
}

void printSummaries() {
  if (summaries().empty()) return;
  std::printf(
      "\n# DeclineOffers: the cycles that make offers (rounds), and the cycle in which "
      "every framework has refused every agent\n");
  for (const Summary& s : summaries()) {
    std::printf(
        "DeclineOffers/%s/%d/%d: round_median_ms=%.2f round_max_ms=%.2f "
        "round_median_cpu_ms=%.2f round_max_cpu_ms=%.2f rounds=%zu "
        "all_refused_cycle_ms=%.3f; Mesos per round: %s\n",
        s.module.c_str(), s.agents, s.frameworks, s.roundMedianMs, s.roundMaxMs, s.roundMedianCpuMs,
        s.roundMaxCpuMs, s.rounds, s.allRefusedCycleMs, mesosFigure(s.agents, s.frameworks));
  }
}

// One allocator module instance on a FakeRuntime, its offers recorded.
class Harness {
 public:
  explicit Harness(const std::string& module) : registry_({kModuleDir}) {
    const std::string json = R"({"libraries": [{"file": ")" +
                             (kModuleDir / ("libplexus_" + module + ".so")).string() +
                             R"(", "modules": [{"name": ")" + module + R"("}]}]})";
    auto config = module::parseModulesJson(json, "bench");
    if (!config || !registry_.load(*config)) {
      std::fprintf(stderr, "cannot load %s\n", module.c_str());
      std::abort();
    }
    auto made = registry_.create<Allocator>(module, "--allocator");
    if (!made) {
      std::fprintf(stderr, "cannot create %s: %s\n", module.c_str(),
                   made.error().message().c_str());
      std::abort();
    }
    allocator_ = std::move(*made);
    AllocatorCallbacks callbacks;
    callbacks.offer = [this](const FrameworkId& framework, const OfferedResources& resources) {
      offers_.emplace_back(framework, resources);
    };
    AllocatorOptions options;
    options.allocationInterval = std::chrono::seconds(1);
    if (!allocator_->initialize(options, callbacks, runtime_)) std::abort();
  }

  Allocator& allocator() { return *allocator_; }
  testing::FakeRuntime& runtime() { return runtime_; }

  // Offers made since the last call, one per (framework, role, agent).
  std::size_t offerCount() const {
    std::size_t count = 0;
    for (const auto& [framework, byRole] : offers_) {
      for (const auto& [role, agents] : byRole)
        count += agents.size();
    }
    return count;
  }

  // Declines every offer made so far with `refuseSeconds`; returns how many.
  std::size_t declineAll(double refuseSeconds) {
    v1::Filters filters;
    filters.set_refuse_seconds(refuseSeconds);
    std::size_t count = 0;
    for (const auto& [framework, byRole] : offers_) {
      for (const auto& [role, agents] : byRole) {
        for (const auto& [agent, resources] : agents) {
          allocator_->recoverResources(framework, agent, resources, filters, false);
          ++count;
        }
      }
    }
    offers_.clear();
    return count;
  }

  void clearOffers() { offers_.clear(); }

 private:
  module::ModuleRegistry registry_;
  testing::FakeRuntime runtime_;
  module::ModuleInstance<Allocator> allocator_;
  std::vector<std::pair<FrameworkId, OfferedResources>> offers_;
};

// Mesos's DeclineOffers cluster: `frameworks` frameworks in role "*", then
// `agents` agents, each with part of it in use by one framework (round robin).
void addDeclineOffersCluster(Harness& harness, int agents, int frameworks) {
  for (int f = 0; f < frameworks; ++f) {
    harness.allocator().addFramework(FrameworkId(numbered("framework", f)), frameworkInfo("*"), {},
                                     true, {});
  }
  const Resources total = parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
  // 16 port fragments, as Mesos's fragment(createRange(31000, 32000), 16).
  std::string ports;
  for (int i = 0; i < 16; ++i) {
    const int begin = 31000 + i * 62;
    ports += (i ? "," : "") + std::to_string(begin) + "-" + std::to_string(begin + 30);
  }
  Resources used = parse("cpus:16;mem:2014;disk:1024;ports:[" + ports + "]");
  used.allocate("*");
  for (int a = 0; a < agents; ++a) {
    v1::AgentInfo info;
    info.set_hostname(numbered("host", a));
    const FrameworkId user(numbered("framework", a % frameworks));
    harness.allocator().addAgent(AgentId(numbered("agent", a)), info, std::nullopt, total,
                                 {{user, used}});
  }
}

void declineOffers(benchmark::State& state, const std::string& module) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  const std::size_t heapBefore = heapInUse();
  auto harness = std::make_unique<Harness>(module);
  addDeclineOffersCluster(*harness, agents, frameworks);

  // Round 0 is the cycle the additions triggered; each later round declines
  // everything (refuse_seconds INT_MAX) and times the cycle the declines trigger.
  std::vector<double> rounds;
  std::vector<double> roundsCpu;
  std::size_t declined = 0;
  auto start = Clock::now();
  double startCpu = threadCpuMillis();
  harness->runtime().runPosted();
  rounds.push_back(millisSince(start));
  roundsCpu.push_back(threadCpuMillis() - startCpu);
  const std::size_t firstOffers = harness->offerCount();
  const int maxRounds = 2 * frameworks + 2;
  for (int round = 1; round <= maxRounds; ++round) {
    if (harness->offerCount() == 0) break;
    declined += harness->declineAll(INT_MAX);
    start = Clock::now();
    startCpu = threadCpuMillis();
    harness->runtime().runPosted();
    rounds.push_back(millisSince(start));
    roundsCpu.push_back(threadCpuMillis() - startCpu);
  }
  const double stateMb = static_cast<double>(heapInUse() - heapBefore) / 1e6;

  // Every framework has refused every agent: time the periodic cycle.
  std::vector<double> cycles;
  std::vector<double> cyclesCpu;
  for (auto _ : state) {
    start = Clock::now();
    startCpu = threadCpuMillis();
    harness->runtime().advance(std::chrono::seconds(1));
    const double elapsed = millisSince(start);
    cyclesCpu.push_back(threadCpuMillis() - startCpu);
    cycles.push_back(elapsed);
    state.SetIterationTime(elapsed / 1000);
  }
  state.counters["all_refused_cycle_ms"] = median(cycles);
  state.counters["all_refused_cycle_cpu_ms"] = median(cyclesCpu);
  state.counters["round0_cpu_ms"] = roundsCpu.front();
  state.counters["round_median_cpu_ms"] = median(roundsCpu);
  state.counters["round_max_cpu_ms"] = *std::max_element(roundsCpu.begin(), roundsCpu.end());
  state.counters["offers_in_steady_state"] = static_cast<double>(harness->offerCount());
  state.counters["rounds"] = static_cast<double>(rounds.size());
  state.counters["round0_ms"] = rounds.front();
  state.counters["round0_offers"] = static_cast<double>(firstOffers);
  state.counters["round_median_ms"] = median(rounds);
  state.counters["round_max_ms"] = *std::max_element(rounds.begin(), rounds.end());
  state.counters["declined"] = static_cast<double>(declined);
  state.counters["state_MB"] = stateMb;
  summaries().push_back(Summary{module, agents, frameworks, median(rounds),
                                *std::max_element(rounds.begin(), rounds.end()), median(roundsCpu),
                                *std::max_element(roundsCpu.begin(), roundsCpu.end()),
                                median(cycles), rounds.size()});
}

void quotaHeavy(benchmark::State& state, const std::string& module) {
  const int n = static_cast<int>(state.range(0));
  std::vector<double> cycles;
  std::vector<double> cyclesCpu;
  std::size_t offers = 0;
  for (auto _ : state) {
    Harness harness(module);
    Allocator& allocator = harness.allocator();
    allocator.pause();
    Quota quota;
    quota.guarantees = *ResourceQuantities::parse("cpus:8;mem:1024");
    quota.limits = *ResourceQuantities::parse("cpus:16;mem:2048");
    for (int i = 0; i < n; ++i) {
      const std::string role = numbered("role", i);
      allocator.updateQuota(role, quota);
      allocator.addFramework(FrameworkId(numbered("framework", i)), frameworkInfo(role), {}, true,
                             {});
    }
    const Resources total = parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
    for (int a = 0; a < n; ++a) {
      v1::AgentInfo info;
      info.set_hostname(numbered("host", a));
      allocator.addAgent(AgentId(numbered("agent", a)), info, std::nullopt, total, {});
    }
    harness.runtime().runPosted();
    const auto start = Clock::now();
    const double startCpu = threadCpuMillis();
    allocator.resume();
    harness.runtime().runPosted();
    const double elapsed = millisSince(start);
    cyclesCpu.push_back(threadCpuMillis() - startCpu);
    cycles.push_back(elapsed);
    offers = harness.offerCount();
    state.SetIterationTime(elapsed / 1000);
  }
  state.counters["median_ms"] = median(cycles);
  state.counters["median_cpu_ms"] = median(cyclesCpu);
  state.counters["offers"] = static_cast<double>(offers);
}

void memory(benchmark::State& state, const std::string& module) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  double setupMb = 0;
  double declinedMb = 0;
  for (auto _ : state) {
    const std::size_t before = heapInUse();
    auto harness = std::make_unique<Harness>(module);
    addDeclineOffersCluster(*harness, agents, frameworks);
    harness->runtime().runPosted();
    setupMb = static_cast<double>(heapInUse() - before) / 1e6;
    // That cycle's offers, all declined: one filter per agent (the cycle the
    // declines trigger makes new offers, which stay outstanding).
    harness->declineAll(INT_MAX);
    harness->runtime().runPosted();
    harness->clearOffers();
    declinedMb = static_cast<double>(heapInUse() - before) / 1e6;
    state.SetIterationTime(1e-3);
  }
  state.counters["state_MB"] = setupMb;
  state.counters["state_after_decline_MB"] = declinedMb;
}

// `--shape=AGENTSxFRAMEWORKS` (e.g. 2000x200, to profile under callgrind): only
// DeclineOffers of that shape, for allocator_drf.
std::optional<std::pair<int, int>> takeShapeFlag(int& argc, char** argv) {
  std::optional<std::pair<int, int>> shape;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int agents = 0;
    int frameworks = 0;
    if (arg.starts_with("--shape=") &&
        std::sscanf(arg.c_str() + 8, "%dx%d", &agents, &frameworks) == 2 && agents > 0 &&
        frameworks > 0) {
      shape = std::pair{agents, frameworks};
    } else if (arg.starts_with("--shape=")) {
      std::fprintf(stderr, "--shape: expected AGENTSxFRAMEWORKS, e.g. 2000x200\n");
      std::exit(2);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return shape;
}

void registerAll(const std::optional<std::pair<int, int>>& shape) {
  if (shape) {
    benchmark::RegisterBenchmark("DeclineOffers/allocator_drf", declineOffers,
                                 std::string("allocator_drf"))
        ->Args({shape->first, shape->second})
        ->Iterations(3)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    return;
  }
  for (const std::string module : {"allocator_drf", "allocator_priority"}) {
    if (!std::filesystem::exists(kModuleDir / ("libplexus_" + module + ".so"))) continue;
    for (auto [agents, frameworks] : {std::pair{1000, 100}, {10000, 1000}, {20000, 2000}}) {
      benchmark::RegisterBenchmark(("DeclineOffers/" + module).c_str(), declineOffers, module)
          ->Args({agents, frameworks})
          ->Iterations(agents >= 20000 ? 5 : 10)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("QuotaHeavy/" + module).c_str(), quotaHeavy, module)
        ->Arg(3000)
        ->Iterations(5)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Memory/" + module).c_str(), memory, module)
        ->Args({20000, 2000})
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace plexus

int main(int argc, char** argv) {
  plexus::setMinLogLevel(plexus::LogLevel::Warning);
  const auto shape = plexus::takeShapeFlag(argc, argv);
  plexus::registerAll(shape);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  plexus::printSummaries();
  benchmark::Shutdown();
  return 0;
}
