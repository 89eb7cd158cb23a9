"""--allow / --deny for TCP: a denied client is closed at accept, others
are served; IPv4 and IPv6; first match wins; malformed CIDRs exit 64."""
import socket
import time

from echodtest import WAIT, Echod, echo_once, run_cmd


def served_from(addr, source):
    """Does a client bound to SOURCE get its echo?"""
    host, port = addr.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(WAIT)
    s.bind((source, 0))
    s.connect((host, int(port)))
    try:
        s.sendall(b"who am i")
        return s.recv(8) == b"who am i"
    except (ConnectionResetError, BrokenPipeError):
        return False
    finally:
        s.close()


def test_denied_client_is_closed_others_served():
    with Echod("--listen", "127.0.0.1:0", "--deny", "127.0.0.2",
               "--log-level", "debug") as d:
        addr = d.addrs[0]
        assert not served_from(addr, "127.0.0.2")
        assert served_from(addr, "127.0.0.1")
        assert served_from(addr, "127.0.0.3")
        d.wait_log(r"refused 127\.0\.0\.2:\d+: denied by --allow/--deny")
        d.stop()


def test_allow_list_then_deny_everything_else():
    with Echod("--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32",
               "--allow", "127.0.0.4", "--deny", "0.0.0.0/0") as d:
        addr = d.addrs[0]
        assert served_from(addr, "127.0.0.1")
        assert served_from(addr, "127.0.0.4")
        assert not served_from(addr, "127.0.0.3")
        d.stop()


def test_ipv6_rules():
    with Echod("--listen", "[::1]:0", "--deny", "::1/128") as d:
        assert not served_from(d.addrs[0], "::1")
        d.stop()
    with Echod("--listen", "[::1]:0", "--deny", "fd00::/8") as d:
        assert served_from(d.addrs[0], "::1")
        d.stop()


def test_denied_clients_do_not_use_up_max_conns():
    with Echod("--listen", "127.0.0.1:0", "--deny", "127.0.0.2",
               "--max-conns", "1") as d:
        for _ in range(20):
            assert not served_from(d.addrs[0], "127.0.0.2")
        echo_once(d.addrs[0])
        d.stop()


def held_from(addr, source):
    """A connection from SOURCE that has been served once (so a worker
    owns it), or None if echod closed it."""
    host, port = addr.rsplit(":", 1)
    s = socket.socket()
    s.settimeout(WAIT)
    s.bind((source, 0))
    s.connect((host, int(port)))
    try:
        s.sendall(b"x")
        if s.recv(1) == b"x":
            return s
    except (ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    return None


def test_max_conns_per_ip_across_workers():
    with Echod("--listen", "127.0.0.1:0", "--max-conns-per-ip", "2",
               "--workers", "2", "--log-level", "debug") as d:
        addr = d.addrs[0]
        a, b = held_from(addr, "127.0.0.2"), held_from(addr, "127.0.0.2")
        assert a and b, "the first two from 127.0.0.2 were not served"
        assert held_from(addr, "127.0.0.2") is None, "third one served"
        d.wait_log(r"refused 127\.0\.0\.2:\d+: over --max-conns-per-ip 2")
        others = [held_from(addr, "127.0.0.3") for _ in range(2)]
        assert all(others), "another address was limited too"
        # The two from .2 sit on different workers; closing one gives a
        # slot back once its worker has seen the close.
        a.close()
        deadline = time.monotonic() + WAIT
        again = None
        while again is None and time.monotonic() < deadline:
            again = held_from(addr, "127.0.0.2")
            time.sleep(0.05)
        assert again is not None, "slot never given back"
        for s in [b, again] + others:
            s.close()
        d.stop()


def test_malformed_cidrs_are_usage_errors():
    for args, needle in ((["--allow", "10.0.0.0/33"], "0 to 32"),
                         (["--deny", "::/200"], "0 to 128"),
                         (["--deny", "10.0.0.300"], "'10.0.0.300'"),
                         (["--allow", "localhost"], "not an IPv4 or IPv6"),
                         (["--deny"], "needs a value"),
                         (["--max-conns-per-ip", "0"], "from 1")):
        rc, out, err = run_cmd(args)
        assert rc == 64 and needle in err, (args, rc, err)
        assert len(err.strip().splitlines()) == 1, err

