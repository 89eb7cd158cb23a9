"""Scale-out: echod instances behind HAProxy (Debian's haproxy, TCP mode).

HAProxy checks each instance by sending a line and expecting its echo, so
a process that accepts but does not echo is taken out, not just one whose
port is closed.  The load generator runs through HAProxy; one instance is
killed (SIGKILL) mid-run; its clients reconnect (echod-load --reconnect),
HAProxy sends them to the survivor, and every byte that comes back on any
connection is checked against what that connection sent."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from echodtest import WAIT, Echod, free_port, run

LOAD = os.environ["ECHOD_LOAD"]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 4000
    stats socket {admin} mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 500ms
    retries 3
    option redispatch

frontend echo
    bind 127.0.0.1:{port}
    default_backend echod

backend echod
    balance roundrobin
    option tcp-check
    tcp-check send "haproxy-health-check\\n"
    tcp-check expect string "haproxy-health-check"
{servers}
"""


class HAProxy:
    """haproxy -db (foreground) on a config we write; stats over its
    admin socket."""

    def __init__(self, servers):
        if not os.path.exists(HAPROXY):
            raise AssertionError("haproxy is not installed; tests/run.sh "
                                 "installs it (apt-get install haproxy)")
        self.dir = tempfile.mkdtemp(prefix="echod-haproxy-")
        self.admin = os.path.join(self.dir, "admin.sock")
        self.port = free_port()
        lines = "\n".join("    server %s %s check inter 100ms fall 2 rise 2"
                          % (name, addr) for name, addr in servers)
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(admin=self.admin, port=self.port,
                                  servers=lines))
        subprocess.run([HAPROXY, "-c", "-q", "-f", cfg], check=True)
        self.logfh = open(os.path.join(self.dir, "haproxy.log"), "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", cfg],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logfh, stderr=self.logfh)

    def log(self):
        with open(os.path.join(self.dir, "haproxy.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stat(self):
        """{server: row} from 'show stat' (CSV with a '# ' header)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(WAIT)
            s.connect(self.admin)
            s.sendall(b"show stat\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        lines = data.decode().splitlines()
        head = lines[0].lstrip("# ").split(",")
        rows = {}
        for line in lines[1:]:
            if line.startswith("echod,"):
                row = dict(zip(head, line.split(",")))
                rows[row["svname"]] = row
        return rows

    def wait_status(self, want):
        """Wait until each server in WANT has that status (UP/DOWN)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if os.path.exists(self.admin) and self.proc.poll() is None:
                rows = self.stat()
                if all(rows[n]["status"] == st for n, st in want.items()):
                    return rows
            elif self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("servers never reached %r; haproxy said:\n%s"
                             % (want, self.log()))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfh.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


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
                     r["connected"], r["messages"], r["mismatches"]))
            b_new = int(rows["b"]["stot"]) - b_sessions_at_kill
            print("# haproxy: a %s (%s), b %s; %d sessions opened on b "
                  "after the kill, %s redispatched from a"
                  % (rows["a"]["status"], rows["a"]["check_status"],
                     rows["b"]["status"], b_new, rows["a"]["wredis"]))
            assert r["mismatches"] == 0 and r["missing"] == 0, r
            assert r["errors"] == 0 and r["connect_failures"] == 0, r
            # Every client a had was cut and came back, on b.
            assert r["reconnects"] >= on_a, (r, on_a)
            assert r["connected"] == conns, r
            assert b_new >= on_a, (b_new, on_a)
        b.stop()


if __name__ == "__main__":
    run(globals())
