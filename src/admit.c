/*
 * admit.c: the front door (see admit.h).
 *
 * libevent's accept loop gives accept() errors such as EMFILE to our
 * error callback and leaves the listener enabled: the pending connection
 * stays in the backlog and the loop would wake again at once, for ever.
 * So on any accept error every listener pauses and a timer retries
 * ADMIT_RETRY_MSEC later.  An "episode" runs from the first failure to
 * the next successful accept; its start and end are logged as a pair, at
 * most one pair per LOG_LIMIT_SECONDS whatever the clients do.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "echod/acl.h"
#include "echod/addr.h"
#include "echod/admit.h"
#include "echod/config.h"
#include "echod/conncount.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/perip.h"
#include "echod/stats.h"
#include "echod/worker.h"

#define ADMIT_RETRY_MSEC	100

struct watched {
	struct evconnlistener	*evl;
	enum admit_door		 door;
};

struct admit {
	struct watched		*watched;
	size_t			 nwatched;
	int			 full[2];	/* per door: at its limit */
	int			 fds_short;	/* retry timer pending */
	int			 episode;	/* accept failing, since... */
	int			 episode_logged;
	struct event		*retry_ev;
	struct perip		 perip;		/* --max-conns-per-ip */
	unsigned		 metrics_open;
	uint64_t		 refused_acl, refused_per_ip;
	uint64_t		 refused_untrusted;
	uint64_t		 dropped_oom;	/* no memory to count it */
	uint64_t		 pauses_max_conns, pauses_fds;
	struct log_limit	 full_ll, fds_ll, untrusted_ll, oom_ll;
};

static int
door_open(const struct admit *a, enum admit_door door)
{
	return !a->fds_short && !a->full[door];
}

/* Make every watched listener match its door's state. */
static void
sync_doors(struct admit *a)
{
	size_t i;

	for (i = 0; i < a->nwatched; i++) {
		if (door_open(a, a->watched[i].door))
			evconnlistener_enable(a->watched[i].evl);
		else
			evconnlistener_disable(a->watched[i].evl);
	}
}

static void
set_full(struct echod *ed, enum admit_door door, int full)
{
	struct admit *a = ed->admit;

	if (a->full[door] == full)
		return;
	a->full[door] = full;
	if (full && door == ADMIT_ECHO) {
		a->pauses_max_conns++;
		log_limited(&a->full_ll, LOG_LEVEL_WARN,
		    "reached --max-conns %llu: new clients wait in the "
		    "backlog until a connection closes",
		    (unsigned long long)conncount_max(&ed->conns));
	}
	sync_doors(a);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct admit *a = arg;

	(void)fd;
	(void)what;
	a->fds_short = 0;
	sync_doors(a);
}

static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct echod *ed = arg;
	struct admit *a = ed->admit;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, ADMIT_RETRY_MSEC * 1000 };

	(void)evl;
	if (!a->episode) {
		a->episode = 1;
		a->pauses_fds++;
		/* Its end is logged only if its start was. */
		a->episode_logged = log_limited(&a->fds_ll,
		    LOG_LEVEL_WARN, "cannot accept new connections: "
		    "%s (%llu open); pausing, retrying every %d ms; raise "
		    "'ulimit -n' (LimitNOFILE=) or lower --max-conns",
		    strerror(err),
		    (unsigned long long)conncount_open(&ed->conns),
		    ADMIT_RETRY_MSEC);
	}
	a->fds_short = 1;
	sync_doors(a);
	evtimer_add(a->retry_ev, &tv);
}

/* An accept succeeded: a shortage of descriptors, if any, is over. */
static void
accepted(struct admit *a)
{
	if (!a->episode)
		return;
	if (a->episode_logged)
		log_info("accepting new connections again");
	a->episode = a->episode_logged = 0;
}

int
admit_init(struct echod *ed)
{
	struct admit *a;

	/* No limit until admit_reconfigure(): nothing is accepted before. */
	conncount_init(&ed->conns, UINT64_MAX);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	ed->admit = a;
	if ((a->retry_ev = evtimer_new(ed->base, retry_cb, a)) == NULL)
		return -1;
	return 0;
}

