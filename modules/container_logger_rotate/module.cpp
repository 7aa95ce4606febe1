// The container_logger_rotate module: its manifest and factory. The logic is in
// rotate_logger.hpp (the module) and logger_main.cpp (the logger process).
#include <plexus/container_logger.hpp>
#include <plexus/module.hpp>

#include "rotate_logger.hpp"

namespace {

constexpr plexus::ParameterSpec kParameters[] = {
    {"max_stdout_size", plexus::ParameterType::Bytes, "10MB",
     "Largest size of a container's sandbox `stdout` file; past it the file is rotated."},
    {"max_stdout_files", plexus::ParameterType::Int, "5",
     "Rotated stdout files kept (stdout.1 the newest ... stdout.N); 0 empties the file instead."},
    {"max_stderr_size", plexus::ParameterType::Bytes, "10MB",
     "Largest size of a container's sandbox `stderr` file; past it the file is rotated."},
    {"max_stderr_files", plexus::ParameterType::Int, "5",
     "Rotated stderr files kept (stderr.1 the newest ... stderr.N); 0 empties the file instead."},
    {"launcher_dir", plexus::ParameterType::String, "",
     "Folder holding plexus-logrotate-logger. Empty: the folder this module was loaded from."},
};

}  // namespace

PLEXUS_MODULE_LIBRARY(
    plexus::moduleManifest<plexus::ContainerLogger, plexus::logrotate::RotateLogger>(
        {.name = "container_logger_rotate",
         .version = "0.1.0",
         .author = "Plexus maintainers",
         .description = "Keeps each container's stdout and stderr in its sandbox, rotated by "
                        "size with a number of kept files (Mesos's LogrotateContainerLogger).",
         .parameters = kParameters}));
