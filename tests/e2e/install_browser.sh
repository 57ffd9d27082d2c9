#!/bin/sh
# Installs what the browser end-to-end tests (tests/e2e, marker `e2e`) need: Debian's chromium.
# Playwright (python) drives it via executable_path=/usr/bin/chromium; never `playwright install`.
set -eu
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
