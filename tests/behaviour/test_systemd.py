"""echod under systemd's protocols, with systemd's own tools:
socket activation through systemd-socket-activate, sd_notify READY /
STATUS / STOPPING / WATCHDOG to a notify socket the test owns, and the unit
files checked by systemd-analyze verify and security."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from echodtest import (ECHOD, WAIT, Echod, NotifySocket,
                       assert_udp_port_not_shareable, connect, echo_once,
                       free_port, recv_exact, run_cmd, wait_until)

ACTIVATE = shutil.which("systemd-socket-activate")
ANALYZE = shutil.which("systemd-analyze")
NC = shutil.which("nc")
BUILD = os.environ.get("ECHOD_BUILD_ROOT", "")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
EX_CONFIG = 78


class Activated:
    """echod started by systemd-socket-activate (which execs it in place,
    so the process, its pid and exit code are echod's)."""

    def __init__(self, listens, *args, extra=()):
        self.log = tempfile.NamedTemporaryFile(prefix="echod-sa-")
        cmd = [ACTIVATE] + list(extra)
        for l in listens:
            cmd += ["-l", l]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LISTEN_", "NOTIFY_", "JOURNAL_"))}
        self.proc = subprocess.Popen(cmd + [ECHOD] + list(args),
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, env=env)
        wait_until(lambda: self.text().count("Listening on") >= len(listens)
                   or self.proc.poll() is not None,
                   what="systemd-socket-activate to listen")

    def text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(WAIT)
        return rc


def nc_echo(args, data):
    p = subprocess.run([NC, "-N"] + args, input=data, capture_output=True,
                       timeout=WAIT)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_socket_activation_inet_serves_many_clients_in_a_row_and_at_once():
    port = free_port()
    sa = Activated(["127.0.0.1:%d" % port])
    try:
        for i in range(5):   # in a row: the first one starts echod
            data = b"client %d in a row\n" % i
            assert nc_echo(["127.0.0.1", str(port)], data) == data
        procs = [subprocess.Popen([NC, "-N", "127.0.0.1", str(port)],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
                 for _ in range(30)]
        for i, p in enumerate(procs):     # at once
            want = b"concurrent %02d " % i * 100
            out, _ = p.communicate(want, timeout=WAIT)
            assert out == want, (i, out[:40])
        log = sa.text()
        assert re.search(r"listening on 127\.0\.0\.1:%d \(from systemd, "
                         % port, log), log
        assert "started" in log and log.count("echod 0.") == 1, log
    finally:
        assert sa.stop() == 0, sa.text()


def test_socket_activation_port_and_unix_plus_own_listen():
    port = free_port()
    d = tempfile.mkdtemp(prefix="echod-sa-")
    sa_path = os.path.join(d, "activated.sock")
    own_path = os.path.join(d, "own.sock")
    sa = Activated([str(port), sa_path], "--listen", "unix:" + own_path)
    try:
        assert nc_echo(["-U", sa_path], b"via unix\n") == b"via unix\n"
        for host in ("127.0.0.1", "::1"):  # -l PORT is dual-stack [::]
            assert nc_echo([host, str(port)], b"v\n") == b"v\n"
        wait_until(lambda: os.path.exists(own_path), what="own socket")
        assert nc_echo(["-U", own_path], b"own\n") == b"own\n"
        log = sa.text()
        assert "listening on [::]:%d (from systemd" % port in log, log
        assert "listening on unix:%s (from systemd" % sa_path in log, log
        assert "listening on unix:" + own_path in log, log
    finally:
        assert sa.stop() == 0, sa.text()
    # Ours is removed; systemd's socket file is systemd's business.
    assert not os.path.exists(own_path)
    assert os.path.exists(sa_path)


def test_inherited_udp_socket_is_served():
    port = free_port()
    sa = Activated(["127.0.0.1:%d" % port], extra=["--datagram"])
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(WAIT)
            for i in range(5):  # the first one starts echod
                u.sendto(b"datagram %d" % i, ("127.0.0.1", port))
                assert u.recvfrom(100)[0] == b"datagram %d" % i
        assert "listening on udp:127.0.0.1:%d (from systemd" % port \
            in sa.text(), sa.text()
        # systemd bound it with SO_REUSEADDR; echod turns that off, so
        # nobody else can bind the port beside it and take its datagrams.
        assert_udp_port_not_shareable(port)
    finally:
        assert sa.stop() == 0, sa.text()


def test_inherited_unix_datagram_socket_is_refused():
    path = os.path.join(tempfile.mkdtemp(prefix="echod-sa-"), "dgram.sock")
    sa = Activated([path], extra=["--datagram"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as u:
        u.sendto(b"wake up", path)
    rc = sa.proc.wait(WAIT)
    assert rc == EX_CONFIG, (rc, sa.text())
    assert re.search(r"inherited fd 3 \(\S+\) is a Unix datagram socket; "
                     r".*ListenDatagram=", sa.text()), sa.text()


def test_inherited_connection_socket_is_refused():
    port = free_port()
    sa = Activated(["127.0.0.1:%d" % port], extra=["--accept"])
    try:
        c = connect("127.0.0.1:%d" % port)
        wait_until(lambda: "Accept=no" in sa.text(), what="refusal")
        c.close()
        assert "is a connection, not a listening socket" in sa.text()
    finally:
        sa.stop()


def test_sockets_for_another_pid_are_ignored_and_bad_ones_refused():
    # LISTEN_PID names another process: not ours, echod binds as usual.
    with Echod("--listen", "127.0.0.1:0",
               env={"LISTEN_PID": "1", "LISTEN_FDS": "1"}) as d:
        echo_once(d.addrs[0])
        d.stop()
    # Ours but malformed: a clear error, exit 78.
    p = subprocess.run(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=lots exec '
                        '"$0" --listen 127.0.0.1:0', ECHOD],
                       capture_output=True, timeout=WAIT)
    assert p.returncode == EX_CONFIG, p
    assert b"LISTEN_FDS" in p.stderr, p.stderr


def test_ready_before_first_client_status_and_stopping():
    ns = NotifySocket()
    with Echod("--listen", "127.0.0.1:0", wait_ready=False,
               env={"NOTIFY_SOCKET": ns.name}) as d:
        addr = None
        deadline = time.monotonic() + WAIT
        while addr is None and time.monotonic() < deadline:
            m = re.search(r"listening on (\S+)", d.log())
            addr = m.group(1) if m else None
        c = connect(addr)
        c.sendall(b"first")
        assert recv_exact(c, 5) == b"first"
        # READY=1 was sent before that echo: already here, and first.
        first = ns.texts()[0]
        assert first.startswith("READY=1\n"), ns.texts()
        assert "STATUS=serving 1 listener, 0 connections open" in first
        # STATUS follows the connection count (refreshed every 2 s).
        ns.wait_for(r"^STATUS=serving 1 listener, 1 connection open; "
                    r"1 served, 0 MB echoed, 0 datagrams$")
        d.signal(signal.SIGTERM)
        m = ns.wait_for(r"^STOPPING=1")
        assert "STATUS=draining 0 listeners, 1 connection open" in m, m
        c.close()
        assert d.wait() == 0, d.log()
        assert not any("WATCHDOG" in m for m in ns.texts()), ns.texts()


def test_watchdog_pings_at_half_the_interval():
    ns = NotifySocket()
    with Echod("--listen", "127.0.0.1:0",
               env={"NOTIFY_SOCKET": ns.name,
                    "WATCHDOG_USEC": "200000"}) as d:
        assert "watchdog on: pinging systemd every 100 ms" in d.log()
        ns.wait_for("^READY=1")
        time.sleep(1.5)
        pings = [t for t, m in list(ns.messages) if m == "WATCHDOG=1"]
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        median = gaps[len(gaps) // 2]
        print("# %d WATCHDOG=1 pings, median gap %.0f ms (want 100)"
              % (len(pings), median * 1000))
        # Half of WATCHDOG_USEC; loose bounds for a shared 2-core machine.
        assert len(pings) >= 8, pings
        assert 0.05 <= median <= 0.15, gaps
        d.stop()


def test_watchdog_for_another_pid_is_off():
    ns = NotifySocket()
    with Echod("--listen", "127.0.0.1:0",
               env={"NOTIFY_SOCKET": ns.name, "WATCHDOG_USEC": "100000",
                    "WATCHDOG_PID": "1"}) as d:
        ns.wait_for("^READY=1")
        time.sleep(0.5)
        assert "WATCHDOG=1" not in ns.texts(), ns.texts()
        d.stop()


def test_stalled_notify_reader_does_not_stall_the_echo():
    ns = NotifySocket(read=False)   # its queue fills after 10 messages
    with Echod("--listen", "127.0.0.1:0",
               env={"NOTIFY_SOCKET": ns.name,
                    "WATCHDOG_USEC": "20000"}) as d:
        time.sleep(0.5)             # 25 pings: the queue is long full
        for i in range(20):
            echo_once(d.addrs[0], b"still echoing %d\n" % i)
        d.stop()
        assert d.log().count("cannot notify systemd") == 1, d.log()


def test_abstract_notify_socket():
    ns = NotifySocket(abstract=True)
    with Echod("--listen", "127.0.0.1:0",
               env={"NOTIFY_SOCKET": ns.name}) as d:
        ns.wait_for("^READY=1")
        d.stop()
        ns.wait_for("^STOPPING=1")


def test_unreachable_notify_socket_is_a_warning_not_a_failure():
    with Echod("--listen", "127.0.0.1:0",
               env={"NOTIFY_SOCKET": "/nonexistent/notify"}) as d:
        d.wait_log(r"warn: cannot notify systemd at "
                   r"NOTIFY_SOCKET=/nonexistent/notify")
        echo_once(d.addrs[0])
        d.stop()
        assert d.log().count("cannot notify systemd") == 1


def units_dir():
    """The built units with ExecStart= pointing at the binary under test,
    and a man page directory so Documentation=man:echod(8) resolves."""
    d = tempfile.mkdtemp(prefix="echod-units-")
    built = os.path.join(BUILD, "src", "systemd")
    for name, inst in (("echod", "echod"), ("echod@", "echod@7000")):
        with open(os.path.join(built, name + ".service")) as f:
            text = re.sub(r"(?m)^ExecStart=\S+", "ExecStart=" + ECHOD,
                          f.read())
        with open(os.path.join(d, inst + ".service"), "w") as f:
            f.write(text)
        shutil.copy(os.path.join(SOURCE, "src", "systemd", name + ".socket"),
                    os.path.join(d, inst + ".socket"))
    os.makedirs(os.path.join(d, "man", "man8"))
    shutil.copy(os.path.join(SOURCE, "docs", "echod.8"),
                os.path.join(d, "man", "man8"))
    return d


def test_units_pass_systemd_analyze_verify():
    d = units_dir()
    env = dict(os.environ, MANPATH=os.path.join(d, "man"))
    for inst in ("echod", "echod@7000"):
        p = subprocess.run([ANALYZE, "verify",
                            os.path.join(d, inst + ".socket"),
                            os.path.join(d, inst + ".service")],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        assert p.returncode == 0 and p.stderr.strip() == "", (inst, p.stderr)
        with open(os.path.join(d, inst + ".service")) as f:
            unit = f.read()
        assert "Type=notify" in unit and "WatchdogSec=" in unit
    # And the check can fail: a unit with a typo is caught.
    with open(os.path.join(d, "echod.service"), "a") as f:
        f.write("ProtectSytem=strict\n")
    p = subprocess.run([ANALYZE, "verify", os.path.join(d, "echod.socket"),
                        os.path.join(d, "echod.service")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert "ProtectSytem" in p.stderr, p.stderr


def test_service_exposure_is_at_most_2_0():
    d = units_dir()
    for inst in ("echod", "echod@7000"):
        path = os.path.join(d, inst + ".service")
        p = subprocess.run([ANALYZE, "security", "--offline=true",
                            "--threshold=20", path],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)",
                      p.stdout)
        assert m, p.stdout + p.stderr
        print("# systemd-analyze security %s.service: %s %s"
              % (inst, m.group(1), m.group(2)))
        assert float(m.group(1)) <= 2.0, p.stdout
        assert p.returncode == 0, p.stdout


def test_meson_install_places_binary_units_and_man_page():
    dest = tempfile.mkdtemp(prefix="echod-install-")
    p = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild",
                        "--destdir", dest], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    found = {}
    for root, _, files in os.walk(dest):
        for f in files:
            found[f] = os.path.join(root, f)
    for f in ("echod", "echod.8", "echod.socket", "echod.service",
              "echod@.socket", "echod@.service", "echod.conf"):
        assert f in found, (f, sorted(found))
    assert os.access(found["echod"], os.X_OK)
    installed = "/" + os.path.relpath(found["echod"], dest)
    conf = "/" + os.path.relpath(found["echod.conf"], dest)
    assert conf.endswith("/etc/echod/echod.conf"), conf
    for unit, args in (("echod.service",
                        " --fd-store 262000 --config " + conf),
                       ("echod@.service", "")):
        with open(found[unit]) as f:
            text = f.read()
        assert "ExecStart=%s%s\n" % (installed, args) in text, text
        assert "@" + "sbindir@" not in text
    # The installed file parses, as echod would read it.
    rc, out, err = run_cmd(["--config", found["echod.conf"], "--help"])
    assert rc == 0, err
    assert os.path.dirname(found["echod.service"]).endswith(
        "lib/systemd/system"), found["echod.service"]
    shutil.rmtree(dest)

