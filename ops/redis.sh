#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379/0): starts a local
# redis-server when none answers (installing Debian's package first when we are root), or says how.
set -euo pipefail
from_env_file=$(grep -E '^REDIS_URL=' .env 2>/dev/null | tail -n 1 | cut -d= -f2- || true)
url=${REDIS_URL:-${from_env_file:-redis://127.0.0.1:6379/0}}
ping() { .venv/bin/python - "$url" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}
if ping; then exit 0; fi
hostport=${url#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$hostport" ] && port=6379
case "$host" in 127.0.0.1|localhost|"") ;; *)
  echo "Redis at $url does not answer, and it is not local: start it, or unset REDIS_URL." >&2; exit 1;; esac
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing redis-server (Debian package)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  else
    echo "No Redis answers at $url and redis-server is not installed. Install it (Debian/Ubuntu:" \
      "sudo apt-get install redis-server; macOS: brew install redis) or point REDIS_URL at one." >&2
    exit 1
  fi
fi
data=${HELPDESK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/migrant-helpdesk}/redis
mkdir -p "$data"
echo ">> starting redis-server on 127.0.0.1:$port (append-only file in $data)" >&2
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$data" --appendonly yes \
  --logfile "$data/redis.log" >&2
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
echo "redis-server did not come up; see $data/redis.log" >&2; exit 1