void
admit_free(struct echod *ed)
{
	struct admit *a = ed->admit;

	if (a == NULL)
		return;
	if (a->retry_ev != NULL)
		event_free(a->retry_ev);
	perip_free(&a->perip);
	free(a->watched);
	free(a);
	ed->admit = NULL;
}

int
admit_watch(struct echod *ed, struct evconnlistener *evl,
    enum admit_door door)
{
	struct admit *a = ed->admit;
	struct watched *grown;

	grown = reallocarray(a->watched, a->nwatched + 1, sizeof(*grown));
	if (grown == NULL)
		return -1;
	a->watched = grown;
	a->watched[a->nwatched].evl = evl;
	a->watched[a->nwatched++].door = door;
	evconnlistener_set_error_cb(evl, accept_error_cb);
	if (!door_open(a, door))
		evconnlistener_disable(evl);
	return 0;
}

void
admit_unwatch(struct echod *ed, struct evconnlistener *evl)
{
	struct admit *a = ed->admit;
	size_t i;

	for (i = 0; i < a->nwatched; i++)
		if (a->watched[i].evl == evl) {
			a->watched[i] = a->watched[--a->nwatched];
			return;
		}
}

/* Count a connection against --max-conns; at the limit, pause. */
static void
take_slot(struct echod *ed)
{
	if (conncount_take(&ed->conns))
		set_full(ed, ADMIT_ECHO, 1);
}

void
admit_give_back(struct echod *ed)
{
	if (conncount_give(&ed->conns))
		admit_recheck(ed);
}

void
admit_recheck(struct echod *ed)
{
	if (ed->state == ECHOD_RUNNING)
		set_full(ed, ADMIT_ECHO, conncount_full(&ed->conns));
}

static void
refuse(struct echod *ed, int fd, const struct sockaddr *sa, socklen_t len,
    uint64_t *counter, const char *why)
{
	char name[ADDR_STRLEN];

	(*counter)++;
	close(fd);
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		addr_format(sa, len, name, sizeof(name));
		log_debug("refused %s: %s", name, why);
	}
}

#define ADMIT_COUNTED	0x1	/* its --max-conns slot is taken */
#define ADMIT_PROXIED	0x2	/* SA is what its PROXY header named */
#define ADMIT_TLS	0x4	/* from a tls: listener */
#define ADMIT_RESTORED	0x8	/* taken back at start: wait for room */

/*
 * The client SA may come in: ACL, per-IP, then a worker, which keeps a
 * PROXY client for a restart.  1: a worker has it; 0: refused (closed).
 */
static int
admit_client(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t len, unsigned how)
{
	struct admit *a = ed->admit;
	struct perip_entry *ip = NULL;
	int rc;

	if (!acl_allows(&ed->cfg->acl, sa)) {
		refuse(ed, fd, sa, len, &a->refused_acl,
		    "denied by --allow/--deny");
		goto refused;
	}
	if (a->perip.buckets != NULL &&
	    (rc = perip_acquire(&a->perip, sa, &ip)) != 0) {
		char why[64];

		if (rc == PERIP_NOMEM) {
			log_limited(&a->oom_ll, LOG_LEVEL_WARN,
			    "dropping a new connection: out of memory for its "
			    "per-IP record");
			refuse(ed, fd, sa, len, &a->dropped_oom,
			    "out of memory");
			goto refused;
		}
		snprintf(why, sizeof(why), "over --max-conns-per-ip %llu",
		    (unsigned long long)a->perip.limit);
		refuse(ed, fd, sa, len, &a->refused_per_ip, why);
		goto refused;
	}
	if (!(how & ADMIT_COUNTED))
		take_slot(ed);
	if (worker_hand(ed, fd, ip, (how & ADMIT_TLS) != 0,
	    (how & ADMIT_PROXIED) ? sa : NULL, len,
	    (how & ADMIT_RESTORED) != 0) == -1) {	/* it closed FD */
		perip_release(ip);
		admit_give_back(ed);
		return 0;
	}
	return 1;
refused:
	if (how & ADMIT_COUNTED)
		admit_give_back(ed);
	return 0;
}

