/*
 * udp.c: the datagram echo (see udp.h).  Reads in batches with recvmmsg()
 * and answers with sendmmsg(), reusing the same buffers: the reply is the
 * request, byte for byte and length for length.  udpguard.h refuses the
 * sources that would loop or reflect; udploop.h breaks the loops those
 * rules cannot see coming.
 *
 * sendmmsg() stops at the first datagram the kernel refuses (a reply to
 * a broadcast source is EACCES, an unroutable one ENETUNREACH) and says
 * how many went before it: that one is dropped and counted, and the rest
 * of the batch is sent on.  A full socket buffer (EAGAIN, ENOBUFS) drops
 * the rest of the batch: UDP promises no more, and retrying would spin.
 */
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "echod/acl.h"
#include "echod/addr.h"
#include "echod/config.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/ratelimit.h"
#include "echod/stats.h"
#include "echod/udp.h"
#include "echod/udpguard.h"
#include "echod/udploop.h"

#define UDP_BATCH		CONFIG_UDP_BATCH_MAX
#define UDP_BATCHES_PER_WAKE	8	/* then let others run */
#define UDP_RATE_SLOTS		65536
#define UDP_SOCKETS_MAX		(CONFIG_MAX_LISTEN * 16 + 64)

struct udp {
	unsigned char		 buf[UDP_BATCH][UDP_MAX];
	struct sockaddr_storage	 from[UDP_BATCH];
	struct iovec		 iov[UDP_BATCH];
	struct mmsghdr		 in[UDP_BATCH], out[UDP_BATCH];
	uint64_t		 sig[UDP_BATCH];	/* per out[] */
	struct udploop		 loop;
	struct udp_stats	 stats;
	struct ratelimit	 rate;		/* --udp-rate, if on */
	/* Our UDP sockets and their ports: never answer those (udpguard.h). */
	int			 fds[UDP_SOCKETS_MAX];
	uint16_t		 ports[UDP_SOCKETS_MAX];
	size_t			 nsockets;
	struct log_limit	 guard_ll, rate_ll, recv_ll, loop_ll;
};

/* Should this datagram (signature SIG) be answered?  Counts why not. */
static int
udp_wanted(struct echod *ed, const struct sockaddr *from, uint64_t sig,
    uint64_t now)
{
	struct udp *u = ed->udp;
	struct udp_stats *st = &u->stats;
	struct addr_ip src;

	switch (udpguard_check(from, u->ports, u->nsockets)) {
	case UDPGUARD_ANSWER:
		break;
	case UDPGUARD_PRIVILEGED_PORT:
		st->dropped_port++;
		goto guarded;
	case UDPGUARD_OWN_PORT:
		st->dropped_own++;
		goto guarded;
	case UDPGUARD_BAD_SOURCE:
		st->dropped_source++;
		goto guarded;
	}
	if (!acl_allows(&ed->cfg->acl, from)) {
		st->dropped_acl++;
		return 0;
	}
	if (udploop_check(&u->loop, from, sig, now)) {
		char name[ADDR_STRLEN];

		st->dropped_loop++;
		addr_format(from, sizeof(struct sockaddr_storage), name,
		    sizeof(name));
		log_limited(&u->loop_ll, LOG_LEVEL_INFO,
		    "udp: %s keeps sending back what echod just sent it (an "
		    "echo loop with another echo service?); dropped one to "
		    "end it", name);
		return 0;
	}
	if (u->rate.slots != NULL && addr_ip_of(from, &src) == 0 &&
	    !ratelimit_allow(&u->rate, &src, now)) {
		st->dropped_rate++;
		log_limited(&u->rate_ll, LOG_LEVEL_INFO,
		    "dropping datagrams over --udp-rate; counted in the stats");
		return 0;
	}
	return 1;
guarded:
	log_limited(&u->guard_ll, LOG_LEVEL_INFO,
	    "dropping datagrams from sources that could loop or reflect an "
	    "echo (ports below 1024, echod's own ports, broadcast); counted "
	    "in the stats");
	return 0;
}

/* Send OUT[0..N): every datagram the kernel takes; count the rest. */
static void
udp_send(struct udp *u, int fd, unsigned n, uint64_t now)
{
	unsigned i = 0;
	int sent, k;

	while (i < n) {
		sent = sendmmsg(fd, u->out + i, n - i, MSG_DONTWAIT);
		if (sent > 0) {
			for (k = 0; k < sent; k++) {
				u->stats.out++;
				u->stats.bytes_out += u->out[i + k].msg_len;
				udploop_sent(&u->loop,
				    u->out[i + k].msg_hdr.msg_name,
				    u->sig[i + k], now);
			}
			i += (unsigned)sent;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS) {
			u->stats.dropped_send += n - i;
			return;
		}
		u->stats.dropped_send++;	/* this one only */
		i++;
	}
}

