"""The documentation tells the truth about the command line: every option
and exit code that --help lists is in the README and the man page."""
import os
import re

from echodtest import run_cmd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def help_text():
    rc, out, err = run_cmd(["--help"])
    assert rc == 0
    return out


def test_every_option_is_documented():
    options = set(re.findall(r"--[a-z][a-z-]+", help_text()))
    assert len(options) >= 9, options
    readme = read("README.md")
    # mdoc writes --listen as "Fl -listen".
    man = read("docs", "echod.8").replace("Fl -", "--")
    for opt in sorted(options):
        assert opt in readme, "%s missing from README.md" % opt
        assert opt in man, "%s missing from docs/echod.8" % opt


def test_every_exit_code_is_documented():
    codes = re.findall(r"\b(\d\d) [a-z]", help_text().split("Exit codes:")[1])
    assert len(codes) >= 6, codes
    readme = read("README.md")
    man = read("docs", "echod.8")
    for code in codes:
        assert re.search(r"^\| %s " % code, readme, re.M), code
        assert re.search(r"^\.It %s$" % code, man, re.M), code

