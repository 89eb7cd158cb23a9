"""SIGHUP reload from --config: clients survive a reload that adds a
listener and changes a limit; a removed listener closes (its clients stay);
a broken config or an unopenable listener leaves the daemon as it was;
systemd hears RELOADING=1 then READY=1; no byte is lost in a SIGHUP storm."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from echodtest import (WAIT, Echod, connect, echo_once, recv_exact,
                       roundtrip_halfclose, run_cmd)


def conf(text):
    d = tempfile.mkdtemp(prefix="echod-conf-")
    path = os.path.join(d, "echod.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def rewrite(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def reload(d, count_before=None):
    n = d.log().count("received SIGHUP") if count_before is None \
        else count_before
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        log = d.log()
        done = log.count("configuration reloaded") + log.count(
            "reload failed")
        if done > n:
            return log
        time.sleep(0.02)
    raise AssertionError("no reload outcome:\n" + d.log())


def test_reload_adds_listener_and_lowers_limit_clients_survive():
    path = conf("# first\nlisten 127.0.0.1:0\nmax-conns 10\n")
    with Echod("--config", path, "--workers", "2") as d:
        first = d.addrs[0]
        c1 = connect(first)
        c1.sendall(b"before")
        assert recv_exact(c1, 6) == b"before"
        rewrite(path, "listen 127.0.0.1:0\nlisten [::1]:0\nmax-conns 1\n")
        log = reload(d)
        new = re.search(r"listening on (\[::1\]:\d+) \(new in the "
                        r"configuration\)", log).group(1)
        assert "configuration reloaded from %s: 2 listeners, max-conns 1" \
            % path in log, log
        c1.sendall(b"after")                    # the old client lives
        assert recv_exact(c1, 5) == b"after"
        echo_first = connect(first)             # the old listener too...
        waiting = connect(new)                  # ...but max-conns is 1 now
        waiting.sendall(b"w")
        waiting.settimeout(0.5)
        try:
            waiting.recv(1)
            raise AssertionError("served over the new --max-conns 1")
        except socket.timeout:
            pass
        c1.close()
        echo_first.close()
        waiting.settimeout(WAIT)
        assert recv_exact(waiting, 1) == b"w"   # served once a slot frees
        waiting.close()
        d.stop()


def test_broken_config_on_reload_keeps_serving():
    path = conf("listen 127.0.0.1:0\n")
    with Echod("--config", path) as d:
        held = connect(d.addrs[0])
        rewrite(path, "listen 127.0.0.1:0\nmax-conns lots\n")
        log = reload(d)
        assert re.search(r"error: reload failed: %s:2: --max-conns 'lots' "
                         r"is not a number; .*; still running the previous "
                         r"configuration" % re.escape(path), log), log
        echo_once(d.addrs[0])
        held.sendall(b"ok")
        assert recv_exact(held, 2) == b"ok"
        held.close()
        d.stop()                                # and exits 0


def test_empty_or_listenerless_config_is_refused_and_nothing_changes():
    # A file caught mid-rewrite ('>' truncates first) must not close the
    # listeners it named and drop every rule: the reload is refused.
    path = conf("listen 127.0.0.1:0\ndeny 127.0.0.9\n")
    with Echod("--config", path) as d:
        held = connect(d.addrs[0])
        for text, why in (
                ("", r"the file is empty"),
                (" \n\n", r"the file is empty"),
                ("# all commented\ndeny 127.0.0.9\n",
                 r"no --listen is left, which would close every listener")):
            with open(path, "w") as f:          # in place, not renamed
                f.write(text)
            log = reload(d)
            assert re.search(r"reload failed: %s: %s.*still running the "
                             r"previous configuration"
                             % (re.escape(path), why), log), log
            assert "listening on 127.0.0.1:7777" not in log, log
        echo_once(d.addrs[0])                   # still the old listener
        held.sendall(b"ok")
        assert recv_exact(held, 2) == b"ok"
        held.close()
        d.stop()


def test_a_file_of_comments_only_reloads():
    # A packaged config file leaves every option commented at its
    # default: that is not a file caught mid-rewrite.
    path = conf("# listen localhost:7777\n# max-conns 100\n")
    with Echod("--listen", "127.0.0.1:0", "--config", path) as d:
        log = reload(d)
        assert "configuration reloaded" in log, log
        echo_once(d.addrs[0])
        d.stop()


def test_unopenable_new_listener_rolls_back():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    path = conf("listen 127.0.0.1:0\n")
    with Echod("--config", path) as d:
        rewrite(path, "listen 127.0.0.1:0\nlisten [::1]:0\n"
                "listen 127.0.0.1:%d\n" % busy)
        log = reload(d)
        assert "reload failed: cannot listen on 127.0.0.1:%d: address "\
            "already in use" % busy in log, log
        # The [::1] listener opened on the way was closed again.
        assert "(new in the configuration)" not in log.split(
            "received SIGHUP")[-1] or "listening on [::1]" not in log
        echo_once(d.addrs[0])
        d.stop()
    blocker.close()


def test_removed_listener_closes_but_its_clients_stay():
    sock = os.path.join(tempfile.mkdtemp(prefix="echod-"), "r.sock")
    path = conf("listen 127.0.0.1:0\nlisten unix:%s\n" % sock)
    with Echod("--config", path) as d:
        c = connect("unix:" + sock)
        c.sendall(b"1")
        assert recv_exact(c, 1) == b"1"
        rewrite(path, "listen 127.0.0.1:0\n")
        log = reload(d)
        assert "closed listener unix:%s (gone from the configuration)" \
            % sock in log, log
        assert not os.path.exists(sock)
        c.sendall(b"2")
        assert recv_exact(c, 1) == b"2"
        c.close()
        echo_once(d.addrs[0])
        d.stop()


def test_reload_notifies_systemd():
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    npath = os.path.join(tempfile.mkdtemp(prefix="echod-"), "notify")
    n.bind(npath)
    n.settimeout(WAIT)
    path = conf("listen 127.0.0.1:0\n")
    with Echod("--config", path, env={"NOTIFY_SOCKET": npath}) as d:
        assert n.recv(4096).startswith(b"READY=1")
        reload(d)
        msgs = [n.recv(4096) for _ in range(2)]
        assert msgs[0].startswith(b"RELOADING=1\nMONOTONIC_USEC="), msgs
        assert msgs[1].startswith(b"READY=1\nSTATUS=serving"), msgs
        d.stop()


def test_sighup_storm_loses_no_byte():
    path = conf("listen 127.0.0.1:0\n")
    data = os.urandom(4 << 20)
    with Echod("--config", path) as d:
        stop = threading.Event()

        def storm():
            while not stop.is_set():
                d.signal(signal.SIGHUP)
                time.sleep(0.005)
        t = threading.Thread(target=storm)
        t.start()
        rounds = 0
        deadline = time.monotonic() + WAIT
        try:
            # Keep echoing until at least 20 reloads happened meanwhile.
            while (d.log().count("configuration reloaded") < 20 and
                   time.monotonic() < deadline) or rounds < 3:
                assert roundtrip_halfclose(d.addrs[0], data) == data
                rounds += 1
        finally:
            stop.set()
            t.join()
        reloads = d.log().count("configuration reloaded")
        print("# %d x 4 MiB echoed intact through %d reloads"
              % (rounds, reloads))
        assert reloads >= 20, reloads
        assert d.log().count("reload failed") == 0
        d.stop()


def test_many_reloads_do_not_pile_up_configs():
    # Each reload retires a config; once the workers have handled the
    # reload it is freed.  (RSS cannot show this: a fresh, mostly-zero
    # config is barely touched memory.)
    path = conf("listen 127.0.0.1:0\nmax-conns 100\n")
    with Echod("--config", path, "--workers", "2",
               "--log-level", "debug") as d:
        for _ in range(300):
            reload(d)
        waiting = [int(n) for n in re.findall(
            r"(\d+) retired configurations wait", d.log())]
        print("# 300 reloads: at most %d retired configs waiting"
              % max(waiting))
        # How many wait at once depends on when the worker threads run
        # (a busy machine delays them); a leak would reach 300.
        assert len(waiting) == 300 and max(waiting) < 100, max(waiting)
        # Once the workers have caught up, a reload finds every older
        # config freed: only the one it just retired waits.
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            log = reload(d)
            last = re.findall(r"(\d+) retired configurations wait", log)[-1]
            if last == "1":
                break
            time.sleep(0.05)
        assert last == "1", last
        echo_once(d.addrs[0])
        d.stop()


def test_config_file_errors_at_start():
    bad = conf("listen 127.0.0.1:0\n\n# a comment\nbuffer-limit 1Q\n")
    rc, out, err = run_cmd(["--config", bad])
    assert rc == 64 and err.startswith("echod: %s:4: --buffer-limit '1Q'"
                                       % bad), err
    nested = conf("config /etc/other.conf\n")
    rc, out, err = run_cmd(["--config", nested])
    assert rc == 64 and "%s:1: a config file cannot name another" % nested \
        in err, err
    dashes = conf("--listen 7\n")
    rc, out, err = run_cmd(["--config", dashes])
    assert rc == 64 and "%s:1: write 'option value'" % dashes in err, err
    # "--config FILE --help" checks a file without starting (docs promise).
    assert run_cmd(["--config", bad, "--help"])[0] == 64
    good = conf("listen 127.0.0.1:7\nmax-conns 3\n")
    assert run_cmd(["--config", good, "--help"])[0] == 0
    rc, out, err = run_cmd(["--config", "/nonexistent/echod.conf"])
    assert rc == 66 and "cannot read it: No such file" in err, err
    for e in (err,):
        assert len(e.strip().splitlines()) == 1, e



def served(addr):
    """A client connected to ADDR, through one echo (so echod has it)."""
    s = connect(addr)
    s.sendall(b"k")
    assert recv_exact(s, 1) == b"k"
    return s


def keepalive_timer(server_port, client):
    """Whether echod's end of CLIENT's connection runs a keepalive timer
    (ss -o shows its timers)."""
    out = subprocess.run(["ss", "-tnoH", "state", "established",
                          "( sport = :%d and dport = :%d )"
                          % (server_port, client.getsockname()[1])],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip(), "no such connection in ss"
    return "timer:(keepalive" in out


# The keepalive options live on the listener, so a reload must reach the
# listener itself: clients after it get the new value, those before keep
# theirs.
def test_reload_changes_keepalive_for_new_clients():
    path = conf("listen 127.0.0.1:0\nkeepalive 30\n")
    with Echod("--config", path) as d:
        port = int(d.addrs[0].rsplit(":", 1)[1])
        before = served(d.addrs[0])
        assert keepalive_timer(port, before)
        rewrite(path, "listen 127.0.0.1:0\nkeepalive 0\n")
        reload(d)
        after = served(d.addrs[0])
        assert not keepalive_timer(port, after)
        assert keepalive_timer(port, before)
        rewrite(path, "listen 127.0.0.1:0\nkeepalive 30\n")
        reload(d)
        again = served(d.addrs[0])
        assert keepalive_timer(port, again)
        for s in (before, after, again):
            s.close()
        d.stop()
