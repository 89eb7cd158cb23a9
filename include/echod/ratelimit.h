/*
 * ratelimit: a token bucket per source address, in fixed memory.
 *
 * Buckets live in a 4-way set-associative table: a source not in its set
 * takes the slot of the one seen longest ago, starting with a full bucket.
 * Memory never grows with the number of sources (spoofed UDP sources are
 * free to invent), at the price that a flood of new sources can reset an
 * old source's bucket.  Pure: time is passed in.
 */
#ifndef ECHOD_RATELIMIT_H
#define ECHOD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WAYS	4

struct ratelimit_slot {
	uint8_t		key[16];
	uint8_t		used;
	double		tokens;
	uint64_t	last_ns;
};

struct ratelimit {
	double			 rate;		/* tokens per second = burst */
	size_t			 nsets;		/* power of two */
	struct ratelimit_slot	*slots;		/* nsets * RATELIMIT_WAYS */
};

/* RATE per second (also the burst); SLOTS rounded up to a power of 2. */
int	ratelimit_init(struct ratelimit *rl, uint64_t rate, size_t slots);
void	ratelimit_free(struct ratelimit *rl);

/* 1 if the source KEY (up to 16 bytes) may send one more now. */
int	ratelimit_allow(struct ratelimit *rl, const uint8_t *key,
	    size_t keylen, uint64_t now_ns);

/* "100/s" or "100": a rate of 1 to 10,000,000 per second. */
int	ratelimit_parse(const char *text, uint64_t *rate, char *err,
	    size_t errlen);

#endif
