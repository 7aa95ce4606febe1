"use strict";
// A work-around for a bug of mesos-framework 0.5.3 itself, not of Plexus.
//
// The library reads the RecordIO event stream of SUBSCRIBE (scheduler and executor)
// one 'data' chunk at a time and expects every chunk to hold exactly one whole
// record, "<length>\n<json>": two records that arrive in one read are reported as
// "Other linebreak count found than expected" and lost, and a record split inside
// its length line is mis-parsed. A Mesos master or agent streams the same bytes
// (RecordIO over chunked HTTP), and reads coalesce or split there just the same,
// so no Mesos would avoid it either. Loaded before the library, this module
// re-frames each streamed response (the 200 answers; calls answer 202) so that
// every 'data' event the library sees carries exactly one record.
const http = require("http");

function reframe(response) {
  const on = response.on;
  response.on = function (name, listener) {
    if (name !== "data") return on.call(this, name, listener);
    let pending = Buffer.alloc(0);
    return on.call(this, "data", function (chunk) {
      pending = Buffer.concat([pending, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, "utf8")]);
      for (;;) {
        const newline = pending.indexOf(10);
        if (newline < 0) return;
        const length = parseInt(pending.subarray(0, newline).toString("ascii"), 10);
        if (pending.length < newline + 1 + length) return;
        const record = pending.subarray(newline + 1, newline + 1 + length).toString("utf8");
        pending = pending.subarray(newline + 1 + length);
        // The library compares the length with the string's length: give it that.
        listener.call(response, record.length + "\n" + record);
      }
    });
  };
}

const request = http.request;
http.request = function (options, callback) {
  if (typeof callback !== "function") return request.apply(http, arguments);
  return request.call(http, options, function (response) {
    if (response.statusCode === 200) reframe(response);
    callback(response);
  });
};
