#!/usr/bin/python3
"""Runs inside a booted Debian 12 (systemd as PID 1, in systemd-nspawn)
where the echod package has just been installed with apt: what an
operator would check, each result written to /root/results.json for the
host side (tests/system/test_package.py) to judge.  Then power off.

Standard library only; the tree has python3, iproute2, procps and
/root/echod-load (the project's load generator, from the host's build)."""
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import traceback

RESULTS = "/root/results.json"
results = {}


def sh(*args, check=True, timeout=60):
    p = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d: %s%s" % (" ".join(args),
                             p.returncode, p.stdout, p.stderr))
    return p.stdout.strip()


def prop(unit, name):
    return sh("systemctl", "show", "-p", name, "--value", unit)


def wait(pred, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def check(name):
    """Decorator: run the check, record ok/failed with its figures."""
    def wrap(fn):
        start = time.monotonic()
        try:
            detail = fn()
            results[name] = {"ok": True, "detail": detail}
        except Exception:
            results[name] = {"ok": False, "detail": traceback.format_exc()}
        results[name]["seconds"] = round(time.monotonic() - start, 2)
        with open(RESULTS, "w") as f:
            json.dump(results, f, indent=1)
        return fn
    return wrap


def echo(host, port=7, data=b"hello from the checks\n", timeout=10):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(65536)
            if not b:
                break
            got += b
    return got == data


def udp_echo(host, port=7, data=b"datagram\n"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(data, (host, port))
        return s.recvfrom(100)[0] == data


def journal():
    """echod's journal entries (JSON), oldest first."""
    args = ["journalctl", "-u", "echod.service", "-o", "json",
            "--no-pager"]
    out = sh(*args, check=False)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main_pid():
    return int(prop("echod.service", "MainPID"))


@check("socket_enabled_and_listening")
def socket_enabled():
    assert sh("systemctl", "is-enabled", "echod.socket") == "enabled"
    wait(lambda: sh("systemctl", "is-active", "echod.socket",
                    check=False) == "active", what="echod.socket active")
    listening = sh("ss", "-Hlntu")
    assert re.search(r"tcp\s+LISTEN.*:7\s", listening), listening
    assert re.search(r"udp\s+UNCONN.*:7\s", listening), listening
    state = sh("systemctl", "is-active", "echod.service", check=False)
    assert state == "inactive", state
    return "echod.socket enabled and listening on TCP and UDP port 7; " \
        "echod.service %s before the first client" % state


@check("first_client_starts_the_service")
def first_client():
    start = time.monotonic()
    assert echo("127.0.0.1")
    took = time.monotonic() - start
    wait(lambda: sh("systemctl", "is-active", "echod.service",
                    check=False) == "active", what="echod.service active")
    return "the first client got its echo after %.2f s, and " \
        "echod.service is active" % took


@check("tcp_udp_ipv4_ipv6")
def families():
    assert echo("127.0.0.1") and echo("::1")
    assert udp_echo("127.0.0.1") and udp_echo("::1")
    return "TCP and UDP echo over 127.0.0.1 and ::1"


@check("hardening_in_force")
def hardening():
    pid = main_pid()
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    field = dict(re.findall(r"^(\w+):\s*(.*)$", status, re.M))
    uid = int(field["Uid"].split()[0])
    assert int(field["CapEff"], 16) == 0, field["CapEff"]
    assert int(field["CapPrm"], 16) == 0, field["CapPrm"]
    assert 61184 <= uid <= 65519, uid          # DynamicUser= range
    assert field["NoNewPrivs"] == "1", field["NoNewPrivs"]
    assert field["Seccomp"] == "2", field["Seccomp"]
    out = sh("systemd-analyze", "security", "echod.service", check=False)
    m = re.search(r"Overall exposure level for echod.service: (\d+\.\d+)",
                  out)
    assert m and float(m.group(1)) <= 2.0, out[-500:]
    return "pid %d: CapEff 0, dynamic uid %d, NoNewPrivs 1, Seccomp 2 " \
        "(filter); systemd-analyze security: %s" % (pid, uid, m.group(1))


@check("journald_priorities")
def priorities():
    entries = journal()
    info = [e for e in entries if str(e.get("MESSAGE", "")).startswith(
        "listening on")]
    assert info and all(e["PRIORITY"] == "6" for e in info), info[:2]
    for e in entries:
        msg = str(e.get("MESSAGE", ""))
        assert not re.match(r"\d{4}-\d\d-\d\dT", msg), msg
        assert not msg.startswith("<"), msg
    started = [str(e.get("MESSAGE", "")) for e in entries
               if "started (" in str(e.get("MESSAGE", ""))]
    m = re.search(r"memory-limit (\d+) \(([^)]*)\)", started[0])
    assert m and int(m.group(1)) >= 256 << 20, started[0]
    return "%d lines; 'listening on ...' at PRIORITY=6; no timestamps or " \
        "<N> prefixes of echod's own in MESSAGE; memory-limit %d MiB (%s)" \
        % (len(entries), int(m.group(1)) >> 20, m.group(2))


@check("reload_applies_config_keeps_pid_and_clients")
def reload():
    pid = main_pid()
    held = socket.create_connection(("127.0.0.1", 7), timeout=10)
    held.sendall(b"before\n")
    assert held.recv(100) == b"before\n"
    with open("/etc/echod/echod.conf", "a") as f:
        f.write("max-conns 3\n")
    sh("systemctl", "reload", "echod.service")
    wait(lambda: any("configuration reloaded" in str(e.get("MESSAGE", ""))
                     and "max-conns 3" in str(e.get("MESSAGE", ""))
                     for e in journal()), what="the reload in the journal")
    assert main_pid() == pid, (pid, main_pid())
    held.sendall(b"after\n")
    assert held.recv(100) == b"after\n"
    # The new limit holds, and reaching it is a warning: PRIORITY=4.
    more = [socket.create_connection(("127.0.0.1", 7), timeout=10)
            for _ in range(2)]
    for s in more:
        s.sendall(b"x")
        assert s.recv(1) == b"x"
    wait(lambda: any(str(e.get("MESSAGE", "")).startswith(
        "reached --max-conns 3") and e["PRIORITY"] == "4"
        for e in journal()), what="the --max-conns warning at PRIORITY=4")
    for s in more + [held]:
        s.close()
    with open("/etc/echod/echod.conf") as f:
        text = f.read().replace("max-conns 3\n", "")
    with open("/etc/echod/echod.conf.new", "w") as f:
        f.write(text)
    os.rename("/etc/echod/echod.conf.new", "/etc/echod/echod.conf")
    sh("systemctl", "reload", "echod.service")
    return "systemctl reload: max-conns 3 applied, MainPID %d kept, the " \
        "connected client echoed on; the warning at the limit arrived " \
        "with PRIORITY=4" % pid


def streamers(n, seconds, chunk=4096):
    """N clients each sending random bytes for SECONDS, reading as they
    go; returns a list of dicts: sent, got, equal, error."""
    out = [dict(sent=0, got=0, equal=True, error=None) for _ in range(n)]

    def client(r):
        try:
            s = socket.create_connection(("127.0.0.1", 7), timeout=15)
        except OSError as e:
            r["error"] = "connect: %s" % e
            return
        rng = random.Random(id(r))
        sent, got = bytearray(), bytearray()
        stop = time.monotonic() + seconds
        s.settimeout(15)
        try:
            while time.monotonic() < stop:
                data = rng.randbytes(chunk)
                s.sendall(data)
                sent += data
                got += s.recv(65536)
            s.shutdown(socket.SHUT_WR)
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except OSError as e:
            r["error"] = str(e)
        r["sent"], r["got"] = len(sent), len(got)
        r["equal"] = bytes(got) == bytes(sent[:len(got)])
        s.close()
    threads = [threading.Thread(target=client, args=(r,)) for r in out]
    for t in threads:
        t.start()
    return out, threads


@check("stop_drains_every_byte")
def stop_drains():
    assert echo("127.0.0.1")
    res, threads = streamers(10, 2.0)
    time.sleep(0.7)
    t0 = time.monotonic()
    sh("systemctl", "stop", "echod.service", timeout=60)
    stop_took = time.monotonic() - t0
    for t in threads:
        t.join(30)
    result = prop("echod.service", "Result")
    bad = [r for r in res if r["error"] or not r["equal"] or
           r["got"] != r["sent"]]
    assert not bad, bad
    assert result == "success", result
    total = sum(r["sent"] for r in res)
    return "systemctl stop with 10 clients streaming: all %d bytes came " \
        "back to their senders, exact; stop took %.2f s; Result=%s" % (
            total, stop_took, result)


def load(conns, seconds):
    """echod-load ping-pong (4 KiB of checked bytes per message) on port 7,
    without --reconnect: a connection cut is an error."""
    return subprocess.Popen(
        ["/root/echod-load", "--port", "7", "--mode", "pingpong",
         "--conns", str(conns), "--size", "4K", "--seconds", str(seconds),
         "--quiet"], stdout=subprocess.PIPE, text=True)


def load_result(p):
    out, _ = p.communicate(timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def newcomer(waited):
    """A client arriving as a restart begins: how long until its echo."""
    time.sleep(0.05)
    t = time.monotonic()
    waited.append((echo("127.0.0.1", timeout=30), time.monotonic() - t))


def store_empty():
    return prop("echod.service", "NFileDescriptorStore") == "0"


@check("restart_keeps_every_connection")
def restart():
    assert echo("127.0.0.1")           # the socket starts it again
    wait(lambda: main_pid() != 0, what="a running echod")
    p = load(200, 14)
    time.sleep(2)
    pids, took, waited = [main_pid()], [], []
    for _ in range(3):
        probe = threading.Thread(target=newcomer, args=(waited,))
        t0 = time.monotonic()
        probe.start()
        sh("systemctl", "restart", "echod.service", timeout=60)
        took.append(time.monotonic() - t0)
        probe.join(40)
        wait(lambda: main_pid() not in (0, pids[-1]), what="a new echod")
        pids.append(main_pid())
        wait(store_empty, what="the store emptied by the new echod")
        time.sleep(2)
    r = load_result(p)
    assert r["ok"] and r["errors"] == 0 and r["reconnects"] == 0 and \
        r["mismatches"] == 0 and r["missing"] == 0, r
    assert r["open"] == 200, r
    assert all(ok for ok, _ in waited), waited
    log = sh("journalctl", "-b", "-u", "echod.service", "--no-pager",
             "-o", "cat")
    handed = re.findall(r"handed (\d+) connections to systemd", log)
    back = re.findall(r"took back (\d+) connections", log)
    # 200, or 201 when the newcomer was accepted before the restart.
    assert len(handed) >= 3 and handed[-3:] == back[-3:] and \
        all(int(n) >= 200 for n in handed[-3:]), (handed, back)
    return ("3 x systemctl restart with 200 clients in 4 KiB ping-pong "
            "(echod-load, no --reconnect): pids %s; every connection kept "
            "(%d errors, %d mismatched, %d missing bytes, %d messages); "
            "each old echod handed %s connections over and the next took "
            "them back; systemctl restart took %s s; the longest a client "
            "waited for an echo: %.0f ms (latency max); a new client "
            "arriving as each restart began waited %s s" % (
                " -> ".join(map(str, pids)), r["errors"], r["mismatches"],
                r["missing"], r["messages"], "/".join(handed[-3:]),
                ", ".join("%.2f" % t for t in took),
                r["latency_us"]["max"] / 1000,
                ", ".join("%.2f" % w for _, w in waited)))


@check("sigkill_does_not_resurrect_connections")
def sigkill():
    assert echo("127.0.0.1")
    wait(lambda: main_pid() != 0, what="a running echod")
    p = load(50, 6)
    time.sleep(1.5)
    pid = main_pid()
    os.kill(pid, 9)
    r = load_result(p)
    wait(lambda: main_pid() not in (0, pid), timeout=30,
         what="echod started again after SIGKILL")
    assert echo("127.0.0.1")
    assert store_empty()
    log = sh("journalctl", "-b", "_PID=%d" % main_pid(), "--no-pager",
             "-o", "cat", check=False)
    assert "took back" not in log, log
    # Every client saw its connection end: none came back to life with
    # a hole in its stream.
    assert r["mismatches"] == 0 and r["errors"] == 50, r
    return ("SIGKILL of pid %d under 50 clients: all 50 saw their "
            "connection end (%d errors, %d mismatched bytes, %d bytes lost "
            "in flight); pid %d took back nothing and echoes; the store "
            "is empty" % (pid, r["errors"], r["mismatches"], r["missing"],
                          main_pid()))


@check("watchdog_restarts_a_stopped_daemon")
def watchdog():
    os.makedirs("/etc/systemd/system/echod.service.d", exist_ok=True)
    with open("/etc/systemd/system/echod.service.d/watchdog.conf",
              "w") as f:
        f.write("[Service]\nWatchdogSec=2s\n")
    sh("systemctl", "daemon-reload")
    sh("systemctl", "restart", "echod.service")
    assert echo("127.0.0.1")
    pid = main_pid()
    restarts = int(prop("echod.service", "NRestarts"))
    os.kill(pid, 19)                   # SIGSTOP: hung, as far as we know
    t0 = time.monotonic()
    wait(lambda: main_pid() not in (0, pid) and sh(
        "systemctl", "is-active", "echod.service", check=False) == "active",
        timeout=30, what="a new echod after the watchdog")
    took = time.monotonic() - t0
    assert echo("127.0.0.1")
    n = int(prop("echod.service", "NRestarts"))
    assert n > restarts, (n, restarts)
    os.remove("/etc/systemd/system/echod.service.d/watchdog.conf")
    sh("systemctl", "daemon-reload")
    return "WatchdogSec=2s: pid %d stopped with SIGSTOP was killed and " \
        "replaced by pid %d after %.1f s (NRestarts %d -> %d); it echoes" % (
            pid, main_pid(), took, restarts, n)


def higher_version(deb):
    """DEB repacked as the next version (what an upgrade installs)."""
    work = "/root/upgrade"
    sh("rm", "-rf", work)
    sh("dpkg-deb", "-R", deb, work)
    with open(work + "/DEBIAN/control") as f:
        control = f.read()
    version = re.search(r"^Version: (\S+)$", control, re.M).group(1)
    with open(work + "/DEBIAN/control", "w") as f:
        f.write(control.replace("Version: " + version,
                                "Version: " + version + "+upgrade1"))
    out = "/root/echod-upgrade.deb"
    sh("dpkg-deb", "-b", work, out, timeout=120)
    return out, version, version + "+upgrade1"


@check("upgrade_keeps_every_connection")
def upgrade():
    assert echo("127.0.0.1")
    wait(lambda: main_pid() != 0, what="a running echod")
    pid = main_pid()
    deb = [f for f in os.listdir("/root") if f.endswith(".deb") and
           f.startswith("echod_")][0]
    new, old_v, new_v = higher_version("/root/" + deb)
    stop = threading.Event()
    refused = []

    def knock():                       # the port must stay open
        while not stop.is_set():
            try:
                echo("127.0.0.1", timeout=30)
            except OSError as e:
                refused.append(str(e))
            time.sleep(0.05)
    t = threading.Thread(target=knock)
    t.start()
    p = load(200, 10)
    time.sleep(2)
    sh("apt-get", "install", "-y", "-q", new, timeout=120)
    wait(lambda: main_pid() not in (0, pid), timeout=30,
         what="echod started again on the new package")
    r = load_result(p)
    stop.set()
    t.join(40)
    installed = sh("dpkg-query", "-W", "-f", "${Version}", "echod")
    assert installed == new_v, installed
    assert sh("systemctl", "is-active", "echod.socket") == "active"
    assert not refused, refused[:3]
    assert r["ok"] and r["errors"] == 0 and r["reconnects"] == 0 and \
        r["mismatches"] == 0 and r["missing"] == 0, r
    return ("apt install of %s over %s with 200 clients in 4 KiB "
            "ping-pong: pid %d -> %d, every connection kept (%d errors, %d "
            "mismatched, %d missing bytes), the longest wait for an echo "
            "%.0f ms; echod.socket active throughout, every new client "
            "echoed (0 refused)" % (
                new_v, old_v, pid, main_pid(), r["errors"], r["mismatches"],
                r["missing"], r["latency_us"]["max"] / 1000))


@check("tls_through_its_socket_and_credentials")
def tls_credentials():
    import shutil
    import ssl
    example = "/usr/share/doc/echod/examples/tls-credentials.conf"
    dropin = "/etc/systemd/system/echod.service.d/tls-credentials.conf"
    os.makedirs("/etc/echod/tls", mode=0o700)
    for name in ("echod.crt", "echod.key"):
        shutil.copy("/root/tls/" + name, "/etc/echod/tls/" + name)
        os.chmod("/etc/echod/tls/" + name, 0o600)   # root's alone
    shutil.copy(example, dropin)
    with open("/etc/echod/echod.conf") as f:
        conf = f.read()
    with open("/etc/echod/echod.conf.new", "w") as f:
        f.write(conf + "tls-cert /run/credentials/echod.service/tls.crt\n"
                "tls-key /run/credentials/echod.service/tls.key\n")
    os.rename("/etc/echod/echod.conf.new", "/etc/echod/echod.conf")
    try:
        # systemd starts no socket whose service is running: stop it.
        sh("systemctl", "daemon-reload")
        sh("systemctl", "stop", "echod.service", timeout=60)
        sh("systemctl", "enable", "--now", "echod-tls.socket")
        sh("systemctl", "start", "echod.service", timeout=60)
        ctx = ssl.create_default_context(cafile="/root/tls/ca.pem")
        data = os.urandom(1 << 20)
        with socket.create_connection(("127.0.0.1", 7443), timeout=10) as s, \
                ctx.wrap_socket(s, server_hostname="localhost") as t:
            version = t.version()
            t.sendall(data)
            got = b""
            while len(got) < len(data):
                b = t.recv(1 << 16)
                assert b, "EOF after %d bytes" % len(got)
                got += b
        assert got == data
        assert echo("127.0.0.1")            # port 7 still plain
        user = sh("ps", "-o", "user=", "-p", str(main_pid()))
        listing = sh("ls", "-l", "/run/credentials/echod.service")
        log = "\n".join(str(e.get("MESSAGE", "")) for e in journal())
        assert "TLS: certificate /CN=localhost" in log, log[-2000:]
        return ("echod-tls.socket (port 7443, FileDescriptorName=tls) and "
                "the shipped drop-in's LoadCredential=: 1 MiB echoed over "
                "%s to a client that verified the certificate; key file "
                "0600 root, read by echod as dynamic user %s from %s"
                % (version, user, listing.replace("\n", "; ")))
    finally:
        sh("systemctl", "stop", "echod.service", check=False, timeout=60)
        sh("systemctl", "disable", "--now", "echod-tls.socket", check=False)
        os.unlink(dropin)
        with open("/etc/echod/echod.conf.new", "w") as f:
            f.write(conf)
        os.rename("/etc/echod/echod.conf.new", "/etc/echod/echod.conf")
        shutil.rmtree("/etc/echod/tls")
        sh("systemctl", "daemon-reload", check=False)
        sh("systemctl", "restart", "echod.service", check=False, timeout=60)


@check("remove_and_purge")
def remove_purge():
    sh("apt-get", "remove", "-y", "-q", "echod", timeout=120)
    for unit in ("echod.socket", "echod.service"):
        state = sh("systemctl", "is-active", unit, check=False)
        assert state in ("inactive", "failed") or "could not" in state, \
            (unit, state)
    assert os.path.exists("/etc/echod/echod.conf")   # remove keeps it
    sh("apt-get", "purge", "-y", "-q", "echod", timeout=120)
    assert not os.path.exists("/etc/echod"), os.listdir("/etc/echod")
    left = sh("sh", "-c", "ls /etc/systemd/system/*/echod.* "
              "/etc/systemd/system/*/echod@* /lib/systemd/system/echod* "
              "2>/dev/null", check=False)
    assert left == "", left
    return "apt remove: the units stopped, the config kept; apt purge: " \
        "/etc/echod and every unit link gone"


# For the host's report when something failed: what systemd and echod said.
results["_journal"] = {"ok": True, "detail": sh(
    "journalctl", "-b", "-u", "echod.service", "-u", "echod.socket",
    "--no-pager", "-n", "300", check=False)}
results["_done"] = {"ok": True}
with open(RESULTS, "w") as f:
    json.dump(results, f, indent=1)
subprocess.run(["systemctl", "--no-block", "poweroff"])
