"""tls: listeners: real clients (Python's ssl, openssl s_client, ncat,
socat) and real certificates made by `openssl` for each run.  Every
guarantee of plain TCP holds for the decrypted bytes, and a client that
does not finish a handshake, or does not speak TLS, costs only its own
connection."""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from echodtest import (SANITIZED, WAIT, Echod, connect, metric, need_fds,
                       run_cmd, scrape, wait_until)
from test_proxy import v2
from tlstest import (Certs, cli_roundtrip, halfclose, recv_exact_tls,
                     tls_addr, tls_connect)


@pytest.fixture(scope="module")
def certs():
    return Certs()


def tls_echod(certs, *extra, cert="srv", listen="tls:127.0.0.1:0"):
    return Echod("--listen", listen, *certs.server_args(cert), *extra)


def test_python_ssl_round_trip_tls13_and_tls12(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--listen",
                   "tls:[::1]:0", "--metrics", "0", *certs.server_args())
    for family in ("inet", "inet6"):
        with tls_connect(certs.context(), tls_addr(d, family)) as s:
            assert s.version() == "TLSv1.3"
            s.sendall(b"hello over TLS\n")
            assert recv_exact_tls(s, 15) == b"hello over TLS\n"
    with tls_connect(certs.context(version=ssl.TLSVersion.TLSv1_2),
                     tls_addr(d)) as s:
        assert s.version() == "TLSv1.2"
        s.sendall(b"twelve\n")
        assert recv_exact_tls(s, 7) == b"twelve\n"
    text = scrape(d)
    v13 = metric(text, "echod_tls_handshakes_total", '{version="TLSv1.3"}')
    v12 = metric(text, "echod_tls_handshakes_total", '{version="TLSv1.2"}')
    print("# handshakes: %d TLS 1.3, %d TLS 1.2" % (v13, v12))
    assert (v13, v12) == (2, 1)


def test_openssl_ncat_and_socat_round_trip(echod_with, certs):
    d = echod_with(*["--listen", "tls:127.0.0.1:0"], *certs.server_args())
    host, port = tls_addr(d)
    ca = certs.path("ca.pem")
    clients = {
        "openssl s_client": ["openssl", "s_client", "-quiet",
                             "-verify_return_error", "-CAfile", ca,
                             "-servername", "localhost", "-connect",
                             "%s:%d" % (host, port)],
        "ncat --ssl": ["ncat", "--ssl", "--ssl-verify", "--ssl-trustfile",
                       ca, "localhost", str(port)],
        "socat OPENSSL:": ["socat", "-", "OPENSSL:localhost:%d,cafile=%s"
                           % (port, ca)],
    }
    for name, cmd in clients.items():
        if shutil.which(cmd[0]) is None:
            pytest.skip("%s is not installed; tests/run.sh installs it "
                        "(apt-get install %s)" % (cmd[0], cmd[0]))
        data = os.urandom(4096).hex().encode() + b"\n"
        got, err = cli_roundtrip(cmd, data)
        print("# %s: %d of %d bytes back" % (name, len(got), len(data)))
        assert got == data, "%s: %s" % (name, err[-500:])


