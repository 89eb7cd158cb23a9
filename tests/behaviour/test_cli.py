"""The command line contract: help, version, every bad value with its
one-line message and sysexits code, every start-up failure of the OS."""
import os
import shutil
import socket
import stat
import tempfile

from echodtest import ECHOD, run_cmd

EX_USAGE, EX_NOHOST, EX_UNAVAILABLE, EX_OSERR = 64, 68, 69, 71
EX_CANTCREAT, EX_NOPERM = 73, 77


def expect_error(args, code, *needles, **kw):
    rc, out, err = run_cmd(args, **kw)
    assert rc == code, "%s: exit %d, want %d; stderr: %s" % (args, rc, code,
                                                           err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, "want one line on stderr, got: %r" % err
    for n in needles:
        assert n in lines[0], "%r not in %r" % (n, lines[0])
    return lines[0]


def test_help_prints_usage_and_exits_0():
    rc, out, err = run_cmd(["--help"])
    assert rc == 0 and err == ""
    for opt in ("--listen", "--max-conns", "--idle-timeout", "--buffer-limit",
                "--backlog", "--drain-timeout", "--log-level", "--version"):
        assert opt in out, opt


def test_version_prints_name_and_version():
    rc, out, err = run_cmd(["--version"])
    assert rc == 0
    parts = out.split()
    assert parts[0] == "echod" and len(parts[1].split(".")) == 3, out


def test_bad_ports_are_usage_errors():
    for bad in ["65536", "-1", "12ab", "", "18446744073709551623",
                "99999999999999999999", "127.0.0.1:65536", "[::1]:-1",
                "localhost:"]:
        shown = bad.rsplit(":", 1)[-1] if bad else ""
        expect_error(["--listen", bad], EX_USAGE, "--listen '%s'" % bad,
                     shown)


def test_malformed_specs_are_usage_errors():
    expect_error(["--listen", "::1:7777"], EX_USAGE, "brackets")
    expect_error(["--listen", "localhost"], EX_USAGE, "localhost:PORT")
    expect_error(["--listen", "unix:"], EX_USAGE, "unix:/run/echod.sock")
    expect_error(["--listen", "unix:/" + "a" * 200], EX_USAGE, "at most 107")


def test_bad_options_are_usage_errors():
    expect_error(["--frobnicate"], EX_USAGE, "'--frobnicate'", "--help")
    expect_error(["--max-conns"], EX_USAGE, "needs a value")
    expect_error(["--max-conns", "lots"], EX_USAGE, "'lots'", "whole number")
    expect_error(["--idle-timeout", "-3"], EX_USAGE, "'-3'", "negative")
    expect_error(["--buffer-limit", "1Q"], EX_USAGE, "'1Q'", "256K")
    expect_error(["--backlog", "0"], EX_USAGE, "'0'", "from 1")
    expect_error(["--drain-timeout", "1e3"], EX_USAGE, "'1e3'")
    expect_error(["--log-level", "verbose"], EX_USAGE, "'verbose'", "debug")
    expect_error(["stray"], EX_USAGE, "'stray'")


def test_unresolvable_host_is_nohost():
    expect_error(["--listen", "999.1.2.3:7777"], EX_NOHOST, "999.1.2.3")


def test_port_in_use_is_unavailable():
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        line = expect_error(["--listen", "127.0.0.1:%d" % port],
                            EX_UNAVAILABLE, "in use",
                            "127.0.0.1:%d" % port, "another port")
        assert "ss -ltnp" in line
    finally:
        holder.close()


def test_address_not_on_this_host():
    # 192.0.2.0/24 is TEST-NET-1: never a local address.  Binding to it is
    # refused by the kernel, no packet is sent.
    expect_error(["--listen", "192.0.2.1:7777"], EX_NOHOST, "192.0.2.1")


def test_privileged_port_without_privilege_is_noperm():
    if os.geteuid() != 0:
        expect_error(["--listen", "127.0.0.1:80"], EX_NOPERM,
                     "CAP_NET_BIND_SERVICE", "1024")
        return
    # Root may bind anything: run as nobody, from a copy it can read
    # (the build tree under /root is not readable by other users).
    d = tempfile.mkdtemp(prefix="echod-nobody-")
    try:
        os.chmod(d, 0o755)
        binary = os.path.join(d, "echod")
        shutil.copy(ECHOD, binary)
        os.chmod(binary, 0o755)
        rc, out, err = run_cmd_as_nobody(binary, ["--listen",
                                                  "127.0.0.1:80"])
        assert rc == EX_NOPERM, (rc, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        for n in ("127.0.0.1:80", "permission denied",
                  "CAP_NET_BIND_SERVICE", "1024"):
            assert n in lines[0], (n, lines[0])
    finally:
        shutil.rmtree(d)


def run_cmd_as_nobody(binary, args):
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    p = subprocess.run([binary] + args, capture_output=True, timeout=30,
                       user="nobody", group="nogroup", extra_groups=[],
                       env=env, cwd="/")
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_out_of_descriptors_at_start_is_oserr():
    import resource

    # LeakSanitizer needs a descriptor of its own at exit (/proc/PID/task):
    # with none left it aborts, which says nothing about echod.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    for nofile in (5, 6, 8):
        def low():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        rc, out, err = run_cmd(["--listen", "127.0.0.1:0"], preexec_fn=low,
                               env=env)
        assert rc == EX_OSERR, (nofile, rc, err)
        assert "Too many open files" in err, err
        last = err.strip().splitlines()[-1]
        assert " error: " in last and "ulimit -n" in last, last
        print("# nofile=%d: %s" % (nofile, last.split(" error: ")[1]))


def test_unix_socket_in_missing_directory_is_cantcreat():
    expect_error(["--listen", "unix:/nonexistent-dir/echod.sock"],
                 EX_CANTCREAT, "/nonexistent-dir/echod.sock", "directory")


def test_unix_path_that_is_a_regular_file_is_not_replaced():
    with tempfile.NamedTemporaryFile(prefix="echod-notsock-") as f:
        f.write(b"precious")
        f.flush()
        expect_error(["--listen", "unix:" + f.name], EX_CANTCREAT,
                     "not a socket")
        with open(f.name, "rb") as g:
            assert g.read() == b"precious"
        assert stat.S_ISREG(os.stat(f.name).st_mode)

