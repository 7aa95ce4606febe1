// status_labels_hook: adds the agent's hostname and the resources of the task's
// container (what its isolators limit it to) to the labels of every status update.
#pragma once

#include <memory>
#include <string>

#include <plexus/hook.hpp>
#include <plexus/parameters.hpp>

namespace plexus::hooks {

class StatusLabelsHook : public Hook {
 public:
  StatusLabelsHook(std::string hostnameKey, std::string limitPrefix)
      : hostnameKey_(std::move(hostnameKey)), limitPrefix_(std::move(limitPrefix)) {}

  static Result<std::unique_ptr<StatusLabelsHook>> create(const Parameters& parameters);

  Decorated<v1::TaskStatus> agentTaskStatusDecorator(const FrameworkId& framework,
                                                     const v1::TaskStatus& status,
                                                     const TaskStatusContext& context) override;

 private:
  std::string hostnameKey_;
  std::string limitPrefix_;
};

}  // namespace plexus::hooks
