/*
 * load_rate: the schedule of echod-load's --rate (open loop, as wrk2).
 * Message k of the run is due at k / RATE seconds after the start and
 * belongs to connection k % C, so every connection's messages are evenly
 * spaced too.  A message's latency counts from when it was due, not from
 * when it could be sent: a server that stalls is charged for every
 * message the stall held back (no coordinated omission).  Pure.
 */
#ifndef ECHOD_BENCH_LOAD_RATE_H
#define ECHOD_BENCH_LOAD_RATE_H

#include <stdint.h>

/* Messages of the whole run due ELAPSED ns after its start (message 0
 * is due at once). */
uint64_t	load_rate_due_total(uint64_t elapsed, uint64_t rate);

/* How many of the first TOTAL messages are connection I's, of C. */
uint64_t	load_rate_due_conn(uint64_t total, unsigned i, unsigned c);

/* When message K of the run is due, in ns after the start. */
uint64_t	load_rate_at(uint64_t k, uint64_t rate);

/* When connection I's J-th message (of C connections) is due. */
uint64_t	load_rate_conn_at(uint64_t j, unsigned i, unsigned c,
		    uint64_t rate);

#endif
