/*
 * conn.c: one client, its bufferevent while it speaks, and the echo.
 *
 * A plain connection gets its bufferevent with its first bytes, and gives
 * it back when it has been quiet for CONN_PARK_SECONDS (conn_park_quiet());
 * meanwhile it waits on a bare read event.
 *
 * When nothing is queued for the client, the read callback writes the
 * bytes straight back (and pulls bulk data with 64 KiB recv/send pairs past
 * libevent's 4 KiB read); what the socket will not take is queued in the
 * output (echo.c packs it), and the bufferevent writes it later.  If a
 * client sends faster than it reads, its output grows to --buffer-limit
 * (or, past --memory-limit, to its share of it: membudget.h); then we stop
 * reading from it (the kernel's window pushes back on the client) until
 * half of what was queued has drained (le-proxy's pattern:
 * libevent's read high-water mark stops reading only roughly and can spin,
 * libevent issue #891).
 *
 * At EOF we keep the connection until everything pending is written, so a
 * client that half-closes gets all of its bytes back.  TCP keepalive
 * (--keepalive) closes a connection whose peer vanished without a word.
 *
 * A tls: listener's connection has an OpenSSL bufferevent (tls.h) instead:
 * the same callbacks see decrypted bytes, without the direct-write path
 * (the bytes on the socket are not the echo).  Until its handshake is
 * over it has a deadline of its own, however slowly the client trickles,
 * and until the client's first 9 bytes show a ClientHello of a sane size
 * (tls_hello.h) it has no bufferevent and no OpenSSL state at all, just
 * an edge-triggered event that peeks at them.
 */
#define _GNU_SOURCE		/* POLLRDHUP */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "echod/addr.h"
#include "echod/conn.h"
#include "echod/conncount.h"
#include "echod/echo.h"
#include "echod/echod.h"
#include "echod/fdname.h"
#include "echod/fdstore.h"
#include "echod/parcel.h"
#include "echod/log.h"
#include "echod/perip.h"
#include "echod/tls.h"
#include "echod/tls_hello.h"
#include "echod/tls_watch.h"
#include "echod/worker.h"

#define PUMP_BUF	(64 * 1024)	/* worker's pump_buf */
#define PUMP_ROUNDS	16		/* at most 1 MiB per read callback */

#define CONN_PAUSED	0x1	/* reading stopped: output at the limit */
#define CONN_EOF	0x2	/* client sent FIN: flush, then close */
#define CONN_TLS	0x4	/* bev is tls.h's */
#define CONN_HANDSHAKE	0x8	/* TLS: its handshake is not over */
#define CONN_BROKEN	0x10	/* an error ended it: no goodbye */
#define CONN_ACTIVE	0x20	/* read since conn_park_quiet() last ran */
#define CONN_HANDOVER	0x40	/* restart: flush, then to systemd */
#define CONN_PROXIED	0x80	/* client[] holds its PROXY address */

struct conn {
	LIST_ENTRY(conn)	 entry;
	struct worker		*w;
	struct bufferevent	*bev;
	struct perip_entry	*ip;		/* --max-conns-per-ip count */
	struct event		*alarm;		/* TLS: deadline, then abuse */
	struct event		*wait;		/* no bufferevent yet */
	int			 fd;		/* its socket */
	unsigned		 idle;		/* --idle-timeout when made */
	struct evbuffer_cb_entry *out_cb;	/* conn_output_cb's */
	uint64_t		 id;
	unsigned		 flags;
	uint8_t			 quiet;		/* walks without traffic */
	struct sockaddr_storage	 client[];	/* CONN_PROXIED only */
};

/* Memory running out is not one client's doing alone: say it, not often. */
static struct log_limit oom_ll, mem_ll, tls_ll;
static atomic_int mem_logged;	/* the episode's start went out */

/* --memory-limit: N bytes more queued for a client (membudget.h). */
static void
conn_mem_held(struct echod *ed, size_t n)
{
	if (n == 0 || membudget_add(&ed->mem, n) != 1)
		return;
	atomic_store(&mem_logged, log_limited(&mem_ll, LOG_LEVEL_WARN,
	    "holding over --memory-limit %llu bytes for clients that do not "
	    "read their echo: those holding the most are not read until they "
	    "drain", (unsigned long long)atomic_load(&ed->mem.limit)));
}

