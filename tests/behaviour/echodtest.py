"""Helpers for echod's behaviour tests: start the real daemon, talk to it
over real sockets, read its log.  The tests are plain test_* functions run
by pytest (tests/meson.build runs one pytest per file); conftest.py adds
the fixtures.  Standard library only, but for pytest's skip.
"""
import os
import random
import re
import resource
import signal
import socket
import subprocess
import tempfile
import threading
import time

ECHOD = os.environ.get("ECHOD", "echod")
SANITIZED = os.environ.get("ECHOD_SANITIZED", "") not in ("", "0")
# Generous: these bound waits for events, they are not performance checks.
WAIT = 20.0 if SANITIZED else 10.0


class Echod:
    """One running echod; its stderr goes to a file we can read."""

    def __init__(self, *args, env=None, preexec_fn=None, wait_ready=True,
                 binary=None, stderr_path=None, user=None, pass_fds=()):
        if stderr_path is None:
            fd, stderr_path = tempfile.mkstemp(prefix="echod-log-")
            os.close(fd)
        self.logfile = stderr_path
        self.logfh = open(self.logfile, "wb")
        full_env = dict(os.environ)
        full_env.pop("JOURNAL_STREAM", None)
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen(
            [binary or ECHOD] + list(args), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.logfh, env=full_env,
            preexec_fn=preexec_fn, user=user, pass_fds=pass_fds)
        self.addrs = []
        if wait_ready:
            self.wait_ready()

    def log(self):
        with open(self.logfile, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=WAIT):
        """Wait until the log matches PATTERN (a regex); return the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log(), re.M)
            if m:
                return m
            if self.proc.poll() is not None:
                m = re.search(pattern, self.log(), re.M)
                if m:
                    return m
                raise AssertionError("echod exited %s before logging %r:\n%s"
                                     % (self.proc.returncode, pattern,
                                        self.log()))
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %r in log:\n%s"
                             % (pattern, self.log()))

    def wait_ready(self):
        self.wait_log(r"started \(")
        time.sleep(0.05)  # let the listener lines follow the banner
        self.addrs = re.findall(r"listening on (\S+)", self.log())
        assert self.addrs, self.log()
        return self.addrs

    def addr(self, family="inet"):
        """First listener address of FAMILY: inet, inet6 or unix."""
        for a in self.addrs:
            if family == "unix" and a.startswith("unix:"):
                return a
            if family == "inet6" and a.startswith("["):
                return a
            if family == "inet" and re.match(r"\d", a):
                return a
        raise AssertionError("no %s listener in %s" % (family, self.addrs))

    def pid(self):
        return self.proc.pid

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=WAIT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("echod did not exit within %ss:\n%s"
                                 % (timeout, self.log()))

    def stop(self):
        """SIGTERM and expect a clean exit 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait()
        self.check_sanitizers()
        assert rc == 0, "echod exited %s:\n%s" % (rc, self.log())

    def check_sanitizers(self):
        log = self.log()
        for marker in ("ERROR: AddressSanitizer", "runtime error:",
                       "ERROR: LeakSanitizer"):
            assert marker not in log, log

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.logfh.close()
        if exc[0] is None:
            os.unlink(self.logfile)
        return False


