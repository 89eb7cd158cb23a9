/*
 * listener.c: the echo listeners (see listener.h).  Each stream socket is
 * wrapped in an evconnlistener with backlog 0 ("already listening") and
 * put under admit.c, which pauses and resumes it; each datagram socket is
 * served by udp.c.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "echod/admit.h"
#include "echod/config.h"
#include "echod/echod.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/proxy.h"
#include "echod/sdproto.h"
#include "echod/sockets.h"
#include "echod/tcpopt.h"
#include "echod/udp.h"

struct listener {
	struct evconnlistener	*evl;		/* TCP and Unix stream */
	struct event		*udp_ev;	/* or a datagram socket */
	struct sock		 sock;
	char			 origin[SD_NAME_MAX + 32]; /* for the log */
	struct listen_spec	 spec;		/* the --listen it serves */
	int			 has_spec;	/* 0: passed by systemd */
};

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct echod *ed = arg;

	(void)evl;
	if (admit_echo(ed, fd, sa, (socklen_t)socklen, 0) == 1)
		proxy_wait_start(ed, fd, 0);
}

/* A tls: listener's: the same door, the handshake left to the worker. */
static void
accept_tls_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct echod *ed = arg;

	(void)evl;
	if (admit_echo(ed, fd, sa, (socklen_t)socklen, 1) == 1)
		proxy_wait_start(ed, fd, 1);
}

static void
listener_close_one(struct echod *ed, struct listener *l)
{
	if (l->evl != NULL) {
		admit_unwatch(ed, l->evl);
		evconnlistener_free(l->evl);
	}
	if (l->udp_ev != NULL) {
		udp_unserve(ed, l->sock.fd);
		event_free(l->udp_ev);
	}
	sockets_close(&l->sock);
}

/* Serve S (ours now) as a new listener.  0, or EX_OSERR with ERR. */
static int
listener_add(struct echod *ed, const struct config *cfg, struct sock *s,
    char *err, size_t errlen)
{
	struct listener *l, *grown;

	if (!s->udp && tcpopt_apply(s->fd, cfg->keepalive) == -1) {
		snprintf(err, errlen, "cannot set TCP options (TCP_NODELAY, "
		    "--keepalive %u) on %s: %s", cfg->keepalive, s->name,
		    strerror(errno));
		sockets_close(s);
		return EX_OSERR;
	}

	grown = reallocarray(ed->listeners, ed->nlisteners + 1, sizeof(*l));
	if (grown == NULL)
		goto oom;
	ed->listeners = grown;
	l = &ed->listeners[ed->nlisteners];
	memset(l, 0, sizeof(*l));
	l->sock = *s;
	if (s->udp) {
		if (udp_serve(ed, s->fd, &l->udp_ev) == -1)
			goto fail;
	} else {
		l->evl = evconnlistener_new(ed->base, s->tls ? accept_tls_cb :
		    accept_cb, ed, LEV_OPT_CLOSE_ON_EXEC, 0, s->fd);
		if (l->evl == NULL)
			goto fail;
		if (admit_watch(ed, l->evl, ADMIT_ECHO) == -1) {
			evconnlistener_free(l->evl);
			l->evl = NULL;
			goto fail;
		}
	}
	ed->nlisteners++;
	return 0;
fail:
	if (l->udp_ev != NULL) {
		udp_unserve(ed, s->fd);
		event_free(l->udp_ev);
	}
oom:
	sockets_close(s);
	snprintf(err, errlen, "cannot serve %s: out of memory", s->name);
	return EX_OSERR;
}

/* Open SPEC; every socket it gives remembers it (for reloads). */
static int
open_spec(struct echod *ed, const struct config *cfg,
    const struct listen_spec *spec, char *err, size_t errlen)
{
	struct sock socks[SOCKETS_PER_SPEC];
	size_t n, i;
	int rc;

	if ((rc = sockets_open(spec, cfg->backlog, socks, &n, err,
	    errlen)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = listener_add(ed, cfg, &socks[i], err, errlen)) != 0) {
			while (++i < n)
				sockets_close(&socks[i]);
			return rc;
		}
		ed->listeners[ed->nlisteners - 1].spec = *spec;
		ed->listeners[ed->nlisteners - 1].has_spec = 1;
	}
	return 0;
}

/* With sockets from systemd, the default address is not wanted. */
static int
wanted(const struct echod *ed, const struct config *cfg)
{
	return !(ed->ninherited > 0 && cfg->listen_is_default);
}

