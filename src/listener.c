/*
 * listener.c: bind the sockets of every --listen, hand accepted clients to
 * conn.c, and stop accepting while a limit says so.
 *
 * We create, bind and listen() on each socket ourselves (so every errno can
 * be explained), then wrap it in an evconnlistener with backlog 0 ("already
 * listening").  accept() failures such as EMFILE leave the listener enabled
 * in libevent and would wake us in a busy loop; we pause and retry from a
 * timer instead.
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
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "echod/acl.h"
#include "echod/addr.h"
#include "echod/echod.h"
#include "echod/listen_error.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/proxy.h"
#include "echod/sdproto.h"
#include "echod/udp.h"
#include "echod/worker.h"

#define RESOLVE_MAX		16
#define ACCEPT_RETRY_MSEC	100

struct listener {
	struct evconnlistener	*evl;		/* TCP and Unix stream */
	struct event		*udp_ev;	/* or a datagram socket */
	int			 udp_fd;
	char			 name[ADDR_STRLEN];
	char			 origin[SD_NAME_MAX + 32]; /* for the log */
	char			 path[LISTEN_PATH_MAX];	/* ours to unlink */
	struct listen_spec	 spec;		/* the --listen it serves */
	int			 has_spec;	/* 0: passed by systemd */
	dev_t			 dev;
	ino_t			 ino;
};

struct addr_set {
	struct sockaddr_storage	addr[RESOLVE_MAX];
	socklen_t		len[RESOLVE_MAX];
	size_t			n;
	int			soft;	/* an unavailable family is skipped */
};

/*
 * Count a new connection against --max-conns; at the limit, stop
 * accepting.  The one place that decides about --max-conns.
 */
static void
count_conn(struct echod *ed)
{
	uint64_t n = atomic_fetch_add(&ed->nconns, 1) + 1;

	if (n < ed->max_conns)
		return;
	if (!ed->full_logged)
		log_warnx("reached --max-conns %llu: new clients wait in the "
		    "backlog until a connection closes (logged once)",
		    (unsigned long long)ed->max_conns);
	ed->full_logged = 1;
	ed->pauses_max_conns++;
	listener_pause(ed, ECHOD_PAUSE_FULL);
}

void
listener_uncount(struct echod *ed)
{
	uint64_t was = atomic_fetch_sub(&ed->nconns, 1);

	if (was == ed->max_conns && ed->state == ECHOD_RUNNING)
		listener_resume(ed, ECHOD_PAUSE_FULL);
}

void
listener_admit(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t salen, int counted)
{
	struct perip_entry *ip = NULL;

	if (!acl_allows(&ed->cfg->acl, sa)) {
		char name[ADDR_STRLEN];

		ed->refused_acl++;
		if (log_enabled(LOG_LEVEL_DEBUG)) {
			addr_format(sa, salen, name, sizeof(name));
			log_debug("refused %s: denied by --allow/--deny", name);
		}
		goto refuse;
	}
	if (ed->perip.buckets != NULL &&
	    perip_acquire(&ed->perip, sa, &ip) == -1) {
		ed->refused_per_ip++;
		log_debug("refused a client over --max-conns-per-ip %llu",
		    (unsigned long long)ed->cfg->max_conns_per_ip);
		goto refuse;
	}
	if (!counted)
		count_conn(ed);
	if (worker_hand(ed, fd, ip) == -1) {	/* it closed FD */
		perip_release(ip);
		listener_uncount(ed);
	}
	return;
refuse:
	close(fd);
	if (counted)
		listener_uncount(ed);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct echod *ed = arg;

	(void)evl;
	if (ed->fds_short) {
		log_info("accepting new connections again");
		ed->fds_short = 0;
	}
	if (ed->cfg->proxy_protocol) {
		/* Waiting for its header it holds a descriptor: it counts. */
		count_conn(ed);
		proxy_wait_start(ed, fd);
	} else
		listener_admit(ed, fd, sa, (socklen_t)socklen, 0);
}

