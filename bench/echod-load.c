/*
 * echod-load.c: a load generator for echo servers that checks every byte.
 *
 * One thread, one epoll loop, C connections.  Connection i sends the
 * stream pattern[(k + i * 7919) % PATLEN] for k = 0, 1, 2, ...; whatever
 * comes back is compared byte for byte against the same stream, so a lost,
 * duplicated, reordered or foreign byte is counted, never just a byte count.
 * Modes: pingpong (D messages of S bytes in flight per connection, latency
 * per message), stream (as fast as the server drains), churn (connect, echo
 * S bytes, close, again) and idle (hold C connections, then check each).
 * With --tls each connection speaks TLS (load_tls.h): "connected" then
 * means the handshake is over, and churn measures handshakes.  With
 * --rate, pingpong is open loop (load_rate.h): messages leave on a
 * schedule, paced by a timerfd, and each latency is measured twice, from
 * when the message was due and from when it was sent.
 *
 * It is honest at the edges: connecting has a deadline (--seconds again)
 * and obeys the signals as the rest does, the run fails (exit 1, with the
 * reason) when nothing came back, and the JSON is valid whatever happened.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "load_opts.h"
#include "load_rate.h"
#include "load_tls.h"

#define PATLEN		(1u << 16)
#define STRIDE		7919u
#define RBUF		(256u << 10)
#define DRAIN_NS	(5ULL * 1000000000ULL)
#define LOAD_FD_RESERVE	16	/* stdio, epoll, resolver */

/* C_HANDSHAKE: --tls, connected, the handshake not over (counted as
 * connecting). */
enum cstate { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD };

struct lconn {
	int		 fd;
	SSL		*ssl;		/* --tls */
	enum cstate	 state;
	unsigned	 id;		/* pattern offset */
	int		 wants_out;	/* EPOLLOUT registered */
	uint64_t	 sent;		/* stream bytes written */
	uint64_t	 target;	/* bytes we mean to have written */
	uint64_t	 recvd;		/* stream bytes received */
	uint64_t	*stamps;	/* pingpong: when due, per message */
	uint64_t	*sent_at;	/* pingpong: when sent, per message */
	uint64_t	 scheduled;	/* --rate: its messages sent so far */
	unsigned	 stamp_head, inflight;
	uint64_t	*seqs;		/* udp: which datagram owns a slot */
	uint64_t	 next_seq;	/* udp */
	uint64_t	 progress;	/* udp: last reply (ns) */
	uint64_t	 cycle_start;	/* churn */
	int		 opened;	/* made, at least once */
};

struct load {
	struct load_opts o;
	SSL_CTX		*tls;		/* --tls */
	uint64_t	 tls_failures;	/* handshakes that failed */
	char		 tls_why[128];	/* the last one's reason */
	struct lconn	*c;
	int		 ep;
	unsigned char	 pattern[2 * PATLEN];	/* doubled: any window fits */
	unsigned char	 rbuf[RBUF];
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	unsigned	 connecting, open, next_to_connect;
	int		 running;	/* start new messages / writes */
	int		 finished;	/* timed phase over: only drain */
	uint64_t	 now, t0, t_end;
	/* results */
	uint64_t	 messages, bytes_out, bytes_in, mismatches;
	uint64_t	 connect_failures, errors, cycles;
	uint64_t	 lost, late;	/* udp: never came back / came late */
	uint64_t	 datagrams;	/* udp: sent */
	unsigned	 unconnected;	/* not made before the deadline */
	int		 interrupted;	/* by SIGINT/SIGTERM */
	/* --reconnect: connections the server dropped, and reopened */
	uint64_t	 reconnects, cut_bytes, connect_retries;
	unsigned	 to_reconnect;	/* C_IDLE ones waiting to reopen */
	struct hist	 lat;		/* from when each message was due */
	struct hist	 lat_sent;	/* from when it was sent */
	/* --rate */
	int		 timer;		/* timerfd: the next message due */
	uint64_t	 due;		/* messages of the run due so far */
	uint64_t	 behind;	/* due, never sent: the server lagged */
};

/*
 * SIGINT, SIGTERM or SIGHUP ends the connecting or timed phase early; a
 * second one ends the wait for what is in flight too.  The report still
 * comes.
 */
static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = stop_requested + 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const unsigned char *
stream_at(struct load *L, const struct lconn *c, uint64_t k)
{
	return &L->pattern[(k + (uint64_t)c->id * STRIDE) % PATLEN];
}

static void
ep_set(struct load *L, struct lconn *c, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.ptr = c };

	if (c->wants_out == out)
		return;
	c->wants_out = out;
	epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * With --reconnect, until the timed phase ends, a connection the server
 * dropped is reopened (see reconnect_due()): what it had in flight is
 * counted as cut, not as an error, since no server can echo after it is
 * killed.
 */
static int
may_reconnect(const struct load *L)
{
	return L->o.reconnect && !L->finished;
}

