#!/bin/sh
# Make sure redis-server is available for the idempotency tests (tests/idempotency/).
#
# Installs Debian's `redis-server` package with apt-get when redis-server is
# missing. Idempotent and quiet when it is there. Needs root (or passwordless
# sudo) to install; otherwise it explains and exits 0, and the Redis tests
# skip with a loud reason (or fail under CI=true). The package's own service is
# not used: each test session starts its own server on a free loopback port.
set -eu

if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-redis: redis-server is missing and apt-get is not available;" >&2
    echo "ensure-redis: install Redis by hand to run the idempotency tests on Redis." >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-redis: redis-server is missing and this user cannot install packages;" >&2
        echo "ensure-redis: run 'sudo apt-get install redis-server' to run the idempotency tests on Redis." >&2
        exit 0
    fi
fi

echo "ensure-redis: installing redis-server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
redis-server --version >&2
