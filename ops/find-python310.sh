#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (Rasa 3.6 needs it): PATH first, then pyenv.
set -euo pipefail
try() { "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && command -v "$1"; }
if p=$(try python3.10); then echo "$p"; exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
    if [ -x "$p" ] && try "$p" >/dev/null; then echo "$p"; exit 0; fi
  done
fi
for p in /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
  if [ -x "$p" ] && try "$p" >/dev/null; then echo "$p"; exit 0; fi
done
cat >&2 <<'MSG'
Python 3.10 is needed for Rasa 3.6 and was not found (looked on PATH and in pyenv).
Install it, for example:
  pyenv install 3.10.13            (with pyenv)
  apt-get install python3.10-venv  (Debian/Ubuntu releases that ship 3.10)
then run the command again.
MSG
exit 1