static void
conn_mem_released(struct echod *ed, size_t n)
{
	if (n > 0 && membudget_sub(&ed->mem, n) == -1 &&
	    atomic_exchange(&mem_logged, 0))
		log_info("back under --memory-limit");
}

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_eof(struct conn *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);

/*
 * Free C's bufferevent and close its socket.  The output's callback goes
 * first: libevent's TLS side may be inside a write that reported the
 * error that closes C, and drains the output (calling back) after we
 * return, holding its own reference to the bufferevent.
 */
static void
conn_free_bev(struct conn *c)
{
	if (c->out_cb != NULL) {
		evbuffer_remove_cb_entry(bufferevent_get_output(c->bev),
		    c->out_cb);
		c->out_cb = NULL;
	}
	if (c->alarm != NULL) {
		event_free(c->alarm);
		c->alarm = NULL;
	}
	if (c->wait != NULL) {
		event_free(c->wait);
		c->wait = NULL;
	}
	if (c->bev == NULL) {		/* not made yet: the fd is ours */
		if (c->fd != -1)
			close(c->fd);
	}
	else if (c->flags & CONN_TLS)
		tls_close(c->bev, !(c->flags & (CONN_BROKEN | CONN_HANDSHAKE)));
	else
		bufferevent_free(c->bev);	/* BEV_OPT_CLOSE_ON_FREE */
	c->bev = NULL;
	c->fd = -1;
}

static void
conn_close(struct conn *c, const char *why)
{
	struct worker *w = c->w;

	WSTAT_ADD(w, closed, 1);
	log_debug("connection %llu closed: %s", (unsigned long long)c->id,
	    why);
	if (c->flags & CONN_HANDOVER)	/* never got there: room back */
		atomic_fetch_sub(&w->ed->handover_room, 1);
	LIST_REMOVE(c, entry);
	/* What it still held goes with it (conn_free_bev() removes the
	 * callback that would count it again). */
	if (c->bev != NULL)
		conn_mem_released(w->ed,
		    evbuffer_get_length(bufferevent_get_output(c->bev)));
	conn_free_bev(c);
	perip_release(c->ip);
	free(c);
	worker_conn_gone(w);
}

void
conn_close_all(struct worker *w, const char *why)
{
	while (!LIST_EMPTY(&w->conns))
		conn_close(LIST_FIRST(&w->conns), why);
}

/*
 * A plain connection writes through libevent only what the socket would
 * not take at once: its write event is enabled the first time that
 * happens, not when it opens (an epoll_ctl to add it, a wake-up and one
 * to remove it, per connection, for nothing).  0, or -1 out of memory.
 */
static int
conn_want_write(struct conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 ||
	    (bufferevent_get_enabled(c->bev) & EV_WRITE))
		return 0;
	return bufferevent_enable(c->bev, EV_WRITE);
}

/* Call conn_write_cb once the output has drained to LOW bytes. */
static void
conn_wait_output(struct conn *c, size_t low)
{
	bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
}

/* A socket error ended C: count it by kind, then close. */
static void
conn_error(struct conn *c, int err)
{
	c->flags |= CONN_BROKEN;
	if (err == 0 && (c->flags & CONN_TLS)) {	/* OpenSSL's, not errno */
		WSTAT_ADD(c->w, err_other, 1);
		conn_close(c, "TLS error");
		return;
	}
	if (err == ECONNRESET || err == EPIPE)
		WSTAT_ADD(c->w, err_reset, 1);
	else if (err == ENOMEM || err == ENOBUFS)
		WSTAT_ADD(c->w, err_oom, 1);
	else
		WSTAT_ADD(c->w, err_other, 1);
	conn_close(c, strerror(err));
}

#ifdef __GLIBC__
static void
conn_trim_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	malloc_trim(0);
}
#endif

/*
 * Memory ran out while queueing this client's echo (or re-arming its
 * reads): its stream can no longer be exact, so it goes, and the daemon
 * and everyone else live on.
 */
static void
conn_out_of_memory(struct conn *c)
{
	unsigned long long id = (unsigned long long)c->id;
	struct worker *w = c->w;

	c->flags |= CONN_BROKEN;
	WSTAT_ADD(w, err_oom, 1);
	conn_close(c, "out of memory");
#ifdef __GLIBC__
	/*
	 * What that client held goes back to this thread's malloc arena once
	 * libevent's deferred frees have run; then hand it to the system so
	 * the other workers can use it too.
	 */
	{
		struct timeval tv = { 0, 10000 };
		(void)event_base_once(w->base, -1, EV_TIMEOUT, conn_trim_cb,
		    NULL, &tv);
	}
#endif
	log_limited(&oom_ll, LOG_LEVEL_WARN,
	    "connection %llu: out of memory queueing its echo; closed it "
	    "(lower --buffer-limit or --max-conns)", id);
}

