#!/usr/bin/env bash
# Starts the Temporal dev server (gRPC localhost:7233, Web UI http://localhost:8233, history kept in
# .data/temporal/temporal.db) unless TEMPORAL_ADDRESS is set or a Temporal already answers on 7233,
# then registers the project's search attributes. Sourced: sets TEMPORAL_DEV_PID when it started one.

OPARETA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_GRPC_PORT=7233
TEMPORAL_UI_PORT=8233
TEMPORAL_DATA_DIR="${OPARETA_DATA_DIR:-$OPARETA_ROOT/.data}/temporal"
SEARCH_ATTRIBUTES=(OparetaService OparetaKind OparetaOutcome OparetaBackup)
TEMPORAL_DEV_PID=''

temporal_say() { printf 'temporal: %s\n' "$*" >&2; }
temporal_die() {
  printf 'temporal: error: %s\n' "$*" >&2
  return 1
}

temporal_cli() { "${TEMPORAL_CLI_PATH:-$OPARETA_ROOT/.tools/temporal/bin/temporal}" "$@"; }

temporal_healthy() {
  temporal_cli operator cluster health --address "$1" --command-timeout 3s 2>/dev/null | grep -q SERVING
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_temporal_dev() {
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
    temporal_say "using TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS (no dev server started)"
    register_search_attributes "$TEMPORAL_ADDRESS" || temporal_say 'warning: could not register search attributes'
    return 0
  fi
  local address="localhost:$TEMPORAL_GRPC_PORT"
  if temporal_healthy "$address"; then
    temporal_say "reusing the Temporal server on $address"
  else
    if port_in_use "$TEMPORAL_GRPC_PORT"; then
      temporal_die "port $TEMPORAL_GRPC_PORT is held by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS" ||
        return 1
    fi
    if port_in_use "$TEMPORAL_UI_PORT"; then
      temporal_die "port $TEMPORAL_UI_PORT (Temporal Web UI) is held by another process; free it" || return 1
    fi
    mkdir -p "$TEMPORAL_DATA_DIR"
    temporal_say "starting the dev server on $address (log: $TEMPORAL_DATA_DIR/server.log)"
    # Its own session: Ctrl-C reaches the worker only; the caller's trap stops the server afterwards.
    setsid "${TEMPORAL_CLI_PATH:-$OPARETA_ROOT/.tools/temporal/bin/temporal}" server start-dev \
      --port "$TEMPORAL_GRPC_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$TEMPORAL_DATA_DIR/temporal.db" --log-level warn \
      >>"$TEMPORAL_DATA_DIR/server.log" 2>&1 </dev/null &
    TEMPORAL_DEV_PID=$!
    echo "$TEMPORAL_DEV_PID" >"$TEMPORAL_DATA_DIR/pid"
    local waited=0
    until temporal_healthy "$address"; do
      if ! kill -0 "$TEMPORAL_DEV_PID" 2>/dev/null; then
        tail -n 20 "$TEMPORAL_DATA_DIR/server.log" >&2
        TEMPORAL_DEV_PID=''
        temporal_die 'the dev server exited; its log is above' || return 1
      fi
      if [ "$waited" -ge 120 ]; then
        stop_temporal_dev
        temporal_die "the dev server did not become healthy within 60 s; see $TEMPORAL_DATA_DIR/server.log" || return 1
      fi
      sleep 0.5
      waited=$((waited + 1))
    done
  fi
  register_search_attributes "$address"
}

register_search_attributes() {
  local address="$1" existing name
  existing="$(temporal_cli operator search-attribute list --address "$address" --output json)" ||
    temporal_die "cannot list search attributes on $address" || return 1
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    if ! grep -q "\"$name\"" <<<"$existing"; then
      temporal_cli operator search-attribute create --address "$address" --name "$name" --type Keyword \
        >/dev/null || temporal_die "cannot create search attribute $name" || return 1
    fi
  done
}

# Stops the dev server only if this shell started it.
stop_temporal_dev() {
  [ -n "$TEMPORAL_DEV_PID" ] || return 0
  if kill -0 "$TEMPORAL_DEV_PID" 2>/dev/null; then
    temporal_say "stopping the dev server (pid $TEMPORAL_DEV_PID)"
    kill -TERM "$TEMPORAL_DEV_PID" 2>/dev/null
    local waited=0
    while kill -0 "$TEMPORAL_DEV_PID" 2>/dev/null && [ "$waited" -lt 20 ]; do
      sleep 0.5
      waited=$((waited + 1))
    done
    kill -KILL "$TEMPORAL_DEV_PID" 2>/dev/null || true
  fi
  rm -f "$TEMPORAL_DATA_DIR/pid"
  TEMPORAL_DEV_PID=''
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Run directly: start (or reuse) and leave it running in the background.
  set -euo pipefail
  start_temporal_dev
fi
