"use strict";
// A framework written on the third-party Mesos v1 client library mesos-framework
// (npm, 0.5.3), run by ctest (compat_node_test) against a real plexus-master and
// plexus-agents. The library is not MULTI_ROLE capable: its resources carry no
// allocation_info, as with a Mesos master.
//
//   node framework.js <master host:port> <work dir>
//
// Checks, in order: command tasks run to TASK_FINISHED and are acknowledged;
// explicit and implicit reconciliation answer for a running task; KILL ends it
// TASK_KILLED; a custom executor written on the same library (executor.js) runs a
// task and exchanges framework messages both ways; that executor's exit is a
// FAILURE event while command tasks' executors give none; TEARDOWN kills what runs
// and completes the framework. Prints one line per check and a count; exits 0 only
// when every check passed.
require("./recordio_framing");
const http = require("http");
const path = require("path");
const mesosFramework = require("mesos-framework");

const Mesos = mesosFramework.Mesos.getMesos();
const helpers = mesosFramework.helpers;

const [host, port] = process.argv[2].split(":");
const workDir = process.argv[3];

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log("ok - " + what);
  } else {
    failed++;
    console.log("FAILED - " + what + (detail === undefined ? "" : ": " + JSON.stringify(detail)));
  }
}
function finish() {
  // Not in the "N passed, N failed" form, which CI reads as a test runner's summary.
  console.log("checks of mesos-framework: " + passed + " ok, " + failed + " not ok");
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
setTimeout(function () {
  check(false, "the checks completed within 90 seconds");
  finish();
}, 90000).unref();

// What the master sent, for the checks to wait on.
const offers = [];
const updates = [];
const messages = [];
const failures = [];
let waiters = [];
function wake() {
  const pending = waiters;
  waiters = [];
  pending.forEach(function (waiter) {
    if (!waiter()) waiters.push(waiter);
  });
}
// Resolves with the first value `find()` returns that is not undefined.
function waitFor(find) {
  return new Promise(function (resolve) {
    const waiter = function () {
      const found = find();
      if (found === undefined) return false;
      resolve(found);
      return true;
    };
    if (!waiter()) waiters.push(waiter);
  });
}

const scheduler = new mesosFramework.Scheduler({
  masterUrl: host,
  port: port,
  frameworkName: "plexus-compat-node",
  logging: { path: workDir, fileName: "mesos-framework.log", level: "warn" },
  handlers: {
    // The library's own OFFERS handler launches its configured tasks; this
    // framework keeps the offers and launches what each check needs instead.
    OFFERS: function (event) {
      event.offers.forEach(function (offer) {
        offers.push(offer);
      });
      wake();
    },
    UPDATE: function (update) {
      updates.push(update.status);
      // The library acknowledges what carries a uuid (not master-made updates).
      this.acknowledge(update);
      wake();
    },
    FAILURE: function (failure) {
      failures.push(failure);
      wake();
    },
  },
});

scheduler.on("message", function (message) {
  messages.push(message);
  wake();
});
scheduler.on("error", function (error) {
  const text = error instanceof Error ? error.message : JSON.stringify(error);
  // After TEARDOWN the library sees its stream end and reports it.
  if (!tornDown) console.log("# error from mesos-framework: " + text);
});

function scalar(name, value) {
  return helpers.stringifyEnumsRecursive(
    new Mesos.Resource(name, Mesos.Value.Type.SCALAR, new Mesos.Value.Scalar(value)));
}

function hasRoom(offer, cpus, mem) {
  const sum = { cpus: 0, mem: 0 };
  offer.resources.forEach(function (resource) {
    if (resource.name in sum) sum[resource.name] += resource.scalar.value;
  });
  return sum.cpus >= cpus && sum.mem >= mem;
}

// Launches `taskInfo(offer)` on the first kept offer with room for cpus and mem.
async function launch(cpus, mem, taskInfo) {
  const offer = await waitFor(function () {
    const index = offers.findIndex(function (o) {
      return hasRoom(o, cpus, mem);
    });
    return index < 0 ? undefined : offers.splice(index, 1)[0];
  });
  const operation = helpers.stringifyEnumsRecursive(
    new Mesos.Offer.Operation(Mesos.Offer.Operation.Type.LAUNCH,
                              new Mesos.Offer.Operation.Launch([taskInfo(offer)])));
  scheduler.accept([offer.id], operation, new Mesos.Filters(0));
  return offer.agent_id.value;
}

function commandTask(id, command) {
  return launch(0.1, 32, function (offer) {
    return new Mesos.TaskInfo(id, new Mesos.TaskID(id), offer.agent_id,
                              [scalar("cpus", 0.1), scalar("mem", 32)], null,
                              helpers.stringifyEnumsRecursive(
                                  new Mesos.CommandInfo(null, null, true, command, null, null)));
  });
}

function statesOf(id) {
  return updates.filter(function (s) {
    return s.task_id.value === id && s.reason !== "REASON_RECONCILIATION";
  }).map(function (s) {
    return s.state;
  });
}

function terminal(id) {
  return waitFor(function () {
    const states = statesOf(id);
    const last = states[states.length - 1];
    return ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"]
        .indexOf(last) >= 0 ? last : undefined;
  });
}

function reached(id, state) {
  return waitFor(function () {
    const states = statesOf(id);
    return states.indexOf(state) >= 0 || states.some(function (s) {
      return ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"]
          .indexOf(s) >= 0;
    }) ? states[states.length - 1] : undefined;
  });
}

// The next reconciliation answer for `id` after `count` updates.
function reconciled(id, count) {
  return waitFor(function () {
    return updates.slice(count).find(function (s) {
      return s.task_id.value === id && s.reason === "REASON_RECONCILIATION";
    });
  });
}

function masterState() {
  return new Promise(function (resolve) {
    http.get({ host: host, port: port, path: "/state" }, function (response) {
      let body = "";
      response.on("data", function (chunk) {
        body += chunk;
      });
      response.on("end", function () {
        resolve(JSON.parse(body));
      });
    }).on("error", function () {
      resolve(null);
    });
  });
}

let tornDown = false;

async function run() {
  await new Promise(function (resolve) {
    scheduler.once("subscribed", resolve);
  });
  check(!!scheduler.frameworkId, "SUBSCRIBED names the framework", scheduler.frameworkId);

  // Command tasks (the agent's built-in executor), acknowledged by the library.
  await commandTask("echo", "echo compat");
  let state = await terminal("echo");
  check(state === "TASK_FINISHED", "a command task runs to TASK_FINISHED", statesOf("echo"));
  check(statesOf("echo").indexOf("TASK_RUNNING") >= 0, "it was TASK_RUNNING first",
        statesOf("echo"));

  const sleepAgent = await commandTask("sleep", "sleep 600");
  state = await reached("sleep", "TASK_RUNNING");
  check(state === "TASK_RUNNING", "a long command task is TASK_RUNNING", statesOf("sleep"));

  // Reconciliation: explicit (this task on its agent), then implicit (all tasks).
  let count = updates.length;
  scheduler.reconcile("sleep", sleepAgent);
  let answer = await reconciled("sleep", count);
  check(answer.state === "TASK_RUNNING" && !answer.uuid,
        "explicit reconciliation answers TASK_RUNNING without a uuid", answer);
  count = updates.length;
  scheduler.reconcile();
  answer = await reconciled("sleep", count);
  check(answer.state === "TASK_RUNNING", "implicit reconciliation reports the running task",
        answer);
  check(!updates.slice(count).some(function (s) {
    return s.task_id.value === "echo";
  }), "implicit reconciliation leaves out the finished task");

  // Kill.
  scheduler.kill("sleep", sleepAgent);
  state = await terminal("sleep");
  check(state === "TASK_KILLED", "KILL ends the task TASK_KILLED", statesOf("sleep"));

  // A custom executor on mesos-framework's Executor, and messages both ways.
  const executorId = "compat-executor";
  const executorAgent = await launch(0.2, 64, function (offer) {
    const command = new Mesos.CommandInfo(
        null,
        new Mesos.Environment([new Mesos.Environment.Variable(
            "NODE_PATH", path.join(__dirname, "node_modules"))]),
        true, JSON.stringify(process.execPath) + " " +
                  JSON.stringify(path.join(__dirname, "executor.js")),
        null, null);
    const executor = new Mesos.ExecutorInfo(
        new Mesos.ExecutorID(executorId), null, command, null,
        [scalar("cpus", 0.1), scalar("mem", 32)], "plexus compat executor (mesos-framework)");
    return new Mesos.TaskInfo("custom", new Mesos.TaskID("custom"), offer.agent_id,
                              [scalar("cpus", 0.1), scalar("mem", 32)],
                              helpers.stringifyEnumsRecursive(executor), null);
  });
  state = await reached("custom", "TASK_RUNNING");
  check(state === "TASK_RUNNING", "the custom executor's task is TASK_RUNNING",
        statesOf("custom"));
  const hello = await waitFor(function () {
    return messages.find(function (m) {
      return m.data === "hello";
    });
  });
  check(hello.executorId.value === executorId && hello.agentId.value === executorAgent,
        "the executor's message reaches the scheduler", hello);
  scheduler.message(executorAgent, executorId, "ping");
  const pong = await waitFor(function () {
    return messages.find(function (m) {
      return m.data === "pong";
    });
  });
  check(!!pong, "the scheduler's message reaches the executor, which answers");
  state = await terminal("custom");
  check(state === "TASK_FINISHED", "the custom executor's task ends TASK_FINISHED",
        statesOf("custom"));
  const failure = await waitFor(function () {
    return failures.find(function (f) {
      return f.executor_id && f.executor_id.value === executorId;
    });
  });
  check(failure.agent_id.value === executorAgent && failure.status === 0,
        "the custom executor's exit is a FAILURE event with its status", failure);
  // Command tasks' executors ("echo", "sleep") ended long before this one did.
  check(failures.length === 1, "command tasks end without a FAILURE event", failures);

  // Teardown: what still runs is killed and the framework completes.
  await commandTask("last", "sleep 600");
  state = await reached("last", "TASK_RUNNING");
  check(state === "TASK_RUNNING", "a task runs before TEARDOWN", statesOf("last"));
  const frameworkId = scheduler.frameworkId;
  tornDown = true;
  scheduler.teardown();
  let completed;
  for (;;) {
    const master = await masterState();
    completed = master && master.completed_frameworks.find(function (f) {
      return f.id === frameworkId;
    });
    if (completed) break;
    await new Promise(function (resolve) {
      setTimeout(resolve, 100);
    });
  }
  const last = completed.completed_tasks.concat(completed.tasks).find(function (t) {
    return t.id === "last";
  });
  check(!!last && last.state === "TASK_KILLED", "TEARDOWN completes the framework and kills its task",
        last);
  finish();
}

scheduler.on("ready", function () {
  scheduler.subscribe();
});
run().catch(function (error) {
  check(false, "the run threw", error.stack);
  finish();
});