/*
 * The client is keeping up (nothing queued) and libevent's read came back
 * full: pull the rest with 64 KiB recv()/send() pairs, as a plain epoll
 * loop would, instead of 4 KiB per loop turn.  Bounded per call so one
 * streaming client cannot starve the others.  Whatever the socket will
 * not take yet is copied to the output, which the bufferevent then owns.
 * Returns 0, or -1 if the connection was closed.
 */
static int
conn_pump(struct conn *c, int fd, struct evbuffer *out)
{
	unsigned char *buf = c->w->pump_buf;
	ssize_t n, w;
	int round;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		n = recv(fd, buf, PUMP_BUF, 0);
		if (n == 0) {
			conn_eof(c);
			return -1;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			conn_error(c, errno);
			return -1;
		}
		WSTAT_ADD(c->w, bytes_in, n);
		w = send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && errno != EAGAIN && errno != EINTR) {
			conn_error(c, errno);
			return -1;
		}
		if (w > 0)
			WSTAT_ADD(c->w, bytes_out, w);
		if (w < n) {
			w = w < 0 ? 0 : w;
			if (evbuffer_add(out, buf + w, (size_t)(n - w)) == -1) {
				conn_out_of_memory(c);
				return -1;
			}
			return 0;
		}
		if (n < PUMP_BUF)
			return 0;	/* drained */
	}
	return 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t limit = c->w->ed->cfg->buffer_limit;
	size_t got = evbuffer_get_length(in), queued;
	int fd = bufferevent_getfd(bev);
	int sent;

	WSTAT_ADD(c->w, bytes_in, got);
	c->flags |= CONN_ACTIVE;
	if (evbuffer_get_length(out) == 0 && !(c->flags & CONN_TLS)) {
		/*
		 * The usual case: write the echo now, straight from the input,
		 * rather than a loop turn later through the bufferevent (which
		 * costs an EPOLLOUT registration and a wake-up per echo).
		 */
		if ((sent = evbuffer_write(in, fd)) > 0)
			WSTAT_ADD(c->w, bytes_out, sent);
		if (got >= ECHO_LIBEVENT_READ && evbuffer_get_length(in) == 0 &&
		    conn_pump(c, fd, out) == -1)
			return;
	}
	if (echo_move(in, out) == -1 || conn_want_write(c) == -1) {
		conn_out_of_memory(c);
		return;
	}
	queued = evbuffer_get_length(out);
	if (queued >= limit || membudget_should_pause(&c->w->ed->mem, queued,
	    conncount_open(&c->w->ed->conns))) {
		bufferevent_disable(bev, EV_READ);
		c->flags |= CONN_PAUSED;
		if (queued >= limit)	/* membudget.c counts its own */
			WSTAT_ADD(c->w, pauses, 1);
		/* Read again once half of it has gone. */
		conn_wait_output(c, queued / 2);
		log_debug("connection %llu: %zu bytes wait for the client to "
		    "read; reading paused (%s)", (unsigned long long)c->id,
		    queued, queued >= limit ? "--buffer-limit" :
		    "--memory-limit");
	}
}

static void	conn_hand(struct conn *);

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->flags & CONN_HANDOVER) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_hand(c);
		return;
	}
	if (c->flags & CONN_EOF) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_close(c, "client closed, all echoed");
		return;
	}
	if (c->flags & CONN_PAUSED) {
		c->flags &= ~CONN_PAUSED;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_setcb(bev, conn_read_cb, NULL, conn_event_cb, c);
		if (bufferevent_enable(bev, EV_READ) == -1) {
			conn_out_of_memory(c);
			return;
		}
		log_debug("connection %llu: output drained, reading resumed",
		    (unsigned long long)c->id);
	}
}

static void
conn_eof(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	c->flags = (c->flags & ~CONN_PAUSED) | CONN_EOF;
	bufferevent_disable(c->bev, EV_READ);
	if (echo_move(bufferevent_get_input(c->bev), out) == -1) {
		conn_out_of_memory(c);
		return;
	}
	if (evbuffer_get_length(out) == 0) {
		conn_close(c, "client closed");
		return;
	}
	log_debug("connection %llu: client closed its side, %zu bytes still "
	    "to echo", (unsigned long long)c->id, evbuffer_get_length(out));
	conn_wait_output(c, 0);
	/* A plain one may never have written through libevent, and its TLS
	 * side stops writing at the client's close_notify (or FIN): what is
	 * queued must still go. */
	if (bufferevent_enable(c->bev, EV_WRITE) == -1)
		conn_out_of_memory(c);
}

