// Validation: what a framework asks for that Plexus does not honour yet.
//
// Free functions over the wire types, as Mesos's master/validation.cpp, so each can
// be tested alone (tests/master/validation_test.cpp). Each returns success, or an
// error whose message names the first unsupported field by its path in the message
// ("'TaskInfo.health_check' is not supported yet: ...") and says what is missing.
// The master calls them where the input arrives: callSupported() before a scheduler
// call is dispatched (a 400), taskSupported() / executorSupported() for each task
// of a LAUNCH or LAUNCH_GROUP (TASK_ERROR, REASON_TASK_INVALID or
// REASON_TASK_GROUP_INVALID).
//
// docs/compatibility.md lists every refusal made here; the change that implements a
// feature removes its check and flips its row there.
#pragma once

#include <string>
#include <string_view>

#include <plexus/error.hpp>
#include <plexus/offer_constraints.hpp>
#include <plexus/v1/mesos.pb.h>
#include <plexus/v1/scheduler.pb.h>

namespace plexus::master::validation {

// A scheduler call's own fields: in ACCEPT every operation's type and OperationID
// (tasks are checked at launch).
[[nodiscard]] Result<void> callSupported(const v1::scheduler::Call& call);

// The offer constraints of a SUBSCRIBE or UPDATE_FRAMEWORK with `info`, compiled;
// refused when they name a role the framework does not subscribe to, or are
// malformed (OfferConstraintsFilter::create says how).
[[nodiscard]] Result<OfferConstraintsFilter> offerConstraints(
    const v1::scheduler::OfferConstraints& constraints, const v1::FrameworkInfo& info);

// One operation of an ACCEPT: LAUNCH, LAUNCH_GROUP, RESERVE and UNRESERVE are
// implemented, without operation feedback (no `id`).
[[nodiscard]] Result<void> operationSupported(const v1::Offer::Operation& operation);

// A task of LAUNCH (run by the built-in command executor or by its own executor,
// whose ExecutorInfo is checked too), or of a LAUNCH_GROUP when `inGroup`; the
// group's executor is checked apart with executorSupported(). `executorUser` is
// the user a group's executor runs as (its command's user, else the framework's):
// the built-in executor runs every task of its group as that user.
[[nodiscard]] Result<void> taskSupported(const v1::TaskInfo& task, bool inGroup = false,
                                         std::string_view executorUser = {});

// An executor (a task's `executor`, or a LAUNCH_GROUP's). `path` names it in the
// message ("TaskInfo.executor" or "ExecutorInfo").
[[nodiscard]] Result<void> executorSupported(const v1::ExecutorInfo& executor,
                                             std::string_view path = "ExecutorInfo");

// A CommandInfo at `path` (e.g. "TaskInfo.command").
[[nodiscard]] Result<void> commandSupported(const v1::CommandInfo& command, std::string_view path);

// A ContainerInfo at `path`. Containers run in the agent's own namespaces and root
// filesystem; `nested` is a task of a task group, which runs inside its executor's
// container (so nothing of the container can be its own but its type).
[[nodiscard]] Result<void> containerSupported(const v1::ContainerInfo& container,
                                              std::string_view path, bool nested = false);

}  // namespace plexus::master::validation
