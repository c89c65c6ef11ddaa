#!/bin/sh
# Restores the helpdesk's Redis from an RDB snapshot (a backup made with `redis-cli --rdb`), keeping the
# append-only file. Run it INSIDE the Redis container, after stopping everything that writes and copying the
# snapshot to /data/restore.rdb (docs/deploy.md, "Backup and restore"):
#   kubectl -n helpdesk exec -i redis-0 -- sh -s < deploy/redis/restore-from-rdb.sh
#   docker compose exec -T redis sh -s < deploy/redis/restore-from-rdb.sh
# How: a second Redis on a loopback port loads the snapshot; the real one becomes its replica (which replaces
# all its data and rewrites its append-only file from it), then is promoted back. No change to the server's
# configuration, volume or pod is needed. The password, if any, is read from REDISCLI_AUTH.
set -eu
DATA=${DATA:-/data}
PORT=${PORT:-6379}
TEMP_PORT=${TEMP_PORT:-6380}
SNAPSHOT=${SNAPSHOT:-restore.rdb}
WAIT_SECONDS=${WAIT_SECONDS:-600}

cli() { redis-cli -p "$PORT" "$@"; }
temp() { redis-cli -p "$TEMP_PORT" "$@"; }
wait_for() {  # wait_for DESCRIPTION COMMAND...: until the command succeeds, at most WAIT_SECONDS
  what=$1; shift; waited=0
  until "$@" >/dev/null 2>&1; do
    waited=$((waited + 1))
    if [ "$waited" -gt "$WAIT_SECONDS" ]; then echo "timed out waiting for $what" >&2; exit 1; fi
    sleep 1
  done
}
linked() { cli INFO replication | grep -q '^master_link_status:up'; }
rewritten() {
  info=$(cli INFO persistence)
  echo "$info" | grep -q '^aof_rewrite_in_progress:0' && echo "$info" | grep -q '^aof_rewrite_scheduled:0' \
    && echo "$info" | grep -q '^aof_last_bgrewrite_status:ok'
}
cleanup() {
  cli REPLICAOF NO ONE >/dev/null 2>&1 || true
  cli CONFIG SET masterauth "" >/dev/null 2>&1 || true
  temp SHUTDOWN NOSAVE >/dev/null 2>&1 || true
}

[ -f "$DATA/$SNAPSHOT" ] || { echo "no $DATA/$SNAPSHOT: copy the backup there first" >&2; exit 1; }
cli PING | grep -q PONG || { echo "Redis does not answer on port $PORT" >&2; exit 1; }
trap cleanup EXIT

echo ">> loading $SNAPSHOT into a temporary Redis on 127.0.0.1:$TEMP_PORT"
{
  printf 'port %s\nbind 127.0.0.1\ndir %s\ndbfilename %s\n' "$TEMP_PORT" "$DATA" "$SNAPSHOT"
  printf 'appendonly no\nsave ""\ndaemonize yes\npidfile %s/restore.pid\nlogfile ""\n' "$DATA"
  if [ -n "${REDISCLI_AUTH:-}" ]; then printf 'requirepass %s\n' "$REDISCLI_AUTH"; fi
} | redis-server -
wait_for "the temporary Redis" sh -c "redis-cli -p $TEMP_PORT PING | grep -q PONG"

echo ">> replacing the data of the Redis on port $PORT (it replicates the snapshot)"
if [ -n "${REDISCLI_AUTH:-}" ]; then cli CONFIG SET masterauth "$REDISCLI_AUTH" >/dev/null; fi
cli REPLICAOF 127.0.0.1 "$TEMP_PORT" >/dev/null
wait_for "the copy of the snapshot" linked
cli REPLICAOF NO ONE >/dev/null
echo ">> waiting for the append-only file to be rewritten from the restored data"
wait_for "the append-only file rewrite" rewritten
cleanup
trap - EXIT
rm -f "$DATA/$SNAPSHOT" "$DATA/restore.pid"
echo ">> restored:"
cli INFO keyspace | grep '^db' || echo "(empty)"