/*
 * The handshake failed (or timed out, or the client left): count it by
 * kind and close.  A client speaking plain TCP or garbage to a TLS port
 * costs only its own connection and, at most, one line per
 * LOG_LIMIT_SECONDS.
 */
static void
conn_handshake_failed(struct conn *c, enum tls_fail why)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[ADDR_STRLEN] = "(gone)";

	WSTAT_ADD(c->w, tls_failed[why], 1);
	if (why != TLS_FAIL_CLOSED) {
		if (getpeername(c->fd,
		    (struct sockaddr *)&ss, &len) == 0)
			addr_format((struct sockaddr *)&ss, len, name,
			    sizeof(name));
		if (!log_limited(&tls_ll, LOG_LEVEL_INFO,
		    "TLS handshake with %s failed: %s", name,
		    tls_fail_text(why)))
			log_debug("connection %llu: TLS handshake failed: %s",
			    (unsigned long long)c->id, tls_fail_text(why));
	}
	if (why == TLS_FAIL_TIMEOUT)
		WSTAT_ADD(c->w, timed_out, 1);
	c->flags |= CONN_BROKEN;
	conn_close(c, "TLS handshake failed");
}

/*
 * tls_watch.c cut a TLS client off: mid-handshake, a failed handshake of
 * the protocol kind; after it, counted and logged on their own.
 */
static void
conn_tls_cut(struct conn *c)
{
	static struct log_limit abuse_ll;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[ADDR_STRLEN] = "(gone)";

	log_debug("connection %llu: TLS: it %s", (unsigned long long)c->id,
	    tls_abuse(c->bev));
	if (c->flags & CONN_HANDSHAKE) {
		conn_handshake_failed(c, TLS_FAIL_PROTOCOL);
		return;
	}
	WSTAT_ADD(c->w, tls_abuse, 1);
	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, len, name, sizeof(name));
	log_limited(&abuse_ll, LOG_LEVEL_INFO, "TLS: closing connection "
	    "%llu from %s: it %s", (unsigned long long)c->id, name,
	    tls_abuse(c->bev));
	c->flags |= CONN_BROKEN;
	conn_close(c, "TLS abuse");
}

/*
 * A TLS connection's alarm: its handshake deadline, then (made active by
 * tls_watch.c) a client cut off.
 */
static void
conn_alarm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->bev != NULL && tls_abuse(c->bev) != NULL)
		conn_tls_cut(c);
	else if (c->flags & CONN_HANDSHAKE)
		conn_handshake_failed(c, TLS_FAIL_TIMEOUT);
}

