#include "api/state_json.hpp"

#include <boost/json/parse.hpp>

#include <plexus/json.hpp>

namespace plexus::api {

namespace json = boost::json;

json::object resourcesObject(const Resources& resources) {
  json::object out{{"cpus", 0.0}, {"gpus", 0.0}, {"mem", 0.0}, {"disk", 0.0}};
  for (const std::string& name : resources.names()) {
    Resources named = resources.named(name);
    std::string key = name;
    if (named.begin() != named.end() && named.begin()->isRevocable()) key += "_revocable";
    if (auto scalar = named.scalar(name)) {
      out[key] = *scalar;
    } else if (auto ranges = named.ranges(name)) {
      std::string text = "[";
      for (size_t i = 0; i < ranges->size(); ++i) {
        text += (i ? ", " : "") + std::to_string((*ranges)[i].begin) + "-" +
                std::to_string((*ranges)[i].end);
      }
      out[key] = text + "]";
    } else if (auto set = named.set(name)) {
      std::string text = "{";
      for (size_t i = 0; i < set->size(); ++i)
        text += (i ? ", " : "") + (*set)[i];
      out[key] = text + "}";
    }
  }
  return out;
}

json::object resourcesObject(const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  auto parsed = Resources::fromWire(resources);
  return resourcesObject(parsed ? *parsed : Resources());
}

json::value messageValue(const google::protobuf::Message& message) {
  // toJson() writes valid UTF-8 at any depth; Boost's default limit (32) is below
  // what a call may legally nest (kJsonMaxDepth, protobuf's 100), so lift it.
  json::parse_options options;
  options.max_depth = 1024;
  return json::parse(toJson(message), {}, options);
}

json::array labelsArray(const v1::Labels& labels) {
  json::array out;
  for (const v1::Label& label : labels.labels())
    out.push_back(messageValue(label));
  return out;
}

json::object taskObject(const v1::Task& task) {
  json::object out{{"id", task.task_id().value()},
                   {"name", task.name()},
                   {"framework_id", task.framework_id().value()},
                   {"executor_id", task.executor_id().value()},
                   {"slave_id", task.agent_id().value()},
                   {"state", v1::TaskState_Name(task.state())},
                   {"resources", resourcesObject(task.resources())}};
  if (!task.limits().empty()) {
    json::object limits;
    for (const auto& [name, scalar] : task.limits())
      limits[name] = scalar.value();
    out["limits"] = std::move(limits);
  }
  auto resources = Resources::fromWire(task.resources());
  if (resources && resources->begin() != resources->end() && resources->begin()->allocationRole()) {
    out["role"] = *resources->begin()->allocationRole();
  }
  json::array statuses;
  for (const auto& status : task.statuses()) {
    json::object entry{{"state", v1::TaskState_Name(status.state())},
                       {"timestamp", status.timestamp()}};
    if (status.has_labels()) entry["labels"] = labelsArray(status.labels());
    if (status.has_container_status())
      entry["container_status"] = messageValue(status.container_status());
    if (status.has_healthy()) entry["healthy"] = status.healthy();
    statuses.push_back(std::move(entry));
  }
  out["statuses"] = std::move(statuses);
  if (task.has_user()) out["user"] = task.user();
  if (task.has_labels()) out["labels"] = labelsArray(task.labels());
  if (task.has_discovery()) out["discovery"] = messageValue(task.discovery());
  if (task.has_container()) out["container"] = messageValue(task.container());
  if (task.has_health_check()) out["health_check"] = messageValue(task.health_check());
  return out;
}

json::object attributesObject(const google::protobuf::RepeatedPtrField<v1::Attribute>& attributes) {
  json::object out;
  for (const auto& attribute : attributes) {
    if (attribute.has_scalar())
      out[attribute.name()] = attribute.scalar().value();
    else if (attribute.has_text())
      out[attribute.name()] = attribute.text().value();
    else
      out[attribute.name()] = messageValue(attribute);
  }
  return out;
}

json::object flagsObject(const std::map<std::string, std::string>& values) {
  json::object out;
  for (const auto& [name, value] : values)
    out[name] = value;
  return out;
}

}  // namespace plexus::api
