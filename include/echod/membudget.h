/*
 * membudget: the bytes echod holds for all its clients together (echoes
 * queued for clients that do not read), against --memory-limit.  Each
 * client is already bounded by --buffer-limit; this bounds the sum, which
 * --max-conns times --buffer-limit would not (1000 clients that never
 * read held 261 MB under the defaults).  Workers count what their
 * connections queue and send; past the limit a connection holding more
 * than its fair share (the limit over the open connections) stops
 * reading until its output drains, as at --buffer-limit.  Pure: atomics
 * and arithmetic; the default limit's inputs (cgroup, RAM) are read by
 * memlimit.c.
 */
#ifndef ECHOD_MEMBUDGET_H
#define ECHOD_MEMBUDGET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct membudget {
	_Atomic uint64_t	held;		/* bytes queued, all workers */
	_Atomic uint64_t	limit;		/* 0: no limit */
	atomic_int		over;		/* an episode is on */
	_Atomic uint64_t	episodes, pauses;
};

void		membudget_init(struct membudget *m, uint64_t limit);
void		membudget_set_limit(struct membudget *m, uint64_t limit);

/*
 * N more bytes held (ADD) or released (SUB).  Returns +1 when this call
 * began an episode over the limit, -1 when it ended one (held fell to
 * 7/8 of the limit), else 0: the caller logs those.
 */
int		membudget_add(struct membudget *m, uint64_t n);
int		membudget_sub(struct membudget *m, uint64_t n);

/*
 * Should a connection holding QUEUED bytes stop reading, with OPEN
 * connections sharing the budget?  Counted when it says yes.
 */
int		membudget_should_pause(struct membudget *m, uint64_t queued,
		    uint64_t open);

/*
 * The default limit: half of MEMORY_MAX (a cgroup's memory.max, 0 when
 * unset) or a quarter of RAM_BYTES, at least MEMBUDGET_MIN.
 */
#define MEMBUDGET_MIN	(16ULL << 20)
uint64_t	membudget_default(uint64_t memory_max, uint64_t ram_bytes);

/* "max\n" or a number of bytes: memory.max's text.  0 for "max". */
uint64_t	membudget_parse_cgroup_max(const char *text);

#endif
