/*
 * conncount: the count of open client connections against --max-conns,
 * shared by the accepting thread (which takes a slot for each connection
 * it admits) and the workers (which give it back when the connection
 * closes).  Only admit.c decides what a full count means (it pauses
 * accepting); a worker that gives back the slot of a full count wakes the
 * accepting thread so that admit.c can look again.  Pure: atomics only.
 */
#ifndef ECHOD_CONNCOUNT_H
#define ECHOD_CONNCOUNT_H

#include <stdatomic.h>
#include <stdint.h>

struct conncount {
	_Atomic uint64_t	open;
	_Atomic uint64_t	max;	/* --max-conns; a reload may change it */
};

void		conncount_init(struct conncount *c, uint64_t max);

/* Accepting thread: one more open.  Returns 1 if the count is now full. */
int		conncount_take(struct conncount *c);

/* Any thread: one fewer.  Returns 1 if it was full (accepting may resume). */
int		conncount_give(struct conncount *c);

uint64_t	conncount_open(const struct conncount *c);
uint64_t	conncount_max(const struct conncount *c);
int		conncount_full(const struct conncount *c);
void		conncount_set_max(struct conncount *c, uint64_t max);

#endif
