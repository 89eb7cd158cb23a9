"""pytest fixtures for echod's behaviour tests (helpers: echodtest.py).

`echod` is a running daemon on a kernel-chosen loopback port, stopped at
the end of the test with the checks every test wants: exit 0 on SIGTERM
and no sanitizer report in its log."""
import pytest

# Failures inside the helpers show their values too, not only in tests.
pytest.register_assert_rewrite("echodtest", "haproxytest")

from echodtest import Echod  # noqa: E402  (after the rewrite hook)


@pytest.fixture
def echod():
    with Echod("--listen", "127.0.0.1:0") as d:
        yield d
        d.stop()


@pytest.fixture
def echod_with(request):
    """A factory: echod_with(*args) starts one with ARGS.  When the test
    ends, one still running is stopped (it must exit 0); every one must
    have left no sanitizer report."""
    started = []

    def start(*args, **kw):
        d = Echod(*args, **kw)
        started.append(d)
        return d
    yield start
    for d in started:
        try:
            if d.proc.poll() is None:
                d.stop()        # exit 0, and no sanitizer report
            else:
                d.check_sanitizers()    # its exit code was the test's
        finally:
            d.__exit__(None, None, None)