def test_8_mib_binary_round_trip_with_half_close(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", *certs.server_args())
    data = os.urandom(8 << 20)
    ends = []
    # A clean close_notify, and a bare TCP FIN under TLS: either way echod
    # sends everything back, then its own close_notify.
    for end in ("close_notify", "fin"):
        got, ended = halfclose(certs.context(), tls_addr(d), data, end)
        assert got == data, "%s: %d of %d bytes back" % (end, len(got),
                                                         len(data))
        ends.append("%s -> %s" % (end, ended))
    print("# 8 MiB each way, exact, then half-closed: %s" % ", ".join(ends))
    assert ends == ["close_notify -> close_notify", "fin -> close_notify"]


def test_300_concurrent_clients_each_get_their_own_bytes(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", *certs.server_args())
    host, port = tls_addr(d)
    ctx = certs.context()

    async def client(i):
        r, w = await asyncio.open_connection(host, port, ssl=ctx,
                                             server_hostname="localhost")
        mine = bytes([i % 256]) * 1000 + os.urandom(3000) + b"%d" % i
        for _ in range(3):
            w.write(mine)
            await w.drain()
            got = await r.readexactly(len(mine))
            assert got == mine, "client %d got someone else's bytes" % i
        w.close()
        await w.wait_closed()
        return len(mine) * 3

    async def all_clients():
        return await asyncio.wait_for(
            asyncio.gather(*(client(i) for i in range(300))), WAIT * 6)

    total = asyncio.run(all_clients())
    print("# 300 concurrent TLS clients: %d bytes, each its own" % sum(total))
    assert len(total) == 300


def test_a_client_that_never_reads_is_bounded_by_buffer_limit(echod_with,
                                                              certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--buffer-limit", "64K",
                   "--metrics", "0", *certs.server_args())
    before = d.rss_kib()
    s = tls_connect(certs.context(), tls_addr(d))
    s.setblocking(False)
    chunk, pushed = os.urandom(1 << 16), 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            pushed += s.send(chunk)
        except (ssl.SSLWantWriteError, BlockingIOError):
            time.sleep(0.01)
    time.sleep(0.3)
    text = scrape(d)
    held = metric(text, "echod_held_bytes")
    pauses = metric(text, "echod_backpressure_pauses_total")
    grown = d.rss_kib() - before
    print("# a TLS client that never reads pushed %d KiB: echod holds %d "
          "bytes for it, paused reading %d times, RSS +%d KiB"
          % (pushed >> 10, held, pauses, grown))
    assert pauses >= 1
    assert held <= 64 * 1024 + 16 * 1024, held
    if not SANITIZED:       # ASan's allocator holds freed memory back
        assert grown < 4096, grown
    s.close()


def test_plain_tcp_and_garbage_cost_only_their_connection(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = tls_addr(d)
    with tls_connect(certs.context(), addr) as good:
        # Fixed garbage: random bytes can look like the start of a long
        # record, and OpenSSL rightly waits for the rest of it.
        kinds = [b"hello, plain text\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                 bytes(range(1, 65)), b"\x16\x03\x01\x00\x05hello"]
        closed = 0
        for i in range(100):
            with connect("%s:%d" % addr) as s:
                s.sendall(kinds[i % len(kinds)])
                try:
                    while s.recv(4096):
                        pass
                    closed += 1
                except ConnectionResetError:
                    closed += 1
            if i % 10 == 0:
                good.sendall(b"still here\n")
                assert recv_exact_tls(good, 11) == b"still here\n"
    text = scrape(d)
    not_tls = metric(text, "echod_tls_handshake_failures_total",
                     '{reason="not_tls"}')
    protocol = metric(text, "echod_tls_handshake_failures_total",
                      '{reason="protocol"}')
    lines = d.log().count("TLS handshake with")
    print("# 100 plain-TCP, HTTP and garbage clients on a TLS port: %d "
          "closed by echod, %d counted not_tls, %d protocol; %d log lines"
          % (closed, not_tls, protocol, lines))
    assert closed == 100
    assert not_tls + protocol == 100 and not_tls >= 75, text
    assert 1 <= lines <= 2, d.log()


def test_a_stalled_handshake_is_closed_at_its_deadline(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--idle-timeout", "2",
                   "--metrics", "0", *certs.server_args())
    addr = "%s:%d" % tls_addr(d)
    # A real ClientHello's first bytes, then nothing; and a silent one.
    hello = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = certs.context().wrap_bio(*hello, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    first = hello[1].read()[:20]
    stalled, silent = connect(addr), connect(addr)
    stalled.sendall(first)
    start = time.monotonic()
    for s in (stalled, silent):
        s.settimeout(WAIT)
        try:
            s.recv(100)         # EOF or a reset; a timeout fails the test
        except ConnectionResetError:
            pass
    took = time.monotonic() - start
    text = scrape(d)
    timeouts = metric(text, "echod_tls_handshake_failures_total",
                      '{reason="timeout"}')
    print("# a handshake stalled after %d bytes and a silent one: closed "
          "after %.1f s (--idle-timeout 2); %d counted timeout"
          % (len(first), took, timeouts))
    assert 1.5 <= took <= 5, took
    assert timeouts == 2
    stalled.close()
    silent.close()


def test_client_certificates_under_tls_client_ca(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   "--tls-client-ca", certs.path("cca.pem"),
                   *certs.server_args())
    addr = tls_addr(d)
    with tls_connect(certs.context(client="client"), addr) as s:
        s.sendall(b"mutual\n")
        assert recv_exact_tls(s, 7) == b"mutual\n"
    outcomes = {}
    for who in (None, "expired", "rogue"):
        try:
            with tls_connect(certs.context(client=who), addr) as s:
                # TLS 1.3: the client's half is done before the server
                # has judged its certificate; the verdict comes next.
                s.sendall(b"let me in\n")
                outcomes[who] = s.recv(100)
        except (ssl.SSLError, OSError) as e:
            outcomes[who] = type(e).__name__

    def refused_now():
        return metric(scrape(d), "echod_tls_handshake_failures_total",
                      '{reason="client_cert"}')
    # The client may see the alert before the worker has counted it.
    wait_until(lambda: refused_now() >= 3, what="3 refusals counted")
    refused = refused_now()
    print("# --tls-client-ca: a signed client echoed; none/expired/rogue "
          "got %s; %d counted client_cert" % (outcomes, refused))
    # Refused: an SSL error, a reset, or EOF, never the echo.
    assert all(o != b"let me in\n" for o in outcomes.values()), outcomes
    assert refused == 3


def test_sighup_loads_a_renewed_certificate_for_new_clients(tmp_path,
                                                             echod_with,
                                                             certs):
    conf = tmp_path / "echod.conf"
    conf.write_text("listen tls:127.0.0.1:0\ntls-cert %s\ntls-key %s\n"
                    % (certs.path("srv.pem"), certs.path("srv.key")))
    d = echod_with("--config", str(conf))
    addr = tls_addr(d)

    def serial(s):
        der = s.getpeercert(binary_form=True)
        p = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                            "-serial"], input=der, capture_output=True,
                           check=True)
        return p.stdout.decode().strip().split("=")[1].upper()
    before = tls_connect(certs.context(), addr)
    assert serial(before) == certs.serial("srv.pem")
    tmp = tmp_path / "new.conf"
    tmp.write_text("listen tls:127.0.0.1:0\ntls-cert %s\ntls-key %s\n"
                   % (certs.path("srv2.pem"), certs.path("srv2.key")))
    os.rename(tmp, conf)
    d.signal(signal.SIGHUP)
    d.wait_log(r"TLS: certificate .*, for new connections")
    with tls_connect(certs.context(), addr) as after:
        new = serial(after)
    before.sendall(b"kept my session\n")
    kept = recv_exact_tls(before, 16)
    # A damaged certificate: the reload fails, the running one stays.
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                   "-----END CERTIFICATE-----\n")
    tmp.write_text("listen tls:127.0.0.1:0\ntls-cert %s\ntls-key %s\n"
                   % (bad, certs.path("srv2.key")))
    os.rename(tmp, conf)
    d.signal(signal.SIGHUP)
    failed = d.wait_log(r"reload failed: (.*)").group(1)
    with tls_connect(certs.context(), addr) as later:
        still = serial(later)
    print("# SIGHUP: new clients got serial %s (was %s), the connected one "
          "echoed on; a damaged file: '%s', serial %s kept"
          % (new, certs.serial("srv.pem"), failed, still))
    assert new == certs.serial("srv2.pem") and kept == b"kept my session\n"
    assert str(bad) in failed and still == new
    before.close()


@pytest.mark.parametrize("args,code,says", [
    (["--tls-cert", "MISSING", "--tls-key", "srv.key"], 66,
     "--tls-cert 'MISSING': cannot read it: No such file"),
    (["--tls-cert", "srv.key", "--tls-key", "srv.key"], 65,
     "no PEM certificate in it"),
    (["--tls-cert", "srv.pem", "--tls-key", "srv.pem"], 65,
     "no PEM private key in it"),
    (["--tls-cert", "srv.pem", "--tls-key", "other.key"], 65,
     "does not match the certificate"),
    (["--tls-cert", "srv.pem", "--tls-key", "enc.key"], 65,
     "the key is encrypted"),
    (["--tls-cert", "srv.pem", "--tls-key", "srv.key",
      "--tls-client-ca", "srv.key"], 65, "no PEM certificate in it"),
    (["--tls-cert", "srv.pem"], 64, "--tls-cert is set without --tls-key"),
    (["--tls-client-ca", "ca.pem"], 64, "--tls-client-ca needs"),
])
def test_bad_certificate_files_fail_at_start(certs, args, code, says):
    args = [certs.path(a) if a.endswith((".pem", ".key")) else a
            for a in args]
    if "MISSING" in args:
        args[args.index("MISSING")] = "MISSING"
    rc, _, err = run_cmd(["--listen", "tls:127.0.0.1:0"] + args)
    print("# exit %d: %s" % (rc, err.strip()))
    assert rc == code, err
    assert says in err, err
    assert err.count("\n") == 1, err


def test_tls_needs_a_listener_and_a_certificate(certs):
    rc, _, err = run_cmd(["--listen", "tls:127.0.0.1:0"])
    assert rc == 64 and "needs --tls-cert FILE and --tls-key FILE" in err
    rc, _, err = run_cmd(["--listen", "127.0.0.1:0"] + certs.server_args())
    assert rc == 64 and "no listener speaks TLS" in err, err
    fifo = os.path.join(tempfile.mkdtemp(), "fifo.pem")
    os.mkfifo(fifo)
    rc, _, err = run_cmd(["--listen", "tls:127.0.0.1:0", "--tls-cert",
                          fifo, "--tls-key", certs.path("srv.key")])
    print("# a FIFO as --tls-cert: exit %d, %s" % (rc, err.strip()))
    assert rc == 66 and "it is a FIFO" in err


def test_proxy_header_comes_before_the_handshake(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--proxy-protocol",
                   "--proxy-from", "127.0.0.1", "--deny", "192.0.2.1",
                   *certs.server_args())
    addr = tls_addr(d)
    s = socket.create_connection(addr, timeout=WAIT)
    s.sendall(v2("198.51.100.7"))
    with tls_connect(certs.context(), addr, sock=s) as t:
        t.sendall(b"through a balancer\n")
        assert recv_exact_tls(t, 19) == b"through a balancer\n"
    s = socket.create_connection(addr, timeout=WAIT)
    s.sendall(v2("192.0.2.1"))
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        with tls_connect(certs.context(), addr, sock=s) as t:
            t.sendall(b"denied\n")
            assert t.recv(10) == b""
            raise ConnectionResetError("closed without an echo")


def test_echod_load_speaks_tls_in_every_mode(echod_with, certs):
    load = os.environ["ECHOD_LOAD"]
    d = echod_with("--listen", "tls:127.0.0.1:0", *certs.server_args())
    host, port = tls_addr(d)
    figures = []
    for mode in ("pingpong", "stream", "churn", "idle"):
        p = subprocess.run([load, "--quiet", "--seconds", "0.5", "--port",
                            str(port), "--conns", "20", "--mode", mode,
                            "--tls-ca", certs.path("ca.pem"), "--tls-name",
                            "localhost"], capture_output=True, text=True,
                           timeout=WAIT * 3)
        r = json.loads(p.stdout)
        assert p.returncode == 0 and r["ok"] and r["tls"], (r, p.stderr)
        assert r["mismatches"] == 0 and r["missing"] == 0, r
        figures.append("%s %d msgs %.1f MB/s" % (mode, r["messages"],
                                                r["mb_per_sec"]))
    # A certificate its CA did not sign: no connection is made.
    p = subprocess.run([load, "--quiet", "--seconds", "0.5", "--port",
                        str(port), "--conns", "2", "--tls-ca",
                        certs.path("cca.pem"), "--tls-name", "localhost"],
                       capture_output=True, text=True, timeout=WAIT * 3)
    r = json.loads(p.stdout)
    print("# echod-load --tls: %s; with the wrong CA: exit %d, %s"
          % (", ".join(figures), p.returncode, r["failure"]))
    assert p.returncode == 1 and r["connected"] == 0, r


def test_sigterm_drains_tls_clients_mid_stream(certs):
    with tls_echod(certs) as d:
        s = tls_connect(certs.context(), tls_addr(d))
        s.sendall(b"first half ")
        assert recv_exact_tls(s, 11) == b"first half "
        d.signal(signal.SIGTERM)
        d.wait_log(r"draining 1 connections")
        s.sendall(b"second half\n")
        got = recv_exact_tls(s, 12)
        s.close()
        d.stop()
    assert got == b"second half\n"


def test_idle_timeout_and_max_conns_hold_for_tls(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--idle-timeout", "1",
                   "--max-conns", "2", *certs.server_args())
    addr = tls_addr(d)
    a = tls_connect(certs.context(), addr)
    b = tls_connect(certs.context(), addr)
    third = socket.create_connection(addr, timeout=WAIT)
    third.settimeout(0.5)
    with pytest.raises(socket.timeout):     # in the backlog: no handshake
        tls_connect(certs.context(), addr, sock=third, timeout=0.5)
    third.close()
    start = time.monotonic()
    assert a.recv(10) == b""                # idle: closed
    took = time.monotonic() - start
    print("# --max-conns 2 held a third TLS client in the backlog; an "
          "idle one closed after %.1f s" % took)
    assert took < 3
    b.close()


def test_a_client_that_resets_after_half_closing_costs_no_cpu(echod_with,
                                                              certs):
    # libevent's TLS side reports a failed write as EOF when a FIN
    # without close_notify is allowed; taken for the client's half-close,
    # it had echod re-arm the write for ever: a full core, and a log line
    # per turn at debug.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--log-level", "debug",
                   *certs.server_args())
    addr = tls_addr(d)
    for _ in range(3):
        s = tls_connect(certs.context(), addr)
        s.setblocking(False)
        chunk, deadline = os.urandom(1 << 16), time.monotonic() + 1
        while time.monotonic() < deadline:      # until echod stops reading
            try:
                s.send(chunk)
            except (ssl.SSLWantWriteError, BlockingIOError):
                time.sleep(0.01)
        socket.socket.shutdown(s, socket.SHUT_WR)   # FIN, output pending
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
        socket.socket.close(s)                      # then a reset
    time.sleep(0.5)
    cpu, lines = d.cpu_seconds(), d.log().count("\n")
    time.sleep(1)
    spent, logged = d.cpu_seconds() - cpu, d.log().count("\n") - lines
    print("# 3 TLS clients that half-close and reset with echoes pending: "
          "then %.2f s of CPU and %d log lines in 1 s" % (spent, logged))
    assert spent < 0.2 and logged < 5, (spent, logged)


def test_clients_that_reset_mid_stream_leave_nothing_held(echod_with,
                                                           certs):
    # A TLS write that fails half-way (the client reset) reports the error
    # from inside libevent, which then drains what it did write: the
    # connection's byte count must not hear of it after it was freed.  The
    # window (a reset between two writes of one turn) is narrow: this run
    # did not hit it without the fix, even under ASan; it keeps the count
    # honest for the common case, a reset while echoes are queued.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = tls_addr(d)
    chunk = os.urandom(1 << 16)
    for _ in range(6):
        socks = [tls_connect(certs.context(), addr) for _ in range(10)]
        for s in socks:
            s.setblocking(False)
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            for s in socks:
                try:
                    s.send(chunk)
                    s.recv(1 << 14)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError,
                        BlockingIOError):
                    pass
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            socket.socket.close(s)
    wait_until(lambda: metric(scrape(d), "echod_connections_open") == 0,
               what="every connection closed")
    text = scrape(d)
    held = metric(text, "echod_held_bytes")
    resets = metric(text, "echod_connection_errors_total", '{kind="reset"}')
    print("# 60 TLS clients reset while streaming: %d counted as resets; "
          "echod holds %d bytes afterwards" % (resets, held))
    assert held == 0, held


