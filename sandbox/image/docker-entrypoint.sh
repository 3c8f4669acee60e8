#!/bin/bash
# A small stand-in for the official postgres image's entrypoint, for images built from Debian packages.
# Same contract: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, initdb on first start, local trust,
# host scram-sha-256, listen on every address. Any other command runs as given (like the official image).
set -Eeuo pipefail

if [ "${1:-postgres}" != 'postgres' ] && [ "${1:0:1}" != '-' ]; then
  exec "$@"
fi
[ "${1:-}" = 'postgres' ] && shift

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
chmod 3777 /var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  chown postgres "$pwfile"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    # Single-user mode creates the database without opening any socket.
    db_ident="\"${POSTGRES_DB//\"/\"\"}\""
    echo "CREATE DATABASE $db_ident" | as_postgres postgres --single -j -D "$PGDATA" postgres >/dev/null
  fi
  echo 'PostgreSQL init process complete; ready for start up.'
fi

# PID 1 is docker-init or this shell: turn SIGTERM into a fast shutdown (SIGINT) so `docker stop`
# does not wait for the apps' pooled connections to go away (a smart shutdown would).
# setpriv execs postgres, so $! is the postmaster itself (a function here would add a subshell).
setpriv --reuid=postgres --regid=postgres --init-groups postgres "$@" &
postgres_pid=$!
trap 'kill -INT "$postgres_pid" 2>/dev/null' TERM INT
set +e
wait "$postgres_pid"
status=$?
if kill -0 "$postgres_pid" 2>/dev/null; then
  wait "$postgres_pid"
  status=$?
fi
exit "$status"
