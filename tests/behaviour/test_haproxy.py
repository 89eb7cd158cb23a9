"""Scale-out: echod instances behind HAProxy (Debian's haproxy, TCP mode).

HAProxy checks each instance by sending a line and expecting its echo, so
a process that accepts but does not echo is taken out, not just one whose
port is closed.  The load generator runs through HAProxy; one instance is
killed (SIGKILL) mid-run; its clients reconnect (echod-load --reconnect),
HAProxy sends them to the survivor, and every byte that comes back on any
connection is checked against what that connection sent."""
import json
import os
import signal
import socket
import subprocess
import time

from echodtest import WAIT, Echod
from haproxytest import HAProxy

LOAD = os.environ["ECHOD_LOAD"]


def test_echo_health_check_takes_out_a_server_that_does_not_echo():
    # A socket that listens (the kernel completes handshakes) but never
    # reads: a port check would call it healthy; the echo check does not.
    with socket.socket() as mute, \
            Echod("--listen", "127.0.0.1:0") as d:
        mute.bind(("127.0.0.1", 0))
        mute.listen(16)
        mute_addr = "127.0.0.1:%d" % mute.getsockname()[1]
        with HAProxy([("echod", d.addrs[0]), ("mute", mute_addr)]) as hx:
            rows = hx.wait_status({"echod": "UP", "mute": "DOWN"})
            print("# health check by echo: echod %s, a listening socket "
                  "that never echoes %s (%s)"
                  % (rows["echod"]["status"], rows["mute"]["status"],
                     rows["mute"]["check_status"]))
            # All traffic now goes to the one that echoes.
            with socket.create_connection(("127.0.0.1", hx.port),
                                          timeout=WAIT) as s:
                s.sendall(b"through haproxy\n")
                got = b""
                while len(got) < 16:
                    b = s.recv(64)
                    assert b, got
                    got += b
            assert got == b"through haproxy\n", got
        d.stop()


def test_kill_one_instance_mid_run_clients_reconnect_nothing_corrupted():
    conns, seconds = 200, 4
    with Echod("--listen", "127.0.0.1:0") as a, \
            Echod("--listen", "127.0.0.1:0") as b:
        with HAProxy([("a", a.addrs[0]), ("b", b.addrs[0])]) as hx:
            hx.wait_status({"a": "UP", "b": "UP"})
            load = subprocess.Popen(
                [LOAD, "--quiet", "--port", str(hx.port), "--mode",
                 "pingpong", "--conns", str(conns), "--depth", "4",
                 "--seconds", str(seconds), "--reconnect"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Kill a once every client is connected, spread over both.
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                rows = hx.stat()
                if int(rows["a"]["scur"]) + int(rows["b"]["scur"]) == conns:
                    break
                time.sleep(0.05)
            time.sleep(0.5)     # mid-run: echoes are flowing
            rows = hx.stat()
            on_a, b_sessions_at_kill = int(rows["a"]["scur"]), \
                int(rows["b"]["stot"])
            assert on_a > 0 and int(rows["b"]["scur"]) > 0, rows
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            out, err = load.communicate(timeout=seconds + WAIT * 2)
            assert load.returncode == 0, (out, err)
            r = json.loads(out)
            rows = hx.wait_status({"a": "DOWN", "b": "UP"})
            print("# %d clients through HAProxy, %d of them on instance a "
                  "when it was killed: %d reconnects (%d bytes were in "
                  "flight on the cut connections), %d connected at the "
                  "end, %d messages echoed, %d mismatched bytes"
                  % (conns, on_a, r["reconnects"], r["cut_bytes"],
                     r["open"], r["messages"], r["mismatches"]))
            b_new = int(rows["b"]["stot"]) - b_sessions_at_kill
            print("# haproxy: a %s (%s), b %s; %d sessions opened on b "
                  "after the kill, %s redispatched from a"
                  % (rows["a"]["status"], rows["a"]["check_status"],
                     rows["b"]["status"], b_new, rows["a"]["wredis"]))
            assert r["mismatches"] == 0 and r["missing"] == 0, r
            assert r["errors"] == 0 and r["connect_failures"] == 0, r
            # Every client a had was cut and came back, on b.
            assert r["reconnects"] >= on_a, (r, on_a)
            assert r["open"] == conns, r
            assert b_new >= on_a, (b_new, on_a)
        b.stop()


def through(hx, src):
    """A client of HAProxy's frontend, from source address SRC."""
    s = socket.socket()
    s.settimeout(WAIT)
    s.bind((src, 0))
    s.connect(("127.0.0.1", hx.port))
    return s


def echoes(s, data=b"who am I?\n"):
    """True if S echoes DATA; False if it is closed instead."""
    try:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(64)
            if not b:
                return False
            got += b
        return got == data
    except (ConnectionResetError, BrokenPipeError):
        return False


def test_proxy_protocol_acl_and_per_ip_see_the_real_client():
    # Every client reaches echod from HAProxy's 127.0.0.1; the PROXY v2
    # header (send-proxy-v2) names the real source, and that is what
    # --deny and --max-conns-per-ip judge.
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--deny", "127.0.0.2", "--max-conns-per-ip", "2") as d:
        with HAProxy([("echod", d.addrs[0])], proxy=True) as hx:
            hx.wait_status({"echod": "UP"})   # checks send LOCAL headers
            denied = through(hx, "127.0.0.2")
            assert not echoes(denied)
            same, results = [], []
            for _ in range(3):          # one at a time: a known order
                same.append(through(hx, "127.0.0.3"))
                results.append(echoes(same[-1]))
            other = through(hx, "127.0.0.4")
            assert echoes(other)
            print("# through HAProxy with send-proxy-v2: 127.0.0.2 denied "
                  "by --deny; 127.0.0.3 x3 with --max-conns-per-ip 2: %s; "
                  "127.0.0.4 served" % results)
            assert results == [True, True, False], results
            for s in [denied, other] + same:
                s.close()
        d.stop()