static void
conn_handshake_done(struct conn *c)
{
	/* Kept: tls.c's alarm after the handshake. */
	event_del(c->alarm);
	c->flags &= ~CONN_HANDSHAKE;
	if (tls_is_v13(c->bev))
		WSTAT_ADD(c->w, tls_v13, 1);
	else
		WSTAT_ADD(c->w, tls_v12, 1);
	log_debug("connection %llu: TLS 1.%d handshake done",
	    (unsigned long long)c->id, tls_is_v13(c->bev) ? 3 : 2);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	/* Cut off: OpenSSL then reports an end of file, or an error. */
	if ((c->flags & CONN_TLS) && tls_abuse(bev) != NULL) {
		conn_tls_cut(c);
		return;
	}
	if (c->flags & CONN_HANDSHAKE) {
		if (what & BEV_EVENT_CONNECTED)
			conn_handshake_done(c);
		else if (what & BEV_EVENT_TIMEOUT)
			conn_handshake_failed(c, TLS_FAIL_TIMEOUT);
		else if (what & BEV_EVENT_EOF)
			conn_handshake_failed(c, TLS_FAIL_CLOSED);
		else if (what & BEV_EVENT_ERROR)
			conn_handshake_failed(c, tls_failure(bev));
		return;
	}
	/*
	 * libevent's TLS side, allowing a FIN without close_notify, reports
	 * a failed write (EPIPE, a reset) as EOF too: a write cannot end the
	 * client's stream, and it ends only once.
	 */
	if ((what & BEV_EVENT_EOF) && (c->flags & CONN_TLS) &&
	    ((what & BEV_EVENT_WRITING) || (c->flags & CONN_EOF))) {
		conn_error(c, EVUTIL_SOCKET_ERROR() != 0 ?
		    EVUTIL_SOCKET_ERROR() : EPIPE);
		return;
	}
	/* A reset reads as EOF there too (OpenSSL clears errno before it
	 * reads): count it as on a plain connection. */
	if ((what & BEV_EVENT_EOF) && (c->flags & CONN_TLS) &&
	    EVUTIL_SOCKET_ERROR() == ECONNRESET) {
		conn_error(c, ECONNRESET);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_eof(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		conn_error(c, EVUTIL_SOCKET_ERROR());
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		/*
		 * The read timer does not see output: a client still taking
		 * its echo is not idle.  The write timer covers that side.
		 */
		if ((what & BEV_EVENT_READING) &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			if (bufferevent_enable(bev, EV_READ) == -1)
				conn_out_of_memory(c);
			return;
		}
		WSTAT_ADD(c->w, timed_out, 1);
		conn_close(c, "idle timeout");
	}
}

/* What goes into and out of the output: bytes sent, bytes held. */
static void
conn_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;

	(void)buf;
	conn_mem_held(c->w->ed, info->n_added);
	if (info->n_deleted > 0) {
		c->flags |= CONN_ACTIVE;	/* the client is reading */
		WSTAT_ADD(c->w, bytes_out, info->n_deleted);
		conn_mem_released(c->w->ed, info->n_deleted);
	}
}

static void
conn_log_open(struct conn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[ADDR_STRLEN];

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(name, sizeof(name), "(gone)");
	else
		addr_format((struct sockaddr *)&ss, len, name, sizeof(name));
	log_debug("connection %llu from %s opened on worker %u (%llu there)",
	    (unsigned long long)c->id, name, c->w->id,
	    (unsigned long long)c->w->nconns);
}

/* TLS: the handshake's deadline, from when the worker took it. */
static int
conn_handshake_start(struct conn *c)
{
	unsigned secs = TLS_HANDSHAKE_TIMEOUT, idle = c->idle;
	struct timeval tv;

	if (idle > 0 && idle < secs)
		secs = idle;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = 0;
	c->flags |= CONN_HANDSHAKE;
	c->alarm = evtimer_new(c->w->base, conn_alarm_cb, c);
	return c->alarm == NULL || evtimer_add(c->alarm, &tv) == -1 ? -1 : 0;
}

/*
 * C's bufferevent on C->fd, reading: a plain socket one, or TLS with the
 * handshake under way.  0, or -1 (conn_free_bev() undoes what was made).
 */
static int
conn_open(struct conn *c)
{
	struct worker *w = c->w;
	struct tls *t;

	const struct timeval *idle_tv = worker_timeout(w, c->idle);

	c->flags |= CONN_ACTIVE;	/* not parked before it is read */
	if (!(c->flags & CONN_TLS))
		c->bev = bufferevent_socket_new(w->base, c->fd,
		    BEV_OPT_CLOSE_ON_FREE);
	else if ((t = atomic_load(&w->ed->tls)) != NULL)
		c->bev = tls_accept(t, w->base, c->fd, c->alarm);
	if (c->bev == NULL)
		return -1;
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	/*
	 * Each of these allocates (a callback entry, the fd's slot in the
	 * event map); if one fails the socket would never be read and the
	 * client would wait forever, so it goes now.
	 */
	if ((idle_tv != NULL &&
	    bufferevent_set_timeouts(c->bev, idle_tv, idle_tv) == -1) ||
	    (c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    conn_output_cb, c)) == NULL ||
	    bufferevent_enable(c->bev, (c->flags & CONN_TLS) ? EV_READ |
	    EV_WRITE : EV_READ) == -1)
		return -1;
	return 0;
}

/* Why C could not be set up: memory, or no TLS context any more. */
static void
conn_setup_failed(struct worker *w, int tls)
{
	static struct log_limit no_tls_ll;

	if (tls && atomic_load(&w->ed->tls) == NULL) {
		log_limited(&no_tls_ll, LOG_LEVEL_WARN, "closing a TLS "
		    "connection: a reload removed --tls-cert before its "
		    "handshake");
		WSTAT_ADD(w, err_other, 1);
	} else {
		log_limited(&oom_ll, LOG_LEVEL_WARN,
		    "dropping a new connection: out of memory");
		WSTAT_ADD(w, err_oom, 1);
	}
}

