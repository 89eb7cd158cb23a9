"""echod as an operator installs it: the Debian package, built here with
dpkg-buildpackage and checked by lintian, installed with apt into a
Debian 12 tree, and the tree booted with systemd as PID 1
(systemd-nspawn).  Inside, tests/system/checks.py checks what an operator
would (socket activation, hardening, journald, reload, watchdog, drain,
restart under load, remove and purge) and writes its results; each one is
a case here.

The Debian tree is made once with debootstrap and cached as a tarball
($ECHOD_SYSTEM_CACHE, default /var/cache/echod-tests), so a second run
does not download it again; every run boots a fresh copy of it."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("ECHOD_BUILD_ROOT", "")
CACHE = os.environ.get("ECHOD_SYSTEM_CACHE", "/var/cache/echod-tests")
PACKAGES = ["systemd", "systemd-sysv", "dbus", "libevent-core-2.1-7",
            "libevent-openssl-2.1-7", "libssl3", "python3", "iproute2",
            "procps"]
CHECKS = ["socket_enabled_and_listening", "first_client_starts_the_service",
          "tcp_udp_ipv4_ipv6", "hardening_in_force", "journald_priorities",
          "reload_applies_config_keeps_pid_and_clients",
          "stop_drains_every_byte", "restart_keeps_every_connection",
          "sigkill_does_not_resurrect_connections",
          "watchdog_restarts_a_stopped_daemon",
          "upgrade_keeps_every_connection",
          "tls_through_its_socket_and_credentials", "remove_and_purge"]


def run(*args, timeout=600, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=timeout, **kw)
    assert p.returncode == 0, "%s: exit %d\n%s\n%s" % (
        " ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout


def root_is_a_mount():
    """Is "/" a mount point here (not a chroot's directory)?"""
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == "/" for line in f)


def in_a_chroot():
    """Are we in a chroot (a fresh machine's tests may run in one)?"""
    return not root_is_a_mount() or not os.path.ismount("/sys/fs/cgroup")


def nspawn(*args):
    """The systemd-nspawn command line for ARGS.  In a chroot "/" is no
    mount point and the cgroup hierarchy may not be mounted, and nspawn
    needs both: it then runs in a mount namespace of its own, chrooted
    into a bind mount of "/" with cgroup2 mounted, both unmounted after."""
    cmd = ["systemd-nspawn", "--register=no", "--keep-unit", "--quiet"]
    cmd += list(args)
    if not in_a_chroot():
        return cmd
    root = "/run/echod-nspawn-root"
    os.makedirs(root, exist_ok=True)
    # Unmounted after: with shared mounts below a chroot, they would
    # propagate to the host.
    script = ('mount --rbind / %s && { [ -f %s/sys/fs/cgroup/cgroup.procs ]'
              ' || mount -t cgroup2 none %s/sys/fs/cgroup; } || exit 1; '
              'chroot %s "$@"; rc=$?; umount -R %s 2>/dev/null; exit $rc'
              % (root, root, root, root, root))
    return ["unshare", "--mount", "--propagation",
            "private" if root_is_a_mount() else "unchanged",
            "sh", "-c", script, "sh"] + cmd


def mirror():
    """The Debian mirror this machine's apt uses."""
    for path in ("/etc/apt/sources.list.d/debian.sources",
                 "/etc/apt/sources.list"):
        try:
            with open(path) as f:
                m = re.search(r"(?:URIs:|deb)\s+(https?://\S+)", f.read())
        except OSError:
            continue
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def is_build_dir(path):
    """A meson build directory (wherever it is, whatever its name)."""
    return os.path.exists(os.path.join(path, "meson-private"))


