#!/usr/bin/env bash
# Checks that docker-compose.yml is valid (no Docker engine needed): Debian's docker-compose `config -q`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing docker-compose (Debian package) to check docker-compose.yml" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose) >&2
  else
    echo "docker-compose is not installed: cannot check docker-compose.yml (apt-get install docker-compose)" >&2
    exit 1
  fi
fi
RASA_TOKEN=check docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml: valid"
