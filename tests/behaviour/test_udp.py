"""UDP echo (RFC 862): every datagram back to its sender unchanged, any
size up to 65507 bytes, IPv4 and IPv6; never answered when it comes from a
privileged port (the echo/chargen family and every other service that
answers; test_udp_loops.py has the rest of the guard); per-source rate
limit; ACLs."""
import os
import shutil
import socket
import subprocess
import time

from echodtest import WAIT, Echod, need_root, run_cmd, split_addr

NC = shutil.which("nc")


def udp_socket(addr, source=None, sport=0):
    family, sa = split_addr(addr)
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if source or sport:
        s.bind((source or ("::1" if family == socket.AF_INET6
                           else "127.0.0.1"), sport))
    return s, sa


def answered(s, sa, data, timeout=0.5):
    s.settimeout(timeout)
    s.sendto(data, sa)
    try:
        got, src = s.recvfrom(70000)
    except socket.timeout:
        return None
    return got


def udp_addr(d, v6=False):
    for a in d.addrs:
        if a.startswith("udp:[" if v6 else "udp:") and (v6 or "[" not in a):
            return a[4:]
    raise AssertionError(d.addrs)


def test_datagrams_of_every_size_come_back_unchanged():
    with Echod("--listen", "udp:127.0.0.1:0", "--listen", "udp:[::1]:0",
               "--listen", "127.0.0.1:0") as d:
        for v6 in (False, True):
            s, sa = udp_socket(udp_addr(d, v6))
            for size in (0, 1, 100, 1472, 9000, 65507):
                data = os.urandom(size)
                assert answered(s, sa, data, WAIT) == data, size
            s.close()
        d.stop()


def test_real_netcat_udp():
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        host, port = split_addr(udp_addr(d))[1]
        p = subprocess.run([NC, "-u", "-w1", host, str(port)],
                           input=b"hello over udp\n", capture_output=True,
                           timeout=WAIT)
        assert p.stdout == b"hello over udp\n", p
        d.stop()


def test_datagrams_from_reflector_ports_are_dropped():
    need_root("binding source ports below 1024")
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        addr = udp_addr(d)
        for port in (7, 13, 17, 19, 37, 53, 123, 1023):
            s, sa = udp_socket(addr, sport=port)
            assert answered(s, sa, b"loop?") is None, port
            s.close()
        s, sa = udp_socket(addr, sport=1234)
        assert answered(s, sa, b"fine", WAIT) == b"fine"
        s.close()
        d.wait_log(r"dropping datagrams from sources that could loop or "
                   r"reflect an echo")
        d.stop()


def burst(s, sa, n):
    """Send N datagrams at once; how many came back within 0.5 s."""
    for i in range(n):
        s.sendto(b"%d" % i, sa)
    s.settimeout(0.5)
    got = 0
    try:
        while True:
            s.recvfrom(100)
            got += 1
    except socket.timeout:
        pass
    return got


def test_rate_limit_per_source():
    with Echod("--listen", "udp:127.0.0.1:0", "--udp-rate", "100/s") as d:
        addr = udp_addr(d)
        s, sa = udp_socket(addr, source="127.0.0.1")
        # A source seen for the first time gets a small burst (16), not a
        # full bucket (so being pushed out of the table never refills
        # it)...
        got = burst(s, sa, 200)
        print("# new source: 200 sent at once, %d answered" % got)
        assert 16 <= got <= 30, got
        # Another source has its own bucket.
        t, _ = udp_socket(addr, source="127.0.0.2")
        assert answered(t, sa, b"other", WAIT) == b"other"
        # ...and one that has waited a second gets its full burst of 100.
        time.sleep(1.1)
        got = burst(s, sa, 200)
        print("# after 1.1 s: 200 sent at once, %d answered (100/s)" % got)
        assert 100 <= got <= 115, got
        d.wait_log(r"dropping datagrams over --udp-rate")
        d.stop()
    s.close()


def test_rate_limit_is_on_by_default():
    # 1000/s per source: what bounds an echo loop nobody can see coming.
    with Echod("--listen", "udp:127.0.0.1:0") as d:
        s, sa = udp_socket(udp_addr(d), source="127.0.0.1")
        got = burst(s, sa, 2000)
        print("# default --udp-rate: 2000 sent at once, %d answered" % got)
        assert 16 <= got < 2000, got
        d.wait_log(r"dropping datagrams over --udp-rate")
        d.stop()
    s.close()


def test_acl_applies_to_datagrams():
    with Echod("--listen", "udp:127.0.0.1:0", "--deny", "127.0.0.2") as d:
        addr = udp_addr(d)
        s, sa = udp_socket(addr, source="127.0.0.2")
        assert answered(s, sa, b"denied") is None
        t, _ = udp_socket(addr, source="127.0.0.1")
        assert answered(t, sa, b"allowed", WAIT) == b"allowed"
        d.stop()


def test_bad_udp_values_are_usage_errors():
    for args, needle in ((["--listen", "udp:unix:/x"], "udp:HOST:PORT"),
                         (["--listen", "udp:70000"], "too large"),
                         (["--udp-rate", "fast"], "'fast'"),
                         (["--udp-rate", "10/m"], "per second")):
        rc, out, err = run_cmd(args)
        assert rc == 64 and needle in err, (args, rc, err)
        assert len(err.strip().splitlines()) == 1, err

