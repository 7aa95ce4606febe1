#include "agent/paths.hpp"

#include <filesystem>

namespace plexus::agent::paths {

std::string agentDir(const std::string& workDir, const AgentId& agent) {
  return workDir + "/slaves/" + agent.value();
}

std::string frameworkDir(const std::string& workDir, const AgentId& agent,
                         const FrameworkId& framework) {
  return agentDir(workDir, agent) + "/frameworks/" + framework.value();
}

std::string executorDir(const std::string& workDir, const AgentId& agent,
                        const FrameworkId& framework, const ExecutorId& executor) {
  return frameworkDir(workDir, agent, framework) + "/executors/" + executor.value();
}

std::string executorRunDir(const std::string& workDir, const AgentId& agent,
                           const FrameworkId& framework, const ExecutorId& executor,
                           const ContainerId& container) {
  return executorDir(workDir, agent, framework, executor) + "/runs/" + container.value();
}

Result<void> createDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return fail("cannot create directory " + path + ": " + error.message());
  return {};
}

std::string resourcesCheckpoint(const std::string& workDir) {
  return workDir + "/meta/resources/resources.info";
}

}  // namespace plexus::agent::paths
