#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (Playwright drives /usr/bin/chromium;
# no browser is ever downloaded by Playwright itself).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo ">> installing chromium (Debian package) for the browser tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
else
  echo "The browser tests need Chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
  exit 1
fi
