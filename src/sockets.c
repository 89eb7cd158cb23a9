/*
 * sockets.c: resolve, bind and listen, for every --listen value and the
 * metrics port; check the sockets systemd passes (see sockets.h).
 *
 * We create, bind and listen() on each socket ourselves, so that every
 * errno can be explained to the operator in one line.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "echod/addr.h"
#include "echod/listen_error.h"
#include "echod/log.h"
#include "echod/sockets.h"

struct addr_set {
	struct sockaddr_storage	addr[SOCKETS_PER_SPEC];
	socklen_t		len[SOCKETS_PER_SPEC];
	size_t			n;
	int			soft;	/* an unavailable family is skipped */
};

/* socket + bind (+ listen for streams); returns 0 and *FDP, or errno. */
static int
bind_socket(const struct sockaddr *sa, socklen_t len, int type, int backlog,
    int *fdp)
{
	int fd, on = 1, err;

	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	/*
	 * TCP: rebind at once after a restart (TIME_WAIT).  Never UDP: there
	 * SO_REUSEADDR would let any local user bind the same port beside us
	 * and take the datagrams meant for echod.
	 */
	if (type == SOCK_STREAM && sa->sa_family != AF_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* Let [::]:P and 0.0.0.0:P be two listeners, as on every BSD. */
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, sa, len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, backlog) == -1))
		goto fail;
	*fdp = fd;
	return 0;
fail:
	err = errno;
	close(fd);
	return err;
}

/* The address FD is bound to, as logged ("127.0.0.1:41234",
 * "tls:[::1]:7443"). */
static void
name_socket(struct sock *s, int udp, int tls)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t skip = udp || tls ? 4 : 0;

	s->udp = udp;
	s->tls = tls;
	memcpy(s->name, udp ? "udp:" : "tls:", skip);
	s->name[skip] = '\0';
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, len, s->name + skip,
		    sizeof(s->name) - skip);
}

static void
set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void
addr_set_push(struct addr_set *set, const void *sa, socklen_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->len[i] == len && memcmp(&set->addr[i], sa, len) == 0)
			return;
	if (set->n == SOCKETS_PER_SPEC)
		return;
	memcpy(&set->addr[set->n], sa, len);
	set->len[set->n++] = len;
}

/* "localhost" is both loopbacks, whatever /etc/hosts says (RFC 6761). */
static void
resolve_localhost(struct addr_set *set)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin6.sin6_addr = in6addr_loopback;
	addr_set_push(set, &sin, sizeof(sin));
	addr_set_push(set, &sin6, sizeof(sin6));
	set->soft = 1;
}

static int
resolve(const struct listen_spec *spec, const char *where,
    struct addr_set *set, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(set, 0, sizeof(*set));
	if (strcmp(spec->host, "localhost") == 0) {
		resolve_localhost(set);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	/* "999.1.2.3" is a bad address, not a name to ask DNS about. */
	if (listen_host_is_dotted(spec->host) || strchr(spec->host, ':'))
		hints.ai_flags |= AI_NUMERICHOST;
	if ((rc = getaddrinfo(spec->host, NULL, &hints, &res)) != 0)
		return listen_error_resolve(rc, spec->host, where, err, errlen);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			addr_set_push(set, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	set->soft = set->n > 1;
	return 0;
}

static void
close_all(struct sock *out, size_t n)
{
	while (n > 0)
		sockets_close(&out[--n]);
}

static int
open_inet(const struct listen_spec *spec, int backlog, struct sock *out,
    size_t *n, char *err, size_t errlen)
{
	struct addr_set set;
	char where[ADDR_STRLEN + 4];
	unsigned port = spec->port;
	size_t i;
	int rc, errnum = 0, udp = spec->kind == LISTEN_UDP;
	const char *prefix = udp ? "udp:" : spec->tls ? "tls:" : "";

	*n = 0;
	listen_spec_format(spec, where, sizeof(where));
	if ((rc = resolve(spec, where, &set, err, errlen)) != 0)
		return rc;
	for (i = 0; i < set.n; i++) {
		struct sockaddr *sa = (struct sockaddr *)&set.addr[i];
		struct sock *s = &out[*n];

		/* Port 0 on several addresses: one port for all of them. */
		set_port(&set.addr[i], port);
		snprintf(where, sizeof(where), "%s", prefix);
		addr_format(sa, set.len[i], where + strlen(prefix), ADDR_STRLEN);
		memset(s, 0, sizeof(*s));
		errnum = bind_socket(sa, set.len[i], udp ? SOCK_DGRAM :
		    SOCK_STREAM, backlog, &s->fd);
		if (errnum == 0) {
			name_socket(s, udp, spec->tls);
			if (port == 0) {
				struct sockaddr_storage ss;
				socklen_t sl = sizeof(ss);
				if (getsockname(s->fd, (void *)&ss, &sl) == 0)
					port = addr_port((void *)&ss);
			}
			(*n)++;
			continue;
		}
		if (set.soft && (errnum == EADDRNOTAVAIL ||
		    errnum == EAFNOSUPPORT)) {
			log_warnx("not listening on %s: %s (this host has no "
			    "such address)", where, strerror(errnum));
			continue;
		}
		close_all(out, *n);
		*n = 0;
		return listen_error_explain(errnum, where, port, err, errlen);
	}
	if (*n == 0)
		return listen_error_explain(errnum, where, port, err, errlen);
	return 0;
}

/*
 * A socket file left by a dead process is replaced; one with a live
 * listener behind it is not stolen.  Anything else at PATH is not ours.
 */
static int
unix_clear_stale(const char *path, const struct sockaddr_un *sun,
    socklen_t len, const char *where, char *err, size_t errlen)
{
	struct stat st;
	int probe, rc, errnum;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 :
		    listen_error_explain(errno, where, 0, err, errlen);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "cannot listen on %s: the file exists "
		    "and is not a socket; remove it or choose another path",
		    where);
		return EX_CANTCREAT;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe == -1)
		return listen_error_explain(errno, where, 0, err, errlen);
	rc = connect(probe, (const struct sockaddr *)sun, len);
	errnum = errno;
	close(probe);
	if (rc == 0 || errnum == EAGAIN || errnum == EPROTOTYPE)
		return listen_error_explain(EADDRINUSE, where, 0, err, errlen);
	if (errnum != ECONNREFUSED)
		return listen_error_explain(errnum, where, 0, err, errlen);
	if (unlink(path) == -1)
		return listen_error_explain(errno, where, 0, err, errlen);
	log_info("removed stale socket file %s (nobody was listening)", path);
	return 0;
}

