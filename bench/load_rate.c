/*
 * load_rate.c: the --rate schedule (see load_rate.h).  128-bit products:
 * a day of nanoseconds times ten million messages a second does not fit
 * in 64 bits.
 */
#include "load_rate.h"

#define NS	1000000000u

uint64_t
load_rate_due_total(uint64_t elapsed, uint64_t rate)
{
	return (uint64_t)((unsigned __int128)elapsed * rate / NS) + 1;
}

uint64_t
load_rate_due_conn(uint64_t total, unsigned i, unsigned c)
{
	return total > i ? (total - i + c - 1) / c : 0;
}

/* Rounded up: at that nanosecond load_rate_due_total() counts it. */
uint64_t
load_rate_at(uint64_t k, uint64_t rate)
{
	return (uint64_t)(((unsigned __int128)k * NS + rate - 1) / rate);
}

uint64_t
load_rate_conn_at(uint64_t j, unsigned i, unsigned c, uint64_t rate)
{
	return load_rate_at(j * c + i, rate);
}
