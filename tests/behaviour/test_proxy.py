"""--proxy-protocol: a PROXY v2 header names the client, and --allow/
--deny and --max-conns-per-ip judge that client.  Headers are built here
byte by byte; test_haproxy.py runs the real HAProxy in front."""
import os
import signal
import socket
import struct
import tempfile
import time

from echodtest import WAIT, Echod, connect, recv_exact

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(src=None, port=40000, local=False):
    """A PROXY v2 header: TCP over IPv4 from SRC, or LOCAL."""
    if local:
        return SIG + b"\x20\x00\x00\x00"
    addrs = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + \
        struct.pack(">HH", port, 7777)
    return SIG + b"\x21\x11" + struct.pack(">H", len(addrs)) + addrs


def refused(s):
    """True if echod closed S without echoing anything."""
    s.settimeout(WAIT)
    try:
        s.sendall(b"anyone there?\n")
        return s.recv(64) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def close(*socks):
    for s in socks:
        s.close()


def served(s, data=b"echo me\n"):
    s.sendall(data)
    return recv_exact(s, len(data)) == data


def test_header_names_the_client_for_the_acl():
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--deny", "192.0.2.0/24", "--log-level", "debug") as d:
        bad = connect(d.addrs[0])
        bad.sendall(v2("192.0.2.7"))
        good = connect(d.addrs[0])
        good.sendall(v2("198.51.100.1"))
        assert refused(bad)
        assert served(good)
        d.wait_log(r"refused 192\.0\.2\.7:40000: denied by --allow/--deny")
        print("# the socket's peer is 127.0.0.1 for both; the header "
              "named 192.0.2.7 (denied) and 198.51.100.1 (served)")
        close(bad, good)
        d.stop()


def test_header_names_the_client_for_per_ip_limits():
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--max-conns-per-ip", "2") as d:
        same = []
        for i in range(3):              # one at a time: a known order
            s = connect(d.addrs[0])
            s.sendall(v2("203.0.113.5"))
            same.append(s)
            assert served(s) if i < 2 else refused(s), i
        other = connect(d.addrs[0])
        other.sendall(v2("203.0.113.6"))
        assert served(other)
        print("# 3 connections naming 203.0.113.5: 2 served, the 3rd "
              "refused; 203.0.113.6 served")
        close(other, *same)
        d.stop()


def test_header_in_pieces_then_data_echoes_only_the_data():
    # The header trickles in, and the client's bytes follow it in the
    # same write as its last piece: none of the header is echoed, none of
    # the data is lost.
    data = os.urandom(100000)
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1") as d:
        s = connect(d.addrs[0])
        hdr = v2("198.51.100.9")
        for piece in (hdr[:5], hdr[5:14], hdr[14:20]):
            s.sendall(piece)
            time.sleep(0.05)
        s.sendall(hdr[20:] + data)
        assert recv_exact(s, len(data)) == data
        print("# header in 4 pieces, 100000 bytes after it: echoed "
              "exactly, header not")
        close(s)
        d.stop()


def test_local_header_is_the_balancer_itself():
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--deny", "192.0.2.0/24") as d:
        s = connect(d.addrs[0])
        s.sendall(v2(local=True))
        assert served(s)
        close(s)
        d.stop()


def test_missing_or_wrong_headers_are_refused_with_a_reason():
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--idle-timeout", "1", "--log-level", "debug") as d:
        plain = connect(d.addrs[0])
        assert refused(plain)           # at its first byte, not later
        d.wait_log(r"warn: refused 127\.0\.0\.1:\d+: no PROXY protocol v2 "
                   r"header \(is the load balancer sending one\? HAProxy: "
                   r"send-proxy-v2\)")
        v1 = connect(d.addrs[0])
        v1.sendall(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n")
        assert refused(v1)
        d.wait_log(r"v1 \(text\) header; echod takes v2 only")
        # Half a header, then nothing: closed when the wait runs out
        # (--idle-timeout 1 here, 5 s by default).
        slow = connect(d.addrs[0])
        slow.sendall(v2("198.51.100.1")[:10])
        start = time.monotonic()
        slow.settimeout(WAIT)
        assert slow.recv(64) == b""
        waited = time.monotonic() - start
        d.wait_log(r"no PROXY header in time")
        print("# plain client and v1 header refused at once; half a "
              "header closed after %.1f s (--idle-timeout 1)" % waited)
        assert waited >= 0.5, waited
        # Refusals are counted.
        d.signal(signal.SIGUSR1)
        d.wait_log(r"3 without a PROXY header")
        close(plain, v1, slow)
        d.stop()


def test_connections_waiting_for_a_header_count_against_max_conns():
    # Each holds a descriptor, so each counts: with --max-conns 2 and two
    # connections silent, a third waits in the backlog until one goes.
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1",
               "--max-conns", "2") as d:
        silent = [connect(d.addrs[0]) for _ in range(2)]
        d.wait_log(r"reached --max-conns 2")
        third = connect(d.addrs[0])     # the kernel completes it
        third.sendall(v2("198.51.100.3") + b"wait\n")
        third.settimeout(0.5)
        try:
            early = third.recv(64)
        except TimeoutError:
            early = None
        silent[0].close()               # one slot frees
        third.settimeout(WAIT)
        got = early or b""
        while len(got) < 5:
            b = third.recv(64)
            assert b, got
            got += b
        print("# --max-conns 2, two connections silent: the third was %s "
              "until one closed, then echoed" %
              ("served early (WRONG)" if early else "not served"))
        assert early is None, early
        assert got == b"wait\n", got
        close(third, silent[1])
        d.stop()


def test_sigterm_closes_connections_still_waiting_for_a_header():
    with Echod("--listen", "127.0.0.1:0", "--proxy-protocol",
               "--proxy-from", "127.0.0.1") as d:
        waiting = connect(d.addrs[0])
        waiting.sendall(SIG[:4])
        time.sleep(0.1)
        d.stop()                        # exit 0 at once, not after 5 s
        waiting.settimeout(WAIT)
        assert waiting.recv(64) == b""


def test_config_file_flag_and_reload():
    with tempfile.NamedTemporaryFile("w", suffix=".conf",
                                     delete=False) as f:
        f.write("listen 127.0.0.1:0\n")
    with Echod("--config", f.name) as d:
        s = connect(d.addrs[0])
        assert served(s)                # no header needed yet
        with open(f.name, "a") as f2:
            f2.write("proxy-protocol\nproxy-from 127.0.0.1\n")
        d.signal(signal.SIGHUP)
        d.wait_log(r"configuration reloaded")
        assert served(s)                # an open connection is not judged
        plain = connect(d.addrs[0])
        assert refused(plain)           # new ones need the header now
        framed = connect(d.addrs[0])
        framed.sendall(v2("198.51.100.1"))
        assert served(framed)
        close(s, plain, framed)
        d.stop()
    os.unlink(f.name)