MISBEHAVE = os.environ.get("ECHOD_TLS_MISBEHAVE", "")


def read_to_the_end(socks):
    """Read each of SOCKS to its end (EOF or a reset), then close it:
    (how many ended, seconds it took)."""
    start, ended = time.monotonic(), 0
    for s in socks:
        s.settimeout(WAIT)
        try:
            while s.recv(4096):
                pass
            ended += 1
        except ConnectionResetError:
            ended += 1
        s.close()
    return ended, time.monotonic() - start


def settle(d, before, socks):
    """After SOCKS sent their bytes: what D's RSS grew by since BEFORE,
    how many of them it closed and how fast, and how many handshakes it
    counted as failed for `protocol`."""
    time.sleep(0.5)
    grown = d.rss_kib() - before
    closed, took = read_to_the_end(socks)
    refused = metric(scrape(d), "echod_tls_handshake_failures_total",
                     '{reason="protocol"}')
    return grown, closed, took, refused


def misbehave(*args):
    """Run tls_misbehave; returns (messages sent, "closed" or "open")."""
    p = subprocess.run([MISBEHAVE] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=60)
    m = re.match(r"sent (\d+), (closed|open)$", p.stdout.strip())
    assert m, (p.stdout, p.stderr)
    return int(m.group(1)), m.group(2)