static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct echod *ed = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, ACCEPT_RETRY_MSEC * 1000 };

	(void)evl;
	if (!ed->fds_short)
		log_warnx("cannot accept new connections: %s (%llu open); "
		    "retrying every %d ms until it succeeds; raise 'ulimit -n' "
		    "or lower --max-conns", strerror(err),
		    (unsigned long long)atomic_load(&ed->nconns),
		    ACCEPT_RETRY_MSEC);
	if (!ed->fds_short)
		ed->pauses_fds++;
	ed->fds_short = 1;
	listener_pause(ed, ECHOD_PAUSE_FDS);
	evtimer_add(ed->resume_ev, &tv);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_resume(arg, ECHOD_PAUSE_FDS);
}

static void
set_enabled(struct echod *ed, int on)
{
	size_t i;

	for (i = 0; i < ed->nlisteners; i++) {
		if (ed->listeners[i].evl == NULL)
			continue;	/* UDP: no connections to limit */
		if (on)
			evconnlistener_enable(ed->listeners[i].evl);
		else
			evconnlistener_disable(ed->listeners[i].evl);
	}
}

void
listener_pause(struct echod *ed, unsigned reason)
{
	unsigned was = ed->pause;

	ed->pause |= reason;
	if (was == 0)
		set_enabled(ed, 0);
}

void
listener_resume(struct echod *ed, unsigned reason)
{
	if ((ed->pause & reason) == 0)
		return;
	ed->pause &= ~reason;
	if (ed->pause == 0)
		set_enabled(ed, 1);
}

