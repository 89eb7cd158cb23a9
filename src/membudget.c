/*
 * membudget.c: the total held for clients (see membudget.h).
 */
#include <stdlib.h>
#include <string.h>

#include "echod/membudget.h"

void
membudget_init(struct membudget *m, uint64_t limit)
{
	atomic_init(&m->held, 0);
	atomic_init(&m->limit, limit);
	atomic_init(&m->over, 0);
	atomic_init(&m->episodes, 0);
	atomic_init(&m->pauses, 0);
}

void
membudget_set_limit(struct membudget *m, uint64_t limit)
{
	atomic_store(&m->limit, limit);
}

int
membudget_add(struct membudget *m, uint64_t n)
{
	uint64_t held = atomic_fetch_add(&m->held, n) + n;
	uint64_t limit = atomic_load(&m->limit);
	int no = 0;

	if (limit == 0 || held <= limit)
		return 0;
	/* One thread wins the start of the episode. */
	if (atomic_compare_exchange_strong(&m->over, &no, 1)) {
		atomic_fetch_add(&m->episodes, 1);
		return 1;
	}
	return 0;
}

int
membudget_sub(struct membudget *m, uint64_t n)
{
	uint64_t held = atomic_fetch_sub(&m->held, n) - n;
	uint64_t limit = atomic_load(&m->limit);
	int yes = 1;

	/* Some room before the next episode: no flapping at the line. */
	if (atomic_load(&m->over) && (limit == 0 || held <= limit / 8 * 7) &&
	    atomic_compare_exchange_strong(&m->over, &yes, 0))
		return -1;
	return 0;
}

int
membudget_should_pause(struct membudget *m, uint64_t queued, uint64_t open)
{
	uint64_t limit = atomic_load(&m->limit);

	if (limit == 0 || queued == 0 || atomic_load(&m->held) <= limit)
		return 0;
	if (queued < limit / (open > 0 ? open : 1))
		return 0;	/* holding less than its share: go on */
	atomic_fetch_add(&m->pauses, 1);
	return 1;
}

uint64_t
membudget_default(uint64_t memory_max, uint64_t ram_bytes)
{
	uint64_t d = memory_max > 0 ? memory_max / 2 : ram_bytes / 4;

	return d < MEMBUDGET_MIN ? MEMBUDGET_MIN : d;
}

uint64_t
membudget_parse_cgroup_max(const char *text)
{
	char *end;
	unsigned long long v;

	if (strncmp(text, "max", 3) == 0 || *text < '0' || *text > '9')
		return 0;
	v = strtoull(text, &end, 10);
	return (*end == '\0' || *end == '\n') ? (uint64_t)v : 0;
}
