#!/usr/bin/env bash
# Runs the worker command given as arguments and starts it again whenever it exits without being asked to,
# after a back-off: 1 s, doubling up to 30 s, back to 1 s once a run lasted 60 s. Each exit and restart is
# logged. SIGINT or SIGTERM (Ctrl-C) stops the worker gracefully (one SIGTERM; a second Ctrl-C kills it at
# once) and then this script, which exits 0 when the worker stopped cleanly.
#
#   scripts/supervise-worker.sh node dist/worker/main.js
#
# The worker runs in a session of its own, so a Ctrl-C in the terminal reaches it exactly once, from here:
# the SDK shuts down gracefully on the first signal and dies on a second.
# Tunable (milliseconds), for tests: OPARETA_RESTART_MIN_DELAY_MS, OPARETA_RESTART_MAX_DELAY_MS,
# OPARETA_RESTART_RESET_AFTER_MS; OPARETA_STOP_TIMEOUT_S bounds a graceful stop before SIGKILL.
set -uo pipefail

if [ "$#" -eq 0 ]; then
  echo 'usage: supervise-worker.sh COMMAND [ARG...]' >&2
  exit 2
fi

min_delay_ms="${OPARETA_RESTART_MIN_DELAY_MS:-1000}"
max_delay_ms="${OPARETA_RESTART_MAX_DELAY_MS:-30000}"
reset_after_ms="${OPARETA_RESTART_RESET_AFTER_MS:-60000}"
stop_timeout_s="${OPARETA_STOP_TIMEOUT_S:-45}"

worker_pid=''
sleep_pid=''
term_sent_to=''
stopping=0

say() { printf '%s supervise-worker: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
now_ms() { date +%s%3N; }
seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

on_stop_signal() {
  if [ "$stopping" -eq 1 ]; then
    say 'second stop signal: killing the worker now'
    alive "$worker_pid" && kill -KILL "$worker_pid" 2>/dev/null
    return
  fi
  stopping=1
  alive "$sleep_pid" && kill "$sleep_pid" 2>/dev/null
  ask_worker_to_stop
}

# Sends the worker its one SIGTERM. Also called right after a worker starts: a signal can arrive between the
# fork and `worker_pid=$!` (the worker may even be up and seen by then), and its trap found no worker to stop.
# A trap runs to completion between two commands, so once `stopping` is 1 here, term_sent_to is final.
ask_worker_to_stop() {
  if [ "$stopping" -eq 1 ] && [ "$term_sent_to" != "$worker_pid" ] && alive "$worker_pid"; then
    term_sent_to="$worker_pid"
    say "stopping the worker (pid $worker_pid)"
    kill -TERM "$worker_pid" 2>/dev/null
  fi
}
trap on_stop_signal INT TERM
# However this script ends, it does not leave a worker behind.
trap 'alive "$worker_pid" && kill -TERM "$worker_pid" 2>/dev/null' EXIT

# Waits for the worker to exit, through signals that interrupt `wait`; sets status. Once a stop was asked
# for, a worker that does not finish its graceful shutdown in time is killed.
wait_for_worker() {
  local deadline
  status=0
  while :; do
    wait "$worker_pid"
    status=$?
    alive "$worker_pid" || break
    [ "$stopping" -eq 1 ] || continue
    deadline=$(($(now_ms) + stop_timeout_s * 1000))
    while alive "$worker_pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
    if alive "$worker_pid"; then
      say "worker did not stop within $stop_timeout_s s: killing it"
      kill -KILL "$worker_pid" 2>/dev/null
    fi
  done
}

delay_ms="$min_delay_ms"
restarts=0
while :; do
  started_ms="$(now_ms)"
  setsid "$@" &
  worker_pid=$!
  if [ "$restarts" -gt 0 ]; then say "worker restarted (pid $worker_pid, restart $restarts)"; fi
  ask_worker_to_stop
  wait_for_worker
  ran_ms=$(($(now_ms) - started_ms))
  worker_pid=''
  if [ "$stopping" -eq 1 ]; then
    say "worker stopped (status $status)"
    # 143: it died of the SIGTERM itself instead of handling it; still the stop that was asked for.
    if [ "$status" -eq 0 ] || [ "$status" -eq 143 ]; then exit 0; fi
    exit "$status"
  fi
  if [ "$ran_ms" -ge "$reset_after_ms" ]; then delay_ms="$min_delay_ms"; fi
  restarts=$((restarts + 1))
  say "worker exited unexpectedly (status $status) after $(seconds "$ran_ms") s; restart $restarts in $(seconds "$delay_ms") s"
  sleep "$(seconds "$delay_ms")" &
  sleep_pid=$!
  # The same race as for the worker: a stop asked for before sleep_pid was set did not cut the sleep short.
  if [ "$stopping" -eq 1 ]; then kill "$sleep_pid" 2>/dev/null; fi
  wait "$sleep_pid" 2>/dev/null
  sleep_pid=''
  if [ "$stopping" -eq 1 ]; then
    say 'stopped while waiting to restart the worker'
    exit 0
  fi
  delay_ms=$((delay_ms * 2))
  if [ "$delay_ms" -gt "$max_delay_ms" ]; then delay_ms="$max_delay_ms"; fi
done
