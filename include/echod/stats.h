/*
 * stats: one snapshot of every counter, summed over the threads, and its
 * two renderings: the log line (SIGUSR1, --stats-interval) and the
 * Prometheus text format (/metrics).  Formatting is pure.
 */
#ifndef ECHOD_STATS_H
#define ECHOD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "echod/tls_fail.h"

struct udp_stats {
	uint64_t	in, out;		/* datagrams */
	uint64_t	bytes_in, bytes_out;
	uint64_t	dropped_port;		/* source port below 1024 */
	uint64_t	dropped_own;		/* from one of our own ports */
	uint64_t	dropped_loop;		/* udploop.h broke a loop */
	uint64_t	dropped_source;		/* broadcast, multicast, ... */
	uint64_t	dropped_acl, dropped_rate;
	uint64_t	dropped_send;		/* socket would not take it */
};

struct tls_stats {
	uint64_t	v12, v13;		/* handshakes done, by version */
	uint64_t	failed[TLS_FAIL_N];	/* by reason */
	uint64_t	post_handshake_closed;	/* renegotiation, KeyUpdates */
};

/* The process as Prometheus client libraries describe it (process_*). */
struct process_stats {
	uint64_t	open_fds, max_fds;
	uint64_t	resident_bytes;
	double		cpu_seconds;		/* user + system */
	int		known;			/* 0: not read */
};

struct stats {
	uint64_t	open;			/* connections now */
	uint64_t	max_conns;
	uint64_t	accepted, closed;
	uint64_t	refused_acl, refused_per_ip, refused_proxy;
	uint64_t	refused_untrusted;	/* not in --proxy-from */
	uint64_t	timed_out;
	uint64_t	err_reset, err_oom, err_other;	/* connection errors */
	uint64_t	bytes_in, bytes_out;	/* TCP and stream sockets */
	uint64_t	backpressure_pauses;
	uint64_t	held_bytes, memory_limit;	/* --memory-limit */
	uint64_t	memory_pauses, memory_episodes;
	uint64_t	pauses_max_conns, pauses_fds;
	struct udp_stats udp;
	struct tls_stats tls;
	unsigned	workers, listeners;
	uint64_t	uptime_s;		/* monotonic */
	int64_t		started_unix;		/* wall clock at start */
	struct process_stats process;
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