def source_files():
    """The tree's files, as a clean checkout has them: no build output,
    no VCS data, no earlier package build (git need not be installed)."""
    skip_dirs = {".git", "obj-x86_64-linux-gnu", "echod", ".debhelper"}
    for root, dirs, files in os.walk(SOURCE):
        rel = os.path.relpath(root, SOURCE)
        dirs[:] = [d for d in dirs if not (
            d in skip_dirs and (rel == "." or rel == "debian") or
            (rel == "." and (d.startswith("build") or d.startswith("obj-")))
            or (rel == "subprojects" and d != "packagefiles")
            or is_build_dir(os.path.join(root, d))
            or d.startswith("echod-system-"))]
        for f in files:
            if rel == "debian" and (f == "files" or ".debhelper" in f or
                                    f.endswith(".substvars") or
                                    f == "debhelper-build-stamp"):
                continue
            yield os.path.normpath(os.path.join(rel, f))


def build_package(work):
    """Build the .deb from a copy of the source tree; return its path."""
    src = os.path.join(work, "echod")
    os.makedirs(src)
    for name in source_files():
        os.makedirs(os.path.dirname(os.path.join(src, name)), exist_ok=True)
        shutil.copy2(os.path.join(SOURCE, name), os.path.join(src, name))
    run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=src, timeout=900)
    debs = [f for f in os.listdir(work) if re.match(
        r"echod_[^_]+_[a-z0-9]+\.deb$", f)]
    assert len(debs) == 1, os.listdir(work)
    return os.path.join(work, debs[0])


def debian_tree(work):
    """A fresh Debian 12 tree with PACKAGES, from the cached tarball."""
    key = "bookworm-" + "-".join(sorted(PACKAGES)).replace(".", "")
    tarball = os.path.join(CACHE, key + ".tar")
    if not os.path.exists(tarball):
        os.makedirs(CACHE, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix="debootstrap-", dir=CACHE)
        run("debootstrap", "--variant=minbase",
            "--include=" + ",".join(PACKAGES), "bookworm", tmp, mirror(),
            timeout=1200)
        os.chmod(tmp, 0o755)        # it becomes "/": mkdtemp made it 0700
        run("tar", "-C", tmp, "-cf", tarball + ".new", ".")
        os.rename(tarball + ".new", tarball)
        shutil.rmtree(tmp)
    tree = os.path.join(work, "tree")
    os.makedirs(tree)
    run("tar", "-C", tree, "-xf", tarball)
    os.chmod(tree, 0o755)           # "/", whatever the tarball said
    return tree


