/*
 * echod.h: the one daemon-wide state, passed down to every module.
 */
#ifndef ECHOD_ECHOD_H
#define ECHOD_ECHOD_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "echod/config.h"

struct event_base;
struct event;
struct listener;
struct conn;

/* Why accepting is paused; accepting resumes when no reason is left. */
#define ECHOD_PAUSE_FULL	0x1	/* --max-conns reached */
#define ECHOD_PAUSE_FDS		0x2	/* accept() ran out of descriptors */

struct echod {
	const struct config	*cfg;
	struct event_base	*base;

	struct listener		*listeners;
	size_t			 nlisteners;
	unsigned		 pause;		/* ECHOD_PAUSE_* */
	struct event		*resume_ev;	/* retry after ECHOD_PAUSE_FDS */
	int			 fds_short;	/* logged, not yet recovered */
	int			 full_logged;

	LIST_HEAD(, conn)	 conns;
	uint64_t		 nconns;
	uint64_t		 max_conns;
	uint64_t		 accepted;	/* since start */
	const struct timeval	*idle_tv;	/* common timeout, or NULL */

	int			 notify_on;	/* NOTIFY_SOCKET is set */
	int			 notify_warned;
	struct event		*watchdog_ev;
	struct event		*status_ev;
	char			 status_last[128];

	struct event		*sigterm_ev;
	struct event		*sigint_ev;
	struct event		*drain_ev;
	enum {
		ECHOD_RUNNING,
		ECHOD_DRAINING,		/* listeners closed, clients finish */
		ECHOD_STOPPING,		/* closing whatever is left */
	}			 state;
};

/* server.c: the event loop's lifetime. */
int	server_init(struct echod *ed, const struct config *cfg,
	    uint64_t max_conns);
int	server_run(struct echod *ed);
void	server_free(struct echod *ed);
void	server_conn_gone(struct echod *ed);

#endif
