#include "task_labels_hook.hpp"

namespace plexus::hooks {

Result<std::unique_ptr<TaskLabelsHook>> TaskLabelsHook::create(const Parameters& parameters) {
  auto labels = parseAssignments(parameters.string("labels"), "labels");
  if (!labels) return fail(labels.error());
  if (labels->empty()) return fail("labels: expected at least one key=value");
  return std::make_unique<TaskLabelsHook>(std::move(*labels), parameters.boolean("override"));
}

std::optional<v1::Labels> TaskLabelsHook::decorate(const v1::Labels& labels) const {
  v1::Labels result = labels;
  bool changed = false;
  for (const auto& [key, value] : labels_) {
    v1::Label* existing = nullptr;
    for (auto& label : *result.mutable_labels()) {
      if (label.key() == key) existing = &label;
    }
    if (existing == nullptr) {
      existing = result.add_labels();
      existing->set_key(key);
    } else if (!override_ || (existing->has_value() && existing->value() == value)) {
      continue;
    }
    existing->set_value(value);
    changed = true;
  }
  if (!changed) return std::nullopt;
  return result;
}

Hook::Decorated<v1::Labels> TaskLabelsHook::masterLaunchTaskLabelDecorator(const v1::TaskInfo& task,
                                                                           const v1::FrameworkInfo&,
                                                                           const v1::AgentInfo&) {
  return decorate(task.labels());
}

Hook::Decorated<v1::Labels> TaskLabelsHook::agentRunTaskLabelDecorator(const v1::TaskInfo& task,
                                                                       const v1::ExecutorInfo&,
                                                                       const v1::FrameworkInfo&,
                                                                       const v1::AgentInfo&) {
  return decorate(task.labels());
}

}  // namespace plexus::hooks
