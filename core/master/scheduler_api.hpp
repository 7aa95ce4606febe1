// SchedulerApi: the v1 scheduler endpoint, POST /api/v1/scheduler (and
// /master/api/v1/scheduler), wire-identical to Mesos's.
//
// Checks run in Mesos's order and answer with Mesos's codes: 405 for a method
// other than POST; 400 without Content-Type, 415 for one that is neither JSON nor
// protobuf, 400 for a body that does not parse or a call that does not validate;
// for SUBSCRIBE, 406 when Accept allows neither encoding and 400 when it carries a
// Mesos-Stream-Id, then 200 with a chunked RecordIO event stream; for every other
// call, 400 for an unknown framework, 403 when it is not subscribed, 400 for a
// missing or wrong Mesos-Stream-Id, then 202 (200 for UPDATE_FRAMEWORK, 501 for
// UNKNOWN). Runs on the master's loop.
#pragma once

#include <optional>
#include <string>

#include <plexus/v1/scheduler.pb.h>

#include "http/responder.hpp"
#include "http/types.hpp"
#include "master/master_calls.hpp"

namespace plexus::master {

class SchedulerApi {
 public:
  explicit SchedulerApi(SchedulerCalls& master) : master_(master) {}

  void handle(const http::Request& request, const http::Responder& responder);

  // Why `call` is invalid (Mesos's validation rules), or nullopt.
  static std::optional<std::string> validate(const v1::scheduler::Call& call);

 private:
  void subscribe(const http::Request& request, const http::Responder& responder,
                 const v1::scheduler::Call& call);

  SchedulerCalls& master_;
};

}  // namespace plexus::master