/* socket + bind (+ listen for streams); returns 0 and *FDP, or errno. */
static int
bind_socket(const struct sockaddr *sa, socklen_t len, int type, int backlog,
    int *fdp)
{
	int fd, on = 1, err;

	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	if (sa->sa_family != AF_UNIX &&
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

/* Wrap a listening FD in an evconnlistener and keep it. */
static int
listener_add(struct echod *ed, int fd, int udp, const char *path, char *err,
    size_t errlen)
{
	struct listener *l, *grown;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct stat st;

	grown = reallocarray(ed->listeners, ed->nlisteners + 1, sizeof(*l));
	if (grown == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory opening listeners");
		return EX_OSERR;
	}
	ed->listeners = grown;
	l = &ed->listeners[ed->nlisteners];
	memset(l, 0, sizeof(*l));
	l->udp_fd = -1;
	if (udp) {
		l->udp_fd = fd;
		ed->nlisteners++;	/* closed by listener_close_all */
		if (udp_serve(ed, fd, &l->udp_ev) == -1) {
			snprintf(err, errlen, "cannot serve UDP: out of "
			    "memory");
			return EX_OSERR;
		}
		ed->nlisteners--;
	} else {
		l->evl = evconnlistener_new(ed->base, accept_cb, ed,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
		if (l->evl == NULL) {
			close(fd);
			snprintf(err, errlen, "cannot set up a listener: %s",
			    strerror(errno));
			return EX_OSERR;
		}
		evconnlistener_set_error_cb(l->evl, accept_error_cb);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_format((struct sockaddr *)&ss, sslen,
		    l->name + (udp ? 4 : 0), sizeof(l->name) - 4);
	if (udp)
		memcpy(l->name, "udp:", 4);
	if (path != NULL && stat(path, &st) == 0) {
		snprintf(l->path, sizeof(l->path), "%s", path);
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	ed->nlisteners++;
	return 0;
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
	if (set->n == RESOLVE_MAX)
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

static int
open_inet(struct echod *ed, const struct listen_spec *spec, char *err,
    size_t errlen)
{
	struct addr_set set;
	char where[ADDR_STRLEN + 4];
	unsigned port = spec->port;
	size_t i, opened = 0;
	int rc, fd, errnum = 0;
	int type = spec->kind == LISTEN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	const char *prefix = type == SOCK_DGRAM ? "udp:" : "";

	listen_spec_format(spec, where, sizeof(where));
	if ((rc = resolve(spec, where, &set, err, errlen)) != 0)
		return rc;
	for (i = 0; i < set.n; i++) {
		struct sockaddr *sa = (struct sockaddr *)&set.addr[i];

		/* Port 0 on several addresses: one port for all of them. */
		set_port(&set.addr[i], port);
		memcpy(where, prefix, strlen(prefix) + 1);
		addr_format(sa, set.len[i], where + strlen(prefix), ADDR_STRLEN);
		errnum = bind_socket(sa, set.len[i], type, ed->cfg->backlog,
		    &fd);
		if (errnum == 0) {
			rc = listener_add(ed, fd, type == SOCK_DGRAM, NULL,
			    err, errlen);
			if (rc != 0)
				return rc;
			if (port == 0) {
				struct sockaddr_storage ss;
				socklen_t sl = sizeof(ss);
				if (getsockname(fd, (void *)&ss, &sl) == 0)
					port = addr_port((void *)&ss);
			}
			opened++;
			continue;
		}
		if (set.soft && (errnum == EADDRNOTAVAIL ||
		    errnum == EAFNOSUPPORT)) {
			log_warnx("not listening on %s: %s (this host has no "
			    "such address)", where, strerror(errnum));
			continue;
		}
		return listen_error_explain(errnum, where, port, err, errlen);
	}
	if (opened == 0)
		return listen_error_explain(errnum, where, port, err, errlen);
	return 0;
}

int
listener_bind_first(const struct echod *ed, const struct listen_spec *spec,
    int *fdp, char *where, size_t wherelen, char *err, size_t errlen)
{
	struct addr_set set;
	int rc, errnum;

	listen_spec_format(spec, where, wherelen);
	if ((rc = resolve(spec, where, &set, err, errlen)) != 0)
		return rc;
	set_port(&set.addr[0], spec->port);
	addr_format((struct sockaddr *)&set.addr[0], set.len[0], where,
	    wherelen);
	errnum = bind_socket((struct sockaddr *)&set.addr[0], set.len[0],
	    SOCK_STREAM, ed->cfg->backlog, fdp);
	if (errnum != 0)
		return listen_error_explain(errnum, where, spec->port, err,
		    errlen);
	if (spec->port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (getsockname(*fdp, (void *)&ss, &sl) == 0)
			addr_format((void *)&ss, sl, where, wherelen);
	}
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
open_unix(struct echod *ed, const struct listen_spec *spec, char *err,
    size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen = strlen(spec->path);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    plen);
	int abstract = spec->path[0] == '@';
	char where[ADDR_STRLEN];
	int rc, fd, errnum;

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
	    ed->cfg->backlog, &fd);
	if (errnum != 0)
		return listen_error_explain(errnum, where, 0, err, errlen);
	return listener_add(ed, fd, 0, abstract ? NULL : spec->path, err,
	    errlen);
}

/*
 * Is FD, inherited from systemd as NAME, a listening stream socket we can
 * serve?  Anything else is a mistake in the .socket unit: say which.
 */
static int
check_inherited(int fd, const char *name, char *err, size_t errlen)
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
	if (type == SOCK_DGRAM && domain != AF_UNIX)
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

static int
listener_adopt(struct echod *ed, int fd, const char *name, char *err,
    size_t errlen)
{
	int rc, flags, type = 0;
	socklen_t len;

	if ((rc = check_inherited(fd, name, err, errlen)) != 0)
		return rc;
	/* systemd passes blocking sockets unless NonBlocking=yes. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return listen_error_explain(errno, name, 0, err, errlen);
	/* The socket file, if any, is systemd's: never ours to unlink. */
	len = sizeof(type);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	if ((rc = listener_add(ed, fd, type == SOCK_DGRAM, NULL, err,
	    errlen)) != 0)
		return rc;
	snprintf(ed->listeners[ed->nlisteners - 1].origin,
	    sizeof(ed->listeners[0].origin), " (from systemd, %s)", name);
	return 0;
}

/* Open SPEC; every socket it gives remembers it (for reloads). */
static int
open_spec(struct echod *ed, const struct listen_spec *spec, char *err,
    size_t errlen)
{
	size_t before = ed->nlisteners, j;
	int rc;

	if (spec->kind == LISTEN_UNIX)
		rc = open_unix(ed, spec, err, errlen);
	else
		rc = open_inet(ed, spec, err, errlen);
	for (j = before; rc == 0 && j < ed->nlisteners; j++) {
		ed->listeners[j].spec = *spec;
		ed->listeners[j].has_spec = 1;
	}
	return rc;
}

/* With sockets from systemd, the default address is not wanted. */
static int
wanted(const struct echod *ed, const struct config *cfg, size_t i)
{
	(void)i;
	return !(ed->ninherited > 0 && cfg->listen_is_default);
}

int
listener_open_all(struct echod *ed, const struct sd_listen *inherited,
    char *err, size_t errlen)
{
	const struct config *cfg = ed->cfg;
	size_t i;
	int rc = 0;

	ed->resume_ev = evtimer_new(ed->base, resume_cb, ed);
	if (ed->resume_ev == NULL) {
		snprintf(err, errlen, "cannot create a timer: out of memory");
		return EX_OSERR;
	}
	for (i = 0; rc == 0 && i < (size_t)inherited->n; i++)
		rc = listener_adopt(ed, SD_FDS_START + (int)i,
		    inherited->names[i], err, errlen);
	ed->ninherited = inherited->n;
	for (i = 0; rc == 0 && i < cfg->nlisten; i++)
		if (wanted(ed, cfg, i))
			rc = open_spec(ed, &cfg->listen[i], err, errlen);
	if (rc != 0)
		listener_close_all(ed);
	return rc;
}

/* Close L; remove its socket file if it is still the one we made. */
static void
listener_close_one(struct listener *l)
{
	struct stat st;

	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	if (l->udp_ev != NULL)
		event_free(l->udp_ev);
	if (l->udp_fd != -1)
		close(l->udp_fd);
	if (l->path[0] != '\0' && lstat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}

int
listener_reconcile(struct echod *ed, const struct config *ncfg, char *err,
    size_t errlen)
{
	size_t before = ed->nlisteners, i, j, kept = 0;
	int rc = 0, *keep;

	if ((keep = calloc(before + 1, sizeof(*keep))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EX_OSERR;
	}
	for (i = 0; rc == 0 && i < ncfg->nlisten; i++) {
		int found = 0;

		if (!wanted(ed, ncfg, i))
			continue;
		for (j = 0; j < before; j++)
			if (ed->listeners[j].has_spec &&
			    memcmp(&ed->listeners[j].spec, &ncfg->listen[i],
			    sizeof(ncfg->listen[i])) == 0)
				found = keep[j] = 1;
		if (!found)
			rc = open_spec(ed, &ncfg->listen[i], err, errlen);
	}
	if (rc != 0) {
		/* Back to exactly what was running. */
		for (j = before; j < ed->nlisteners; j++)
			listener_close_one(&ed->listeners[j]);
		ed->nlisteners = before;
		free(keep);
		return rc;
	}
	for (i = 0; i < ed->nlisteners; i++) {
		struct listener *l = &ed->listeners[i];

		if (i < before && l->has_spec && !keep[i]) {
			log_info("closed listener %s (gone from the "
			    "configuration)", l->name);
			listener_close_one(l);
			continue;
		}
		if (i >= before)
			log_info("listening on %s (new in the configuration)",
			    l->name);
		ed->listeners[kept++] = *l;
	}
	ed->nlisteners = kept;
	set_enabled(ed, ed->pause == 0);
	free(keep);
	return 0;
}

size_t
listener_count(const struct echod *ed)
{
	return ed->nlisteners;
}

void
listener_log_all(const struct echod *ed)
{
	size_t i;

	for (i = 0; i < ed->nlisteners; i++)
		log_info("listening on %s%s", ed->listeners[i].name,
		    ed->listeners[i].origin);
}

void
listener_close_all(struct echod *ed)
{
	size_t i;

	for (i = 0; i < ed->nlisteners; i++)
		listener_close_one(&ed->listeners[i]);
	free(ed->listeners);
	ed->listeners = NULL;
	ed->nlisteners = 0;
	if (ed->resume_ev != NULL) {
		event_free(ed->resume_ev);
		ed->resume_ev = NULL;
	}
}
