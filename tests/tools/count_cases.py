#!/usr/bin/env python3
"""tests/tools/count_cases.py TESTLOG.json...: one line for the README,
"tests: N passed, N failed, N skipped", counting test *cases*, not meson
tests: the cases of each Check suite ("Checks: 7, Failures: 0, Errors:
0"), each pytest case ("12 passed, 1 skipped"), each fuzz corpus input
replayed ("33 inputs replayed"), and one for each other test.  A meson
test that failed without saying how many of its cases did (a crash, a
timeout) counts as one failure.  A skip is never a pass."""
import json
import re
import sys

PYTEST = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def cases(entry):
    """(passed, failed, skipped) for one meson test."""
    out, ok = entry.get("stdout") or "", entry["result"] in (
        "OK", "EXPECTEDFAIL")
    if entry["result"] == "SKIP":
        return 0, 0, 1
    m = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", out)
    if m:
        total, fail, err = map(int, m.groups())
        bad = fail + err
        return total - bad, bad or (0 if ok else 1), 0
    lines = [line for line in out.splitlines() if " in " in line and
             PYTEST.search(line)]
    if lines:
        counts = {}
        for n, what in PYTEST.findall(lines[-1]):
            counts[what] = counts.get(what, 0) + int(n)
        passed = counts.get("passed", 0) + counts.get("xfailed", 0)
        failed = (counts.get("failed", 0) + counts.get("error", 0) +
                  counts.get("errors", 0) + counts.get("xpassed", 0))
        return passed, failed or (0 if ok else 1), counts.get("skipped", 0)
    m = re.search(r"(\d+) inputs replayed", out)
    if m and ok:
        return int(m.group(1)), 0, 0
    return (1, 0, 0) if ok else (0, 1, 0)


def main():
    passed = failed = skipped = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                p, fl, s = cases(json.loads(line))
                passed, failed, skipped = passed + p, failed + fl, skipped + s
    print("tests: %d passed, %d failed, %d skipped" % (passed, failed,
                                                      skipped))


if __name__ == "__main__":
    main()