/* FD's peer closed or reset it (a peek still shows what it left). */
static int
conn_peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/*
 * TLS: the client's ClientHello, peeked at (it stays for OpenSSL): its
 * first 9 bytes judged, then the whole of it waited for, so a client that
 * trickles it holds no OpenSSL state meanwhile.  The event is
 * edge-triggered: a client that sent part of it wakes us again only when
 * more arrives (or a FIN, or a reset), never in a loop.
 */
_Static_assert(TLS_HELLO_WHOLE <= PUMP_BUF, "pump_buf holds a hello");

/* An enum tls_hello for what FD has so far, or -1: it closed, empty. */
static int
conn_hello_peek(struct conn *c, int fd)
{
	uint8_t *b = c->w->pump_buf;	/* free between callbacks */
	enum tls_hello v;
	ssize_t n;

	n = recv(fd, b, TLS_HELLO_WHOLE, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return TLS_HELLO_MORE;
	if (n <= 0)
		return -1;			/* closed: nothing came */
	v = tls_hello_check(b, n < TLS_HELLO_PEEK ? (size_t)n :
	    TLS_HELLO_PEEK);
	return v == TLS_HELLO_OK ? tls_hello_whole(b, (size_t)n) : v;
}

static void
conn_hello_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)what;
	switch (conn_hello_peek(c, fd)) {
	case TLS_HELLO_MORE:
		if (conn_peer_gone(fd))		/* no more will come */
			conn_handshake_failed(c, TLS_FAIL_CLOSED);
		return;
	case TLS_HELLO_NOT_TLS:
		conn_handshake_failed(c, TLS_FAIL_NOT_TLS);
		return;
	case TLS_HELLO_BAD:
		conn_handshake_failed(c, TLS_FAIL_PROTOCOL);
		return;
	case TLS_HELLO_OK:
		break;
	default:
		conn_handshake_failed(c, TLS_FAIL_CLOSED);
		return;
	}
	event_free(c->wait);
	c->wait = NULL;
	if (conn_open(c) == -1) {
		conn_setup_failed(c->w, 1);
		c->flags |= CONN_BROKEN;
		conn_close(c, "could not set up");
	}
}

/*
 * Plain: a bufferevent (~1 KiB with its buffers) only once the client's
 * first bytes come; until then a bare read event, under --idle-timeout.
 * Load tests hold many connections that say nothing.
 */
static void
conn_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int n = 0, err = 0;
	socklen_t len = sizeof(err);

	if (!(what & EV_READ)) {	/* bytes that came with it win */
		WSTAT_ADD(c->w, timed_out, 1);
		conn_close(c, "idle timeout");
		return;
	}
	/* Gone with nothing to echo: no bufferevent to learn that. */
	if (ioctl(fd, FIONREAD, &n) == 0 && n == 0 && conn_peer_gone(fd)) {
		(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			conn_error(c, err);
			return;
		}
		conn_close(c, "client closed, all echoed");
		return;
	}
	event_free(c->wait);
	c->wait = NULL;
	if (conn_open(c) == -1) {
		log_limited(&oom_ll, LOG_LEVEL_WARN, "connection %llu: out of "
		    "memory waking it; closed it",
		    (unsigned long long)c->id);
		WSTAT_ADD(c->w, err_oom, 1);
		c->flags |= CONN_BROKEN;
		conn_close(c, "could not set up");
	}
}

static int
conn_wait_start(struct conn *c)
{
	int n = 0;

	/* A client that spoke first (most do) is served at once. */
	if (ioctl(c->fd, FIONREAD, &n) == 0 && n > 0)
		return conn_open(c);
	c->wait = event_new(c->w->base, c->fd, EV_READ, conn_wait_cb, c);
	return c->wait == NULL || event_add(c->wait, worker_timeout(c->w,
	    c->idle)) == -1 ? -1 : 0;
}

/*
 * C read and wrote nothing through CONN_PARK_WALKS walks and holds
 * nothing: its bufferevent goes, and it waits as a silent one does.  Its
 * idle timeout runs on from the quiet it is known to have had, so it may
 * come up to CONN_PARK_SECONDS late, never early.  0: parked; -1: out of
 * memory, C as it was; 1: C was closed.
 */