int
listener_open_all(struct echod *ed, const struct sd_listen *inherited,
    char *err, size_t errlen)
{
	const struct config *cfg = ed->cfg;
	struct sock s;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < (size_t)inherited->n; i++) {
		rc = sockets_adopt(inherited->fd[i], inherited->names[i],
		    &s, err, errlen);
		if (rc == 0 &&
		    (rc = listener_add(ed, cfg, &s, err, errlen)) == 0)
			snprintf(ed->listeners[ed->nlisteners - 1].origin,
			    sizeof(ed->listeners[0].origin),
			    " (from systemd, %s)", inherited->names[i]);
	}
	ed->ninherited = inherited->n;
	for (i = 0; rc == 0 && i < cfg->nlisten; i++)
		if (wanted(ed, cfg))
			rc = open_spec(ed, cfg, &cfg->listen[i], err, errlen);
	if (rc != 0)
		listener_close_all(ed);
	return rc;
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

		if (!wanted(ed, ncfg))
			continue;
		for (j = 0; j < before; j++)
			if (ed->listeners[j].has_spec &&
			    memcmp(&ed->listeners[j].spec, &ncfg->listen[i],
			    sizeof(ncfg->listen[i])) == 0)
				found = keep[j] = 1;
		if (!found)
			rc = open_spec(ed, ncfg, &ncfg->listen[i], err,
			    errlen);
	}
	if (rc != 0) {
		/* Back to exactly what was running. */
		for (j = before; j < ed->nlisteners; j++)
			listener_close_one(ed, &ed->listeners[j]);
		ed->nlisteners = before;
		free(keep);
		return rc;
	}
	for (i = 0; i < ed->nlisteners; i++) {
		struct listener *l = &ed->listeners[i];

		if (i < before && l->has_spec && !keep[i]) {
			log_info("closed listener %s (gone from the "
			    "configuration)", l->sock.name);
			listener_close_one(ed, l);
			continue;
		}
		/* A kept stream socket takes the new --backlog: listen(2)
		 * again changes it in place (systemd's sockets keep theirs). */
		if (i < before && l->has_spec && l->evl != NULL &&
		    ncfg->backlog != ed->cfg->backlog &&
		    listen(l->sock.fd, ncfg->backlog) == -1)
			log_warn("listener %s keeps its old backlog",
			    l->sock.name);
		/* Kept ones, systemd's too, pass the new --keepalive on. */
		if (i < before && l->evl != NULL &&
		    ncfg->keepalive != ed->cfg->keepalive &&
		    tcpopt_apply(l->sock.fd, ncfg->keepalive) == -1)
			log_warn("listener %s: new clients keep the old "
			    "--keepalive", l->sock.name);
		if (i >= before)
			log_info("listening on %s (new in the configuration)",
			    l->sock.name);
		ed->listeners[kept++] = *l;
	}
	ed->nlisteners = kept;
	free(keep);
	return 0;
}

int
listener_tls_check(const struct echod *ed, const struct config *cfg,
    char *err, size_t errlen)
{
	const char *inherited = NULL;
	int named = 0;
	size_t i;

	for (i = 0; i < ed->nlisteners; i++)
		if (!ed->listeners[i].has_spec && ed->listeners[i].sock.tls)
			inherited = ed->listeners[i].sock.name;
	for (i = 0; i < cfg->nlisten; i++)
		named |= cfg->listen[i].tls && wanted(ed, cfg);
	if (inherited != NULL && cfg->tls_cert[0] == '\0') {
		snprintf(err, errlen, "systemd passed %s as a TLS socket "
		    "(FileDescriptorName=tls...) and there is no --tls-cert; "
		    "give --tls-cert and --tls-key, or rename the socket",
		    inherited);
		return EX_USAGE;
	}
	if (cfg->tls_cert[0] != '\0' && inherited == NULL && !named) {
		snprintf(err, errlen, "--tls-cert '%s' is given but no "
		    "listener speaks TLS; add --listen tls:HOST:PORT (or a "
		    "systemd socket with FileDescriptorName=tls)",
		    cfg->tls_cert);
		return EX_USAGE;
	}
	return 0;
}

void
listener_log_all(const struct echod *ed)
{
	size_t i;

	for (i = 0; i < ed->nlisteners; i++)
		log_info("listening on %s%s", ed->listeners[i].sock.name,
		    ed->listeners[i].origin);
}

void
listener_close_all(struct echod *ed)
{
	size_t i;

	for (i = 0; i < ed->nlisteners; i++)
		listener_close_one(ed, &ed->listeners[i]);
	free(ed->listeners);
	ed->listeners = NULL;
	ed->nlisteners = 0;
}
