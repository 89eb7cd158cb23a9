"""Shutdown and logging: SIGTERM/SIGINT drain, the drain timeout, a second
signal, and journald priority prefixes."""
import os
import re
import signal
import socket
import tempfile

from echodtest import (Echod, connect, echo_once, recv_exact,
                       roundtrip_halfclose_on)


def refused(addr):
    try:
        connect(addr, timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_refuses_new_clients_and_lets_open_ones_finish():
    path = os.path.join(tempfile.mkdtemp(prefix="echod-"), "drain.sock")
    with Echod("--listen", "127.0.0.1:0", "--listen", "unix:" + path) as d:
        addr = d.addr("inet")
        busy = connect(addr)
        busy.sendall(b"before")
        assert recv_exact(busy, 6) == b"before"
        d.signal(signal.SIGTERM)
        d.wait_log(r"received SIGTERM: listeners closed, draining 1 "
                   r"connections for up to 10 s")
        assert refused(addr), "new client accepted while draining"
        assert not os.path.exists(path), "socket file kept while draining"
        # The open client is still served, every byte, through half-close.
        data = os.urandom(1 << 20)
        assert roundtrip_halfclose_on(busy, data) == data
        busy.close()
        assert d.wait() == 0, d.log()
        d.check_sanitizers()
        assert "all connections drained" in d.log()


def test_drain_timeout_closes_stragglers_and_exits_0():
    with Echod("--listen", "127.0.0.1:0", "--drain-timeout", "1") as d:
        idle = connect(d.addrs[0])
        idle.sendall(b"x")          # served: it is on a worker now
        assert recv_exact(idle, 1) == b"x"
        d.signal(signal.SIGTERM)
        assert d.wait() == 0, d.log()
        assert re.search(r"closing 1 connections: drain timeout", d.log())
        assert idle.recv(1) == b""
        idle.close()


def test_second_signal_exits_at_once():
    with Echod("--listen", "127.0.0.1:0", "--drain-timeout", "3600") as d:
        idle = connect(d.addrs[0])
        idle.sendall(b"x")
        assert recv_exact(idle, 1) == b"x"
        d.signal(signal.SIGTERM)
        d.wait_log(r"draining 1 connections")
        d.signal(signal.SIGINT)
        assert d.wait() == 0, d.log()
        assert "closing 1 connections: second signal" in d.log()
        idle.close()


def test_sigint_with_no_clients_stops_cleanly():
    with Echod("--listen", "127.0.0.1:0", "--log-level", "debug") as d:
        echo_once(d.addrs[0])
        d.wait_log(r"connection 1 closed: client closed")
        d.signal(signal.SIGINT)
        assert d.wait() == 0
        log = d.log()
        assert "received SIGINT: no connections open, stopping" in log
        assert re.search(r"stopped after serving 1 connections", log)


def test_journald_lines_carry_priority_and_no_timestamp():
    fd, logpath = tempfile.mkstemp(prefix="echod-journal-")
    os.close(fd)
    st = os.stat(logpath)
    with Echod("--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0",
               "--max-conns", "1", "--log-level", "debug",
               stderr_path=logpath,
               env={"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}) as d:
        held = connect(d.addrs[0])
        d.wait_log(r"^<4>reached --max-conns 1")
        held.close()
        d.stop()
        lines = d.log().splitlines()
    assert lines, "no log"
    for line in lines:
        assert re.match(r"<[3-7]>", line), line
        assert not re.search(r"\d{4}-\d\d-\d\dT", line), line
    assert any(l.startswith("<6>listening on 127.0.0.1:") for l in lines)
    assert any(l.startswith("<7>connection 1 from") for l in lines)


def test_journald_error_line_is_priority_3():
    fd, logpath = tempfile.mkstemp(prefix="echod-journal-")
    os.close(fd)
    st = os.stat(logpath)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    d = Echod("--listen", "127.0.0.1:%d" % holder.getsockname()[1],
              stderr_path=logpath, wait_ready=False,
              env={"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
    assert d.wait() == 69
    holder.close()
    (line,) = d.log().splitlines()
    assert line.startswith("<3>cannot listen on 127.0.0.1:"), line


def test_foreign_journal_stream_is_ignored():
    # JOURNAL_STREAM inherited from a parent whose stderr went to journald,
    # while ours goes to a file: keep timestamps, no <N> prefixes.
    with Echod("--listen", "127.0.0.1:0",
               env={"JOURNAL_STREAM": "1:1"}) as d:
        d.stop()
        for line in d.log().splitlines():
            assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                            r"echod\[\d+\] (info|warn|error|debug): ", line), \
                line

