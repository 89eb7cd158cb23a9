/*
 * echod.h: the one daemon-wide state, passed down to every module.
 */
#ifndef ECHOD_ECHOD_H
#define ECHOD_ECHOD_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>

#include "echod/config.h"
#include "echod/perip.h"
#include "echod/ratelimit.h"
#include "echod/udp.h"

struct event_base;
struct event;
struct listener;
struct worker;
struct udp_io;
struct evhttp;
struct stats;
struct proxy_wait;

/* Why accepting is paused; accepting resumes when no reason is left. */
#define ECHOD_PAUSE_FULL	0x1	/* --max-conns reached */
#define ECHOD_PAUSE_FDS		0x2	/* accept() ran out of descriptors */

struct echod {
	/*
	 * Swapped whole by a reload (never changed in place); every read
	 * is an atomic load.  A retired one is freed once every worker has
	 * handled the reload that retired it (see reload.c).
	 */
	const struct config *_Atomic cfg;
	struct retired_cfg {
		struct config	*cfg;
		uint64_t	 gen;	/* the reload that retired it */
	}			*old_cfgs;
	size_t			 nold_cfgs;
	uint64_t		 reloads;	/* generations so far */
	int			 argc;		/* to re-read on SIGHUP */
	char			**argv;
	int			 ninherited;	/* sockets from systemd */
	struct event		*sighup_ev;
	struct event_base	*base;

	struct listener		*listeners;
	size_t			 nlisteners;
	unsigned		 pause;		/* ECHOD_PAUSE_* */
	struct event		*resume_ev;	/* retry after ECHOD_PAUSE_FDS */
	int			 fds_short;	/* logged, not yet recovered */
	int			 full_logged;

	struct worker		*workers;
	unsigned		 nworkers;
	unsigned		 next_worker;	/* round-robin */
	int			 wake_fd;	/* eventfd: workers -> main */
	struct event		*wake_ev;

	/* Main thread only. */
	uint64_t		 refused_acl;	/* TCP clients closed at accept */
	uint64_t		 refused_per_ip;
	uint64_t		 refused_proxy;	/* no valid PROXY header */
	LIST_HEAD(, proxy_wait)	 proxy_waits;	/* waiting for their header */
	time_t			 proxy_warned;	/* last warning, rate limit */
	struct perip		 perip;		/* --max-conns-per-ip */
	uint64_t		 pauses_max_conns, pauses_fds;
	time_t			 started;
	struct event		*sigusr1_ev;
	struct event		*stats_ev;	/* --stats-interval */
	struct evhttp		*http;		/* --metrics */
	struct udp_stats	 udp_stats;
	struct udp_io		*udp_io;	/* batch buffers, if UDP is on */
	struct ratelimit	 udp_rate;

	/* Shared by every thread; the main thread alone increments nconns. */
	_Atomic uint64_t	 nconns;
	_Atomic uint64_t	 accepted;	/* since start; ids */
	_Atomic uint64_t	 max_conns;	/* a reload may change it */

	int			 notify_on;	/* NOTIFY_SOCKET is set */
	int			 notify_warned;
	struct event		*watchdog_ev;
	struct event		*status_ev;
	char			 status_last[192];

	struct event		*sigterm_ev;
	struct event		*sigint_ev;
	struct event		*drain_ev;
	uint64_t		 drain_from;	/* open when draining began */
	enum {
		ECHOD_RUNNING,
		ECHOD_DRAINING,		/* listeners closed, clients finish */
		ECHOD_STOPPING,		/* closing whatever is left */
	}			 state;
};

/* server.c: the accepting thread's loop and the workers' lifetime. */
int	server_init(struct echod *ed, const struct config *cfg,
	    uint64_t max_conns);
int	server_run(struct echod *ed);
void	server_free(struct echod *ed);
void	server_stats(struct echod *ed, struct stats *st);

#endif
