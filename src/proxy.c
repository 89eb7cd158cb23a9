/*
 * proxy.c: --proxy-protocol.  A load balancer opens the connection, so
 * the socket's peer is the balancer; the client is named in the PROXY v2
 * header the balancer sends first.  Here, in the accepting thread, each
 * new connection waits for that header (at most PROXY_HEADER_TIMEOUT
 * seconds, counted from accept, however slowly it trickles in), reading
 * exactly the header's bytes and never one past them.  Then the client it
 * names goes through the front door (admit_proxied) as if it had
 * connected directly, and the worker gets a socket whose next byte is the
 * client's own.  Doing it here keeps --max-conns-per-ip's table in one
 * thread.  Only peers in --proxy-from get here (admit_echo).
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/addr.h"
#include "echod/admit.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/proxy.h"
#include "echod/proxy_header.h"

struct proxy_wait {
	LIST_ENTRY(proxy_wait)	 entry;
	struct echod		*ed;
	struct event		*ev;
	int			 fd;
	int			 tls;		/* its handshake comes next */
	uint64_t		 deadline_ns;	/* monotonic */
	size_t			 have;
	uint8_t			 buf[PROXY_HEADER_MAX];
};

/* A balancer sending no header is worth a warning; a flood of them is not
 * worth more than one line per LOG_LIMIT_SECONDS. */
static struct log_limit refuse_ll, oom_ll;

static void	proxy_read_cb(evutil_socket_t, short, void *);

static void
proxy_wait_free(struct proxy_wait *pw, int close_fd)
{
	LIST_REMOVE(pw, entry);
	event_free(pw->ev);
	if (close_fd) {
		close(pw->fd);
		admit_give_back(pw->ed);
	}
	free(pw);
}

/*
 * A connection without a valid header: the balancer is not sending one
 * (a configuration mistake, worth a warning) or it is misbehaving.  All
 * counted; the log gets one line per LOG_LIMIT_SECONDS.
 */
static void
proxy_refuse(struct proxy_wait *pw, const char *why)
{
	struct echod *ed = pw->ed;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[ADDR_STRLEN] = "(gone)";

	ed->refused_proxy++;
	if (getpeername(pw->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, len, name, sizeof(name));
	if (!log_limited(&refuse_ll, LOG_LEVEL_WARN,
	    "refused %s: %s (--proxy-protocol is on: its balancer must send a "
	    "PROXY v2 header first)", name, why))
		log_debug("refused %s: %s", name, why);
	proxy_wait_free(pw, 1);
}

/* Wait for more of the header, until the deadline set at accept. */
static void
proxy_rearm(struct proxy_wait *pw)
{
	uint64_t now = log_now_ns(), left;
	struct timeval tv;

	if (now >= pw->deadline_ns) {
		proxy_refuse(pw, "no PROXY header in time");
		return;
	}
	left = pw->deadline_ns - now;
	tv.tv_sec = (time_t)(left / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(left % 1000000000ULL / 1000);
	if (event_add(pw->ev, &tv) == -1) {
		log_limited(&oom_ll, LOG_LEVEL_WARN,
		    "dropping a new connection: out of memory");
		proxy_wait_free(pw, 1);
	}
}

/* The header is complete: admit the client it names. */
static void
proxy_done(struct proxy_wait *pw, const struct proxy_header *h)
{
	struct echod *ed = pw->ed;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = pw->fd, tls = pw->tls;

	if (h->local) {		/* the balancer's own check, or Unix */
		if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1) {
			proxy_wait_free(pw, 1);
			return;
		}
	} else {
		memcpy(&ss, &h->src, h->srclen);
		len = h->srclen;
	}
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char name[ADDR_STRLEN];

		addr_format((struct sockaddr *)&ss, len, name, sizeof(name));
		log_debug("PROXY header: the next connection is %s%s", name,
		    h->local ? " (the balancer itself)" : "");
	}
	proxy_wait_free(pw, 0);
	admit_proxied(ed, fd, (struct sockaddr *)&ss, len, tls);
}

static void
proxy_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_wait *pw = arg;
	struct proxy_header h;
	const char *why;
	ssize_t n;
	int rc;

	if (what & EV_TIMEOUT) {
		proxy_refuse(pw, "no PROXY header in time");
		return;
	}
	for (;;) {
		/* With nothing read yet it asks for the fixed part. */
		rc = proxy_header_parse(pw->buf, pw->have, &h, &why);
		if (rc == -1) {
			proxy_refuse(pw, why);
			return;
		}
		if (rc == 1) {
			proxy_done(pw, &h);
			return;
		}
		n = recv(fd, pw->buf + pw->have, h.need - pw->have, 0);
		if (n == 0) {		/* gone before a word: nothing to say */
			proxy_wait_free(pw, 1);
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			proxy_wait_free(pw, 1);
			return;
		}
		pw->have += (size_t)n;
	}
	proxy_rearm(pw);
}

void
proxy_wait_start(struct echod *ed, int fd, int tls)
{
	unsigned secs = PROXY_HEADER_TIMEOUT;
	struct timeval tv;
	struct proxy_wait *pw;

	/* It holds a slot already (admit_echo). */
	if ((pw = calloc(1, sizeof(*pw))) == NULL)
		goto oom;
	pw->ed = ed;
	pw->fd = fd;
	pw->tls = tls;
	if (ed->cfg->idle_timeout > 0 && ed->cfg->idle_timeout < secs)
		secs = ed->cfg->idle_timeout;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = 0;
	pw->deadline_ns = log_now_ns() + secs * 1000000000ULL;
	pw->ev = event_new(ed->base, fd, EV_READ, proxy_read_cb, pw);
	if (pw->ev == NULL || event_add(pw->ev, &tv) == -1) {
		if (pw->ev != NULL)
			event_free(pw->ev);
		free(pw);
		goto oom;
	}
	LIST_INSERT_HEAD(&ed->proxy_waits, pw, entry);
	return;
oom:
	log_limited(&oom_ll, LOG_LEVEL_WARN,
	    "dropping a new connection: out of memory");
	close(fd);
	admit_give_back(ed);
}

void
proxy_close_all(struct echod *ed)
{
	while (!LIST_EMPTY(&ed->proxy_waits))
		proxy_wait_free(LIST_FIRST(&ed->proxy_waits), 1);
}
