"""Listeners: port 0, both IP families and Unix sockets at once, the
default address, and Unix socket files (stale, live, removed at exit)."""
import os
import re
import socket
import tempfile

import pytest

from echodtest import Echod, echo_once, port_of, run_cmd

EX_UNAVAILABLE = 69


def sock_path(tag):
    return os.path.join(tempfile.mkdtemp(prefix="echod-"), tag + ".sock")


def test_port_zero_logs_the_real_address_and_serves():
    with Echod("--listen", "127.0.0.1:0") as d:
        (addr,) = d.addrs
        assert re.fullmatch(r"127\.0\.0\.1:\d+", addr), addr
        assert port_of(addr) != 0
        echo_once(addr)
        d.stop()


def test_bare_port_zero_uses_one_port_for_both_loopbacks():
    with Echod("--listen", "0") as d:
        ports = {port_of(a) for a in d.addrs}
        assert len(ports) == 1, d.addrs
        for a in d.addrs:
            echo_once(a)
        d.stop()


def test_ipv4_ipv6_and_unix_at_once():
    path = sock_path("multi")
    with Echod("--listen", "127.0.0.1:0", "--listen", "[::1]:0",
               "--listen", "unix:" + path) as d:
        assert len(d.addrs) == 3, d.addrs
        for fam in ("inet", "inet6", "unix"):
            echo_once(d.addr(fam), b"hello over " + fam.encode() + b"\n")
        d.stop()
    assert not os.path.exists(path), "socket file left behind"


def test_default_address_is_localhost_7777():
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 7777))
    except OSError:
        pytest.skip("port 7777 is busy on this machine")
    finally:
        probe.close()
    with Echod() as d:
        assert "127.0.0.1:7777" in d.addrs, d.addrs
        if socket.has_ipv6 and os.path.exists("/proc/net/if_inet6"):
            assert "[::1]:7777" in d.addrs, d.addrs
        for a in d.addrs:
            echo_once(a)
        d.stop()


def test_stale_socket_file_is_replaced():
    path = sock_path("stale")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)          # a file with nobody listening behind it
    dead.close()
    assert os.path.exists(path)
    with Echod("--listen", "unix:" + path) as d:
        assert "removed stale socket file " + path in d.log()
        echo_once("unix:" + path)
        d.stop()
    assert not os.path.exists(path)


def test_live_socket_file_is_not_stolen():
    path = sock_path("live")
    live = socket.socket(socket.AF_UNIX)
    live.bind(path)
    live.listen()
    try:
        rc, out, err = run_cmd(["--listen", "unix:" + path])
        assert rc == EX_UNAVAILABLE, (rc, err)
        assert "in use" in err and path in err, err
        assert len(err.strip().splitlines()) == 1, err
        # The other program's socket still works.
        c = socket.socket(socket.AF_UNIX)
        c.connect(path)
        c.close()
    finally:
        live.close()


def test_second_echod_on_same_port_is_refused():
    with Echod("--listen", "127.0.0.1:0") as d:
        rc, out, err = run_cmd(["--listen", d.addrs[0]])
        assert rc == EX_UNAVAILABLE, (rc, err)
        assert "in use" in err and d.addrs[0] in err, err
        echo_once(d.addrs[0])  # the first one is unharmed
        d.stop()


def test_socket_file_is_removed_at_exit_but_not_a_successors():
    path = sock_path("succ")
    with Echod("--listen", "unix:" + path) as d:
        assert os.path.exists(path)
        # Someone replaces the file while we run: not ours to remove.
        os.unlink(path)
        other = socket.socket(socket.AF_UNIX)
        other.bind(path)
        d.stop()
    assert os.path.exists(path), "removed another program's socket"
    other.close()


def test_abstract_unix_socket():
    name = "@echod-test-%d" % os.getpid()
    with Echod("--listen", "unix:" + name) as d:
        assert d.addrs == ["unix:" + name], d.addrs
        echo_once("unix:" + name)
        d.stop()