def make_certs(where):
    """A CA and a certificate for localhost it signed (the tree has no
    openssl command: made here)."""
    os.makedirs(where)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out",
        "ca.pem", "-days", "30", "-subj", "/CN=echod package test CA",
        cwd=where)
    run("openssl", "req", "-new", *ec, "-keyout", "echod.key", "-out",
        "echod.csr", "-subj", "/CN=localhost", cwd=where)
    with open(os.path.join(where, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "echod.csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile",
        "san.ext", "-out", "echod.crt", cwd=where)


def install(tree, deb, chrooted):
    """apt install the package, and set the test's stage around it."""
    shutil.copy(deb, os.path.join(tree, "root"))
    shutil.copy(os.path.join(HERE, "checks.py"), os.path.join(tree, "root"))
    shutil.copy(os.path.join(BUILD, "bench", "echod-load"),
                os.path.join(tree, "root"))
    make_certs(os.path.join(tree, "root", "tls"))
    run("chroot", tree, "apt-get", "install", "-y", "-q",
        "--no-install-recommends", "/root/" + os.path.basename(deb),
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    etc = os.path.join(tree, "etc", "systemd", "system")
    # The container inherits the host's hard open-file limit: the test's
    # drop-in keeps the service below it (not the shipped unit's job).
    os.makedirs(os.path.join(etc, "echod.service.d"), exist_ok=True)
    with open(os.path.join(etc, "echod.service.d", "limit.conf"), "w") as f:
        f.write("[Service]\nLimitNOFILE=16384\n")
    if chrooted:
        # From inside a chroot the kernel refuses user namespaces to the
        # container too (create_user_ns: EPERM when chrooted): the unit's
        # PrivateUsers=yes cannot be had there.  Said in the report.
        with open(os.path.join(etc, "echod.service.d", "chroot.conf"),
                  "w") as f:
            f.write("[Service]\nPrivateUsers=no\n")
    with open(os.path.join(etc, "echod-checks.service"), "w") as f:
        f.write("[Unit]\nDescription=echod package checks\n"
                "After=echod.socket systemd-journald.service\n"
                "[Service]\nType=oneshot\n"
                "ExecStart=/usr/bin/python3 /root/checks.py\n"
                "StandardOutput=journal+console\n"
                "[Install]\nWantedBy=multi-user.target\n")
    os.makedirs(os.path.join(etc, "multi-user.target.wants"), exist_ok=True)
    os.symlink("/etc/systemd/system/echod-checks.service",
               os.path.join(etc, "multi-user.target.wants",
                            "echod-checks.service"))


@pytest.fixture(scope="module")
def booted():
    if os.geteuid() != 0:
        pytest.skip("building, installing and booting a tree needs root")
    for tool in ("dpkg-buildpackage", "lintian", "debootstrap",
                 "systemd-nspawn"):
        if shutil.which(tool) is None:
            pytest.fail("%s is missing: tests/run.sh installs it" % tool)
    work = tempfile.mkdtemp(prefix="echod-system-",
                            dir=BUILD or None)
    try:
        info = boot_and_check(work)
        yield info
    finally:
        shutil.rmtree(work, ignore_errors=True)


def boot_and_check(work):
    """Build, lint, install, boot: everything the cases look at."""
    deb = build_package(work)
    lint = subprocess.run(["lintian", "--display-info", "--pedantic",
                           deb], capture_output=True, text=True,
                          timeout=600)
    tree = debian_tree(work)
    probe = subprocess.run(nspawn("-D", tree, "/bin/true"),
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip("systemd-nspawn cannot run a container here: %s"
                    % probe.stderr.strip()[-300:])
    chrooted = in_a_chroot()
    install(tree, deb, chrooted)
    boot = subprocess.run(nspawn("--private-network", "-D", tree, "-b"),
                          capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    try:
        with open(os.path.join(tree, "root", "results.json")) as f:
            results = json.load(f)
    except OSError:
        results = {}
    info = {"deb": deb, "lintian": lint, "boot": boot, "results": results,
            "chrooted": chrooted,
            "size": os.path.getsize(deb),
            "depends": run("dpkg-deb", "-f", deb, "Depends").strip()}
    return info


def test_package_builds_and_lintian_is_clean(booted):
    lint = booted["lintian"]
    print("# %s: %d bytes; Depends: %s" % (os.path.basename(booted["deb"]),
                                          booted["size"], booted["depends"]))
    print("# lintian --display-info --pedantic: %s"
          % (lint.stdout.strip() or "(nothing)"))
    if booted["chrooted"]:
        print("# booted from inside a chroot: PrivateUsers= was turned off "
              "by the test (the kernel refuses user namespaces there)")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    tags = [line for line in lint.stdout.splitlines()
            if re.match(r"[EWIP]: ", line)]
    assert not tags, tags
    assert "libevent-core" in booted["depends"], booted["depends"]


@pytest.mark.parametrize("name", CHECKS)
def test_booted_system(booted, name):
    results = booted["results"]
    if name not in results:
        boot = booted["boot"]
        raise AssertionError("no result for %s (the boot said: %s %s)"
                             % (name, boot.stdout[-3000:],
                                boot.stderr[-2000:]))
    r = results[name]
    print("# %s (%.1f s): %s" % (name, r.get("seconds", 0), r["detail"]))
    assert r["ok"], "%s\n-- the journal:\n%s" % (
        r["detail"], results.get("_journal", {}).get("detail", "")[-6000:])


def test_the_container_powered_off_by_itself(booted):
    assert "_done" in booted["results"], booted["boot"].stdout[-3000:]
    assert booted["boot"].returncode == 0, booted["boot"].stderr[-2000:]