def test_a_keyupdate_flood_holds_no_worker_and_is_closed(echod_with, certs):
    # With OpenSSL's AUTO_RETRY one read went on through KeyUpdates for
    # as long as they came: every other client of the worker waited (17 s
    # seen), and the flood never ended the connection.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--workers", "1",
                   "--metrics", "0", *certs.server_args())
    addr = tls_addr(d)
    probe = tls_connect(certs.context(), addr)
    flood = subprocess.Popen([MISBEHAVE, "keyupdate", str(addr[1]), "4"],
                             stdout=subprocess.PIPE, text=True)
    worst, start = 0.0, time.monotonic()
    while flood.poll() is None and time.monotonic() - start < 30:
        t = time.monotonic()
        probe.sendall(b"ping\n")
        assert recv_exact_tls(probe, 5) == b"ping\n"
        worst = max(worst, time.monotonic() - t)
        time.sleep(0.01)
    out = flood.communicate(timeout=WAIT)[0].strip()
    # Closed by echod, for that reason, once: only the probe is left.
    wait_until(lambda: metric(scrape(d), "echod_connections_open") == 1,
               what="the flood's connection closed")
    text = scrape(d)
    print("# a TLS 1.3 KeyUpdate flood on a 1-worker echod: %s; another "
          "client's echo took at most %.3f s" % (out, worst))
    assert out.endswith(", closed"), out
    assert worst < 1.0, worst
    assert metric(text, "echod_tls_post_handshake_closed_total") == 1
    assert metric(text, "echod_connection_errors_total",
                  '{kind="reset"}') == 0, text
    assert "sent more than 256 handshake messages" in d.log(), d.log()
    probe.close()


