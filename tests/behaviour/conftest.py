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
    """A factory: echod_with(*args) starts one with ARGS; each is stopped
    (exit 0, no sanitizer report) when the test ends."""
    started = []

    def start(*args, **kw):
        d = Echod(*args, **kw)
        started.append(d)
        return d
    yield start
    for d in started:
        try:
            if d.proc.poll() is None:
                d.stop()
        finally:
            d.__exit__(None, None, None)
