/*
 * snapshot.c: gather the counters (see snapshot.h).  Each worker writes
 * its own counters only; admit.c, proxy.c and udp.c keep theirs in the
 * accepting thread, where this runs.
 */
#include <string.h>

#include "echod/admit.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/snapshot.h"
#include "echod/stats.h"
#include "echod/udp.h"
#include "echod/worker.h"

void
snapshot_take(const struct echod *ed, struct stats *st)
{
	memset(st, 0, sizeof(*st));
	worker_stats_sum(ed, st);
	admit_stats(ed, st);
	udp_stats(ed, &st->udp);
	st->refused_proxy = ed->refused_proxy;
	st->held_bytes = atomic_load(&ed->mem.held);
	st->memory_limit = atomic_load(&ed->mem.limit);
	st->memory_pauses = atomic_load(&ed->mem.pauses);
	st->memory_episodes = atomic_load(&ed->mem.episodes);
	st->workers = ed->nworkers;
	st->listeners = (unsigned)ed->nlisteners;
	st->uptime_s = (log_now_ns() - ed->started_ns) / 1000000000ULL;
	st->started_unix = ed->started_wall;
}