def run_cmd(args, **kw):
    """Run echod to completion (for start-up errors); returns
    (exit code, stdout, stderr)."""
    env = dict(kw.pop("env", None) or os.environ)
    env.pop("JOURNAL_STREAM", None)
    p = subprocess.run([ECHOD] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=WAIT, env=env, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def split_addr(addr):
    """'127.0.0.1:7' / '[::1]:7' / 'unix:/p' -> (family, sockaddr)."""
    if addr.startswith("unix:"):
        path = addr[5:]
        if path.startswith("@"):
            path = "\0" + path[1:]
        return socket.AF_UNIX, path
    if addr.startswith("["):
        host, port = addr[1:].split("]:")
        return socket.AF_INET6, (host, int(port))
    host, port = addr.rsplit(":", 1)
    return socket.AF_INET, (host, int(port))


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def connect(addr, timeout=WAIT, rcvbuf=None):
    family, sa = split_addr(addr)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if rcvbuf:  # before connect, so the window is small from the start
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(sa)
    return s


def recv_exact(s, n):
    chunks, got = [], 0
    while got < n:
        b = s.recv(min(1 << 20, n - got))
        if not b:
            raise AssertionError("EOF after %d of %d bytes" % (got, n))
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def recv_all(s):
    """Read until EOF."""
    chunks = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def echo_once(addr, data=b"ping\n"):
    with connect(addr) as s:
        s.sendall(data)
        got = recv_exact(s, len(data))
    assert got == data, (got, data)


def roundtrip_halfclose(addr, data):
    """Connect, then roundtrip_halfclose_on()."""
    return roundtrip_halfclose_on(connect(addr), data)


def roundtrip_halfclose_on(s, data):
    """Send DATA on S while reading in a thread, shut down our write side,
    read to EOF, close; returns what came back."""
    result = {}

    def reader():
        try:
            result["data"] = recv_all(s)
        except Exception as e:  # reported below
            result["error"] = e
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(WAIT * 3)
    s.close()
    assert "error" not in result, result.get("error")
    assert not t.is_alive(), "reader still running"
    return result["data"]


def wait_until(pred, timeout=WAIT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def free_port():
    """A port that is free now, on both loopbacks, for tests that must name
    one before a server binds it.  It is taken below the kernel's ephemeral
    range: a port from that range can become some parallel test's client
    source port before the server binds it (this once failed a systemd
    test with "Address already in use")."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, max(low, 10001))
        try:
            for family, host in ((socket.AF_INET, "127.0.0.1"),
                                 (socket.AF_INET6, "::")):
                with socket.socket(family) as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError("no free port below %d" % low)


class NotifySocket:
    """A datagram socket standing in for systemd's notify socket.  Like
    systemd, it reads continuously (a thread), unless READ is false."""

    def __init__(self, abstract=False, read=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            self.name = "@echod-notify-%d-%d" % (os.getpid(), time.time_ns())
            self.sock.bind("\0" + self.name[1:])
        else:
            self.dir = tempfile.mkdtemp(prefix="echod-notify-")
            self.name = os.path.join(self.dir, "notify")
            self.sock.bind(self.name)
        self.messages = []     # (monotonic time, text)
        if read:
            threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            try:
                m = self.sock.recv(4096).decode()
            except OSError:
                return
            self.messages.append((time.monotonic(), m))

    def texts(self):
        return [m for _, m in list(self.messages)]

    def wait_for(self, pattern, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.texts():
                if re.search(pattern, m):
                    return m
            time.sleep(0.02)
        raise AssertionError("no %r in %r" % (pattern, self.texts()))


def metrics_addr(d):
    """(host, port) of a running echod's --metrics listener."""
    m = d.wait_log(r"metrics on http://(\S+)/metrics")
    host, port = m.group(1).rsplit(":", 1)
    return host, int(port)


def scrape(d, path="/metrics"):
    """GET PATH from D's metrics port; the body as text."""
    import urllib.request
    url = "http://%s:%d%s" % (metrics_addr(d) + (path,))
    with urllib.request.urlopen(url, timeout=WAIT) as r:
        return r.read().decode()


def pile_of_connects(addr, n, bind=None):
    """N non-blocking connects to ADDR ("host:port") that are never
    waited for; returns the sockets (the caller closes them)."""
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        if bind:
            s.bind((bind, 0))
        try:
            s.connect((host, int(port)))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def need_root(what):
    """Skip the calling test, with the reason, unless we are root."""
    if os.geteuid() != 0:
        import pytest
        pytest.skip("%s needs root (CI runs as root)" % what)


class NftTable:
    """An nft table of the test's own with RULES in an output chain
    ("tcp dport 4000 drop"), deleted on exit."""

    def __init__(self, *rules):
        need_root("an nft rule")
        self.name = "echodtest%d_%d" % (os.getpid(), id(self) % 100000)
        text = ("add table inet %s\nadd chain inet %s out { type filter "
                "hook output priority 0; }\n" % (self.name, self.name))
        for r in rules:
            text += "add rule inet %s out %s\n" % (self.name, r)
        subprocess.run(["nft", "-f", "-"], input=text, text=True,
                       check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["nft", "delete", "table", "inet", self.name])
        return False


def build_preload(src_text, tmpdir):
    """Compile SRC_TEXT (C) into a shared object for LD_PRELOAD; returns
    the environment that preloads it (ASan may not come first then)."""
    src = os.path.join(tmpdir, "shim.c")
    lib = os.path.join(tmpdir, "shim.so")
    with open(src, "w") as f:
        f.write(src_text)
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", lib, src,
                    "-ldl"], check=True)
    return {"LD_PRELOAD": lib,
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
            ":verify_asan_link_order=0"}


def assert_udp_port_not_shareable(port, host="127.0.0.1"):
    """No other socket, even one with SO_REUSEADDR, can bind HOST:PORT
    beside echod's and take its datagrams."""
    import errno
    thief = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        thief.bind((host, port))
        raise AssertionError("another socket bound %s:%d" % (host, port))
    except OSError as e:
        assert e.errno == errno.EADDRINUSE, e
    finally:
        thief.close()


def forged_udp(src, sport, dst, dport, payload):
    """Send an IPv4/UDP datagram from SRC:SPORT, any address (a raw
    socket, so root only), to DST:DPORT."""
    import struct
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        raw.sendto(ip + udp, (dst, 0))
    finally:
        raw.close()


def need_fds(n):
    """Raise this process's soft open-file limit to N if it is lower
    (Debian's default is 1024), up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n), hard))


def metric(text, name, labels=""):
    """The value of NAME{LABELS} in a /metrics TEXT."""
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    assert m, "no %s%s in:\n%s" % (name, labels, text)
    return float(m.group(1))
