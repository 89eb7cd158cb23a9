"""TLS for the tests: certificates made with the real `openssl` command,
and clients (Python's ssl, openssl s_client, ncat, socat) that talk to a
tls: listener."""
import os
import re
import socket
import ssl
import subprocess
import tempfile
import time

from echodtest import WAIT


def openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd,
                       capture_output=True, text=True)
    assert p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr)


class Certs:
    """A directory of PEM files, all P-256 (cheap handshakes):
    ca (a CA), srv (localhost, 127.0.0.1, ::1; signed by ca), srv2 (the
    same names, a new serial: a renewed certificate), other.key (a key
    that matches nothing), enc.key (srv.key under a passphrase), cca (a
    CA for clients), client (signed by cca), expired (signed by cca,
    out of date), rogue (a client signed by ca, which cca does not
    know)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="echod-certs-")
        d = self.dir
        for ca in ("ca", "cca"):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    ca + ".key", "-out", ca + ".pem", "-days", "30",
                    "-subj", "/CN=echod test " + ca, cwd=d)
        with open(os.path.join(d, "san.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
        for name, ca, days, ext in (("srv", "ca", "30", True),
                                    ("srv2", "ca", "30", True),
                                    ("client", "cca", "30", False),
                                    ("expired", "cca", "-1", False),
                                    ("rogue", "ca", "30", False)):
            openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    name + ".key", "-out", name + ".csr", "-subj",
                    "/CN=" + ("localhost" if ext else name), cwd=d)
            openssl("x509", "-req", "-in", name + ".csr", "-CA",
                    ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                    "-days", days, "-out", name + ".pem",
                    *(["-extfile", "san.ext"] if ext else []), cwd=d)
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", "other.key", cwd=d)
        openssl("pkey", "-in", "srv.key", "-aes256", "-passout",
                "pass:secret", "-out", "enc.key", cwd=d)

    def path(self, name):
        return os.path.join(self.dir, name)

    def serial(self, name):
        p = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                            self.path(name)], capture_output=True,
                           text=True, check=True)
        return p.stdout.strip().split("=")[1].upper()

    def server_args(self, cert="srv"):
        return ["--tls-cert", self.path(cert + ".pem"),
                "--tls-key", self.path(cert + ".key")]

    def context(self, client=None, version=None):
        """A client context trusting ca; CLIENT names its certificate."""
        ctx = ssl.create_default_context(cafile=self.path("ca.pem"))
        if client:
            ctx.load_cert_chain(self.path(client + ".pem"),
                                self.path(client + ".key"))
        if version:
            ctx.minimum_version = ctx.maximum_version = version
        return ctx


def tls_addr(d, family="inet"):
    """(host, port) of D's first tls: listener of FAMILY."""
    for a in d.addrs:
        if not a.startswith("tls:"):
            continue
        a = a[4:]
        if family == "inet6" and a.startswith("["):
            host, port = a[1:].split("]:")
            return host, int(port)
        if family == "inet" and re.match(r"\d", a):
            host, port = a.rsplit(":", 1)
            return host, int(port)
    raise AssertionError("no tls: %s listener in %s" % (family, d.addrs))


def tls_connect(ctx, addr, timeout=WAIT, sock=None):
    s = sock or socket.create_connection(addr, timeout=timeout)
    s.settimeout(timeout)
    return ctx.wrap_socket(s, server_hostname="localhost")


def recv_exact_tls(s, n):
    got = bytearray()
    while len(got) < n:
        b = s.recv(min(1 << 16, n - len(got)))
        if not b:
            raise AssertionError("EOF after %d of %d bytes" % (len(got), n))
        got += b
    return bytes(got)


def halfclose(ctx, addr, data, end="close_notify"):
    """Send DATA, then end our side with TLS's close_notify, or with a
    bare TCP FIN under TLS (END="fin", what many clients do), and read to
    the end; (what came back, how echod ended: "close_notify" or "fin").
    One thread over a memory BIO: an SSL socket is not safe to read and
    write from two threads, and cannot send close_notify and go on
    reading."""
    import select
    sock = socket.create_connection(addr, timeout=WAIT)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(out.read())
            b = sock.recv(1 << 16)
            assert b, "echod closed during the handshake"
            inc.write(b)
    sock.sendall(out.read())
    sock.setblocking(False)
    got, sent, pending, ended = bytearray(), 0, b"", None
    notify_sent = False
    deadline = time.monotonic() + WAIT * 3
    while ended is None and time.monotonic() < deadline:
        if not pending:
            if sent < len(data):
                sent += obj.write(data[sent:sent + (1 << 16)])
            elif not notify_sent and end == "close_notify":
                try:
                    obj.unwrap()        # sends close_notify
                except ssl.SSLWantReadError:
                    pass                # echod's comes later
                notify_sent = True
            pending = out.read()
            if not pending and sent == len(data) and not notify_sent:
                sock.shutdown(socket.SHUT_WR)   # end == "fin"
                notify_sent = True
        want_w = [sock] if pending else []
        r, w, _ = select.select([sock], want_w, [], 0.5)
        if w:
            try:
                pending = pending[sock.send(pending):]
            except BlockingIOError:
                pass
        if r:
            b = sock.recv(1 << 16)
            if b:
                inc.write(b)
            else:
                inc.write_eof()
            while True:
                try:
                    chunk = obj.read(1 << 16)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    ended = "close_notify"
                    break
                except ssl.SSLEOFError:
                    ended = "fin"
                    break
                if not chunk:
                    ended = "close_notify"
                    break
                got += chunk
    sock.close()
    assert ended, "no end within %s s: %d of %d bytes back" % (
        WAIT * 3, len(got), len(data))
    return bytes(got), ended


def cli_roundtrip(cmd, data, timeout=WAIT):
    """Run a command-line TLS client CMD, write DATA to it, read as many
    bytes back from its stdout; then close its stdin and end it."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    got = bytearray()
    try:
        p.stdin.write(data)
        p.stdin.flush()
        deadline = time.monotonic() + timeout
        os.set_blocking(p.stdout.fileno(), False)
        while len(got) < len(data) and time.monotonic() < deadline:
            try:
                b = os.read(p.stdout.fileno(), 1 << 16)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not b:
                break
            got += b
    finally:
        p.kill()
        _, err = p.communicate()
    return bytes(got), err.decode(errors="replace")
