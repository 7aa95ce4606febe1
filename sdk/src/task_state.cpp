#include <cctype>

#include <plexus/task_state.hpp>

namespace plexus {

bool isTerminalState(v1::TaskState state) noexcept {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_LOST:
    case v1::TASK_ERROR:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

std::string taskStateMetricName(v1::TaskState state) {
  std::string name = v1::TaskState_Name(state);
  if (name.starts_with("TASK_")) name = name.substr(5);
  for (char& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace plexus
