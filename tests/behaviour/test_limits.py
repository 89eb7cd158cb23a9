"""Limits that keep the daemon alive: backpressure against clients that do
not read, --max-conns, --idle-timeout, resets, descriptor exhaustion."""
import os
import random
import re
import resource
import select
import socket
import struct
import time

from echodtest import (SANITIZED, WAIT, Echod, connect, echo_once, metric,
                       need_fds, recv_exact, scrape, wait_until)


def pattern(seed, n):
    return random.Random(seed).randbytes(n)


def flood_without_reading(socks, seconds):
    """Push bytes into every socket, never reading, for SECONDS; returns
    how many bytes each accepted (sends that would block are skipped)."""
    sent = [0] * len(socks)
    chunk = pattern(1, 1 << 16)
    for s in socks:
        s.setblocking(False)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _, writable, _ = select.select([], socks, [], 0.1)
        for s in writable:
            i = socks.index(s)
            try:
                sent[i] += s.send(chunk[: 1 << 16])
            except BlockingIOError:
                pass
    return sent


def test_clients_that_never_read_cost_bounded_memory_and_lose_nothing():
    nclients, limit = 20, 256 << 10
    with Echod("--listen", "127.0.0.1:0") as d:
        socks = [connect(d.addrs[0]) for _ in range(nclients)]
        time.sleep(0.2)
        rss0 = d.rss_kib()
        sent = flood_without_reading(socks, 1.5)
        rss1 = d.rss_kib()
        sent2 = flood_without_reading(socks, 1.5)
        rss2 = d.rss_kib()
        # Another client is served normally while the flood is stuck.
        echo_once(d.addrs[0], b"still here\n")
        growth = rss2 - rss0
        print("# %d non-reading clients pushed %d KiB (%d KiB in the "
              "last 1.5 s); echod RSS %d -> %d -> %d KiB, growth %d KiB"
              % (nclients, (sum(sent) + sum(sent2)) >> 10, sum(sent2) >> 10,
                 rss0, rss1, rss2, growth))
        if not SANITIZED:
            # What echod may hold: the limit per client plus one read's
            # worth of chains, and some slack for the allocator.
            bound = nclients * (limit + (64 << 10)) // 1024 + 2048
            assert growth <= bound, "RSS grew %d KiB > %d" % (growth, bound)
            assert rss2 - rss1 <= 1024, "RSS still growing: %d -> %d" % (
                rss1, rss2)
        # Now they read: every byte they sent comes back.
        chunk = pattern(1, 1 << 16)
        for i, s in enumerate(socks):
            s.setblocking(True)
            s.settimeout(WAIT)
            total = sent[i] + sent2[i]
            got = recv_exact(s, total)
            # Each send was a prefix of CHUNK; rebuild the stream lazily by
            # checking that the data is a concatenation of chunk prefixes.
            assert len(got) == total
            assert got[: min(total, 1 << 16)] == chunk[: min(total, 1 << 16)]
            s.close()
        d.stop()


def held_bytes(d):
    text = scrape(d)
    return int(re.search(r"^echod_held_bytes (\d+)$", text, re.M).group(1))


def hold_with_non_readers(start, args, nclients=100, seconds=2.0):
    """Start echod with START(*ARGS); NCLIENTS flood it without reading.
    Returns (the most echod held at once, the clients' sent counts, the
    clients, echod)."""
    d = start("--listen", "127.0.0.1:0", "--metrics", "0",
              "--buffer-limit", "1M", *args)
    socks = [connect(d.addrs[0], rcvbuf=4096) for _ in range(nclients)]
    most, sent = 0, [0] * nclients
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        more = flood_without_reading(socks, 0.25)
        sent = [a + b for a, b in zip(sent, more)]
        most = max(most, held_bytes(d))
    return most, sent, socks, d


