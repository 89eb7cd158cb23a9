"""HAProxy for the tests and bench/scaleout: docs/haproxy.cfg, run as
it is written except for the addresses (frontend port, stats socket,
servers), which each run puts in."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from echodtest import WAIT, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
DOC_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "docs", "haproxy.cfg")


def sub_once(pattern, repl, text):
    out, n = re.subn(pattern, repl, text, flags=re.M)
    assert n == 1, "docs/haproxy.cfg: %r matched %d times" % (pattern, n)
    return out


def config(port, admin, servers, inter="100ms", proxy=False):
    """docs/haproxy.cfg with these addresses; SERVERS is [(name, addr)]."""
    with open(DOC_CONFIG) as f:
        text = f.read()
    text = sub_once(r"^(\s+bind )\S+$", r"\g<1>127.0.0.1:%d" % port, text)
    text = sub_once(r"^(\s+stats socket )\S+", r"\g<1>" + admin, text)
    lines = "".join("    server %s %s check inter %s fall 2 rise 2%s\n"
                    % (name, addr, inter, " send-proxy-v2 check-send-proxy" if proxy else "")
                    for name, addr in servers)
    text, n = re.subn(r"^\s+server .*\n", "", text, flags=re.M)
    assert n > 0, "docs/haproxy.cfg has no server lines"
    return text + lines


class HAProxy:
    """haproxy -db (foreground) on docs/haproxy.cfg; stats over its admin
    socket."""

    def __init__(self, servers, inter="100ms", proxy=False):
        if not os.path.exists(HAPROXY):
            raise AssertionError("haproxy is not installed; tests/run.sh "
                                 "installs it (apt-get install haproxy)")
        self.dir = tempfile.mkdtemp(prefix="echod-haproxy-")
        self.admin = os.path.join(self.dir, "admin.sock")
        self.port = free_port()
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(config(self.port, self.admin, servers, inter, proxy))
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
