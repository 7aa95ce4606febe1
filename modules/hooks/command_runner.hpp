// runCommand: runs `/bin/sh -c command` with a deadline, handing each line of its
// output (stdout and stderr together) to `onLine`.
//
// The command runs in its own process group with stdin from /dev/null; when the
// timeout passes, the whole group gets SIGKILL. Blocks the calling thread until
// the command is gone: call it from a thread of your own, never a daemon's loop.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <plexus/duration.hpp>
#include <plexus/error.hpp>

namespace plexus::hooks {

struct CommandOutcome {
  std::optional<int> exitCode;  // set when the command exited
  std::optional<int> signal;    // set when a signal ended it
  bool timedOut = false;        // killed because the timeout passed
};

// `environment` is added to (and overrides) the calling process's environment.
// An Error only when the command could not be started.
[[nodiscard]] Result<CommandOutcome> runCommand(
    const std::string& command, const std::map<std::string, std::string>& environment,
    Duration timeout, const std::function<void(std::string_view line)>& onLine);

}  // namespace plexus::hooks
