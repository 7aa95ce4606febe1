"use strict";
// A custom executor written on mesos-framework 0.5.3's Executor, started by a
// plexus-agent for framework.js. On LAUNCH it reports TASK_RUNNING and says
// "hello" to the scheduler; on the scheduler's "ping" it answers "pong" and reports
// TASK_FINISHED; once the agent acknowledged that update it exits 0 (the scheduler
// then gets FAILURE for this executor, as from Mesos).
require("./recordio_framing");
const crypto = require("crypto");
const http = require("http");
const Executor = require("mesos-framework").Executor;

// A bug of mesos-framework 0.5.3's, worked around here and not in Plexus: its
// Executor sends SUBSCRIBE without the `subscribe` field, which every Mesos agent
// refuses (400 "Expecting 'subscribe' to be present", Mesos's validateExecutorCall).
// The call it writes gets the empty field added.
const request = http.request;
http.request = function () {
  const call = request.apply(http, arguments);
  const write = call.write;
  call.write = function (data) {
    if (typeof data === "string" && data.indexOf('"SUBSCRIBE"') >= 0) {
      const parsed = JSON.parse(data);
      if (parsed.type === "SUBSCRIBE" && !parsed.subscribe) {
        parsed.subscribe = {};
        arguments[0] = JSON.stringify(parsed);
      }
    }
    return write.apply(this, arguments);
  };
  return call;
};

let task = null;
let finishedUuid = null;

function status(state) {
  const uuid = crypto.randomBytes(16).toString("base64");
  executor.update({
    task_id: task.task_id,
    state: state,
    source: "SOURCE_EXECUTOR",
    uuid: uuid,
  });
  return uuid;
}

// mesos-framework's Executor calls its default handlers through an undefined name,
// so every event needs a handler of ours (each must take exactly one argument).
const executor = new Executor({
  handlers: {
    SUBSCRIBED: function (subscribed) {},
    LAUNCH: function (launch) {
      task = launch.task;
      status("TASK_RUNNING");
      executor.message("hello");
    },
    KILL: function (kill) {
      status("TASK_KILLED");
    },
    ACKNOWLEDGED: function (acknowledged) {
      if (finishedUuid !== null && acknowledged.uuid === finishedUuid) process.exit(0);
    },
    MESSAGE: function (message) {
      if (Buffer.from(message.data, "base64").toString() === "ping") {
        executor.message("pong");
        finishedUuid = status("TASK_FINISHED");
      }
    },
    ERROR: function (error) {},
    SHUTDOWN: function (shutdown) {
      process.exit(0);
    },
  },
});

executor.on("error", function (error) {
  // The library reports events it has no handler for (HEARTBEAT) as errors.
  const text = typeof error === "string" ? error : JSON.stringify(error);
  if (text.indexOf('"HEARTBEAT"') < 0) console.error("executor: " + text);
});

executor.subscribe();