/* One batch: returns how many datagrams were read (0: nothing left). */
static int
udp_batch(struct echod *ed, int fd)
{
	struct udp *u = ed->udp;
	unsigned batch = ed->cfg->udp_batch, nout = 0;
	uint64_t now, sig;
	int n, i;

	for (i = 0; i < (int)batch; i++) {
		u->iov[i].iov_base = u->buf[i];
		u->iov[i].iov_len = UDP_MAX;
		memset(&u->in[i].msg_hdr, 0, sizeof(u->in[i].msg_hdr));
		u->in[i].msg_hdr.msg_name = &u->from[i];
		u->in[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
		u->in[i].msg_hdr.msg_iov = &u->iov[i];
		u->in[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, u->in, batch, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			log_limited(&u->recv_ll, LOG_LEVEL_INFO,
			    "udp: recvmmsg: %s", strerror(errno));
		return 0;
	}
	now = log_now_ns();
	for (i = 0; i < n; i++) {
		struct msghdr *h = &u->in[i].msg_hdr;
		unsigned len = u->in[i].msg_len;

		u->stats.in++;
		u->stats.bytes_in += len;
		sig = udploop_sig(&u->loop, u->buf[i], len);
		if (!udp_wanted(ed, h->msg_name, sig, now))
			continue;
		/* Same buffer, same length: never larger than the request. */
		u->iov[i].iov_len = len;
		u->sig[nout] = sig;
		u->out[nout].msg_hdr = *h;
		u->out[nout].msg_hdr.msg_flags = 0;
		u->out[nout].msg_hdr.msg_control = NULL;
		u->out[nout].msg_hdr.msg_controllen = 0;
		nout++;
	}
	udp_send(u, fd, nout, now);
	return n;
}

static void
udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	int i;

	(void)what;
	for (i = 0; i < UDP_BATCHES_PER_WAKE * UDP_BATCH /
	    (int)ed->cfg->udp_batch; i++)
		if (udp_batch(ed, fd) < (int)ed->cfg->udp_batch)
			break;
}

int
udp_serve(struct echod *ed, int fd, struct event **evp)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct udp *u;

	if (ed->udp == NULL) {
		if ((ed->udp = calloc(1, sizeof(*ed->udp))) == NULL)
			return -1;
		if (udploop_init(&ed->udp->loop, &ed->hash_key) == -1) {
			free(ed->udp);
			ed->udp = NULL;
			return -1;
		}
		udp_reconfigure(ed, ed->cfg);
	}
	u = ed->udp;
	if (u->nsockets == UDP_SOCKETS_MAX ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	*evp = event_new(ed->base, fd, EV_READ | EV_PERSIST, udp_readable, ed);
	if (*evp == NULL || event_add(*evp, NULL) == -1)
		return -1;
	u->fds[u->nsockets] = fd;
	u->ports[u->nsockets++] = (uint16_t)addr_port((struct sockaddr *)&ss);
	return 0;
}

void
udp_unserve(struct echod *ed, int fd)
{
	struct udp *u = ed->udp;
	size_t i;

	for (i = 0; u != NULL && i < u->nsockets; i++)
		if (u->fds[i] == fd) {
			u->nsockets--;
			u->fds[i] = u->fds[u->nsockets];
			u->ports[i] = u->ports[u->nsockets];
			return;
		}
}

void
udp_reconfigure(struct echod *ed, const struct config *ncfg)
{
	struct udp *u = ed->udp;

	if (u == NULL)
		return;
	if (u->rate.slots != NULL && u->rate.rate == (double)ncfg->udp_rate)
		return;
	ratelimit_free(&u->rate);
	if (ncfg->udp_rate > 0 && ratelimit_init(&u->rate, ncfg->udp_rate,
	    UDP_RATE_SLOTS, &ed->hash_key) == -1)
		log_warnx("udp: out of memory for --udp-rate's table; datagrams "
		    "are answered without a rate limit");
}

void
udp_stats(const struct echod *ed, struct udp_stats *st)
{
	if (ed->udp != NULL)
		*st = ed->udp->stats;
	else
		memset(st, 0, sizeof(*st));
}

void
udp_free(struct echod *ed)
{
	if (ed->udp == NULL)
		return;
	ratelimit_free(&ed->udp->rate);
	udploop_free(&ed->udp->loop);
	free(ed->udp);
	ed->udp = NULL;
}