static int
conn_park(struct conn *c)
{
	struct event *ev;

	if ((ev = event_new(c->w->base, c->fd, EV_READ, conn_wait_cb,
	    c)) == NULL)
		return -1;
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	c->out_cb = NULL;
	/* Its events leave the loop; the socket is not closed with it. */
	(void)bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->wait = ev;
	if (event_add(ev, worker_timeout(c->w, c->idle > 0 ? c->idle -
	    CONN_PARK_WALKS * CONN_PARK_SECONDS : 0)) == -1) {
		WSTAT_ADD(c->w, err_oom, 1);
		c->flags |= CONN_BROKEN;
		conn_close(c, "out of memory");
		return 1;
	}
	return 0;
}

void
conn_park_quiet(struct worker *w)
{
	unsigned parked = 0;
	struct conn *c, *next;
	int rc;

	w->park_walks++;
	for (c = LIST_FIRST(&w->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (c->flags & CONN_ACTIVE) {
			c->flags &= ~CONN_ACTIVE;
			c->quiet = 0;
			continue;
		}
		if (c->quiet < CONN_PARK_WALKS)
			c->quiet++;
		/* Closing soon anyway: not worth a second registration. */
		if (c->bev == NULL || c->quiet < CONN_PARK_WALKS ||
		    (c->flags & (CONN_TLS | CONN_EOF | CONN_PAUSED |
		    CONN_BROKEN | CONN_HANDOVER)) ||
		    (c->idle != 0 && c->idle <= 2 * CONN_PARK_WALKS *
		    CONN_PARK_SECONDS) ||
		    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 ||
		    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			continue;
		if ((rc = conn_park(c)) == -1)
			break;			/* memory: next time */
		parked += rc == 0;
	}
#ifdef __GLIBC__
	/*
	 * What they held goes back to the system, not only to malloc, once
	 * libevent's deferred frees have run; at most every 30 walks, since
	 * it locks every thread's arena.
	 */
	if (parked >= 256 && (w->park_trimmed == 0 ||
	    w->park_walks - w->park_trimmed >= 30)) {
		struct timeval tv = { 0, 10000 };

		w->park_trimmed = w->park_walks;
		(void)event_base_once(w->base, -1, EV_TIMEOUT, conn_trim_cb,
		    NULL, &tv);
	}
#endif
	if (parked > 0)
		log_debug("worker %u: %u quiet connections parked", w->id,
		    parked);
}

/*
 * TLS: wait for the first bytes (conn_hello_cb), under the deadline.  A
 * backend without edge-triggering (EVENT_NOEPOLL in the environment:
 * poll) would call a level-triggered peek in a loop: then OpenSSL reads
 * them itself, unjudged.
 */
static int
conn_hello_start(struct conn *c)
{
	if (conn_handshake_start(c) == -1)
		return -1;
	if (!(event_base_get_features(c->w->base) & EV_FEATURE_ET))
		return conn_open(c);
	c->wait = event_new(c->w->base, c->fd, EV_READ | EV_PERSIST | EV_ET,
	    conn_hello_cb, c);
	return c->wait == NULL || event_add(c->wait, NULL) == -1 ? -1 : 0;
}

void
conn_new(struct worker *w, int fd, struct perip_entry *ip, int tls,
    struct sockaddr_storage *client)
{
	struct echod *ed = w->ed;
	struct conn *c;

	/* Room for the PROXY address only where there is one. */
	c = calloc(1, sizeof(*c) + (client != NULL ? sizeof(*client) : 0));
	if (c == NULL) {
		free(client);
		close(fd);
		goto failed;
	}
	if (client != NULL) {
		c->client[0] = *client;
		c->flags |= CONN_PROXIED;
		free(client);
	}
	c->w = w;
	c->ip = ip;
	c->fd = fd;
	c->idle = w->idle_secs;
	c->flags |= tls ? CONN_TLS : 0;
	if ((tls ? conn_hello_start(c) : conn_wait_start(c)) == -1) {
		c->flags |= CONN_BROKEN;
		conn_free_bev(c);	/* and closes the fd */
		free(c);
		goto failed;
	}
	/* TCP_NODELAY and keepalive came from the listener (tcpopt.h). */
	c->id = atomic_fetch_add(&ed->accepted, 1) + 1;
	LIST_INSERT_HEAD(&w->conns, c, entry);
	w->nconns++;
	WSTAT_ADD(w, accepted, 1);
	conn_log_open(c, fd);
	return;
failed:
	/* Its slot back.  The client sees EOF at once rather than a
	 * connection that is never read. */
	conn_setup_failed(w, tls);
	perip_release(ip);
	w->nconns++;
	worker_conn_gone(w);
}

/* Room for one more connection in W's list for systemd.  0, or -1. */
static int
conn_handed_grow(struct worker *w)
{
	struct parcel_client *clients;
	size_t cap = w->handed_cap ? 2 * w->handed_cap : 64;
	int *fds;

	if (w->nhanded < w->handed_cap)
		return 0;
	if ((fds = reallocarray(w->handed_fds, cap, sizeof(*fds))) == NULL)
		return -1;
	w->handed_fds = fds;
	clients = reallocarray(w->handed_clients, cap, sizeof(*clients));
	if (clients == NULL)
		return -1;
	w->handed_clients = clients;
	w->handed_cap = cap;
	return 0;
}

/*
 * Restart: C has echoed all it read and reads no more.  Its socket (and
 * the client its PROXY header named) joins the worker's list for
 * systemd; the connection is forgotten, the socket stays open until
 * conn_handover_finish() has put it in a parcel.  Whatever the client
 * sends meanwhile waits in the kernel for the next echod.
 */
static void
conn_hand(struct conn *c)
{
	struct worker *w = c->w;
	struct parcel_client *pc;

	if (conn_handed_grow(w) == -1) {
		log_limited(&oom_ll, LOG_LEVEL_WARN, "connection %llu: out of "
		    "memory to hand it over; closed it",
		    (unsigned long long)c->id);
		WSTAT_ADD(w, err_oom, 1);
		c->flags |= CONN_BROKEN;
		conn_close(c, "out of memory");
		return;
	}
	pc = &w->handed_clients[w->nhanded];
	memset(pc, 0, sizeof(*pc));
	if (c->flags & CONN_PROXIED) {
		pc->sa = c->client[0];
		pc->len = sizeof(pc->sa);
	}
	w->handed_fds[w->nhanded++] = c->fd;
	/* Its events leave the loop; the socket is not closed with it. */
	if (c->bev != NULL)
		(void)bufferevent_setfd(c->bev, -1);
	c->fd = -1;
	c->flags &= ~CONN_HANDOVER;
	conn_close(c, "handed over");
}

void
conn_handover_finish(struct worker *w)
{
	static struct log_limit ll;
	struct echod *ed = w->ed;
	char name[FDNAME_MAX];
	size_t i, stored = 0;

	if (w->nhanded == 0)
		return;
	fdname_parcel(name, ed->handover_gen);
	errno = ENOENT;
	if (ed->fdstore != NULL)
		stored = fdstore_put_conns(ed->fdstore, name, w->handed_fds,
		    w->handed_clients, w->nhanded);
	if (stored < w->nhanded)
		log_limited(&ll, LOG_LEVEL_WARN, "worker %u: systemd took %zu "
		    "of %zu connections handed over (%s); the rest are closed",
		    w->id, stored, w->nhanded, strerror(errno));
	/* systemd's copies live on; a closed one's client sees it end. */
	for (i = 0; i < w->nhanded; i++)
		close(w->handed_fds[i]);
	atomic_fetch_add(&ed->handed, stored);
	free(w->handed_fds);
	free(w->handed_clients);
	w->handed_fds = NULL;
	w->handed_clients = NULL;
	w->nhanded = w->handed_cap = 0;
}

/* Restart: C stops reading; it is handed over once its echo is out. */
static void
conn_handover(struct conn *c)
{
	struct echod *ed = c->w->ed;
	uint64_t limit = atomic_load(&ed->cfg)->fd_store;

	/* TLS state is OpenSSL's; a half-closed one is nearly done. */
	if (c->flags & (CONN_TLS | CONN_EOF | CONN_BROKEN | CONN_HANDOVER))
		return;
	if (atomic_fetch_add(&ed->handover_room, 1) >= limit) {
		atomic_fetch_sub(&ed->handover_room, 1);
		return;			/* the store is full: drained */
	}
	c->flags = (c->flags & ~CONN_PAUSED) | CONN_HANDOVER;
	if (c->bev == NULL) {		/* silent or parked: nothing held */
		conn_hand(c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_hand(c);
		return;
	}
	conn_wait_output(c, 0);
	if (bufferevent_enable(c->bev, EV_WRITE) == -1)
		conn_out_of_memory(c);
}

void
conn_handover_all(struct worker *w)
{
	struct conn *c, *next;

	for (c = LIST_FIRST(&w->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		conn_handover(c);
	}
}