/* May the socket peer SA send a PROXY header (--proxy-from)? */
static int
proxy_trusted(const struct config *cfg, const struct sockaddr *sa)
{
	int verdict = acl_verdict(&cfg->proxy_from, sa, 0);

	/* A Unix peer has no address: 'unix' trusts them all. */
	return verdict == -1 ? cfg->proxy_from_unix : verdict;
}

int
admit_echo(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t len, int tls)
{
	struct admit *a = ed->admit;
	const struct config *cfg = ed->cfg;

	accepted(a);
	if (!cfg->proxy_protocol) {
		(void)admit_client(ed, fd, sa, len, tls ? ADMIT_TLS : 0);
		return 0;
	}
	if (!proxy_trusted(cfg, sa)) {
		char name[ADDR_STRLEN];

		a->refused_untrusted++;
		close(fd);
		addr_format(sa, len, name, sizeof(name));
		if (!log_limited(&a->untrusted_ll, LOG_LEVEL_WARN,
		    "refused %s: --proxy-protocol is on and it is not a "
		    "balancer named by --proxy-from; add it there if it is one",
		    name))
			log_debug("refused %s: not in --proxy-from", name);
		return 0;
	}
	/* Waiting for its header it holds a descriptor: it counts. */
	take_slot(ed);
	return 1;
}

void
admit_proxied(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t len, int tls)
{
	(void)admit_client(ed, fd, sa, len, ADMIT_COUNTED | ADMIT_PROXIED |
	    (tls ? ADMIT_TLS : 0));
}

int
admit_restored(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t len, int proxied)
{
	return admit_client(ed, fd, sa, len, ADMIT_RESTORED |
	    (proxied ? ADMIT_PROXIED : 0));
}

int
admit_metrics(struct echod *ed, int fd, const struct sockaddr *sa,
    socklen_t len)
{
	struct admit *a = ed->admit;

	accepted(a);
	if (!acl_allows(&ed->cfg->acl, sa)) {
		refuse(ed, fd, sa, len, &a->refused_acl,
		    "denied by --allow/--deny");
		return 0;
	}
	if (++a->metrics_open >= ADMIT_METRICS_MAX)
		set_full(ed, ADMIT_METRICS, 1);
	return 1;
}

void
admit_metrics_gone(struct echod *ed)
{
	struct admit *a = ed->admit;

	a->metrics_open--;
	set_full(ed, ADMIT_METRICS, a->metrics_open >= ADMIT_METRICS_MAX);
}

void
admit_reconfigure(struct echod *ed, const struct config *ncfg,
    uint64_t max_conns)
{
	struct admit *a = ed->admit;

	conncount_set_max(&ed->conns, max_conns);
	/* Lowered below what is open: stop accepting until enough close. */
	admit_recheck(ed);
	/* perip_init() caps the table; it grows chains, never buckets. */
	if (ncfg->max_conns_per_ip > 0 && a->perip.buckets == NULL &&
	    perip_init(&a->perip, ncfg->max_conns_per_ip,
	    max_conns > SIZE_MAX ? SIZE_MAX : (size_t)max_conns,
	    &ed->hash_key) == -1)
		log_warnx("out of memory for --max-conns-per-ip's table; no "
		    "per-address limit until a reload succeeds");
	/* Records stay while connections hold them: lift, never free. */
	if (a->perip.buckets != NULL)
		a->perip.limit = ncfg->max_conns_per_ip > 0 ?
		    ncfg->max_conns_per_ip : UINT64_MAX;
}

void
admit_stats(const struct echod *ed, struct stats *st)
{
	const struct admit *a = ed->admit;

	st->open = conncount_open(&ed->conns);
	st->max_conns = conncount_max(&ed->conns);
	st->refused_acl = a->refused_acl;
	st->refused_per_ip = a->refused_per_ip;
	st->refused_untrusted = a->refused_untrusted;
	st->err_oom += a->dropped_oom;
	st->pauses_max_conns = a->pauses_max_conns;
	st->pauses_fds = a->pauses_fds;
}
