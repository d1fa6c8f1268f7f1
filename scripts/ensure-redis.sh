#!/usr/bin/env bash
# Make sure a redis-server binary exists for the test harness (tests start and stop it themselves).
set -u
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
echo "redis-server not found; installing it with apt-get (tests that need it skip if this fails)" >&2
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null 2>&1 \
        || echo "could not install redis-server; redis tests will be skipped" >&2
    # Debian's package may start a system service on the default port; the tests use their own.
    (command -v service >/dev/null 2>&1 && $SUDO service redis-server stop >/dev/null 2>&1) || true
fi
exit 0
