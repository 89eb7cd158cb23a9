"""A short run of the load generator against echod in every mode (seconds,
no timing thresholds), and proof that its byte check can fail: against an
echo server that corrupts one byte, or one that loses the end of a stream,
it reports it and exits 1.  And that it is honest at the edges: against a
server that never completes a handshake, refuses, or answers nothing, it
keeps its deadline and its signals, says why it failed, exits 1, and its
JSON parses."""
import json
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time

from echodtest import WAIT, Echod, NftTable, free_port

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
    # A load test from one address: past the default --udp-rate.
    with Echod("--listen", "udp:127.0.0.1:0", "--udp-rate", "0") as d:
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
                if self.flaw == "double":
                    c.sendall(b)    # everything twice
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


def load_raw(args, timeout=WAIT * 3, signal_after=None):
    """echod-load ARGS: (exit code, parsed JSON, stderr, seconds taken).
    json.loads refuses NaN and Infinity when told to, as a strict parser
    would."""
    def strict(name):
        raise AssertionError("not JSON: %s" % name)
    start = time.monotonic()
    p = subprocess.Popen([LOAD] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if signal_after is not None:
        time.sleep(signal_after)
        p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=timeout)
    took = time.monotonic() - start
    lines = out.strip().splitlines()
    assert len(lines) == 1, (out, err)
    return p.returncode, json.loads(lines[0], parse_constant=strict), err, \
        took


def test_connecting_keeps_the_deadline_and_signals():
    port = free_port()
    with NftTable("tcp dport %d drop" % port):
        rc, r, err, took = load_raw(["--port", str(port), "--seconds", "1",
                                     "--conns", "20"])
        print("# handshakes that never complete, --seconds 1: exit %d "
              "after %.1f s: %s" % (rc, took, r["failure"]))
        assert rc == 1 and not r["ok"], r
        assert r["unconnected"] == 20, r
        assert "not made within --seconds" in err, err
        assert took < 8, took
        rc, r, err, took = load_raw(["--port", str(port), "--seconds", "60",
                                     "--conns", "20"], signal_after=1.0)
        print("# SIGTERM while connecting: exit %d after %.1f s" % (rc, took))
        assert rc == 1 and r["interrupted"] and r["unconnected"] == 20, r
        # A timed phase of no length: rates of 0, not inf or nan (the
        # strict parse above would have refused those).
        assert r["seconds"] < 0.1 and r["msgs_per_sec"] == 0, r
        assert took < 8, took


def test_refusing_or_silent_servers_fail_the_run():
    port = free_port()          # nobody listens: refused
    rc, r, err, _ = load_raw(["--port", str(port), "--seconds", "0.5"])
    assert rc == 1 and r["connect_failures"] > 0, r
    rc, r, err, _ = load_raw(["--port", str(port), "--seconds", "0.5",
                              "--reconnect"])
    print("# --reconnect against a refusing server: exit %d, %s"
          % (rc, r["failure"]))
    assert rc == 1 and not r["ok"] and r["bytes_in"] == 0, r
    assert r["unconnected"] == 100, r
    rc, r, err, _ = load_raw(["--port", str(port), "--seconds", "0.5",
                              "--mode", "udp", "--conns", "2"])
    print("# udp against a dead port: exit %d, %s" % (rc, r["failure"]))
    assert rc == 1 and r["failure"] == "nothing was echoed", r
    # A server that accepts and reads but never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    held = []
    stop = threading.Event()

    def swallow():
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except socket.timeout:
                pass
    t = threading.Thread(target=swallow, daemon=True)
    t.start()
    try:
        rc, r, err, _ = load_raw(["--port", str(silent.getsockname()[1]),
                                  "--seconds", "0.5", "--conns", "4"])
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        silent.close()
    print("# a server that answers nothing: exit %d, %s" % (rc, r["failure"]))
    assert rc == 1 and not r["ok"] and r["missing"] > 0, r


def test_extra_bytes_are_counted_once_and_no_message_is_invented():
    srv = BrokenEcho("double")
    rc, r = load("--port", str(srv.port), "--mode", "pingpong",
                 "--conns", "2", "--size", "1K")
    print("# a server that echoes twice: %d mismatched of %d bytes in, %d "
          "messages" % (r["mismatches"], r["bytes_in"], r["messages"]))
    assert rc == 1 and r["mismatches"] > 0, r
    # Each wrong byte once (it was counted again on every read: 236
    # billion of 1.1 GB), and no message made of bytes never received.
    assert r["mismatches"] <= r["bytes_in"], r
    assert r["messages"] * 1024 <= r["bytes_in"], r


