// task_labels_hook: adds fixed labels to every task, at launch on the master and
// before the agent runs it (whichever daemon loads it; both is harmless).
#pragma once

#include <memory>

#include <plexus/hook.hpp>
#include <plexus/parameters.hpp>

#include "assignments.hpp"

namespace plexus::hooks {

class TaskLabelsHook : public Hook {
 public:
  TaskLabelsHook(Assignments labels, bool override)
      : labels_(std::move(labels)), override_(override) {}

  static Result<std::unique_ptr<TaskLabelsHook>> create(const Parameters& parameters);

  Decorated<v1::Labels> masterLaunchTaskLabelDecorator(const v1::TaskInfo& task,
                                                       const v1::FrameworkInfo& framework,
                                                       const v1::AgentInfo& agent) override;
  Decorated<v1::Labels> agentRunTaskLabelDecorator(const v1::TaskInfo& task,
                                                   const v1::ExecutorInfo& executor,
                                                   const v1::FrameworkInfo& framework,
                                                   const v1::AgentInfo& agent) override;

  // The task's labels with ours added: a key the task already has keeps the task's
  // value unless `override`; nullopt when nothing changes.
  std::optional<v1::Labels> decorate(const v1::Labels& labels) const;

 private:
  Assignments labels_;
  bool override_;
};

}  // namespace plexus::hooks
