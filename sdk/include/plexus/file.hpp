// Reading a whole file without exceptions: open and read, EINTR retried. Safe
// where std::ifstream is not: libstdc++ throws when a read fails, and /proc and
// cgroup files fail mid-read when their process or cgroup goes (ENODEV, ENOENT,
// ESRCH). Stateless: call from any thread.
#pragma once

#include <optional>
#include <string>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

// The file's bytes. The error's message is the system's reason alone ("No such file
// or directory"), for the caller to say which file and what it was for.
PLEXUS_API Result<std::string> readFile(const std::string& path);

// The same, with nullopt (not an error) when the file does not exist.
PLEXUS_API Result<std::optional<std::string>> readFileIfExists(const std::string& path);

}  // namespace plexus
