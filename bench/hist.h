/*
 * hist: an HDR-style latency histogram.  Log-linear buckets (64 per power
 * of two) keep every recorded value within 1/64 (1.6%) of its bucket's
 * bounds, in fixed memory, with O(1) recording.
 */
#ifndef ECHOD_BENCH_HIST_H
#define ECHOD_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS	6
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_EXP	(64 - HIST_SUB_BITS + 1)

struct hist {
	uint64_t	count;
	uint64_t	min, max;
	uint64_t	buckets[HIST_EXP][HIST_SUB];
};

void		hist_init(struct hist *h);
void		hist_record(struct hist *h, uint64_t value);
void		hist_merge(struct hist *into, const struct hist *from);

/*
 * The value at quantile Q (0 < Q <= 1): the upper bound of the bucket the
 * Q-th value fell in, clamped to the exact max.  0 for an empty histogram.
 */
uint64_t	hist_quantile(const struct hist *h, double q);

#endif
