#!/usr/bin/env python3
"""tests/tools/check_headers.py CC... -- INCLUDE_DIR: every header of
include/echod compiles on its own (a module's header is its whole
contract: it includes what it uses).  Each is compiled as a translation
unit of one line, '#include "echod/NAME.h"', with warnings as errors."""
import os
import subprocess
import sys
import tempfile


def main():
    sep = sys.argv.index("--")
    cc, inc = sys.argv[1:sep], sys.argv[sep + 1]
    headers = sorted(h for h in os.listdir(os.path.join(inc, "echod"))
                     if h.endswith(".h"))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for h in headers:
            src = os.path.join(tmp, "one.c")
            with open(src, "w") as f:
                f.write('#include "echod/%s"\n' % h)
            p = subprocess.run(cc + ["-std=gnu11", "-Wall", "-Wextra",
                                     "-Werror", "-fsyntax-only", "-I", inc,
                                     src], capture_output=True, text=True)
            if p.returncode != 0:
                bad += 1
                print("echod/%s does not compile on its own:\n%s"
                      % (h, p.stderr), file=sys.stderr)
    print("%d headers, %d not self-contained" % (len(headers), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