def test_renegotiation_is_refused_and_counted(echod_with, certs):
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    port = tls_addr(d)[1]
    results = [misbehave("renegotiate", port) for _ in range(3)]
    wait_until(lambda: metric(scrape(d), "echod_tls_post_handshake_closed"
                              "_total") == 3, what="3 counted")
    print("# 3 TLS 1.2 renegotiations: %s; 3 counted" % results)
    assert results == [(1, "closed")] * 3
    assert "tried to renegotiate" in d.log(), d.log()
    with tls_connect(certs.context(), tls_addr(d)) as s:
        s.sendall(b"after\n")
        assert recv_exact_tls(s, 6) == b"after\n"


def test_a_declared_huge_client_hello_costs_nothing(echod_with, certs):
    # 9 bytes declaring a 128 KiB ClientHello had OpenSSL allocate (and
    # zero) a buffer that size, kept until the handshake deadline: 2,000
    # such clients cost 300 MB.  They are judged before OpenSSL now.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = "%s:%d" % tls_addr(d)
    need_fds(4096)
    before = d.rss_kib()
    hello = b"\x16\x03\x01\x40\x00" + b"\x01" + (131396).to_bytes(3, "big")
    socks = []
    for _ in range(2000):
        s = connect(addr)
        s.sendall(hello)
        socks.append(s)
    grown, closed, took, refused = settle(d, before, socks)
    print("# 2,000 clients each sending 9 bytes that declare a 131,396-byte "
          "ClientHello: RSS grew %d KiB; all %d closed within %.1f s; %d "
          "counted protocol" % (grown, closed, took, refused))
    assert closed == 2000
    assert refused == 2000
    assert took < 5, took       # the handshake deadline is 10 s
    if not SANITIZED:
        assert grown < 40 * 1024, grown


