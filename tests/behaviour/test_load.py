"""A short run of the load generator against echod in every mode (seconds,
no timing thresholds), and proof that its byte check can fail: against an
echo server that corrupts one byte, or one that loses the end of a stream,
it reports it and exits 1."""
import json
import os
import socket
import subprocess
import tempfile
import threading

from echodtest import WAIT, Echod, run

LOAD = os.environ["ECHOD_LOAD"]


def load(*args):
    p = subprocess.run([LOAD, "--quiet", "--seconds", "0.5"] + list(args),
                       capture_output=True, text=True, timeout=WAIT * 3)
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1, (p.stdout, p.stderr)
    result = json.loads(lines[0])
    return p.returncode, result


def assert_clean(rc, r):
    assert rc == 0, r
    assert r["mismatches"] == 0 and r["missing"] == 0 and r["errors"] == 0, r
    assert r["bytes_in"] > 0, r


def test_every_mode_against_echod_is_clean():
    path = os.path.join(tempfile.mkdtemp(prefix="echod-"), "load.sock")
    with Echod("--listen", "127.0.0.1:0", "--listen", "unix:" + path) as d:
        port = d.addr("inet").rsplit(":", 1)[1]
        tcp = ["--port", port]
        for args in (["--mode", "pingpong", "--conns", "50", "--depth", "4"],
                     ["--mode", "pingpong", "--size", "4K"],
                     ["--mode", "stream", "--conns", "4", "--size", "64K"],
                     ["--mode", "churn", "--conns", "10"],
                     ["--mode", "idle", "--conns", "300"]):
            rc, r = load(*(tcp + args))
            assert_clean(rc, r)
            print("# %s: %s msgs, %s bytes, 0 mismatches"
                  % (r["mode"], r["messages"], r["bytes_in"]))
        rc, r = load("--unix", path, "--mode", "pingpong", "--depth", "8")
        assert_clean(rc, r)
        d.stop()


def test_udp_mode_against_echod_is_clean():
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        port = d.addrs[0].rsplit(":", 1)[1]
        for args in (["--conns", "10", "--depth", "2"],
                     ["--conns", "2", "--size", "65507"]):
            rc, r = load("--mode", "udp", "--port", port, *args)
            assert_clean(rc, r)
            # A handful in flight on loopback: nothing may go missing.
            assert r["lost"] == 0 and r["late"] == 0, r
            print("# udp %s: %s datagrams, 0 mismatches, 0 lost"
                  % (" ".join(args), r["messages"]))
        d.stop()


class BrokenEcho:
    """An echo server with one flaw, to prove the checker notices."""

    def __init__(self, flaw):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.flaw = flaw
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(c,), daemon=True).start()

    def echo(self, c):
        total = 0
        with c:
            while True:
                try:
                    b = c.recv(65536)
                except OSError:
                    return
                if not b:
                    return
                if self.flaw == "corrupt" and total <= 1000 < total + len(b):
                    i = 1000 - total
                    b = b[:i] + bytes([b[i] ^ 0x55]) + b[i + 1:]
                total += len(b)
                if self.flaw == "truncate" and total > 5000:
                    return          # loses the rest
                c.sendall(b)


def test_checker_catches_a_corrupted_byte():
    srv = BrokenEcho("corrupt")
    rc, r = load("--port", str(srv.port), "--mode", "stream", "--conns", "2",
                 "--size", "16K")
    assert rc == 1, r
    assert r["mismatches"] == 2, r        # one byte on each connection


def test_checker_catches_lost_bytes():
    srv = BrokenEcho("truncate")
    rc, r = load("--port", str(srv.port), "--mode", "pingpong",
                 "--conns", "2", "--size", "1K")
    assert rc == 1, r
    assert r["errors"] > 0 or r["missing"] > 0, r


def test_usage_errors_exit_64():
    p = subprocess.run([LOAD, "--mode", "flood"], capture_output=True,
                       text=True, timeout=WAIT)
    assert p.returncode == 64 and "'flood'" in p.stderr, p


run(globals())
