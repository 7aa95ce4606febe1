#include "status_labels_hook.hpp"

#include <sstream>

namespace plexus::hooks {
namespace {

void setLabel(v1::Labels* labels, const std::string& key, const std::string& value) {
  for (auto& label : *labels->mutable_labels()) {
    if (label.key() == key) {
      label.set_value(value);
      return;
    }
  }
  auto* label = labels->add_labels();
  label->set_key(key);
  label->set_value(value);
}

std::string formatScalar(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

}  // namespace

Result<std::unique_ptr<StatusLabelsHook>> StatusLabelsHook::create(const Parameters& parameters) {
  std::string hostnameKey = parameters.string("hostname_label");
  std::string limitPrefix = parameters.string("limit_label_prefix");
  if (hostnameKey.empty() && limitPrefix.empty())
    return fail("hostname_label and limit_label_prefix are both empty: nothing to add");
  return std::make_unique<StatusLabelsHook>(std::move(hostnameKey), std::move(limitPrefix));
}

Hook::Decorated<v1::TaskStatus> StatusLabelsHook::agentTaskStatusDecorator(
    const FrameworkId&, const v1::TaskStatus& status, const TaskStatusContext& context) {
  v1::TaskStatus decorated;
  *decorated.mutable_labels() = status.labels();
  if (!hostnameKey_.empty())
    setLabel(decorated.mutable_labels(), hostnameKey_, context.agent.hostname());
  if (!limitPrefix_.empty()) {
    for (const std::string& name : context.containerResources.names()) {
      if (auto value = context.containerResources.scalar(name))
        setLabel(decorated.mutable_labels(), limitPrefix_ + name, formatScalar(*value));
    }
  }
  if (status.has_container_status())
    *decorated.mutable_container_status() = status.container_status();
  return decorated;
}

}  // namespace plexus::hooks