def first_flight(certs):
    """A real ClientHello (Python's ssl), and the client that made it."""
    into, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = certs.context().wrap_bio(into, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read(), obj, into, out


def reframe(flight, size):
    """FLIGHT's handshake bytes again, in records of at most SIZE."""
    body, off = b"", 0
    while off < len(flight):
        n = int.from_bytes(flight[off + 3:off + 5], "big")
        body += flight[off + 5:off + 5 + n]
        off += 5 + n
    return b"".join(b"\x16\x03\x01" + len(body[i:i + size]).to_bytes(
        2, "big") + body[i:i + size] for i in range(0, len(body), size))


def test_a_trickled_hello_in_records_still_shakes_hands(echod_with, certs):
    # echod waits for the whole ClientHello before OpenSSL sees it: one
    # that trickles in, split over records, must still be served.
    d = echod_with("--listen", "tls:127.0.0.1:0", *certs.server_args())
    s = connect("%s:%d" % tls_addr(d))
    flight, obj, into, out = first_flight(certs)
    data = reframe(flight, 200)
    for i in range(0, len(data), 7):
        s.sendall(data[i:i + 7])
        time.sleep(0.002)
    while True:
        into.write(s.recv(65536))
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        s.sendall(out.read())
    s.sendall(out.read())
    obj.write(b"trickled\n")
    s.sendall(out.read())
    got = b""
    while len(got) < 9:
        try:
            got += obj.read(100)
        except ssl.SSLWantReadError:
            into.write(s.recv(65536))
    assert got == b"trickled\n"
    s.close()


def test_an_unfinished_or_shredded_hello_holds_no_openssl_state(
        echod_with, certs):
    # A ClientHello short of its last byte had OpenSSL hold ~48 KiB until
    # the deadline; one in 1-byte records cost 33 ms of a worker's CPU.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = "%s:%d" % tls_addr(d)
    need_fds(4096)
    flight = first_flight(certs)[0]
    before = d.rss_kib()
    held = []
    for _ in range(1000):
        s = connect(addr)
        s.sendall(flight[:-1])
        held.append(s)
    time.sleep(0.5)
    grown = d.rss_kib() - before
    cpu = d.cpu_seconds()
    shredded = reframe(flight, 1)
    for _ in range(20):
        with connect(addr) as s:
            s.sendall(shredded)
            s.settimeout(WAIT)
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
    spent = d.cpu_seconds() - cpu
    # The client sees the close a moment before the count goes down.
    wait_until(lambda: metric(scrape(d), "echod_connections_open") == 1000,
               what="the 20 shredded hellos closed")
    text = scrape(d)
    print("# 1,000 ClientHellos short of their last byte: RSS grew %d KiB "
          "(%.2f KiB each); 20 in 1-byte records: %.3f s of CPU, %d "
          "counted protocol" % (grown, grown / 1000, spent,
                                metric(text, "echod_tls_handshake_failures"
                                       "_total", '{reason="protocol"}')))
    assert metric(text, "echod_tls_handshake_failures_total",
                  '{reason="protocol"}') == 20, text
    assert metric(text, "echod_connections_open") == 1000, text
    if not SANITIZED:
        assert grown < 4 * 1000, grown
    for s in held:
        s.close()


def test_finite_field_groups_are_not_offered(echod_with, certs):
    # An ffdhe8192 key share cost echod 116 ms of CPU per ClientHello.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    host, port = tls_addr(d)
    p = subprocess.run(["openssl", "s_client", "-connect",
                        "%s:%d" % (host, port), "-groups", "ffdhe8192",
                        "-tls1_3"], input="", capture_output=True,
                       text=True, timeout=WAIT)
    wait_until(lambda: metric(scrape(d), "echod_tls_handshake_failures"
                              "_total", '{reason="version"}') == 1,
               what="the ffdhe8192 refusal counted as version")
    print("# openssl s_client -groups ffdhe8192: exit %d, refused and "
          "counted as version" % p.returncode)
    assert p.returncode != 0


def test_a_client_chain_too_long_is_refused(echod_with, certs, tmp_path):
    # Each certificate of a client's chain is parsed before any is judged:
    # the list is capped at 16 KiB (real chains are a few KiB).
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   "--tls-client-ca", certs.path("cca.pem"),
                   *certs.server_args())
    addr = tls_addr(d)
    with open(certs.path("client.pem")) as f:
        leaf = f.read()
    with open(certs.path("cca.pem")) as f:
        ca = f.read()
    chain = tmp_path / "long.pem"
    chain.write_text(leaf + ca * 60)
    ctx = ssl.create_default_context(cafile=certs.path("ca.pem"))
    ctx.load_cert_chain(str(chain), certs.path("client.key"))
    try:
        with tls_connect(ctx, addr) as s:
            s.sendall(b"let me in\n")
            outcome = s.recv(100)
    except (ssl.SSLError, OSError) as e:
        outcome = type(e).__name__
    wait_until(lambda: metric(scrape(d), "echod_tls_handshake_failures_"
                              "total", '{reason="client_cert"}') == 1,
               what="the long chain's refusal counted as client_cert")
    print("# a signed client certificate sent with %d bytes of chain: %s"
          % (chain.stat().st_size, outcome))
    assert outcome != b"let me in\n"
    with tls_connect(certs.context(client="client"), addr) as s:
        s.sendall(b"short chain\n")
        assert recv_exact_tls(s, 12) == b"short chain\n"


