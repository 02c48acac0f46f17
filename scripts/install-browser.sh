#!/bin/sh
# Installs Debian's Chromium for the browser tests (tests/browser), if it is not already there.
# Playwright drives it through executable_path: never run `playwright install` (it downloads
# its own browser builds, which we do not want to depend on).
set -eu

if command -v chromium >/dev/null 2>&1; then
    echo "chromium is already installed: $(command -v chromium)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
else
    SUDO="sudo"
fi

$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
echo "chromium installed: $(command -v chromium)"
