"""Live statistics: /metrics in the Prometheus text format (checked by a
strict parser of the format, and by promtool where installed), values
against a known load, /healthz, SIGUSR1 and --stats-interval lines."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

from echodtest import WAIT, Echod, connect, echo_once, recv_exact, wait_until

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$"
                    % (NAME, LABEL, LABEL))


def parse_prometheus(text):
    """Parse text format 0.0.4 strictly; return {(name, labels): value}.
    Checks: every line is a comment, HELP, TYPE or a sample; TYPE comes
    once per family and before its samples; counters end in _total; no
    series twice; the text ends with a newline."""
    assert text.endswith("\n"), "no final newline"
    types, series = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            assert re.match(r"^# HELP %s .+$" % NAME, line), (n, line)
            continue
        if line.startswith("# TYPE "):
            m = re.match(r"^# TYPE (%s) (counter|gauge|histogram|summary|"
                         r"untyped)$" % NAME, line)
            assert m, (n, line)
            assert m.group(1) not in types, ("TYPE twice", line)
            types[m.group(1)] = m.group(2)
            continue
        assert not line.startswith("#") or line.startswith("# "), line
        if line.startswith("#") or line == "":
            continue
        m = SAMPLE.match(line)
        assert m, ("not a sample", n, line)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        assert name in types, ("sample before its TYPE", line)
        if types[name] == "counter":
            assert name.endswith("_total"), name
        assert (name, labels) not in series, ("duplicate", line)
        series[(name, labels)] = float(value)
    return series


def scrape(base, path="/metrics"):
    with urllib.request.urlopen(base + path, timeout=WAIT) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def metrics_base(d):
    return d.wait_log(r"metrics on (http://\S+)/metrics").group(1)


def test_metrics_parse_and_count_a_known_load():
    with Echod("--listen", "127.0.0.1:0", "--listen", "udp:127.0.0.1:0",
               "--metrics", "0", "--deny", "127.0.0.9") as d:
        base = metrics_base(d)
        tcp = [a for a in d.addrs if not a.startswith("udp:")][0]
        udp = [a for a in d.addrs if a.startswith("udp:")][0][4:]
        nclients, size = 7, 12345
        for i in range(nclients):
            with connect(tcp) as s:
                s.sendall(bytes([i]) * size)
                assert recv_exact(s, size) == bytes([i]) * size
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(WAIT)
        host, port = udp.rsplit(":", 1)
        for i in range(5):
            u.sendto(b"x" * 100, (host, int(port)))
            assert u.recvfrom(200)[0] == b"x" * 100
        denied = socket.socket()
        denied.bind(("127.0.0.9", 0))
        denied.connect(tuple([tcp.rsplit(":", 1)[0],
                              int(tcp.rsplit(":", 1)[1])]))
        denied.close()
        resetter = connect(tcp)                 # one client resets
        resetter.sendall(b"r")
        assert recv_exact(resetter, 1) == b"r"
        resetter.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        resetter.close()
        held = connect(tcp)
        held.sendall(b"h")
        assert recv_exact(held, 1) == b"h"
        wait_until(lambda: parse_prometheus(scrape(base)[2]).get(
            ("echod_connections_closed_total", ""), 0) == nclients + 1,
            what="closes counted")
        status, ctype, text = scrape(base)
        assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
        m = parse_prometheus(text)
        want = {
            ("echod_connections_accepted_total", ""): nclients + 2,
            ("echod_connections_closed_total", ""): nclients + 1,
            ("echod_connection_errors_total", '{kind="reset"}'): 1,
            ("echod_connection_errors_total", '{kind="oom"}'): 0,
            ("echod_connections_open", ""): 1,
            ("echod_connections_refused_total", '{reason="acl"}'): 1,
            ("echod_received_bytes_total", '{proto="tcp"}'):
                nclients * size + 2,
            ("echod_sent_bytes_total", '{proto="tcp"}'): nclients * size + 2,
            ("echod_datagrams_received_total", ""): 5,
            ("echod_datagrams_sent_total", ""): 5,
            ("echod_received_bytes_total", '{proto="udp"}'): 500,
            ("echod_sent_bytes_total", '{proto="udp"}'): 500,
            ("echod_listeners", ""): 2,
            ("echod_build_info", '{version="0.1.0"}'): 1,
        }
        for k, v in want.items():
            assert m.get(k) == v, (k, m.get(k), v)
        # The process_* series client libraries export, against /proc.
        limits = open("/proc/%d/limits" % d.pid()).read()
        soft = int(re.search(r"Max open files\s+(\d+)", limits).group(1))
        assert m[("process_max_fds", "")] == soft
        fds = len(os.listdir("/proc/%d/fd" % d.pid()))
        assert abs(m[("process_open_fds", "")] - fds) <= 2, fds
        rss = d.rss_kib() * 1024
        assert 0.5 * rss < m[("process_resident_memory_bytes", "")] < 2 * rss
        assert abs(m[("process_start_time_seconds", "")] - time.time()) < 60
        assert m[("process_cpu_seconds_total", "")] >= 0
        assert m[("echod_connections_max", "")] > 0
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stdout + p.stderr
            print("# promtool check metrics: ok")
        else:
            print("# promtool not installed: checked with the strict "
                  "text-format parser in this file")
        held.close()
        d.stop()


def test_parser_rejects_broken_exposition():
    # The checker must be able to fail.
    for bad in ("echod_x 1\n",                                # no TYPE
                "# TYPE echod_x counter\necho_x 1\n",          # no TYPE
                "# TYPE echod_x counter\necho_x_total 1",       # no newline
                "# TYPE a gauge\na{b=\"c\",} 1\n",             # bad labels
                "# TYPE a gauge\na 1\na 2\n"):                 # duplicate
        try:
            parse_prometheus(bad)
        except AssertionError:
            continue
        raise AssertionError("accepted: %r" % bad)


def test_healthz_and_errors():
    with Echod("--listen", "127.0.0.1:0", "--metrics", "0",
               "--drain-timeout", "60") as d:
        base = metrics_base(d)
        assert scrape(base, "/healthz")[0::2] == (200, "ok\n")
        for path, code in (("/nope", 404),):
            try:
                scrape(base, path)
                raise AssertionError("no error for " + path)
            except urllib.error.HTTPError as e:
                assert e.code == code, (path, e.code)
        try:
            urllib.request.urlopen(urllib.request.Request(
                base + "/metrics", data=b"x", method="POST"), timeout=WAIT)
            raise AssertionError("POST accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 405, e.code
        # While draining, /healthz says so (load balancers stop sending).
        held = connect(d.addrs[0])
        held.sendall(b"x")
        assert recv_exact(held, 1) == b"x"
        d.signal(signal.SIGTERM)
        d.wait_log(r"draining 1 connections")
        try:
            scrape(base, "/healthz")
            raise AssertionError("healthy while draining")
        except urllib.error.HTTPError as e:
            assert e.code == 503 and e.read() == b"draining\n"
        held.close()
        assert d.wait() == 0


def test_acl_applies_to_the_metrics_port():
    with Echod("--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
               "--deny", "127.0.0.2") as d:
        host, port = metrics_base(d)[len("http://"):].rsplit(":", 1)
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(WAIT)
        s.connect((host, int(port)))
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        try:
            assert s.recv(100) == b"", "a denied address was answered"
        except ConnectionResetError:
            pass
        s.close()
        assert scrape(metrics_base(d))[0] == 200
        d.stop()


def test_sigusr1_and_stats_interval_log_totals():
    with Echod("--listen", "127.0.0.1:0", "--stats-interval", "1") as d:
        echo_once(d.addrs[0], b"12345")
        d.wait_log(r"stats: 0 open, 1 accepted, 1 closed \(0 timed out; "
                   r"errors: 0 reset, 0 out of memory, 0 other\).* tcp 5 "
                   r"bytes in, 5 out")
        n = d.log().count("stats: ")
        d.signal(signal.SIGUSR1)
        wait_until(lambda: d.log().count("stats: ") > n, what="SIGUSR1")
        assert d.proc.poll() is None, "SIGUSR1 killed echod"
        d.stop()


def test_metrics_bind_errors_are_explained():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        from echodtest import run_cmd
        rc, out, err = run_cmd(["--listen", "127.0.0.1:0", "--metrics",
                                "127.0.0.1:%d" % port])
        assert rc == 69 and "in use" in err, (rc, err)
        rc, out, err = run_cmd(["--metrics", "unix:/x"])
        assert rc == 64 and "--metrics 'unix:/x'" in err, err
        rc, out, err = run_cmd(["--metrics", "99999"])
        assert rc == 64 and err.startswith("echod: --metrics '99999'"), err
    finally:
        holder.close()

