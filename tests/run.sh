#!/bin/sh
# tests/run.sh: build echod with -Werror and run every test, then build it
# again with AddressSanitizer + UndefinedBehaviorSanitizer and run every
# test again.  Installs what the tests need when run as root.
set -eu
cd "$(dirname "$0")/.."

sh tests/deps.sh python3 python3-pytest netcat-openbsd systemd man-db procps \
    haproxy iproute2 nftables build-essential debhelper dpkg-dev lintian \
    debootstrap systemd-container openssl ncat socat

sh tests/build.sh build -Dwerror=true
status=0
meson test -C build --print-errorlogs || status=1

sh tests/build.sh build-asan -Dwerror=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debug
meson test -C build-asan --print-errorlogs --timeout-multiplier 2 || status=1

# One closing line for both runs: test cases (Check cases, pytest cases,
# fuzz corpus inputs replayed), counted from meson's own logs.
python3 tests/tools/count_cases.py build/meson-logs/testlog.json \
    build-asan/meson-logs/testlog.json
exit $status
