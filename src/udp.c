/*
 * udp.c: the datagram echo (see udp.h).  Reads in batches with recvmmsg()
 * and answers with one sendmmsg(), reusing the same buffers: the reply is
 * the request, byte for byte and length for length.  A reply the socket
 * will not take is dropped and counted (UDP promises nothing more).
 */
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "echod/acl.h"
#include "echod/addr.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/ratelimit.h"
#include "echod/udp.h"

#define UDP_BATCHES_PER_WAKE	8	/* then let others run */
#define UDP_RATE_SLOTS		65536

struct udp_io {
	unsigned char		 buf[UDP_BATCH][UDP_MAX];
	struct sockaddr_storage	 from[UDP_BATCH];
	struct iovec		 iov[UDP_BATCH];
	struct mmsghdr		 in[UDP_BATCH], out[UDP_BATCH];
};

int
udp_port_is_reflector(unsigned port)
{
	/* 0 is not a real source; 7 echo, 13 daytime, 17 qotd, 19 chargen,
	 * 37 time: answering them can start an endless ping-pong. */
	return port == 0 || port == 7 || port == 13 || port == 17 ||
	    port == 19 || port == 37;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The address bytes a rate limit is kept per (IPv4-mapped folded). */
static size_t
source_key(const struct sockaddr *sa, const uint8_t **key)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET) {
		*key = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		return 4;
	}
	*key = ((const struct sockaddr_in6 *)(const void *)sa)->
	    sin6_addr.s6_addr;
	if (memcmp(*key, mapped, 12) == 0) {
		*key += 12;
		return 4;
	}
	return 16;
}

/* Should this datagram be answered?  Counts why not. */
static int
udp_accept(struct echod *ed, const struct sockaddr *from, uint64_t now)
{
	struct udp_stats *st = &ed->udp_stats;
	const uint8_t *key;
	size_t keylen;

	if (udp_port_is_reflector(addr_port(from))) {
		if (st->dropped_port++ == 0)
			log_info("dropping datagrams from well-known ports "
			    "(echo-loop and reflection guard); counted, "
			    "logged once");
		return 0;
	}
	if (!acl_allows(&ed->cfg->acl, from)) {
		st->dropped_acl++;
		return 0;
	}
	if (ed->udp_rate.slots != NULL) {
		keylen = source_key(from, &key);
		if (!ratelimit_allow(&ed->udp_rate, key, keylen, now)) {
			if (st->dropped_rate++ == 0)
				log_info("dropping datagrams over --udp-rate; "
				    "counted, logged once");
			return 0;
		}
	}
	return 1;
}

/* One batch: returns how many datagrams were read (0: nothing left). */
static int
udp_batch(struct echod *ed, int fd)
{
	struct udp_io *io = ed->udp_io;
	struct udp_stats *st = &ed->udp_stats;
	unsigned batch = ed->cfg->udp_batch;
	uint64_t now;
	int n, i, nout = 0, sent;

	for (i = 0; i < (int)batch; i++) {
		io->iov[i].iov_base = io->buf[i];
		io->iov[i].iov_len = UDP_MAX;
		memset(&io->in[i].msg_hdr, 0, sizeof(io->in[i].msg_hdr));
		io->in[i].msg_hdr.msg_name = &io->from[i];
		io->in[i].msg_hdr.msg_namelen = sizeof(io->from[i]);
		io->in[i].msg_hdr.msg_iov = &io->iov[i];
		io->in[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, io->in, batch, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			log_warn("udp: recvmmsg");
		return 0;
	}
	now = now_ns();
	for (i = 0; i < n; i++) {
		struct msghdr *h = &io->in[i].msg_hdr;
		unsigned len = io->in[i].msg_len;

		st->in++;
		st->bytes_in += len;
		if (!udp_accept(ed, h->msg_name, now))
			continue;
		/* Same buffer, same length: never larger than the request. */
		io->iov[i].iov_len = len;
		io->out[nout].msg_hdr = *h;
		io->out[nout].msg_hdr.msg_flags = 0;
		io->out[nout].msg_hdr.msg_control = NULL;
		io->out[nout].msg_hdr.msg_controllen = 0;
		nout++;
	}
	sent = nout > 0 ? sendmmsg(fd, io->out, (unsigned)nout,
	    MSG_DONTWAIT) : 0;
	if (sent < 0)
		sent = 0;
	for (i = 0; i < sent; i++) {
		st->out++;
		st->bytes_out += io->out[i].msg_len;
	}
	st->dropped_send += (uint64_t)(nout - sent);
	return n;
}

static void
udp_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct echod *ed = arg;
	int i;

	for (i = 0; i < UDP_BATCHES_PER_WAKE * UDP_BATCH /
	    (int)ed->cfg->udp_batch; i++)
		if (udp_batch(ed, fd) < (int)ed->cfg->udp_batch)
			break;
}

int
udp_serve(struct echod *ed, int fd, struct event **evp)
{
	if (ed->udp_io == NULL && (ed->udp_io = malloc(sizeof(struct
	    udp_io))) == NULL)
		return -1;
	if (ed->cfg->udp_rate > 0 && ed->udp_rate.slots == NULL &&
	    ratelimit_init(&ed->udp_rate, ed->cfg->udp_rate,
	    UDP_RATE_SLOTS) == -1)
		return -1;
	*evp = event_new(ed->base, fd, EV_READ | EV_PERSIST, udp_readable, ed);
	if (*evp == NULL || event_add(*evp, NULL) == -1)
		return -1;
	return 0;
}

void
udp_free(struct echod *ed)
{
	free(ed->udp_io);
	ed->udp_io = NULL;
	ratelimit_free(&ed->udp_rate);
}
