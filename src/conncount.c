/*
 * conncount.c: open connections against --max-conns (see conncount.h).
 */
#include "echod/conncount.h"

void
conncount_init(struct conncount *c, uint64_t max)
{
	atomic_init(&c->open, 0);
	atomic_init(&c->max, max);
}

int
conncount_take(struct conncount *c)
{
	return atomic_fetch_add(&c->open, 1) + 1 >= atomic_load(&c->max);
}

int
conncount_give(struct conncount *c)
{
	return atomic_fetch_sub(&c->open, 1) >= atomic_load(&c->max);
}

uint64_t
conncount_open(const struct conncount *c)
{
	return atomic_load(&c->open);
}

uint64_t
conncount_max(const struct conncount *c)
{
	return atomic_load(&c->max);
}

int
conncount_full(const struct conncount *c)
{
	return atomic_load(&c->open) >= atomic_load(&c->max);
}

void
conncount_set_max(struct conncount *c, uint64_t max)
{
	atomic_store(&c->max, max);
}
