"""The echo itself: every byte back, in order, exactly once, for binary
data of any size; half-close returns everything pending; many concurrent
real netcat clients each get exactly their own bytes."""
import os
import re
import shutil
import socket
import subprocess
import tempfile

from echodtest import (Echod, WAIT, connect, recv_exact, roundtrip_halfclose,
                       split_addr)

NC = shutil.which("nc")


def nc_args(addr):
    family, sa = split_addr(addr)
    if addr.startswith("unix:"):
        return [NC, "-N", "-U", sa]
    return [NC, "-N", sa[0], str(sa[1])]


def test_every_byte_value_comes_back(echod):
    data = bytes(range(256)) * 64
    with connect(echod.addrs[0]) as s:
        for i in range(0, len(data), 1000):
            s.sendall(data[i:i + 1000])
        assert recv_exact(s, len(data)) == data


def test_8mib_random_roundtrip_with_half_close():
    data = os.urandom(8 << 20)
    with Echod("--listen", "127.0.0.1:0", "--listen", "[::1]:0") as d:
        for addr in d.addrs:
            got = roundtrip_halfclose(addr, data)
            assert len(got) == len(data), (len(got), len(data))
            assert got == data, "stream corrupted"
        d.stop()


def test_half_close_gets_everything_pending_when_client_reads_late():
    # The client sends 16 MiB and half-closes before it reads anything
    # (the buffer limit is raised so echod takes it all): echod sees EOF
    # while it still holds megabytes it could not send, and must send them
    # all before closing (libevent's textbook echo drops them).
    data = os.urandom(16 << 20)
    with Echod("--listen", "127.0.0.1:0", "--log-level", "debug",
               "--buffer-limit", "64M") as d:
        s = connect(d.addrs[0])
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        d.wait_log(r"client closed its side, \d+ bytes still to echo")
        got = recv_exact(s, len(data))
        assert s.recv(1) == b"", "no EOF after the echo"
        s.close()
        assert got == data
        d.wait_log(r"connection 1 closed: client closed, all echoed")
        d.stop()


def test_8mib_through_real_netcat_half_close():
    data = os.urandom(8 << 20)
    path = os.path.join(tempfile.mkdtemp(prefix="echod-"), "nc.sock")
    with Echod("--listen", "127.0.0.1:0", "--listen", "unix:" + path) as d:
        for addr in (d.addr("inet"), "unix:" + path):
            p = subprocess.run(nc_args(addr), input=data, capture_output=True,
                               timeout=WAIT * 3)
            assert p.returncode == 0, p.stderr
            assert p.stdout == data, "nc got %d bytes back" % len(p.stdout)
        d.stop()


def test_300_concurrent_netcat_clients_get_their_own_bytes():
    n = 300
    tmp = tempfile.mkdtemp(prefix="echod-nc-")
    with Echod("--listen", "127.0.0.1:0") as d:
        procs = []
        payloads = []
        for i in range(n):
            # Distinct content per client: a mix-up cannot go unnoticed.
            payload = (b"client %03d\n" % i) + os.urandom(16384 + i * 97)
            payloads.append(payload)
            fin = os.path.join(tmp, "in%d" % i)
            with open(fin, "wb") as f:
                f.write(payload)
            procs.append(subprocess.Popen(
                nc_args(d.addrs[0]), stdin=open(fin, "rb"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        bad = []
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=WAIT * 6)
            if p.returncode != 0 or out != payloads[i]:
                bad.append((i, p.returncode, len(out), err[:200]))
        assert not bad, "%d clients wrong, e.g. %s" % (len(bad), bad[:3])
        d.stop()
    shutil.rmtree(tmp)


def test_connections_spread_over_workers_and_each_echoes_its_own():
    with Echod("--listen", "127.0.0.1:0", "--workers", "3",
               "--log-level", "debug") as d:
        assert "3 workers" in d.log()
        socks = [connect(d.addrs[0]) for _ in range(9)]
        sent = [b"%d:" % i + os.urandom(1000) for i in range(9)]
        for s, data in zip(socks, sent):   # interleaved across workers
            s.sendall(data)
        for s, data in zip(socks, sent):
            assert recv_exact(s, len(data)) == data
            s.close()
        per_worker = [len(re.findall(r"opened on worker %d " % w, d.log()))
                      for w in range(3)]
        assert per_worker == [3, 3, 3], per_worker
        d.stop()


def test_one_worker_serves_everything():
    with Echod("--listen", "127.0.0.1:0", "--workers", "1") as d:
        data = os.urandom(1 << 20)
        assert roundtrip_halfclose(d.addrs[0], data) == data
        d.stop()

