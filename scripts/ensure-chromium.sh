#!/bin/sh
# Make sure headless Chromium is available for the browser test (tests/local/test_browser.py).
#
# Installs Debian's `chromium` and `chromium-driver` packages with apt-get when
# /usr/bin/chromium is missing. Idempotent and quiet when everything is there.
# Needs root (or passwordless sudo) to install; otherwise it explains and
# exits 0, and the browser test skips with a loud reason (or fails under CI=true).
set -eu

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not available;" >&2
    echo "ensure-chromium: install Chromium by hand to run the browser test." >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install packages;" >&2
        echo "ensure-chromium: run 'sudo apt-get install chromium chromium-driver' to run the browser test." >&2
        exit 0
    fi
fi

echo "ensure-chromium: installing chromium and chromium-driver with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version >&2
