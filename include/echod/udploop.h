/*
 * udploop: breaks an echo loop between echod and another echo service
 * that udpguard.h cannot see coming (two echo services on different
 * unprivileged ports, one datagram forged from one to the other: each
 * answers the other for ever).  In a loop, what arrives from a source is
 * what we sent that source an instant before.  So for each source
 * (address and port) we remember the signatures of the last
 * UDPLOOP_RING replies; a datagram matching one of them, within
 * UDPLOOP_WINDOW_NS, is a strike, and after UDPLOOP_STRIKES strikes in a
 * row one datagram is not answered, which ends the loop (a loop carries
 * one datagram).  A client that sends the same bytes back to back loses
 * one datagram in UDPLOOP_STRIKES + 1, which UDP allows.  More than
 * UDPLOOP_RING loops forged between the same pair evade this: --udp-rate
 * ends those.  Fixed memory, keyed hash; pure: time is passed in.
 */
#ifndef ECHOD_UDPLOOP_H
#define ECHOD_UDPLOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "echod/addr.h"
#include "echod/hash.h"

#define UDPLOOP_SLOTS		4096		/* sources remembered */
#define UDPLOOP_RING		16		/* replies per source */
#define UDPLOOP_WINDOW_NS	1000000000ULL
#define UDPLOOP_STRIKES		256

struct udploop_slot {
	struct addr_ip	ip;
	uint16_t	port;
	uint8_t		used, next;
	uint32_t	strikes;
	uint64_t	sig[UDPLOOP_RING];
	uint64_t	sent_ns[UDPLOOP_RING];
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
