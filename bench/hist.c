/*
 * hist.c: log-linear histogram for latencies (see hist.h).  Pure.
 */
#include <string.h>

#include "hist.h"

/* Bucket of V: values below HIST_SUB are exact, then 64 per octave. */
static void
bucket_of(uint64_t v, unsigned *e, unsigned *s)
{
	unsigned msb;

	if (v < HIST_SUB) {
		*e = 0;
		*s = (unsigned)v;
		return;
	}
	msb = 63u - (unsigned)__builtin_clzll(v);
	*e = msb - HIST_SUB_BITS + 1;
	*s = (unsigned)(v >> (msb - HIST_SUB_BITS)) - HIST_SUB;
}

/* The largest value that falls in bucket (E, S). */
static uint64_t
bucket_top(unsigned e, unsigned s)
{
	unsigned shift;

	if (e == 0)
		return s;
	shift = e - 1;
	return ((((uint64_t)HIST_SUB + s + 1) << shift)) - 1;
}

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
hist_record(struct hist *h, uint64_t v)
{
	unsigned e, s;

	bucket_of(v, &e, &s);
	h->buckets[e][s]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct hist *into, const struct hist *from)
{
	unsigned e, s;

	for (e = 0; e < HIST_EXP; e++)
		for (s = 0; s < HIST_SUB; s++)
			into->buckets[e][s] += from->buckets[e][s];
	into->count += from->count;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, top;
	unsigned e, s;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (e = 0; e < HIST_EXP; e++) {
		for (s = 0; s < HIST_SUB; s++) {
			seen += h->buckets[e][s];
			if (seen >= rank) {
				top = bucket_top(e, s);
				return top > h->max ? h->max : top;
			}
		}
	}
	return h->max;
}
