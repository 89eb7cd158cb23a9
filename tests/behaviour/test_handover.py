"""A restart that no client notices (--fd-store): SIGUSR2 then SIGTERM
hands every plain connection to systemd's file-descriptor store (in
parcels: Unix sockets whose queues hold them), and the next echod takes
them back.  systemd's side is played by FakeSystemd (a notify socket that
keeps what FDSTORE=1 sends, forgets what FDSTOREREMOVE=1 names and answers
BARRIER=1) and sdlaunch.py (LISTEN_FDS); tests/system/checks.py does the
same under a booted systemd."""
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time

import pytest

from echodtest import (ECHOD, WAIT, Echod, connect, need_fds, recv_exact,
                       wait_until)

LAUNCH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "sdlaunch.py")


class FakeSystemd:
    """The notify socket and file-descriptor store of systemd, in a
    thread: FDSTORE=1 keeps the fds under FDNAME, FDSTOREREMOVE=1 closes
    every fd of that name, BARRIER=1 closes the fd it came with."""

    def __init__(self, stalled=False):
        self.stalled = threading.Event()
        if stalled:
            self.stalled.set()
        self.dir = tempfile.mkdtemp(prefix="echod-fakesd-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.store = []                 # [name, fd], oldest first
        self.messages = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        space = socket.CMSG_SPACE(253 * 4)
        while not self.done.is_set():
            if self.stalled.is_set():   # PID 1 busy: reads nothing
                time.sleep(0.05)
                continue
            try:
                msg, anc, _, _ = self.sock.recvmsg(4096, space)
            except socket.timeout:
                continue
            fds = []
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and \
                        kind == socket.SCM_RIGHTS:
                    fds += list(memoryview(data).cast("i"))
            self.handle(msg.decode(), fds)

    def handle(self, text, fds):
        fields = dict(line.split("=", 1) for line in text.split("\n")
                      if "=" in line)
        with self.lock:
            self.messages.append(text)
            if fields.get("FDSTORE") == "1":
                name = fields.get("FDNAME", "stored")
                self.store += [[name, fd] for fd in fds]
                return
            if fields.get("FDSTOREREMOVE") == "1":
                keep = []
                for name, fd in self.store:
                    if name == fields.get("FDNAME"):
                        os.close(fd)
                    else:
                        keep.append([name, fd])
                self.store = keep
        for fd in fds:                  # BARRIER=1's, or stray ones
            os.close(fd)

    def names(self):
        with self.lock:
            return [name for name, _ in self.store]

    def drop(self, prefix):
        """Lose what a crashed handover would not have sent."""
        with self.lock:
            for name, fd in self.store:
                if name.startswith(prefix):
                    os.close(fd)
            self.store = [e for e in self.store
                          if not e[0].startswith(prefix)]

    def close(self):
        self.done.set()
        self.thread.join()
        with self.lock:
            for _, fd in self.store:
                os.close(fd)
            self.store = []
        self.sock.close()


STARTED = []


@pytest.fixture(autouse=True)
def no_echod_left():
    """Whatever a failing test left running is killed."""
    yield
    while STARTED:
        d = STARTED.pop()
        d.kill()
        d.logfh.close()
        os.unlink(d.logfile)


def start(fake, listener, *args, stored=True):
    """echod on LISTENER (as echod.socket) and whatever FAKE stores."""
    with fake.lock:
        entries = list(fake.store) if stored else []
    fds = [listener.fileno()] + [fd for _, fd in entries]
    names = ["echod.socket"] + [name for name, _ in entries]
    d = Echod(LAUNCH, ECHOD, "--fd-store", "100000", *args,
              binary=sys.executable, pass_fds=fds,
              env={"NOTIFY_SOCKET": fake.path,
                   "SDLAUNCH_FDS": ",".join(map(str, fds)),
                   "SDLAUNCH_NAMES": ":".join(names)})
    STARTED.append(d)
    return d


def restart(d, fake):
    """What `systemctl restart` does: ExecStop's SIGUSR2, then SIGTERM."""
    d.signal(signal.SIGUSR2)
    d.wait_log(r"SIGUSR2: the next SIGTERM is a restart")
    d.signal(signal.SIGTERM)
    rc = d.wait()
    d.check_sanitizers()
    assert rc == 0, d.log()
    return d.log()


class Talker:
    """A client echoing 1 KiB at a time until told to stop, then a
    half-close; every byte is compared, and the longest wait kept."""

    def __init__(self, port):
        self.s = connect("127.0.0.1:%d" % port)
        self.rng = random.Random(port ^ id(self))
        self.sent = self.got = 0
        self.bad = None
        self.longest = 0.0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        try:
            while not self.stop.is_set():
                data = self.rng.randbytes(1024)
                t0 = time.monotonic()
                self.s.sendall(data)
                back = recv_exact(self.s, len(data))
                self.longest = max(self.longest, time.monotonic() - t0)
                self.sent += len(data)
                self.got += len(back)
                if back != data:
                    self.bad = "mismatch after %d bytes" % self.got
                    return
                time.sleep(0.005)
            self.s.shutdown(socket.SHUT_WR)
            if self.s.recv(1) != b"":
                self.bad = "bytes after the last echo"
        except (OSError, AssertionError) as e:    # recv_exact: EOF
            self.bad = "%s after %d bytes" % (e, self.got)
        finally:
            self.s.close()

    def finish(self):
        self.stop.set()
        self.t.join(WAIT)
        return self.bad


def listening():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    return s, s.getsockname()[1]


def crowd(port, n):
    """N clients, each through one echo."""
    clients = [connect("127.0.0.1:%d" % port) for _ in range(n)]
    echo_all(clients, b"a")
    return clients


def echo_all(clients, byte):
    """BYTE to every client first, then its echo from each."""
    for c in clients:
        c.sendall(byte)
    for c in clients:
        assert recv_exact(c, 1) == byte


def assert_ended(s):
    """echod closed S: EOF (or a reset), never an echo."""
    s.settimeout(WAIT)
    try:
        s.sendall(b"x")
        assert s.recv(1) == b""
    except ConnectionResetError:
        pass


def test_restart_keeps_every_connection_and_every_byte():
    fake = FakeSystemd()
    lsock, port = listening()
    talkers = []
    try:
        d = start(fake, lsock, "--workers", "2")
        talkers = [Talker(port) for _ in range(40)]
        time.sleep(0.3)
        pauses = []
        for round_ in range(3):
            t0 = time.monotonic()
            log = restart(d, fake)
            assert "handed 40 connections to systemd's store" in log, log
            names = fake.names()
            # A parcel per worker that had connections, and the mark.
            assert 1 <= sum(n.startswith("echod-parcel.")
                            for n in names) <= 2, names
            assert sum(n.startswith("echod-done.") for n in names) == 1
            d = start(fake, lsock, "--workers", "2")
            d.wait_log(r"took back 40 connections")
            pauses.append(time.monotonic() - t0)
            # systemd was told to forget them all (and what marked them).
            wait_until(lambda: fake.names() == [], what="the store emptied")
            time.sleep(0.3)
        bad = [t.finish() for t in talkers]
        assert bad == [None] * 40, bad
        total = sum(t.got for t in talkers)
        print("# 3 restarts with 40 clients echoing 1 KiB each: %d bytes "
              "back, exact; restart to serving again %.2f-%.2f s; the "
              "longest a client waited for an echo %.2f s"
              % (total, min(pauses), max(pauses),
                 max(t.longest for t in talkers)))
        d.stop()
    finally:
        for t in talkers:
            t.stop.set()
        fake.close()
        lsock.close()


# The old echod died after handing connections over but before marking
# the handover whole: the new one must not serve them (whatever they had
# read may be lost), only close them and clear the store.
def test_an_unfinished_handover_is_closed_not_served():
    fake = FakeSystemd()
    lsock, port = listening()
    try:
        d = start(fake, lsock)
        clients = crowd(port, 5)
        restart(d, fake)
        fake.drop("echod-done.")
        d = start(fake, lsock)
        d.wait_log(r"closed 5 connections from a handover that never "
                   r"finished")
        for c in clients:
            assert_ended(c)
            c.close()
        assert "took back" not in d.log()
        wait_until(lambda: fake.names() == [], what="the store emptied")
        d.stop()
    finally:
        fake.close()
        lsock.close()


# Without SIGUSR2 a SIGTERM is a stop: connections drain as always and
# nothing reaches the store.
def test_sigterm_alone_drains_and_stores_nothing():
    fake = FakeSystemd()
    lsock, port = listening()
    try:
        d = start(fake, lsock)
        c = connect("127.0.0.1:%d" % port)
        c.sendall(b"before")
        assert recv_exact(c, 6) == b"before"
        d.signal(signal.SIGTERM)
        d.wait_log(r"draining 1 connections")
        c.sendall(b"during")
        assert recv_exact(c, 6) == b"during"
        c.shutdown(socket.SHUT_WR)
        assert c.recv(1) == b""
        c.close()
        assert d.wait() == 0
        assert fake.names() == []
        assert "FDSTORE=1" not in "".join(fake.messages)
    finally:
        fake.close()
        lsock.close()


# A client that stopped reading cannot have its echo written out: it is
# closed at --drain-timeout, and the others still move.
def test_a_client_that_does_not_read_is_closed_the_rest_survive():
    fake = FakeSystemd()
    lsock, port = listening()
    talkers = []
    try:
        d = start(fake, lsock, "--drain-timeout", "1",
                  "--buffer-limit", "64K")
        stuck = connect("127.0.0.1:%d" % port, rcvbuf=4096)
        stuck.setblocking(False)
        sent = 0
        try:
            while sent < 8 << 20:
                sent += stuck.send(b"z" * 65536)
        except BlockingIOError:
            pass
        talkers = [Talker(port) for _ in range(5)]
        time.sleep(0.3)
        t0 = time.monotonic()
        log = restart(d, fake)
        took = time.monotonic() - t0
        assert "handed 5 connections" in log, log
        assert 0.8 < took < 5, took
        d = start(fake, lsock)
        d.wait_log(r"took back 5 connections")
        time.sleep(0.3)
        bad = [t.finish() for t in talkers]
        assert bad == [None] * 5, bad
        print("# restart with a client that does not read: it was closed "
              "after --drain-timeout 1 (the old echod took %.2f s), the "
              "5 others kept their connection and every byte" % took)
        stuck.close()
        d.stop()
    finally:
        for t in talkers:
            t.stop.set()
        fake.close()
        lsock.close()


# The client a PROXY header named survives the handover: the next echod's
# ACL judges it, not the balancer the socket comes from (127.0.0.1).
def test_the_proxy_header_client_survives_a_restart():
    from test_proxy import v2
    fake = FakeSystemd()
    lsock, port = listening()
    proxy = ("--proxy-protocol", "--proxy-from", "127.0.0.1",
             "--log-level", "debug")
    try:
        d = start(fake, lsock, *proxy)
        keep = connect("127.0.0.1:%d" % port)
        keep.sendall(v2("198.51.100.1") + b"k")
        gone = connect("127.0.0.1:%d" % port)
        gone.sendall(v2("192.0.2.7") + b"g")
        assert recv_exact(keep, 1) == b"k"
        assert recv_exact(gone, 1) == b"g"
        restart(d, fake)
        # The next echod denies 192.0.2.0/24: only the header says that
        # is where the second client is.
        d = start(fake, lsock, *proxy, "--deny", "192.0.2.0/24")
        d.wait_log(r"took back 1 connections .*\(1 refused by")
        d.wait_log(r"refused 192\.0\.2\.7:40000: denied by --allow/--deny")
        keep.sendall(b"after")
        assert recv_exact(keep, 5) == b"after"
        assert_ended(gone)
        # And again: the restored one keeps its client for the next,
        # which denies 198.51.100.0/24 and so closes it.
        restart(d, fake)
        d = start(fake, lsock, *proxy, "--deny", "198.51.100.0/24")
        d.wait_log(r"refused 198\.51\.100\.1:40000: denied")
        assert_ended(keep)
        d.stop()
        keep.close()
        gone.close()
    finally:
        fake.close()
        lsock.close()


# systemd stops reading its notify socket during a handover (PID 1 busy
# or hung) while the messages still fit its queue: the old echod waits for
# the barrier (5 s at most) and exits, and once systemd reads again the
# next echod finds every connection.
def test_a_stalled_systemd_costs_one_wait_and_loses_nothing():
    fake = FakeSystemd()
    lsock, port = listening()
    try:
        d = start(fake, lsock, "--workers", "2")
        clients = crowd(port, 700)
        fake.stalled.set()
        t0 = time.monotonic()
        log = restart(d, fake)
        took = time.monotonic() - t0
        assert "systemd did not confirm the handover" in log, log
        assert took < 12, took
        fake.stalled.clear()
        wait_until(lambda: any(n.startswith("echod-done.")
                               for n in fake.names()),
                   what="the queue read")
        d = start(fake, lsock)
        d.wait_log(r"took back 700 connections")
        echo_all(clients, b"t")
        print("# systemd stalled during a handover of 700: the old echod "
              "exited 0 after %.1f s (one 5 s wait); once systemd read "
              "again the next echod took all 700 back" % took)
        for c in clients:
            c.close()
        d.stop()
    finally:
        fake.close()
        lsock.close()


# Past what one name per connection allowed: systemd passes every stored
# name in one environment string (Linux caps it at 128 KiB, about 4,600
# names of "echod-conn.GEN"), and compares each new descriptor with all it
# holds.  Parcels keep it to a few names whatever the count.
def test_six_thousand_connections_cross_a_restart():
    need_fds(13000)
    fake = FakeSystemd()
    lsock, port = listening()
    clients = []
    try:
        d = start(fake, lsock, "--workers", "2")
        clients = crowd(port, 6000)
        t0 = time.monotonic()
        log = restart(d, fake)
        assert "handed 6000 connections" in log, log
        names = fake.names()
        assert len(names) <= 3, names       # 2 parcels and the mark
        d = start(fake, lsock, "--workers", "2")
        d.wait_log(r"took back 6000 connections")
        took = time.monotonic() - t0
        echo_all(clients, b"b")
        print("# 6000 connections across a restart in %d names (%s): "
              "%.2f s from SIGUSR2 to the next echod serving, every one "
              "echoes" % (len(names), ", ".join(sorted(set(
                  n.split(".")[0] for n in names))), took))
        for c in clients:
            c.close()
        d.stop()
    finally:
        for c in clients:
            c.close()
        fake.close()
        lsock.close()


# A connection whose echo is still queued when the restart begins (the
# client reads slowly): the old echod writes it all out before handing
# the socket over, and the stream comes back whole.
def test_a_stream_with_queued_echo_crosses_a_restart_exact():
    fake = FakeSystemd()
    lsock, port = listening()
    try:
        d = start(fake, lsock)
        data = os.urandom(3 << 20)
        s = connect("127.0.0.1:%d" % port, rcvbuf=16384)
        got = bytearray()

        def reader():
            while True:
                b = s.recv(4096)
                if not b:
                    return
                got.extend(b)
                time.sleep(0.001)           # a slow reader
        r = threading.Thread(target=reader)
        r.start()
        s.sendall(data[:len(data) // 2])
        log = restart(d, fake)
        assert "handed 1 connections" in log, log
        d = start(fake, lsock)
        s.sendall(data[len(data) // 2:])
        s.shutdown(socket.SHUT_WR)
        r.join(60)
        assert bytes(got) == data, (len(got), len(data))
        s.close()
        d.stop()
    finally:
        fake.close()
        lsock.close()


# More messages than the notify queue holds while systemd is stalled
# (16 workers: 16 parcels and the mark; net.unix.max_dgram_qlen is 10
# where systemd's sysctl defaults are not applied): each worker waits for
# room instead of giving up, so a short stall loses nothing.
def test_many_workers_wait_out_a_short_stall():
    fake = FakeSystemd()
    lsock, port = listening()
    try:
        d = start(fake, lsock, "--workers", "16")
        clients = crowd(port, 400)
        fake.stalled.set()
        threading.Timer(3.0, fake.stalled.clear).start()
        t0 = time.monotonic()
        log = restart(d, fake)
        took = time.monotonic() - t0
        assert "handed 400 connections" in log, log
        d = start(fake, lsock, "--workers", "2")
        d.wait_log(r"took back 400 connections")
        echo_all(clients, b"t")
        print("# 16 workers, systemd stalled 3 s: the old echod took "
              "%.1f s and the next took all 400 back" % took)
        for c in clients:
            c.close()
        d.stop()
    finally:
        fake.close()
        lsock.close()
