#!/bin/sh
# tests/run.sh: build echod with -Werror and run every test, then build it
# again with AddressSanitizer + UndefinedBehaviorSanitizer and run every
# test again.  Installs what the tests need when run as root.
set -eu
cd "$(dirname "$0")/.."

sh tests/deps.sh python3 netcat-openbsd systemd man-db procps haproxy \
    iproute2 nftables

sh tests/build.sh build -Dwerror=true
status=0
meson test -C build --print-errorlogs || status=1

sh tests/build.sh build-asan -Dwerror=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debug
meson test -C build-asan --print-errorlogs --timeout-multiplier 2 || status=1

# One closing line for both runs, counted from meson's own logs.
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
    <<'PY'
import json, sys
ok = bad = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r == "SKIP":
                skipped += 1
            else:
                bad += 1
print("tests: %d passed, %d failed, %d skipped" % (ok, bad, skipped))
PY
exit $status