def test_memory_limit_bounds_what_all_clients_hold_together(echod_with):
    # Each client is within --buffer-limit (1M); 100 of them are not
    # within anything, unless --memory-limit holds the sum.
    free, _, socks, _ = hold_with_non_readers(echod_with,
                                              ["--memory-limit", "0"])
    for s in socks:
        s.close()
    limit = 4 << 20
    held, sent, socks, d = hold_with_non_readers(
        echod_with, ["--memory-limit", str(limit)])
    print("# 100 clients that never read: %d KiB held without a budget, "
          "%d KiB with --memory-limit %d KiB" % (free >> 10, held >> 10,
                                                 limit >> 10))
    assert free > 4 * limit, free          # the harm, without the budget
    # The limit, plus what clients under their share may still add (one
    # 64 KiB pull each, at most).
    assert held <= limit + 100 * (64 << 10), held
    d.wait_log(r"holding over --memory-limit %d bytes" % limit)
    assert re.search(r"^echod_memory_limit_episodes_total [1-9]",
                     scrape(d), re.M)
    # Nothing is lost: as they read, every byte comes back, and reading
    # resumes for all of them.
    for i, s in enumerate(socks):
        s.setblocking(True)
        s.settimeout(WAIT)
        assert len(recv_exact(s, sent[i])) == sent[i]
        s.close()
    wait_until(lambda: held_bytes(d) == 0, what="nothing held")
    d.wait_log(r"back under --memory-limit")


def test_max_conns_holds_the_next_client_until_one_closes():
    with Echod("--listen", "127.0.0.1:0", "--max-conns", "3") as d:
        first = [connect(d.addrs[0]) for _ in range(3)]
        for i, s in enumerate(first):
            s.sendall(b"%d" % i)
            assert recv_exact(s, 1) == b"%d" % i
        d.wait_log(r"reached --max-conns 3")
        waiting = connect(d.addrs[0])   # completes in the kernel backlog
        waiting.sendall(b"wait")
        waiting.settimeout(0.5)
        try:
            b = waiting.recv(4)
            raise AssertionError("client 4 served while at the limit: %r" % b)
        except socket.timeout:
            pass
        first[0].close()
        waiting.settimeout(WAIT)
        assert recv_exact(waiting, 4) == b"wait"
        for s in first[1:] + [waiting]:
            s.close()
        d.stop()


def test_idle_connection_is_closed_and_active_one_is_not():
    with Echod("--listen", "127.0.0.1:0", "--idle-timeout", "1") as d:
        idle = connect(d.addrs[0])
        active = connect(d.addrs[0])
        idle.sendall(b"x")
        assert recv_exact(idle, 1) == b"x"
        start = time.monotonic()
        while time.monotonic() - start < 2.5:
            active.sendall(b"tick")
            assert recv_exact(active, 4) == b"tick"
            time.sleep(0.25)
        assert idle.recv(1) == b"", "idle connection still open"
        active.sendall(b"tock")
        assert recv_exact(active, 4) == b"tock"
        idle.close()
        active.close()
        d.stop()


def test_200_resets_mid_transfer_then_still_serving():
    with Echod("--listen", "127.0.0.1:0", "--log-level", "debug") as d:
        linger = struct.pack("ii", 1, 0)
        data = os.urandom(64 << 10)
        for i in range(200):
            s = connect(d.addrs[0])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.sendall(data[: 1024 + i * 256])
            if i % 2:
                s.recv(10)          # some read a little, most do not
            s.close()               # RST: unread data + linger 0
        echo_once(d.addrs[0], b"after the resets\n")
        # Every one of them was cleaned up, not leaked.
        wait_until(lambda: d.log().count(" closed: ") >= 201,
                   what="201 closed connections in the log")
        assert d.proc.poll() is None
        d.stop()


def test_fd_exhaustion_does_not_spin_and_recovers():
    nofile = 48

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    with Echod("--listen", "127.0.0.1:0", "--max-conns", "1000",
               preexec_fn=low_fd_limit) as d:
        assert "more than the open-file limit" in d.log()
        clients = []
        for i in range(nofile + 20):
            s = connect(d.addrs[0])     # the backlog takes them all
            s.sendall(b"%04d" % i)
            clients.append(s)
        d.wait_log(r"cannot accept new connections: Too many open files")
        cpu0, t0 = d.cpu_seconds(), time.monotonic()
        time.sleep(1.5)
        cpu = d.cpu_seconds() - cpu0
        wall = time.monotonic() - t0
        print("# while out of descriptors: %.2f s CPU in %.2f s" % (cpu,
                                                                    wall))
        # A busy accept loop burns a whole core (~1 s per second).
        assert cpu < 0.5 * wall, "echod spins: %.2f s CPU" % cpu
        assert d.log().count("cannot accept new connections") == 1, d.log()
        # Free descriptors: the waiting clients are accepted and echoed.
        served = []
        for s in clients:
            s.settimeout(0.2)
            try:
                if s.recv(4):
                    served.append(s)
            except socket.timeout:
                pass
        assert 0 < len(served) < len(clients), len(served)
        waiting = [s for s in clients if s not in served]
        for s in served:
            s.close()
        for s in waiting:
            s.settimeout(WAIT)
            assert len(recv_exact(s, 4)) == 4
            s.close()
        d.wait_log(r"accepting new connections again")
        d.stop()



