// plexus-logrotate-logger: copies its stdin to --log_filename, rotating it by size
// (<plexus/rotating_file.hpp>), until stdin ends, i.e. until every process of the container
// that held the pipe's write end is gone. Started by the container_logger_rotate
// module, one per container stream; it detaches (forks, the parent exits, the
// child starts its own session) so that it outlives an agent restart.
//
//   plexus-logrotate-logger --log_filename=<sandbox>/stdout --max_size=10485760 --max_files=5
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/syscall.h>
#include <unistd.h>

#include <plexus/rotating_file.hpp>

namespace {

bool flagValue(std::string_view arg, std::string_view name, std::string* value) {
  std::string prefix = "--" + std::string(name) + "=";
  if (!arg.starts_with(prefix)) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

int usage(const char* message) {
  std::fprintf(stderr,
               "plexus-logrotate-logger: %s\nUsage: plexus-logrotate-logger --log_filename=PATH "
               "--max_size=BYTES --max_files=N (reads stdin)\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, maxSizeText, maxFilesText;
  bool foreground = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--foreground") {
      foreground = true;
    } else if (!flagValue(arg, "log_filename", &path) &&
               !flagValue(arg, "max_size", &maxSizeText) &&
               !flagValue(arg, "max_files", &maxFilesText)) {
      return usage(("unknown argument " + std::string(arg)).c_str());
    }
  }
  if (path.empty() || maxSizeText.empty() || maxFilesText.empty())
    return usage("--log_filename, --max_size and --max_files are required");
  char* end = nullptr;
  unsigned long long maxSize = std::strtoull(maxSizeText.c_str(), &end, 10);
  if (*end != '\0' || maxSize == 0) return usage("--max_size must be a positive number of bytes");
  unsigned long maxFiles = std::strtoul(maxFilesText.c_str(), &end, 10);
  if (*end != '\0' || maxFiles > 1000) return usage("--max_files must be 0 to 1000");

    // Whatever else the agent left open is not ours (only stdin, stdout, stderr).
#ifdef SYS_close_range
  ::syscall(SYS_close_range, 3U, ~0U, 0);
#endif
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  if (!foreground) {
    pid_t child = ::fork();
    if (child < 0) {
      std::perror("plexus-logrotate-logger: fork");
      return 1;
    }
    if (child > 0) return 0;  // the module reaps this parent at once
    ::setsid();
  }

  auto file = plexus::RotatingFile::open(path, maxSize, static_cast<std::uint32_t>(maxFiles));
  if (!file) {
    std::fprintf(stderr, "plexus-logrotate-logger: %s\n", file.error().message().c_str());
    return 1;
  }
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (auto written = file->write(std::string_view(buffer, static_cast<std::size_t>(got)));
        !written) {
      std::fprintf(stderr, "plexus-logrotate-logger: %s\n", written.error().message().c_str());
      // Keep draining, so the container never blocks on a full pipe.
    }
  }
  return 0;
}