static int
open_unix(const struct listen_spec *spec, int backlog, struct sock *s,
    char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen = strlen(spec->path);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    plen);
	int abstract = spec->path[0] == '@';
	char where[ADDR_STRLEN];
	struct stat st;
	int rc, errnum;

	memset(s, 0, sizeof(*s));
	listen_spec_format(spec, where, sizeof(where));
	memcpy(sun.sun_path, spec->path, plen);
	if (abstract)
		sun.sun_path[0] = '\0';
	else {
		len++;		/* count the NUL, as the kernel reports it */
		rc = unix_clear_stale(spec->path, &sun, len, where, err,
		    errlen);
		if (rc != 0)
			return rc;
	}
	errnum = bind_socket((struct sockaddr *)&sun, len, SOCK_STREAM,
	    backlog, &s->fd);
	if (errnum != 0)
		return listen_error_explain(errnum, where, 0, err, errlen);
	name_socket(s, 0, spec->tls);
	/* Remember which file we made: only that one is ours to unlink. */
	if (!abstract && stat(spec->path, &st) == 0) {
		snprintf(s->path, sizeof(s->path), "%s", spec->path);
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	return 0;
}

int
sockets_open(const struct listen_spec *spec, int backlog, struct sock *out,
    size_t *n, char *err, size_t errlen)
{
	int rc;

	if (spec->kind != LISTEN_UNIX)
		return open_inet(spec, backlog, out, n, err, errlen);
	*n = 0;
	if ((rc = open_unix(spec, backlog, out, err, errlen)) == 0)
		*n = 1;
	return rc;
}

/*
 * Is FD, inherited from systemd as NAME, a socket we can serve?  Anything
 * else is a mistake in the .socket unit: say which.  Sets *UDP.
 */
static int
check_inherited(int fd, const char *name, int *udp, char *err,
    size_t errlen)
{
	int type = 0, domain = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "inherited fd %d (%s) is not a socket; "
		    "check the .socket unit", fd, name);
		return EX_CONFIG;
	}
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
	if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) {
		snprintf(err, errlen, "inherited fd %d (%s) has address family "
		    "%d; echod serves IPv4, IPv6 and Unix sockets", fd, name,
		    domain);
		return EX_CONFIG;
	}
	*udp = type == SOCK_DGRAM && domain != AF_UNIX;
	if (*udp)
		return 0;		/* UDP echo */
	if (type != SOCK_STREAM) {
		snprintf(err, errlen, "inherited fd %d (%s) is a %s%s socket; "
		    "echod serves stream sockets and UDP: use ListenStream= or "
		    "ListenDatagram=IP:PORT in the .socket unit", fd, name,
		    domain == AF_UNIX ? "Unix " : "", type == SOCK_DGRAM ?
		    "datagram" : type == SOCK_SEQPACKET ? "seqpacket" :
		    "non-stream");
		return EX_CONFIG;
	}
	if (!listening) {
		snprintf(err, errlen, "inherited fd %d (%s) is a connection, "
		    "not a listening socket; set Accept=no in the .socket unit "
		    "(echod accepts connections itself)", fd, name);
		return EX_CONFIG;
	}
	return 0;
}

int
sockets_adopt(int fd, const char *name, struct sock *out, char *err,
    size_t errlen)
{
	int rc, flags, udp = 0, off = 0, tls;

	memset(out, 0, sizeof(*out));
	if ((rc = check_inherited(fd, name, &udp, err, errlen)) != 0)
		return rc;
	/* systemd passes blocking sockets unless NonBlocking=yes. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return listen_error_explain(errno, name, 0, err, errlen);
	/*
	 * systemd binds with SO_REUSEADDR; on a datagram socket that lets
	 * any local user bind the same port beside us and take our
	 * datagrams.  Turned off, a second bind fails (EADDRINUSE).
	 */
	if (udp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off,
	    sizeof(off)) == -1)
		return listen_error_explain(errno, name, 0, err, errlen);
	/* FileDescriptorName=tls (or tls-...) in the .socket unit. */
	tls = strcmp(name, "tls") == 0 || strncmp(name, "tls-", 4) == 0;
	if (udp && tls) {
		snprintf(err, errlen, "inherited fd %d (%s) is a datagram "
		    "socket named for TLS, which is for stream sockets; use "
		    "ListenStream= or another FileDescriptorName=", fd, name);
		return EX_CONFIG;
	}
	out->fd = fd;
	name_socket(out, udp, tls);
	return 0;
}

void
sockets_close(struct sock *s)
{
	struct stat st;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->path[0] != '\0' && lstat(s->path, &st) == 0 &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	s->path[0] = '\0';
}
