# Sourced by scripts that start Plexus daemons on 127.0.0.1 (check-sdk.sh,
# bench-wordcount.sh). The caller sets $work (a folder for logs) and an array
# `pids`; these helpers add to it and stop what it holds.

# start_daemon NAME COMMAND...: runs COMMAND --port=0 in the background with its
# output in $work/NAME.log, records its pid, and sets $port to the port it
# listens on. Exits the script if it dies or does not listen within 10 s.
start_daemon() {
  local name="$1"
  shift
  "$@" --port=0 >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    # (The log may not exist yet: the background shell opens it.)
    port="$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/$name.log" 2>/dev/null |
      head -n 1 || true)"
    [[ -n "$port" ]] && return 0
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "$name exited: $(tail -n 3 "$work/$name.log")" >&2
      exit 1
    fi
    sleep 0.05
  done
  echo "$name did not start listening (see $work/$name.log)" >&2
  exit 1
}

# stop_started: stops what was started, newest first, waiting for each (so that
# frameworks tear down, killing their tasks, while the daemons still run).
stop_started() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
