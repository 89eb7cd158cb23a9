/*
 * echod.h: the daemon's state, one struct handed down to every module.
 * Data only, and it includes only pure headers: a module whose state is
 * more than a few fields keeps it behind an opaque pointer here (struct
 * admit, struct udp, ...), so no I/O module's header is needed to read
 * this one and the include graph points one way, down.
 */
#ifndef ECHOD_ECHOD_H
#define ECHOD_ECHOD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "echod/config.h"
#include "echod/conncount.h"
#include "echod/hash.h"
#include "echod/membudget.h"

struct admit;
struct event;
struct event_base;
struct listener;
struct metrics;
struct notify;
struct proxy_wait;
struct tls;
struct udp;
struct worker;

enum echod_state {
	ECHOD_RUNNING,
	ECHOD_DRAINING,		/* listeners closed, clients finish */
	ECHOD_STOPPING,		/* closing whatever is left */
};

struct fdstore;

struct echod {
	/*
	 * Swapped whole by a reload (never changed in place); every read
	 * is an atomic load.  A retired one is freed once every worker has
	 * handled the reload that retired it (see reload.c).
	 */
	const struct config *_Atomic cfg;
	struct retired_cfg {
		struct config	*cfg;
		struct tls	*tls;	/* the TLS context beside it */
		uint64_t	 gen;	/* the reload that retired it */
	}			*old_cfgs;
	size_t			 nold_cfgs;
	uint64_t		 reloads;	/* generations so far */
	/* tls.h: what new TLS connections use; swapped and retired with
	 * the config it was loaded for.  NULL without --tls-cert. */
	struct tls *_Atomic	 tls;
	int			 argc;		/* to re-read on SIGHUP */
	char			**argv;

	struct event_base	*base;		/* the accepting thread's */
	struct hash_key		 hash_key;	/* per-IP and rate tables */

	/* admit.c decides; workers give slots back (conncount.h). */
	struct conncount	 conns;
	struct admit		*admit;
	_Atomic uint64_t	 accepted;	/* since start: connection ids */
	struct membudget	 mem;		/* --memory-limit; conn.c counts */

	/* listener.c */
	struct listener		*listeners;
	size_t			 nlisteners;
	int			 ninherited;	/* sockets from systemd */

	/* proxy.c: connections waiting for their PROXY header */
	LIST_HEAD(, proxy_wait)	 proxy_waits;
	uint64_t		 refused_proxy;

	/* worker.c */
	struct worker		*workers;
	unsigned		 nworkers;
	unsigned		 next_worker;	/* round-robin */
	int			 wake_fd;	/* eventfd: workers -> main */
	struct event		*wake_ev;

	struct udp		*udp;
	struct metrics		*metrics;
	struct notify		*notify;

	/* server.c */
	uint64_t		 started_ns;	/* monotonic */
	int64_t			 started_wall;	/* Unix time, for metrics */
	uint64_t		 fds_held;	/* at start, less listeners */
	size_t			 nlisteners_start;
	struct event		*sigterm_ev, *sigint_ev, *sighup_ev;
	struct event		*sigusr1_ev, *sigusr2_ev;
	struct event		*reload_ev;	/* reload.c: SIGHUPs coalesced */
	struct event		*stats_ev;	/* --stats-interval */
	struct event		*drain_ev;
	uint64_t		 drain_from;	/* open when draining began */
	enum echod_state	 state;

	/*
	 * A restart (SIGUSR2 armed it, SIGTERM began it) hands connections
	 * to systemd's store instead of draining them (fdstore.h).  Set by
	 * the accepting thread before the workers are told; they count.
	 */
	struct fdstore		*fdstore;	/* NULL: no store */
	uint64_t		 restart_armed_ns; /* SIGUSR2 seen, 0: not */
	int			 handing_over;
	uint64_t		 handover_gen;	/* fdname.h's GEN */
	_Atomic uint64_t	 handover_room;	/* taken of --fd-store */
	_Atomic uint64_t	 handed;	/* connections given */
};

#endif
