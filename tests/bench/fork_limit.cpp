// plexus-fork-limit: the machine's limit for short tasks, the reference that
// plexus-bench-tasks divides its own figure by. No scheduler, no isolation, no
// messages: it fork+execs a command (default /bin/true) N times with at most P in
// flight, waits for each, and prints `fork_tasks_per_s=<value>` as its last line.
//
//   plexus-fork-limit [N=1000] [P=2] [-- command args...]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

int usage() {
  std::fprintf(stderr, "usage: plexus-fork-limit [N=1000] [P=2] [-- command args...]\n");
  return 2;
}

// A positive integer, or 0 when `text` is not one.
long positive(const char* text) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && value > 0 ? value : 0;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 1000;
  long parallel = 2;
  int at = 1;
  for (long* number : {&count, &parallel}) {
    if (at >= argc || std::strcmp(argv[at], "--") == 0) break;
    *number = positive(argv[at++]);
    if (*number == 0) return usage();
  }
  std::vector<char*> command;
  if (at < argc) {
    if (std::strcmp(argv[at], "--") != 0 || at + 1 == argc) return usage();
    command.assign(argv + at + 1, argv + argc);
  } else {
    static char kTrue[] = "/bin/true";
    command.push_back(kTrue);
  }
  command.push_back(nullptr);

  auto started = std::chrono::steady_clock::now();
  long launched = 0, running = 0, failed = 0;
  while (launched < count || running > 0) {
    while (launched < count && running < parallel) {
      pid_t pid = ::fork();
      if (pid < 0) {
        std::perror("fork");
        return 1;
      }
      if (pid == 0) {
        ::execv(command[0], command.data());
        ::_exit(127);
      }
      ++launched;
      ++running;
    }
    int status = 0;
    if (::wait(&status) < 0) {
      std::perror("wait");
      return 1;
    }
    --running;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed > 0)
    std::fprintf(stderr, "plexus-fork-limit: %ld of %ld runs failed\n", failed, count);
  std::printf("tasks=%ld\nin_flight=%ld\nseconds=%.3f\nfork_tasks_per_s=%.1f\n", count, parallel,
              seconds, static_cast<double>(count) / seconds);
  return failed > 0 ? 1 : 0;
}