def test_a_client_that_leaves_mid_hello_is_closed_at_once(echod_with,
                                                          certs):
    # Part of a record header, then a FIN (or a reset): a peek still shows
    # the bytes, so without EV_CLOSED it waited for the 10 s deadline and
    # was counted as a timeout.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = "%s:%d" % tls_addr(d)
    start = time.monotonic()
    for reset in (False, True):
        s = connect(addr)
        s.sendall(b"\x16\x03\x01")
        time.sleep(0.1)
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        else:
            s.shutdown(socket.SHUT_WR)
    wait_until(lambda: metric(scrape(d), "echod_connections_open") == 0,
               what="both closed")
    took = time.monotonic() - start
    text = scrape(d)
    closed = metric(text, "echod_tls_handshake_failures_total",
                    '{reason="closed"}')
    print("# 3 bytes of a hello, then a FIN, and then a reset: closed "
          "within %.1f s, %d counted closed" % (took, closed))
    assert closed == 2, text
    assert metric(text, "echod_tls_handshake_failures_total",
                  '{reason="timeout"}') == 0, text
    assert took < 5, took       # the handshake deadline is 10 s


def client_hello_asking_for_a_retry():
    """A TLS 1.3 ClientHello with no key share (RFC 8446 allows it): the
    server must answer with a HelloRetryRequest."""
    def ext(kind, body):
        return kind.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body
    exts = (ext(43, b"\x02\x03\x04") +                  # TLS 1.3
            ext(10, b"\x00\x02\x00\x1d") +              # x25519
            ext(13, b"\x00\x04\x04\x03\x08\x04") +      # ecdsa, rsa-pss
            ext(51, b"\x00\x00"))                       # no key share
    body = (b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) +
            b"\x00\x04\x13\x01\x13\x02" + b"\x01\x00" +
            len(exts).to_bytes(2, "big") + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs


