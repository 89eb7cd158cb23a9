/*
 * worker: a thread with its own event_base that owns the connections
 * handed to it.  The accepting (main) thread passes each accepted fd to a
 * worker through that worker's pipe; nothing libevent owns ever crosses a
 * thread, so libevent needs no locking.  Commands (drain, stop, reload)
 * are flags the worker reads after emptying its pipe, so they never wait
 * for room in it and a worker that has ended costs nothing.
 */
#ifndef ECHOD_WORKER_H
#define ECHOD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "echod/tls_fail.h"

struct echod;
struct conn;
struct event;
struct event_base;
struct stats;

/*
 * Counters a worker alone writes (relaxed atomic stores: plain moves on
 * x86, no lock) and the main thread reads for stats.
 */
struct worker_stats {
	_Atomic uint64_t	accepted, closed, timed_out;
	_Atomic uint64_t	err_reset, err_oom, err_other;	/* by kind */
	_Atomic uint64_t	bytes_in, bytes_out, pauses;
	_Atomic uint64_t	tls_v12, tls_v13;	/* handshakes done */
	_Atomic uint64_t	tls_failed[TLS_FAIL_N];
	_Atomic uint64_t	tls_abuse;	/* closed after it */
};

#define WSTAT_ADD(w, field, n)						\
	atomic_store_explicit(&(w)->stats.field,			\
	    atomic_load_explicit(&(w)->stats.field, memory_order_relaxed) + \
	    (uint64_t)(n), memory_order_relaxed)

/* Distinct --idle-timeout values a worker keeps as libevent common
 * timeouts (libevent allows 256 per base); beyond, plain timers. */
#define WORKER_COMMON_TIMEOUTS	64

struct parcel_client;

struct worker {
	struct echod		*ed;
	unsigned		 id;
	pthread_t		 thread;
	int			 started;
	struct event_base	*base;
	const struct timeval	*idle_tv;	/* new connections', or NULL */
	unsigned		 idle_secs;	/* what idle_tv is */
	struct timeval		 idle_plain;	/* when not a common timeout */
	struct timeval		 timeout_plain;	/* worker_timeout()'s */
	unsigned		 park_walks;	/* conn_park_quiet() calls */
	unsigned		 park_trimmed;	/* walk of its last trim */
	struct {
		unsigned		 secs;
		const struct timeval	*tv;
	}			 common[WORKER_COMMON_TIMEOUTS];
	unsigned		 ncommon;
	int			 pipe[2];	/* struct handoff, in order */
	struct event		*pipe_ev;
	struct event		*park_ev;	/* conn_park_quiet() */
	LIST_HEAD(, conn)	 conns;
	uint64_t		 nconns;	/* this worker's */
	int			 draining;
	unsigned char		*pump_buf;	/* conn.c's bulk path, 64 KiB */
	atomic_int		 done;		/* its loop has ended */
	struct worker_stats	 stats;
	atomic_uint		 cmds;		/* WORKER_CMD_* not yet seen */
	_Atomic uint64_t	 reload_gen;	/* the newest reload */
	_Atomic uint64_t	 reloads_seen;	/* the newest it has applied */
	unsigned		 cmds_sent;	/* accepting thread: sent once */
	/* A restart: connections ready for systemd, stored as the worker's
	 * loop ends (conn_handover_finish()). */
	int			*handed_fds;
	struct parcel_client	*handed_clients;
	size_t			 nhanded, handed_cap;
};

/* Create N workers and start their threads.  0, or -1 with ERR set. */
int	worker_start_all(struct echod *ed, unsigned n, char *err,
	    size_t errlen);

struct perip_entry;

/*
 * Accepting thread: give FD (counted under IP, may be NULL; TLS: from a
 * tls: listener) to the next worker.  CLIENT (may be NULL) is the address
 * its PROXY header named.  WAIT: if the worker's queue is full, wait for
 * room (start-up only; the loop must not block).  0, or -1 with FD closed
 * (the caller gives the counts back).
 */
int	worker_hand(struct echod *ed, int fd, struct perip_entry *ip,
	    int tls, const struct sockaddr *client, socklen_t len, int wait);

/* Accepting thread: let connections finish / close them now; or hand
 * them to systemd's store (a restart: conn_handover_all()). */
void	worker_drain_all(struct echod *ed);
void	worker_handover_all(struct echod *ed);
void	worker_stop_all(struct echod *ed);

/* Accepting thread: the configuration changed (reload number GEN); new
 * connections use it.  Each worker acknowledges in reloads_seen. */
void	worker_reload_all(struct echod *ed, uint64_t gen);

/* Accepting thread: add every worker's counters into ST. */
void	worker_stats_sum(const struct echod *ed, struct stats *st);

/* Number of workers whose loop has ended. */
unsigned worker_done_count(const struct echod *ed);

/* Join and free every worker (after their loops ended). */
void	worker_free_all(struct echod *ed);

/* conn.c: a connection of W closed. */
void	worker_conn_gone(struct worker *w);

/*
 * conn.c: a timeout of SECS for W's events (NULL for 0): a common timeout
 * libevent keeps one queue for, while there are fewer than
 * WORKER_COMMON_TIMEOUTS of them.  Use it at once (a plain one is only
 * lent).
 */
const struct timeval *worker_timeout(struct worker *w, unsigned secs);

#endif
