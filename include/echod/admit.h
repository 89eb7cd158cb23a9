/*
 * admit: echod's one front door.  Every listener of every kind (echo
 * sockets, inherited or opened, and the metrics port) accepts through
 * here, and only here is it decided who comes in and when accepting
 * pauses:
 *
 *   - the ACL verdict (--allow/--deny) and, with --proxy-protocol, whether
 *     the socket's peer may speak for another client (--proxy-from);
 *   - per-address counts (--max-conns-per-ip) and the global count
 *     against --max-conns (conncount.h: workers give slots back);
 *   - pausing and resuming every listener, for every reason: the count
 *     is full, or accept() ran out of descriptors (retried from a timer,
 *     never in a busy loop), with one rate-limited line per episode.
 *
 * Accepting thread only, but for admit_recheck()'s cause (a worker's
 * wake-up after it gave a slot back).
 */
#ifndef ECHOD_ADMIT_H
#define ECHOD_ADMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct echod;
struct config;
struct evconnlistener;
struct stats;

/* Which limit a listener's connections count against. */
enum admit_door {
	ADMIT_ECHO,		/* --max-conns and the per-IP limit */
	ADMIT_METRICS,		/* ADMIT_METRICS_MAX at once */
};

/* Concurrent /metrics connections (Prometheus keeps one). */
#define ADMIT_METRICS_MAX	4

/* Returns 0, or -1 (out of memory).  No limit holds until the first
 * admit_reconfigure(), which start-up calls before accepting. */
int	admit_init(struct echod *ed);
void	admit_free(struct echod *ed);

/*
 * Put EVL under admission (it becomes one that pauses and resumes with
 * the others of its door, and its accept errors come here); unwatch it
 * before freeing it.  Returns 0, or -1 (out of memory).
 */
int	admit_watch(struct echod *ed, struct evconnlistener *evl,
	    enum admit_door door);
void	admit_unwatch(struct echod *ed, struct evconnlistener *evl);

/*
 * A new echo connection FD from the socket peer SA (TLS: on a tls:
 * listener, so its handshake comes next; a PROXY header comes before
 * it).  Without
 * --proxy-protocol it is admitted (or refused) at once.  With it, a peer
 * outside --proxy-from is refused before a byte is read; a trusted one
 * takes a slot and is returned to the caller to read its header (1).
 * Returns 0 when FD was dealt with (handed on or closed).
 */
int	admit_echo(struct echod *ed, int fd, const struct sockaddr *sa,
	    socklen_t len, int tls);

/*
 * The PROXY header of a connection that admit_echo() passed named client
 * SA: the ACL and the per-IP limit judge SA, then a worker takes FD (its
 * slot is already taken), or FD is closed.
 */
void	admit_proxied(struct echod *ed, int fd, const struct sockaddr *sa,
	    socklen_t len, int tls);

/*
 * A connection a previous echod handed over at a restart (restore.c), its
 * client SA (PROXIED: named by its PROXY header then): judged like a new
 * one (ACL, per-IP), and counted even past --max-conns, which only holds
 * new clients back; or FD is closed.  1: served; 0: refused.  Waits for
 * room in a worker's queue (start-up only).
 */
int	admit_restored(struct echod *ed, int fd, const struct sockaddr *sa,
	    socklen_t len, int proxied);

/* A connection holding a slot closed before a worker took it. */
void	admit_give_back(struct echod *ed);

/*
 * A new metrics connection: 1 if it may be served (it counts until
 * admit_metrics_gone()), 0 if it was refused and FD closed.
 */
int	admit_metrics(struct echod *ed, int fd, const struct sockaddr *sa,
	    socklen_t len);
void	admit_metrics_gone(struct echod *ed);

/* A worker gave a slot back while the count was full: look again. */
void	admit_recheck(struct echod *ed);

/* Start-up and reloads: --max-conns and the per-IP limit, for new
 * connections (a lowered --max-conns pauses accepting until enough close). */
void	admit_reconfigure(struct echod *ed, const struct config *ncfg,
	    uint64_t max_conns);

/* The counters of refusals and pauses, into ST. */
void	admit_stats(const struct echod *ed, struct stats *st);

#endif
