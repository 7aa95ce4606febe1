// Pieces of Mesos's /state JSON that the master and the agent both write: resources
// as Mesos prints them ({"cpus": 4, "mem": 1024, "ports": "[31000-32000]"}), tasks
// with their statuses, attributes, and any wire message in Mesos's JSON mapping.
#pragma once

#include <map>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <google/protobuf/message.h>

#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus::api {

// cpus, gpus, mem and disk are always present; revocable resources get a
// "_revocable" suffix; ranges print as "[a-b, c-d]" and sets as "{x, y}".
boost::json::object resourcesObject(const Resources& resources);
// The same for wire resources (unparseable ones count as none).
boost::json::object resourcesObject(
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources);

// `message` in the v1 JSON mapping, as a value.
boost::json::value messageValue(const google::protobuf::Message& message);

// Labels as Mesos's /state prints them: [{"key": ..., "value": ...}], [] when empty.
boost::json::array labelsArray(const v1::Labels& labels);

// A task as Mesos's /state lists it (id, name, framework_id, executor_id,
// slave_id, state, resources, limits, role, statuses, user, labels, discovery,
// container, health_check).
boost::json::object taskObject(const v1::Task& task);

// Attributes as an object: scalars as numbers, text as strings, the rest as messages.
boost::json::object attributesObject(
    const google::protobuf::RepeatedPtrField<v1::Attribute>& attributes);

// A daemon's flags as /state and /flags list them: {"name": "value", ...}.
boost::json::object flagsObject(const std::map<std::string, std::string>& values);

}  // namespace plexus::api