def test_a_retried_hello_is_judged_like_the_first(echod_with, certs):
    # After a HelloRetryRequest, OpenSSL sizes the second ClientHello from
    # its header as it did the first (up to 128 KiB, held until the
    # deadline): 9 bytes again for 155 KB, unless it is judged too.
    d = echod_with("--listen", "tls:127.0.0.1:0", "--metrics", "0",
                   *certs.server_args())
    addr = "%s:%d" % tls_addr(d)
    hrr = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891"
                        "c2a211167abb8c5e079e09e2c8a8339c")
    before = d.rss_kib()
    socks = []
    for _ in range(300):
        s = connect(addr)
        s.sendall(client_hello_asking_for_a_retry())
        got = b""
        while hrr not in got:
            chunk = s.recv(4096)
            assert chunk, "no HelloRetryRequest"
            got += chunk
        # A ChangeCipherSpec, then a second ClientHello of 131,396 bytes.
        s.sendall(b"\x14\x03\x03\x00\x01\x01" + b"\x16\x03\x03\x40\x00" +
                  b"\x01" + (131396).to_bytes(3, "big"))
        socks.append(s)
    grown, closed, took, refused = settle(d, before, socks)
    print("# 300 clients that got a HelloRetryRequest and declared a "
          "131,396-byte second ClientHello: RSS grew %d KiB; all %d closed "
          "within %.1f s; %d counted protocol"
          % (grown, closed, took, refused))
    assert closed == 300
    assert refused == 300
    assert took < 5, took       # the handshake deadline is 10 s
    if not SANITIZED:
        assert grown < 20 * 1024, grown
