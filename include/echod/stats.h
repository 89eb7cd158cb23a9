/*
 * stats: one snapshot of every counter, summed over the threads, and its
 * two renderings: the log line (SIGUSR1, --stats-interval) and the
 * Prometheus text format (/metrics).  Formatting is pure.
 */
#ifndef ECHOD_STATS_H
#define ECHOD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "echod/udp.h"

struct stats {
	uint64_t	open;			/* connections now */
	uint64_t	accepted, closed;
	uint64_t	refused_acl, refused_per_ip, refused_proxy;
	uint64_t	timed_out;
	uint64_t	err_reset, err_oom, err_other;	/* connection errors */
	uint64_t	bytes_in, bytes_out;	/* TCP and stream sockets */
	uint64_t	backpressure_pauses;
	uint64_t	pauses_max_conns, pauses_fds;
	struct udp_stats udp;
	unsigned	workers, listeners;
	uint64_t	uptime_s;
};

/* "stats: 3 open, 10 accepted, ..." (no newline). */
void	stats_format_line(const struct stats *s, char *buf, size_t len);

/*
 * The Prometheus text exposition format (version 0.0.4), with HELP and
 * TYPE for every family.  Returns the length it needed (like snprintf).
 */
size_t	stats_format_prometheus(const struct stats *s, const char *version,
	    char *buf, size_t len);

#endif
