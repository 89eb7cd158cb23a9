"""UDP echo loops ("Loop DoS", CVE-2024-2169 names echo): one forged
datagram must never start an endless exchange.  Proved in the cases that
matter, each with a real client still served: a datagram forged from
echod's own address and port, one between two of its listeners, and one
between two echod instances on the same port in two network namespaces
(two hosts: the README's echod@7000 on two machines)."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from echodtest import ECHOD, WAIT, Echod, forged_udp, need_root, wait_until


@pytest.fixture(autouse=True)
def root_only():
    need_root("forging datagrams (a raw socket)")


def udp_stats(d):
    """The UDP part of the latest stats line (SIGUSR1)."""
    n = d.log().count("stats: ")
    time.sleep(1.1)                 # SIGUSR1 logs at most once a second
    d.signal(signal.SIGUSR1)
    wait_until(lambda: d.log().count("stats: ") > n, what="stats line")
    line = d.log().split("stats: ")[-1]
    m = re.search(r"udp (\d+) datagrams in, (\d+) out, dropped (\d+) "
                  r"reflector-port, (\d+) own-port, (\d+) bad-source, "
                  r"(\d+) loop", line)
    assert m, line
    return dict(zip(("in", "out", "privileged", "own", "bad", "loop"),
                    map(int, m.groups())))


def udp_port(addr):
    return int(addr.rsplit(":", 1)[1])


def answered(host, port, data=b"real client\n", bind=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if bind:
        s.bind((bind, 0))
    s.settimeout(2)
    s.sendto(data, (host, port))
    try:
        return s.recvfrom(100)[0] == data
    except socket.timeout:
        return False
    finally:
        s.close()


def test_datagram_forged_from_echods_own_address_is_not_answered():
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        port = udp_port(d.addrs[0])
        forged_udp("127.0.0.1", port, "127.0.0.1", port, b"loop me\n")
        time.sleep(0.5)
        st = udp_stats(d)
        print("# self-addressed datagram: %s" % st)
        assert st["in"] == 1 and st["out"] == 0 and st["own"] == 1, st
        assert answered("127.0.0.1", port)
        d.stop()


def test_datagram_between_two_listeners_is_not_answered():
    with Echod("--listen", "udp:127.0.0.1:0",
               "--listen", "udp:127.0.0.2:0") as d:
        p1, p2 = udp_port(d.addrs[0]), udp_port(d.addrs[1])
        forged_udp("127.0.0.2", p2, "127.0.0.1", p1, b"loop me\n")
        time.sleep(0.5)
        st = udp_stats(d)
        print("# %d -> %d forged: %s" % (p2, p1, st))
        assert st["in"] == 1 and st["out"] == 0 and st["own"] == 1, st
        assert answered("127.0.0.1", p1) and answered("127.0.0.2", p2)
        d.stop()


def test_broadcast_and_privileged_sources_are_not_answered():
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        port = udp_port(d.addrs[0])
        forged_udp("255.255.255.255", 40000, "127.0.0.1", port, b"b\n")
        forged_udp("127.0.0.1", 19, "127.0.0.1", port, b"chargen\n")
        forged_udp("127.0.0.1", 123, "127.0.0.1", port, b"ntp\n")
        time.sleep(0.5)
        st = udp_stats(d)
        assert st["in"] == 3 and st["out"] == 0, st
        assert st["bad"] == 1 and st["privileged"] == 2, st
        d.stop()


def test_loop_between_two_echo_services_on_other_ports_is_broken():
    # Two echod on unprivileged ports that are not each other's: the
    # port rules cannot see it; the loop breaker does.
    with Echod("--listen", "udp:127.0.0.1:0", "--udp-rate", "0") as a, \
         Echod("--listen", "udp:127.0.0.1:0", "--udp-rate", "0") as b:
        pa, pb = udp_port(a.addrs[0]), udp_port(b.addrs[0])
        forged_udp("127.0.0.1", pb, "127.0.0.1", pa, b"loop me\n")
        time.sleep(1)
        sa, sb = udp_stats(a), udp_stats(b)
        time.sleep(1)
        sa2 = udp_stats(a)
        print("# one datagram forged %d -> %d: a %s, b %s; a second later "
              "a has %d in" % (pb, pa, sa, sb, sa2["in"]))
        assert sa["loop"] + sb["loop"] == 1, (sa, sb)
        assert sa2["in"] == sa["in"], "the loop goes on"
        assert sa["in"] <= 600, sa
        assert answered("127.0.0.1", pa) and answered("127.0.0.1", pb)
        a.stop()
        b.stop()


def test_many_loops_at_once_are_ended_by_the_default_rate():
    # More loops than the breaker remembers (17, each its own bytes), and
    # the default --udp-rate: the first drop of each loop ends it.
    with Echod("--listen", "udp:127.0.0.1:0") as a, \
         Echod("--listen", "udp:127.0.0.1:0") as b:
        pa, pb = udp_port(a.addrs[0]), udp_port(b.addrs[0])
        for i in range(17):
            forged_udp("127.0.0.1", pb, "127.0.0.1", pa, b"loop %02d\n" % i)
        time.sleep(1)
        sa = udp_stats(a)
        time.sleep(1)
        sa2 = udp_stats(a)
        print("# 17 loops forged %d -> %d: a %s; a second later a has %d in"
              % (pb, pa, sa, sa2["in"]))
        assert sa2["in"] == sa["in"], "the loops go on"
        assert answered("127.0.0.1", pa) and answered("127.0.0.1", pb)
        a.stop()
        b.stop()


class SlowEcho:
    """A naive UDP echo service that answers DELAY seconds later (a peer
    across a WAN), in a thread, on 127.0.0.1."""

    def __init__(self, delay):
        import heapq
        import threading
        self.heapq, self.delay, self.echoed = heapq, delay, 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.005)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        queue, seq = [], 0
        while self.running:
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, _, data, addr = self.heapq.heappop(queue)
                self.sock.sendto(data, addr)
                self.echoed += 1
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            seq += 1
            self.heapq.heappush(queue, (time.monotonic() + self.delay, seq,
                                        data, addr))

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def test_many_loops_with_a_slow_peer_all_end():
    # 30 datagrams forged from a peer 25 ms away: 30 loops interleaved,
    # each echoing a reply 30 back, at 1200/s: under the default rate
    # they used to go on for ever (a hostile pass measured 985/s each
    # way for 55 s, after the forger had stopped).
    peer = SlowEcho(0.025)
    try:
        with Echod("--listen", "udp:127.0.0.1:0") as d:
            port = udp_port(d.addrs[0])
            for i in range(30):
                forged_udp("127.0.0.1", peer.port, "127.0.0.1", port,
                           b"loop %02d\n" % i)
                time.sleep(0.001)
            time.sleep(3)
            st = udp_stats(d)
            time.sleep(2)
            st2 = udp_stats(d)
            print("# 30 loops forged from a peer 25 ms away: %s; two "
                  "seconds later %d in; the peer echoed %d"
                  % (st, st2["in"], peer.echoed))
            assert st2["in"] == st["in"], "the loops go on"
            assert st["loop"] >= 1, st
            assert st["in"] <= 30 + 256 + 3 * 30, st
            assert answered("127.0.0.1", port)
            d.stop()
    finally:
        peer.close()


class Netns:
    """Two network namespaces, a and b, joined by a veth pair:
    10.77.0.1/24 in a, 10.77.0.2/24 in b."""

    def __init__(self):
        tag = "%d" % os.getpid()
        self.a, self.b = "echod-a-" + tag, "echod-b-" + tag
        try:
            self.ip("netns", "add", self.a)
            self.ip("netns", "add", self.b)
            self.ip("link", "add", "ea" + tag, "netns", self.a, "type",
                    "veth", "peer", "name", "eb" + tag, "netns", self.b)
            for ns, dev, addr in ((self.a, "ea" + tag, "10.77.0.1/24"),
                                  (self.b, "eb" + tag, "10.77.0.2/24")):
                self.ip_in(ns, "addr", "add", addr, "dev", dev)
                self.ip_in(ns, "link", "set", dev, "up")
                self.ip_in(ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()        # no namespace left behind
            raise

    @staticmethod
    def enter(ns):
        """A command prefix that runs in namespace NS's network only.
        nsenter, not `ip netns exec`: that one also remounts "/", which
        fails where "/" is no mount point (a chroot)."""
        return ["nsenter", "--net=/run/netns/" + ns]

    def ip_in(self, ns, *args):
        p = subprocess.run(self.enter(ns) + ["ip"] + list(args),
                           capture_output=True, text=True)
        assert p.returncode == 0, "ip %s: %s" % (" ".join(args), p.stderr)

    @staticmethod
    def ip(*args):
        p = subprocess.run(["ip"] + list(args), capture_output=True,
                           text=True)
        assert p.returncode == 0, "ip %s: %s" % (" ".join(args), p.stderr)

    def run_in(self, ns, code):
        """Python CODE inside namespace NS (echodtest importable)."""
        here = os.path.dirname(os.path.abspath(__file__))
        return subprocess.run(
            self.enter(ns) + ["python3", "-c",
                              "import sys; sys.path.insert(0, %r)\n%s"
                              % (here, code)],
            capture_output=True, text=True, timeout=WAIT)

    def close(self):
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def test_two_echod_hosts_on_the_same_port_do_not_loop():
    with Netns() as n:
        with Echod(*n.enter(n.a)[1:], ECHOD, "--listen",
                   "udp:10.77.0.1:7000", binary="nsenter") as a, \
             Echod(*n.enter(n.b)[1:], ECHOD, "--listen",
                   "udp:10.77.0.2:7000", binary="nsenter") as b:
            # Each side is sent a datagram "from" the other's echo port.
            for ns, src, dst in ((n.a, "10.77.0.2", "10.77.0.1"),
                                 (n.b, "10.77.0.1", "10.77.0.2")):
                p = n.run_in(ns, "from echodtest import forged_udp\n"
                             "forged_udp(%r, 7000, %r, 7000, b'ping')"
                             % (src, dst))
                assert p.returncode == 0, p.stderr
            time.sleep(1)
            sa, sb = udp_stats(a), udp_stats(b)
            print("# echod@7000 on two hosts, forged both ways: a %s, b %s"
                  % (sa, sb))
            for st in (sa, sb):
                assert st["in"] <= 2 and st["out"] == 0, (sa, sb)
            # Real clients on each host still get their echo from the
            # other one.
            for ns, host in ((n.b, "10.77.0.1"), (n.a, "10.77.0.2")):
                p = n.run_in(ns, "import socket\n"
                             "s = socket.socket(socket.AF_INET, "
                             "socket.SOCK_DGRAM)\n"
                             "s.settimeout(2)\n"
                             "s.sendto(b'real', (%r, 7000))\n"
                             "assert s.recvfrom(10)[0] == b'real'" % host)
                assert p.returncode == 0, p.stderr
            a.stop()
            b.stop()

