/*
 * udploop: breaks an echo loop between echod and another echo service
 * that udpguard.h cannot see coming (two echo services on different
 * unprivileged ports, one datagram forged from one to the other: each
 * answers the other for ever).  In a loop, what arrives from a source is
 * what we sent that source an instant before.  So for each source
 * (address and port) we remember the signatures of what we sent it in the
 * last UDPLOOP_WINDOW_NS or so: the last UDPLOOP_RING exactly, and all of
 * them in a two-generation Bloom filter.  A datagram matching one is a
 * strike; the UDPLOOP_STRIKES-th strike in a row is dropped, and:
 *
 *   - if every strike was the same bytes (one loop, or a client sending
 *     the same bytes back to back), that ends it: a loop carries one
 *     datagram, and such a client loses one datagram in
 *     UDPLOOP_STRIKES + 1, as UDP may;
 *   - if they were different bytes (several loops interleaved, forged
 *     many at a time toward a slow peer, however many), every matching
 *     datagram is dropped until the source sends something new, which
 *     ends them all at once.
 *
 * A Bloom generation that took more than UDPLOOP_BLOOM_MAX replies (a
 * source above 1000/s, possible only with --udp-rate 0 or above 2000)
 * would match nearly anything: it is not consulted, and only the ring
 * guards that source.  Fixed memory, keyed hash; pure: time is passed in.
 */
#ifndef ECHOD_UDPLOOP_H
#define ECHOD_UDPLOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "echod/addr.h"
#include "echod/hash.h"

#define UDPLOOP_SLOTS		1024		/* sources remembered */
#define UDPLOOP_RING		16		/* replies per source */
#define UDPLOOP_WINDOW_NS	1000000000ULL
#define UDPLOOP_STRIKES		256
/* Per generation (half the window): 3 bits per reply, about 3% false
 * matches at UDPLOOP_BLOOM_MAX replies. */
#define UDPLOOP_BLOOM_BITS	8192
#define UDPLOOP_BLOOM_MAX	1024

struct udploop_slot {
	struct addr_ip	ip;
	uint16_t	port;
	uint8_t		used, next;
	uint8_t		mixed;		/* the strikes were not all RUN_SIG */
	uint32_t	strikes;	/* in a row */
	uint64_t	run_sig;	/* the first of them */
	uint64_t	sig[UDPLOOP_RING];
	uint64_t	sent_ns[UDPLOOP_RING];
	uint64_t	gen_ns;		/* when generation CUR began */
	uint32_t	added[2];	/* replies put in each generation */
	uint8_t		cur;
	uint64_t	bloom[2][UDPLOOP_BLOOM_BITS / 64];
};

struct udploop {
	struct hash_key		 key;
	struct udploop_slot	*slots;
};

int	udploop_init(struct udploop *l, const struct hash_key *key);
void	udploop_free(struct udploop *l);

/* The signature of a datagram: its length and first and last bytes. */
uint64_t udploop_sig(const struct udploop *l, const void *data, size_t len);

/* A datagram with SIG from FROM arrived at NOW_NS: 1 to drop it. */
int	udploop_check(struct udploop *l, const struct sockaddr *from,
	    uint64_t sig, uint64_t now_ns);

/* We answered FROM with SIG at NOW_NS. */
void	udploop_sent(struct udploop *l, const struct sockaddr *from,
	    uint64_t sig, uint64_t now_ns);

#endif
