/*
 * ratelimit: a token bucket per source address, in fixed memory.
 *
 * Buckets live in a 4-way set-associative table indexed by a keyed hash
 * (SipHash, key drawn at start-up): a source not in its set takes the slot
 * of the one seen longest ago, starting with a small credit (the rate, at
 * most RATELIMIT_FIRST_BURST), not a full bucket: a client may send a few
 * at once from the start, and a source pushed out and back in does not
 * get its whole burst back.
 * Memory never grows with the number of sources (spoofed UDP sources are
 * free to invent); nobody can aim collisions at a victim without the key.
 * Pure: time and the key are passed in.
 */
#ifndef ECHOD_RATELIMIT_H
#define ECHOD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "echod/addr.h"
#include "echod/hash.h"

#define RATELIMIT_WAYS		4
#define RATELIMIT_FIRST_BURST	16.0	/* a new source's credit, at most */

struct ratelimit_slot {
	struct addr_ip	src;
	uint8_t		used;
	double		tokens;
	uint64_t	last_ns;
};

struct ratelimit {
	struct hash_key		 key;
	double			 rate;		/* tokens per second = burst */
	size_t			 nsets;		/* power of two */
	struct ratelimit_slot	*slots;		/* nsets * RATELIMIT_WAYS */
};

/* RATE per second (also the burst); SLOTS rounded up to a power of 2. */
int	ratelimit_init(struct ratelimit *rl, uint64_t rate, size_t slots,
	    const struct hash_key *key);
void	ratelimit_free(struct ratelimit *rl);

/* 1 if SRC may send one more at NOW_NS (a monotonic clock). */
int	ratelimit_allow(struct ratelimit *rl, const struct addr_ip *src,
	    uint64_t now_ns);

/* "100/s" or "100": a rate of 1 to 10,000,000 per second, or 0: none. */
int	ratelimit_parse(const char *text, uint64_t *rate, char *err,
	    size_t errlen);

#endif