class DamagingUdpEcho:
    """A UDP echo that flips one bit of every datagram's first byte."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                b, a = self.sock.recvfrom(70000)
            except OSError:
                return
            self.sock.sendto(bytes([b[0] ^ 1]) + b[1:], a)


def test_damaged_datagrams_are_mismatches_not_late():
    srv = DamagingUdpEcho()
    rc, r = load("--port", str(srv.port), "--mode", "udp", "--conns", "2",
                 "--min-echoed", "0")
    print("# a UDP echo that damages every datagram: exit %d, %d bytes "
          "mismatched, %d late" % (rc, r["mismatches"], r["late"]))
    assert rc == 1 and r["mismatches"] > 0, r
    srv.sock.close()


def test_sighup_ends_the_run_with_a_report():
    with Echod("--listen", "127.0.0.1:0") as d:
        port = d.addrs[0].rsplit(":", 1)[1]
        p = subprocess.Popen([LOAD, "--quiet", "--port", port, "--seconds",
                              "30"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        p.send_signal(signal.SIGHUP)
        out, _ = p.communicate(timeout=WAIT)
        r = json.loads(out)
        assert r["interrupted"] and r["seconds"] < 10, r
        d.stop()


def test_usage_errors_exit_64():
    p = subprocess.run([LOAD, "--mode", "flood"], capture_output=True,
                       text=True, timeout=WAIT)
    assert p.returncode == 64 and "'flood'" in p.stderr, p
    # More connections than descriptors: refused before a byte is
    # allocated (it used to grow to 861 MB, ignoring SIGTERM).
    p = subprocess.run([LOAD, "--conns", "10000000"], capture_output=True,
                       text=True, timeout=WAIT)
    assert p.returncode == 64 and "open-file limit" in p.stderr, p
    p = subprocess.run([LOAD, "--seconds", "0.05"], capture_output=True,
                       text=True, timeout=WAIT)
    assert p.returncode == 64 and "0.1 to 86400" in p.stderr, p



class StallingEcho:
    """An echo server that stalls once, for STALL seconds, AFTER seconds
    after the first bytes arrive (a GC pause, a page fault storm)."""

    def __init__(self, after=1.0, stall=0.2):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.after, self.stall = after, stall
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        first, stalled = None, False
        while True:
            for key, _ in sel.select():
                if key.fileobj is self.sock:
                    c = self.sock.accept()[0]
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sel.register(c, selectors.EVENT_READ)
                    continue
                data = key.fileobj.recv(65536)
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                first = first or time.monotonic()
                if not stalled and time.monotonic() - first >= self.after:
                    stalled = True
                    time.sleep(self.stall)
                key.fileobj.sendall(data)


def test_rate_shows_a_stall_that_closed_loop_hides():
    # Closed loop, a stalled server stops the generator too: the stall is
    # one slow message per connection.  Open loop (--rate), every message
    # due during it waits, and is charged from when it was due.
    runs = {}
    for name, extra in (("closed", []), ("rate", ["--rate", "10000"])):
        srv = StallingEcho()
        rc, r, err, _ = load_raw(["--port", str(srv.port), "--conns", "5",
                                  "--seconds", "3"] + extra)
        assert_clean(rc, r)
        runs[name] = r
        print("# %s loop against a server that stalls 200 ms once: %d "
              "msgs, latency from due p99 %.1f ms p99.9 %.1f ms max %.1f "
              "ms; from sent p99.9 %.1f ms; %d never sent"
              % (name, r["messages"], r["latency_us"]["p99"] / 1e3,
                 r["latency_us"]["p999"] / 1e3, r["latency_us"]["max"] / 1e3,
                 r["latency_sent_us"]["p999"] / 1e3, r["behind"]))
    closed, rate = runs["closed"], runs["rate"]
    # The stall happened in both runs...
    assert closed["latency_us"]["max"] >= 150e3, closed
    assert rate["latency_us"]["max"] >= 150e3, rate
    # ...and only the open loop shows it where it belongs.
    assert rate["latency_us"]["p999"] >= 150e3, rate
    assert closed["latency_us"]["p999"] < 50e3, closed
    # Closed loop, due and sent are the same moment.
    assert closed["latency_sent_us"] == closed["latency_us"], closed
    assert rate["rate"] == 10000 and closed["rate"] == 0