def test_silent_connections_cost_no_bufferevent():
    # A load test holds many connections that say nothing: each gets its
    # bufferevent (~1 KiB with its buffers) only with its first bytes.
    n = 5000
    need_fds(n + 1000)
    with Echod("--listen", "127.0.0.1:0", "--workers", "1",
               "--metrics", "0") as d:
        addr = d.addr("inet")
        before = d.rss_kib()
        fds = len(os.listdir("/proc/%d/fd" % d.pid()))
        socks = [connect(addr) for _ in range(n)]
        wait_until(lambda: metric(scrape(d), "echod_connections_open")
                   == n, what="every connection taken")
        assert len(os.listdir("/proc/%d/fd" % d.pid())) >= fds + n
        time.sleep(0.3)
        grown = d.rss_kib() - before
        # Each still echoes, waking as its first bytes come.
        for i, s in enumerate(socks[::50]):
            s.sendall(b"still here %d\n" % i)
            assert recv_exact(s, len(b"still here %d\n" % i)) == \
                b"still here %d\n" % i
        print("# %d silent connections: RSS grew %d KiB (%.2f KiB each); "
              "every 50th still echoes" % (n, grown, grown / n))
        if not SANITIZED:
            assert grown / n < 0.5, grown
        for s in socks:
            s.close()
        d.stop()


def test_a_silent_connection_meets_its_idle_timeout():
    with Echod("--listen", "127.0.0.1:0", "--idle-timeout", "1",
               "--metrics", "0") as d:
        s = connect(d.addr("inet"))
        start = time.monotonic()
        s.settimeout(WAIT)
        assert s.recv(1) == b""
        took = time.monotonic() - start
        print("# a connection that never spoke, --idle-timeout 1: closed "
              "after %.1f s" % took)
        assert 0.8 <= took < 3, took
        text = scrape(d)
        assert re.search(r"^echod_connections_timed_out_total 1$", text,
                         re.M), text
        d.stop()


def test_quiet_connections_give_their_bufferevent_back():
    # Many clients that spoke once and went quiet (an nc session left
    # open): after 5 quiet seconds each gives its bufferevent back, and
    # the memory goes back to the system; speaking again brings it back.
    n = 3000
    need_fds(n + 1000)
    with Echod("--listen", "127.0.0.1:0", "--workers", "1",
               "--log-level", "debug") as d:
        addr = d.addr("inet")
        base = d.rss_kib()
        socks = [connect(addr) for _ in range(n)]
        for i, s in enumerate(socks):
            s.sendall(b"hello %d\n" % i)
        for i, s in enumerate(socks):
            assert recv_exact(s, len(b"hello %d\n" % i)) == b"hello %d\n" % i
        busy = d.rss_kib() - base
        d.wait_log(r"quiet connections parked", timeout=WAIT + 10)
        time.sleep(2.5)
        parked = d.rss_kib() - base
        for i, s in enumerate(socks):
            s.sendall(b"again %d\n" % i)
        for i, s in enumerate(socks):
            assert recv_exact(s, len(b"again %d\n" % i)) == b"again %d\n" % i
        print("# %d connections that spoke once: RSS %d KiB over the base "
              "(%.2f KiB each) while they had spoken, %d KiB (%.2f KiB "
              "each) once parked; every one echoed again"
              % (n, busy, busy / n, parked, parked / n))
        if not SANITIZED:
            assert parked < busy / 2, (busy, parked)
        for s in socks:
            s.close()
        d.stop()


def test_a_parked_connection_keeps_its_idle_timeout():
    with Echod("--listen", "127.0.0.1:0", "--idle-timeout", "11",
               "--log-level", "debug") as d:
        s = connect(d.addr("inet"))
        s.sendall(b"once\n")
        assert recv_exact(s, 5) == b"once\n"
        start = time.monotonic()
        s.settimeout(WAIT + 10)
        assert s.recv(1) == b""
        took = time.monotonic() - start
        print("# spoke once, then quiet, --idle-timeout 11: parked, closed "
              "after %.1f s" % took)
        assert "quiet connections parked" in d.log(), d.log()
        assert 10.8 <= took < 12.5, took
        d.stop()
