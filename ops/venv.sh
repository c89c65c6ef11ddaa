#!/usr/bin/env bash
# Makes (or reuses) a virtual environment keyed by the content hash of its requirements file,
# in the cache folder, and links it into the project. Usage: ops/venv.sh LINK PYTHON REQUIREMENTS
# A venv is only used once its install finished (marker file), so an interrupted install is redone.
set -euo pipefail
link=$1; python=$2; req=$3
cache=${HELPDESK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/migrant-helpdesk}
hash=$( { cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
dir="$cache/venvs/$(basename "$link" | tr -d .)-$hash"
if [ ! -f "$dir/.complete" ]; then
  echo ">> creating $link from $req (one time, cached in $dir)" >&2
  rm -rf "$dir"; mkdir -p "$cache/venvs"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip==24.2 >&2
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$dir/.complete"
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$dir" ]; then rm -rf "$link"; ln -s "$dir" "$link"; fi