static void
mark_for_reconnect(struct load *L, struct lconn *c)
{
	c->state = C_IDLE;
	c->sent = c->target = c->recvd = 0;
	L->to_reconnect++;
}

/* Close C's socket (and its TLS state). */
static void
conn_close_fd(struct lconn *c)
{
	if (c->ssl != NULL) {
		load_tls_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* send(2), or its TLS form; -1 with errno EAGAIN: wait (for writable if
 * *WANT_OUT). */
static ssize_t
io_send(struct lconn *c, const void *buf, size_t n, int *want_out)
{
	*want_out = 1;
	if (c->ssl != NULL)
		return load_tls_send(c->ssl, buf, n, want_out);
	return send(c->fd, buf, n, MSG_NOSIGNAL);
}

static ssize_t
io_recv(struct lconn *c, void *buf, size_t n, int *want_out)
{
	*want_out = 0;
	if (c->ssl != NULL)
		return load_tls_recv(c->ssl, buf, n, want_out);
	return recv(c->fd, buf, n, 0);
}

static void
conn_kill(struct load *L, struct lconn *c, int error)
{
	if (c->state == C_OPEN)
		L->open--;
	else if (c->state == C_CONNECTING || c->state == C_HANDSHAKE)
		L->connecting--;
	conn_close_fd(c);
	if (error && may_reconnect(L)) {
		L->reconnects++;
		L->cut_bytes += c->sent - c->recvd;
		mark_for_reconnect(L, c);
		return;
	}
	if (error)
		L->errors++;
	c->state = error ? C_DEAD : C_IDLE;
}

static void	udp_send(struct load *, struct lconn *);

/* A connection that could not be made: counted, retried only by
 * --reconnect while the run lasts. */
static int
conn_failed(struct load *L, struct lconn *c)
{
	conn_close_fd(c);
	if (may_reconnect(L)) {
		L->connect_retries++;
		mark_for_reconnect(L, c);
		return -1;
	}
	c->state = C_DEAD;
	L->connect_failures++;
	return -1;
}

/* UDP: a connected datagram socket is "open" at once. */
static int
udp_start(struct load *L, struct lconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	c->fd = socket(L->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1 || connect(c->fd, (void *)&L->addr, L->addrlen) == -1)
		return conn_failed(L, c);
	c->state = C_OPEN;
	c->opened = 1;
	c->wants_out = 0;
	L->open++;
	epoll_ctl(L->ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static int
conn_start(struct load *L, struct lconn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int family = L->addr.ss_family, one = 1;

	if (L->o.mode == MODE_UDP)
		return udp_start(L, c);
	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		goto fail;
	if (family != AF_UNIX) {
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (L->o.source_addrs > 1) {
			struct sockaddr_in src = { .sin_family = AF_INET };
			src.sin_addr.s_addr = htonl(0x7f000001u +
			    c->id % L->o.source_addrs);
			setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
			    &one, sizeof(one));
			if (bind(c->fd, (void *)&src, sizeof(src)) == -1)
				goto fail;
		}
	}
	if (connect(c->fd, (void *)&L->addr, L->addrlen) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	c->state = C_CONNECTING;
	c->wants_out = 1;
	c->sent = c->target = c->recvd = 0;
	c->inflight = c->stamp_head = 0;
	c->cycle_start = L->now;
	L->connecting++;
	epoll_ctl(L->ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
fail:
	return conn_failed(L, c);
}

/* Write what is due: pending = target - sent. */
static void
conn_flush(struct load *L, struct lconn *c)
{
	int want_out;

	while (c->sent < c->target) {
		uint64_t n = c->target - c->sent;
		ssize_t w;

		if (n > PATLEN)
			n = PATLEN;
		w = io_send(c, stream_at(L, c, c->sent), n, &want_out);
		if (w == -1) {
			if (errno == EAGAIN) {
				/* TLS may need to read first: EPOLLIN is on. */
				ep_set(L, c, want_out);
				return;
			}
			conn_kill(L, c, 1);
			return;
		}
		c->sent += (uint64_t)w;
		L->bytes_out += (uint64_t)w;
	}
	ep_set(L, c, 0);
}

/* Queue a message that was due at DUE (closed loop: now). */
static void
pingpong_send(struct load *L, struct lconn *c, uint64_t due)
{
	unsigned slot = (c->stamp_head + c->inflight) % L->o.depth;

	c->stamps[slot] = due;
	c->sent_at[slot] = L->now;
	c->inflight++;
	c->target += L->o.size;
}

/* --rate: queue C's messages that are due, as far as --depth allows. */
static void
rate_send(struct load *L, struct lconn *c)
{
	uint64_t due = load_rate_due_conn(L->due, c->id, L->o.conns);

	while (c->scheduled < due && c->inflight < L->o.depth) {
		pingpong_send(L, c, L->t0 + load_rate_conn_at(c->scheduled,
		    c->id, L->o.conns, L->o.rate));
		c->scheduled++;
	}
}

/* The next message in flight on C, closed loop or on the schedule. */
static void
pingpong_next(struct load *L, struct lconn *c)
{
	if (L->o.rate != 0)
		rate_send(L, c);
	else
		pingpong_send(L, c, L->now);
}

static void
conn_opened(struct load *L, struct lconn *c)
{
	unsigned i;
	int again = c->opened;

	c->state = C_OPEN;
	c->opened = 1;
	L->connecting--;
	L->open++;
	switch (L->o.mode) {
	case MODE_PINGPONG:
		/* --rate: one that opens late starts now (connecting is not
		 * the server's latency); one opened again (--reconnect) owes
		 * its backlog, charged from when each was due. */
		if (!again)
			c->scheduled = load_rate_due_conn(L->due, c->id,
			    L->o.conns);
		if (L->running)
			for (i = 0; i < L->o.depth; i++)
				pingpong_next(L, c);
		break;
	case MODE_STREAM:
		if (L->running)
			c->target = UINT64_MAX;
		break;
	case MODE_CHURN:
		c->target = L->o.size;
		break;
	case MODE_IDLE:
	case MODE_UDP:
		break;
	}
	conn_flush(L, c);
}

/*
 * Compare N received bytes at stream offset C->recvd; count differences.
 * Returns how many of them belong to the stream: bytes beyond what was
 * sent are all wrong, counted once, and never advance C->recvd.
 */
static size_t
verify(struct load *L, struct lconn *c, const unsigned char *buf, size_t n)
{
	size_t done = 0;

	if (c->recvd + n > c->sent) {	/* more than we sent: all wrong */
		uint64_t extra = c->recvd + n - c->sent;
		L->mismatches += extra;
		n -= (size_t)(extra > n ? n : extra);
	}
	while (done < n) {
		size_t chunk = n - done, i;
		const unsigned char *want = stream_at(L, c, c->recvd + done);

		if (chunk > PATLEN)
			chunk = PATLEN;
		if (memcmp(buf + done, want, chunk) != 0)
			for (i = 0; i < chunk; i++)
				L->mismatches += buf[done + i] != want[i];
		done += chunk;
	}
	return n;
}

/* Messages completed by the bytes just received. */
static void
pingpong_received(struct load *L, struct lconn *c, uint64_t before)
{
	uint64_t done = c->recvd / L->o.size - before / L->o.size;

	while (done-- > 0 && c->inflight > 0) {
		hist_record(&L->lat, L->now - c->stamps[c->stamp_head]);
		hist_record(&L->lat_sent, L->now - c->sent_at[c->stamp_head]);
		c->stamp_head = (c->stamp_head + 1) % L->o.depth;
		c->inflight--;
		L->messages++;
		if (L->running)
			pingpong_next(L, c);
	}
}

static void
churn_received(struct load *L, struct lconn *c)
{
	if (c->recvd < L->o.size)
		return;
	hist_record(&L->lat, L->now - c->cycle_start);
	L->cycles++;
	L->messages++;
	conn_kill(L, c, 0);
	if (L->running)
		conn_start(L, c);
}

static void
conn_readable(struct load *L, struct lconn *c)
{
	int want_out;

	for (;;) {
		ssize_t n = io_recv(c, L->rbuf, RBUF, &want_out);
		uint64_t before = c->recvd;

		if (n == 0) {
			conn_kill(L, c, 1);	/* the server closed on us */
			return;
		}
		if (n == -1) {
			if (errno != EAGAIN) {
				conn_kill(L, c, 1);
				return;
			}
			if (want_out)		/* TLS: it must write first */
				ep_set(L, c, 1);
			break;
		}
		c->recvd += verify(L, c, L->rbuf, (size_t)n);
		L->bytes_in += (uint64_t)n;
		if (L->o.mode == MODE_PINGPONG)
			pingpong_received(L, c, before);
		else if (L->o.mode == MODE_CHURN) {
			churn_received(L, c);
			return;
		} else if (L->o.mode == MODE_IDLE && c->recvd >= c->target)
			L->messages++;
		if (c->state != C_OPEN)
			return;
		/* A TLS record is at most 16 KiB: read until it would block. */
		if ((size_t)n < RBUF && c->ssl == NULL)
			break;
	}
	if (c->sent < c->target)
		conn_flush(L, c);
}

/* Datagram SEQ of C: its sequence number, then C's pattern at SEQ*S. */
static void
udp_fill(struct load *L, const struct lconn *c, uint64_t seq,
    unsigned char *buf)
{
	size_t n = L->o.size - 8, done = 0;

	memcpy(buf, &seq, 8);
	while (done < n) {
		size_t chunk = n - done > PATLEN ? PATLEN : n - done;
		memcpy(buf + 8 + done, stream_at(L, c, seq * L->o.size + done),
		    chunk);
		done += chunk;
	}
}

static void
udp_send(struct load *L, struct lconn *c)
{
	unsigned slot;

	while (c->inflight < L->o.depth) {
		uint64_t seq = c->next_seq;

		udp_fill(L, c, seq, L->rbuf);
		if (send(c->fd, L->rbuf, L->o.size, MSG_DONTWAIT) == -1)
			return;		/* full: the timeout path retries */
		slot = (unsigned)(seq % L->o.depth);
		c->seqs[slot] = seq;
		c->stamps[slot] = L->now;
		c->next_seq++;
		c->inflight++;
		L->bytes_out += L->o.size;
		L->datagrams++;
	}
}

static void
udp_readable(struct load *L, struct lconn *c)
{
	static unsigned char want[65536];
	ssize_t n;
	uint64_t seq;
	unsigned slot;
	size_t i;

	while ((n = recv(c->fd, L->rbuf, RBUF, 0)) > 0) {
		L->bytes_in += (uint64_t)n;
		if ((size_t)n < 8) {
			L->mismatches += (uint64_t)n;
			continue;
		}
		memcpy(&seq, L->rbuf, 8);
		slot = (unsigned)(seq % L->o.depth);
		if (c->stamps[slot] == 0 || c->seqs[slot] != seq) {
			/* Late (given up on) or a duplicate, if it is one we
			 * sent, intact; anything else came back damaged. */
			if (seq < c->next_seq && (size_t)n == L->o.size &&
			    (udp_fill(L, c, seq, want),
			    memcmp(L->rbuf, want, (size_t)n) == 0))
				L->late++;
			else
				L->mismatches += (uint64_t)n;
			continue;
		}
		udp_fill(L, c, seq, want);
		if ((size_t)n != L->o.size)
			L->mismatches += L->o.size > (size_t)n ?
			    L->o.size - (size_t)n : (size_t)n - L->o.size;
		for (i = 0; i < (size_t)n && i < L->o.size; i++)
			L->mismatches += L->rbuf[i] != want[i];
		hist_record(&L->lat, L->now - c->stamps[slot]);
		c->stamps[slot] = 0;
		c->inflight--;
		c->progress = L->now;
		L->messages++;
	}
	if (L->running)
		udp_send(L, c);
}

/* A datagram not back in 200 ms is lost: count it, send new ones. */
static void
udp_expire(struct load *L)
{
	unsigned i, d;

	for (i = 0; i < L->o.conns; i++) {
		struct lconn *c = &L->c[i];

		if (c->state != C_OPEN || c->inflight == 0 ||
		    L->now - c->progress < 200000000ULL)
			continue;
		for (d = 0; d < L->o.depth; d++)
			if (c->stamps[d] != 0) {
				c->stamps[d] = 0;
				L->lost++;
			}
		c->inflight = 0;
		c->progress = L->now;
		if (L->running)
			udp_send(L, c);
	}
}

/* --tls: the handshake's next step; the connection opens after it. */
static void
conn_tls_step(struct load *L, struct lconn *c)
{
	switch (load_tls_handshake(c->ssl)) {
	case 1:
		conn_opened(L, c);
		return;
	case 0:
		ep_set(L, c, 0);
		return;
	case 2:
		ep_set(L, c, 1);
		return;
	default:	/* a failed handshake is a connection not made */
		L->tls_failures++;
		snprintf(L->tls_why, sizeof(L->tls_why), "%s",
		    load_tls_why());
		conn_kill(L, c, 0);
		(void)conn_failed(L, c);
	}
}

static void
conn_tls_start(struct load *L, struct lconn *c)
{
	if ((c->ssl = load_tls_new(L->tls, c->fd, L->o.tls_name)) == NULL) {
		conn_kill(L, c, 0);
		(void)conn_failed(L, c);
		return;
	}
	c->state = C_HANDSHAKE;
	conn_tls_step(L, c);
}

static void
conn_event(struct load *L, struct lconn *c, uint32_t events)
{
	if (L->o.mode == MODE_UDP) {
		if (c->state == C_OPEN)
			udp_readable(L, c);
		return;
	}
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
			conn_kill(L, c, 0);
			if (may_reconnect(L)) {
				L->connect_retries++;
				mark_for_reconnect(L, c);
				return;
			}
			L->connect_failures++;
			c->state = C_DEAD;
			return;
		}
		if (L->tls != NULL)
			conn_tls_start(L, c);
		else
			conn_opened(L, c);
		return;
	}
	if (c->state == C_HANDSHAKE) {
		conn_tls_step(L, c);
		return;
	}
	if (c->state != C_OPEN)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_readable(L, c);
	if (c->state == C_OPEN && (events & EPOLLOUT))
		conn_flush(L, c);
}

/* Start connects up to the burst limit. */
static void
connect_more(struct load *L)
{
	while (L->next_to_connect < L->o.conns &&
	    L->connecting < L->o.connect_burst) {
		L->now = now_ns();
		conn_start(L, &L->c[L->next_to_connect++]);
	}
}

static void
loop_once(struct load *L, int timeout_ms)
{
	struct epoll_event evs[512];
	uint64_t ticks;
	int n, i;

	n = epoll_wait(L->ep, evs, 512, timeout_ms);
	L->now = now_ns();
	for (i = 0; i < n; i++)
		if (evs[i].data.ptr == &L->timer)
			(void)read(L->timer, &ticks, sizeof(ticks));
		else
			conn_event(L, evs[i].data.ptr, evs[i].events);
}

/* --rate: wake when message K of the run is due. */
static void
rate_arm(struct load *L, uint64_t k)
{
	uint64_t at = L->t0 + load_rate_at(k, L->o.rate);
	struct itimerspec its = { .it_value = {
	    .tv_sec = (time_t)(at / 1000000000ULL),
	    .tv_nsec = (long)(at % 1000000000ULL) } };

	timerfd_settime(L->timer, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * --rate: send what has come due since the last call.  Message k is
 * connection k % C's; one with --depth in flight sends its share when an
 * echo comes back (pingpong_received), late, and is charged for it.
 */
static void
rate_tick(struct load *L)
{
	uint64_t was = L->due, k;
	unsigned i;

	L->now = now_ns();
	L->due = load_rate_due_total(L->now - L->t0, L->o.rate);
	if (L->due == was)
		return;				/* the timer is set already */
	if (L->due - was >= L->o.conns) {	/* everyone has some */
		for (i = 0; i < L->o.conns; i++)
			if (L->c[i].state == C_OPEN) {
				rate_send(L, &L->c[i]);
				conn_flush(L, &L->c[i]);
			}
	} else {
		for (k = was; k < L->due; k++) {
			struct lconn *c = &L->c[k % L->o.conns];

			if (c->state != C_OPEN)
				continue;
			rate_send(L, c);
			conn_flush(L, c);
		}
	}
	rate_arm(L, L->due);
}

/*
 * --rate, at the end: messages that came due and were never sent (the
 * server fell behind).  Each is charged what it had waited by then, a
 * lower bound, so the corrected figures cannot look better for it.
 */
static uint64_t
rate_behind(struct load *L)
{
	uint64_t n = 0, due, j;
	unsigned i;

	for (i = 0; i < L->o.conns; i++) {
		struct lconn *c = &L->c[i];

		if (!c->opened)
			continue;		/* never made: no schedule */
		due = load_rate_due_conn(L->due, i, L->o.conns);
		for (j = c->scheduled; j < due; j++, n++)
			hist_record(&L->lat, L->now - (L->t0 +
			    load_rate_conn_at(j, i, L->o.conns, L->o.rate)));
	}
	return n;
}

/* --reconnect: reopen dropped connections, at most every 20 ms. */
static void
reconnect_due(struct load *L, uint64_t *last)
{
	unsigned i;

	if (L->to_reconnect == 0 || L->now - *last < 20000000ULL)
		return;
	*last = L->now;
	for (i = 0; i < L->o.conns && L->to_reconnect > 0; i++)
		if (L->c[i].state == C_IDLE && L->c[i].fd == -1) {
			L->to_reconnect--;
			conn_start(L, &L->c[i]);
		}
}

static void
progress(struct load *L, uint64_t *last)
{
	if (L->o.quiet || !isatty(STDERR_FILENO) || L->now - *last < 1000000000)
		return;
	*last = L->now;
	fprintf(stderr, "\r[%5.1fs] %u open, %llu msgs, %llu MB in, p99 %.1f "
	    "us, %llu mismatched   ", (double)(L->now - L->t0) / 1e9, L->open,
	    (unsigned long long)L->messages,
	    (unsigned long long)(L->bytes_in >> 20),
	    (double)hist_quantile(&L->lat, 0.99) / 1e3,
	    (unsigned long long)L->mismatches);
}

static int
all_echoed(struct load *L)
{
	unsigned i;

	for (i = 0; i < L->o.conns; i++) {
		if (L->c[i].state != C_OPEN)
			continue;
		if (L->o.mode == MODE_UDP ? L->c[i].inflight > 0 :
		    L->c[i].recvd < L->c[i].sent)
			return 0;
	}
	return 1;
}

static uint64_t
missing_bytes(struct load *L)
{
	uint64_t m = 0;
	unsigned i;

	for (i = 0; i < L->o.conns; i++)
		if (L->c[i].sent > L->c[i].recvd)
			m += L->c[i].sent - L->c[i].recvd;
	return m;
}

/*
 * Out of time (or told to stop) while connecting: the connects still in
 * progress and those never started are given up (counted at the end as
 * connections never made).
 */
static void
abandon_connects(struct load *L)
{
	unsigned i;

	for (i = 0; i < L->o.conns; i++) {
		struct lconn *c = &L->c[i];

		if (c->state == C_CONNECTING || c->state == C_HANDSHAKE) {
			conn_close_fd(c);
			c->state = C_DEAD;
			L->connecting--;
		}
	}
	L->next_to_connect = L->o.conns;
}

/* Connections never made, not even once (churn makes them again). */
static unsigned
never_made(const struct load *L)
{
	unsigned i, n = 0;

	for (i = 0; i < L->o.conns; i++)
		n += !L->c[i].opened;
	return n;
}

static void
run(struct load *L)
{
	uint64_t last = 0, last_reconnect = 0, deadline;
	sig_atomic_t signals;
	unsigned i;

	L->t0 = L->now = now_ns();
	/* Connecting gets --seconds too, and stops on a signal. */
	deadline = L->t0 + (uint64_t)(L->o.seconds * 1e9);
	/* Only churn works while connecting; the others start together. */
	L->running = L->o.mode == MODE_CHURN;
	while ((L->next_to_connect < L->o.conns || L->connecting > 0) &&
	    !stop_requested && L->now < deadline) {
		connect_more(L);
		loop_once(L, 50);
	}
	/* Churn reconnects all the time: only never-started ones count. */
	if (L->next_to_connect < L->o.conns ||
	    (L->connecting > 0 && L->o.mode != MODE_CHURN)) {
		L->interrupted = stop_requested != 0;
		abandon_connects(L);
	}
	if (L->o.mode != MODE_CHURN) {
		L->t0 = L->now;
		L->running = L->o.mode != MODE_IDLE;
		for (i = 0; i < L->o.conns; i++) {
			struct lconn *c = &L->c[i];
			unsigned d;

			if (c->state != C_OPEN || !L->running)
				continue;
			if (L->o.mode == MODE_UDP) {
				c->progress = L->now;
				udp_send(L, c);
				continue;
			}
			if (L->o.mode == MODE_PINGPONG && L->o.rate == 0)
				for (d = 0; d < L->o.depth; d++)
					pingpong_send(L, c, L->now);
			else if (L->o.mode == MODE_PINGPONG)
				continue;	/* rate_tick() starts it */
			else
				c->target = UINT64_MAX;
			conn_flush(L, c);
		}
	}
	L->t_end = L->o.mode == MODE_CHURN ? deadline :
	    L->t0 + (uint64_t)(L->o.seconds * 1e9);
	while (L->now < L->t_end && !stop_requested) {
		if (L->o.rate != 0)
			rate_tick(L);
		loop_once(L, 50);
		if (L->o.mode == MODE_UDP)
			udp_expire(L);
		reconnect_due(L, &last_reconnect);
		progress(L, &last);
	}
	if (L->now < L->t_end)
		L->interrupted = 1;	/* a signal ended it early */
	L->running = 0;
	L->finished = 1;
	L->t_end = L->now;
	if (L->o.rate != 0)
		L->behind = rate_behind(L);
	if (L->o.mode == MODE_STREAM)
		for (i = 0; i < L->o.conns; i++)
			L->c[i].target = L->c[i].sent;
	if (L->o.mode == MODE_IDLE) {
		/* After holding: every connection must still echo. */
		for (i = 0; i < L->o.conns; i++) {
			struct lconn *c = &L->c[i];
			if (c->state != C_OPEN)
				continue;
			c->target = L->o.size;
			conn_flush(L, c);
		}
	}
	/* Let what is in flight come back (and be checked), unless a
	 * signal comes meanwhile. */
	deadline = L->now + DRAIN_NS;
	signals = stop_requested;
	while (L->now < deadline && !all_echoed(L) &&
	    stop_requested == signals) {
		loop_once(L, 50);
		if (L->o.mode == MODE_UDP)
			udp_expire(L);
	}
	if (!L->o.quiet && isatty(STDERR_FILENO))
		fputc('\n', stderr);
}

static int
resolve(struct load *L, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char port[16];
	int rc;

	if (L->o.unix_path[0] != '\0') {
		struct sockaddr_un *sun = (void *)&L->addr;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, L->o.unix_path);
		L->addrlen = sizeof(*sun);
		return 0;
	}
	snprintf(port, sizeof(port), "%u", L->o.port);
	if ((rc = getaddrinfo(L->o.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", L->o.host,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(&L->addr, res->ai_addr, res->ai_addrlen);
	L->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Per second over SECS, or 0: a phase of no time has no rate. */
static double
rate(double n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

/*
 * Why the run failed, into WHY, or NULL if it did not.  "Nothing came
 * back" fails it too, so that a job run against a dead server cannot pass.
 */
static const char *
verdict(const struct load *L, uint64_t missing, char *why, size_t len)
{
	/* The worst first: wrong bytes say the server is broken. */
	if (L->mismatches > 0)
		snprintf(why, len, "%llu bytes came back wrong",
		    (unsigned long long)L->mismatches);
	else if (missing > 0)
		snprintf(why, len, "%llu bytes never came back",
		    (unsigned long long)missing);
	else if (L->errors > 0)
		snprintf(why, len, "%llu connections failed",
		    (unsigned long long)L->errors);
	else if (L->tls_failures > 0)
		snprintf(why, len, "%llu TLS handshakes failed (%s)",
		    (unsigned long long)L->tls_failures, L->tls_why);
	else if (L->unconnected > 0)
		snprintf(why, len, "%u of %u connections were not made %s",
		    L->unconnected, L->o.conns, L->interrupted ?
		    "(interrupted)" : "within --seconds");
	else if (L->connect_failures > 0)
		snprintf(why, len, "%llu connects failed",
		    (unsigned long long)L->connect_failures);
	else if (L->bytes_in == 0)
		snprintf(why, len, "nothing was echoed");
	else if (L->o.mode == MODE_UDP && L->messages * 100 <
	    (uint64_t)L->o.min_echoed * L->datagrams)
		snprintf(why, len, "%.1f%% of the datagrams came back, fewer "
		    "than --min-echoed %u%%", 100.0 * (double)L->messages /
		    (double)L->datagrams, L->o.min_echoed);
	else
		return NULL;
	return why;
}

/* {"p50":X,"p99":Y,"p999":Z,"max":W} of H in microseconds, in BUF. */
static const char *
lat_json(const struct hist *h, char *buf, size_t len)
{
	snprintf(buf, len, "{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,"
	    "\"max\":%.1f}", (double)hist_quantile(h, 0.5) / 1e3,
	    (double)hist_quantile(h, 0.99) / 1e3,
	    (double)hist_quantile(h, 0.999) / 1e3, (double)h->max / 1e3);
	return buf;
}

/* "p50 X us p99 Y us p99.9 Z us max W us" of H, in BUF. */
static const char *
lat_text(const struct hist *h, char *buf, size_t len)
{
	snprintf(buf, len, "p50 %.1f us p99 %.1f us p99.9 %.1f us max %.1f "
	    "us", (double)hist_quantile(h, 0.5) / 1e3,
	    (double)hist_quantile(h, 0.99) / 1e3,
	    (double)hist_quantile(h, 0.999) / 1e3, (double)h->max / 1e3);
	return buf;
}

static void
report(struct load *L, const char *failure)
{
	double secs = (double)(L->t_end - L->t0) / 1e9;
	uint64_t missing = missing_bytes(L);
	char due[128], sent[128];

	printf("{\"mode\":\"%s\",\"conns\":%u,\"size\":%zu,\"depth\":%u,"
	    "\"seconds\":%.3f,\"connected\":%u,\"open\":%u,"
	    "\"connect_failures\":%llu,\"unconnected\":%u,"
	    "\"messages\":%llu,\"msgs_per_sec\":%.1f,\"bytes_in\":%llu,"
	    "\"mb_per_sec\":%.2f,\"mismatches\":%llu,\"missing\":%llu,"
	    "\"errors\":%llu,\"datagrams\":%llu,\"lost\":%llu,\"late\":%llu,"
	    "\"reconnects\":%llu,\"cut_bytes\":%llu,\"connect_retries\":%llu,"
	    "\"tls\":%s,\"rate\":%llu,\"behind\":%llu,"
	    "\"latency_us\":%s,\"latency_sent_us\":%s,\"interrupted\":%s,"
	    "\"ok\":%s,\"failure\":%s%s%s}\n",
	    load_mode_name(L->o.mode), L->o.conns, L->o.size, L->o.depth, secs,
	    L->o.conns - L->unconnected, L->open,
	    (unsigned long long)L->connect_failures, L->unconnected,
	    (unsigned long long)L->messages, rate((double)L->messages, secs),
	    (unsigned long long)L->bytes_in,
	    rate((double)L->bytes_in / 1e6, secs),
	    (unsigned long long)L->mismatches, (unsigned long long)missing,
	    (unsigned long long)L->errors, (unsigned long long)L->datagrams,
	    (unsigned long long)L->lost,
	    (unsigned long long)L->late, (unsigned long long)L->reconnects,
	    (unsigned long long)L->cut_bytes,
	    (unsigned long long)L->connect_retries,
	    L->o.tls ? "true" : "false", (unsigned long long)L->o.rate,
	    (unsigned long long)L->behind,
	    lat_json(&L->lat, due, sizeof(due)),
	    lat_json(&L->lat_sent, sent, sizeof(sent)),
	    L->interrupted ? "true" : "false",
	    failure ? "false" : "true", failure ? "\"" : "",
	    failure ? failure : "null", failure ? "\"" : "");
	fflush(stdout);
	if (L->o.quiet)
		return;
	fprintf(stderr, "%s: %u/%u connections, %.1f s, %llu messages "
	    "(%.0f/s), %.1f MB/s in; latency p50 %.1f us p99 %.1f us max "
	    "%.1f us; %llu mismatched, %llu missing bytes, %llu errors\n",
	    load_mode_name(L->o.mode), L->open, L->o.conns, secs,
	    (unsigned long long)L->messages, rate((double)L->messages, secs),
	    rate((double)L->bytes_in / 1e6, secs),
	    (double)hist_quantile(&L->lat, 0.5) / 1e3,
	    (double)hist_quantile(&L->lat, 0.99) / 1e3,
	    (double)L->lat.max / 1e3, (unsigned long long)L->mismatches,
	    (unsigned long long)missing, (unsigned long long)L->errors);
	if (L->o.rate != 0)
		fprintf(stderr, "%s: --rate %llu: latency from when due %s; "
		    "from when sent %s; %llu messages due were never sent%s\n",
		    load_mode_name(L->o.mode), (unsigned long long)L->o.rate,
		    lat_text(&L->lat, due, sizeof(due)),
		    lat_text(&L->lat_sent, sent, sizeof(sent)),
		    (unsigned long long)L->behind, L->behind > 0 ?
		    " (the server fell behind the rate; each is in the "
		    "figures from when due with what it had waited)" : "");
	if (L->o.reconnect)
		fprintf(stderr, "%s: %llu connections dropped by the server "
		    "and reopened (%llu bytes were in flight on them), %llu "
		    "connects retried\n", load_mode_name(L->o.mode),
		    (unsigned long long)L->reconnects,
		    (unsigned long long)L->cut_bytes,
		    (unsigned long long)L->connect_retries);
	if (failure)
		fprintf(stderr, "%s: FAILED: %s\n", load_mode_name(L->o.mode),
		    failure);
}

int
main(int argc, char **argv)
{
	static struct load L;
	struct rlimit rl;
	const char *failure;
	char err[512], why[256];
	unsigned i;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	if (load_opts_parse(&L.o, argc, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "echod-load: %s\n", err);
		return 64;
	}
	if (L.o.help) {
		fputs(load_opts_usage(), stdout);
		return 0;
	}
	if (resolve(&L, err, sizeof(err)) == -1) {
		fprintf(stderr, "echod-load: %s\n", err);
		return 68;
	}
	if (L.o.tls && (L.tls = load_tls_context(L.o.tls_ca[0] != '\0' ?
	    L.o.tls_ca : NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "echod-load: %s\n", err);
		return 66;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	signal(SIGHUP, on_stop_signal);
	/* Not ours to act on, but not a reason to die without a report. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* One descriptor per connection, before a byte is allocated. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)L.o.conns + LOAD_FD_RESERVE > rl.rlim_cur) {
		fprintf(stderr, "echod-load: --conns %u needs a descriptor "
		    "each, and the open-file limit is %llu; lower --conns to "
		    "%llu or raise 'ulimit -n'\n", L.o.conns,
		    (unsigned long long)rl.rlim_cur, rl.rlim_cur >
		    LOAD_FD_RESERVE ? (unsigned long long)(rl.rlim_cur -
		    LOAD_FD_RESERVE) : 0ULL);
		return 64;
	}
	for (i = 0; i < PATLEN; i++) {	/* xorshift: not periodic in 64K */
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		L.pattern[i] = L.pattern[i + PATLEN] = (unsigned char)seed;
	}
	hist_init(&L.lat);
	hist_init(&L.lat_sent);
	L.c = calloc(L.o.conns, sizeof(*L.c));
	if (L.c == NULL || (L.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		fprintf(stderr, "echod-load: out of memory\n");
		return 71;
	}
	L.timer = -1;
	if (L.o.rate != 0) {
		struct epoll_event ev = { .events = EPOLLIN,
		    .data.ptr = &L.timer };

		if ((L.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
		    TFD_CLOEXEC)) == -1 ||
		    epoll_ctl(L.ep, EPOLL_CTL_ADD, L.timer, &ev) == -1) {
			fprintf(stderr, "echod-load: --rate needs a timerfd: "
			    "%s\n", strerror(errno));
			return 71;
		}
	}
	for (i = 0; i < L.o.conns; i++) {
		L.c[i].id = i;
		L.c[i].fd = -1;
		if ((L.o.mode == MODE_PINGPONG || L.o.mode == MODE_UDP) &&
		    (L.c[i].stamps = calloc(L.o.depth, sizeof(uint64_t))) ==
		    NULL) {
			fprintf(stderr, "echod-load: out of memory\n");
			return 71;
		}
		if ((L.o.mode == MODE_UDP &&
		    (L.c[i].seqs = calloc(L.o.depth, sizeof(uint64_t))) ==
		    NULL) || (L.o.mode == MODE_PINGPONG &&
		    (L.c[i].sent_at = calloc(L.o.depth, sizeof(uint64_t))) ==
		    NULL)) {
			fprintf(stderr, "echod-load: out of memory\n");
			return 71;
		}
	}
	run(&L);
	L.unconnected = never_made(&L);
	failure = verdict(&L, missing_bytes(&L), why, sizeof(why));
	report(&L, failure);
	return failure == NULL ? 0 : 1;
}
