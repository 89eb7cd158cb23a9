/*
 * server.c: the accepting thread's event loop, and the workers' lifetime.
 *
 * SIGTERM/SIGINT close the listeners at once (new clients are refused) and
 * tell every worker to drain: its connections go on until they end or
 * --drain-timeout passes.  A worker's loop exits only when it has no
 * connection left, so no pending echo is cut off by event_base_loopexit()
 * (libevent #839).  A second signal closes what is left at once.  The main
 * loop ends when every worker's has.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/echod.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/metrics.h"
#include "echod/notify.h"
#include "echod/proxy.h"
#include "echod/reload.h"
#include "echod/stats.h"
#include "echod/udp.h"
#include "echod/worker.h"

static void
server_stop_now(struct echod *ed, const char *why)
{
	uint64_t open = atomic_load(&ed->nconns);

	ed->state = ECHOD_STOPPING;
	if (open > 0)
		log_info("closing %llu connections: %s",
		    (unsigned long long)open, why);
	worker_stop_all(ed);
}

static void
drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_stop_now(arg, "drain timeout");
}

static void
server_drain(struct echod *ed, int sig)
{
	struct timeval tv = { (time_t)ed->cfg->drain_timeout, 0 };
	const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
	uint64_t open;

	ed->state = ECHOD_DRAINING;
	proxy_close_all(ed);	/* not clients yet: no header, no echo */
	open = atomic_load(&ed->nconns);
	ed->drain_from = open;
	listener_close_all(ed);
	notify_stopping(ed);
	if (open == 0)
		log_info("received %s: no connections open, stopping", name);
	else
		log_info("received %s: listeners closed, draining %llu "
		    "connections for up to %u s", name,
		    (unsigned long long)open, ed->cfg->drain_timeout);
	if (ed->cfg->drain_timeout == 0 && open > 0) {
		server_stop_now(ed, "drain timeout");
		return;
	}
	worker_drain_all(ed);
	evtimer_add(ed->drain_ev, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct echod *ed = arg;

	(void)what;
	if (ed->state == ECHOD_RUNNING)
		server_drain(ed, (int)sig);
	else
		server_stop_now(ed, "second signal");
}

/* A worker freed a slot at --max-conns, or its loop ended. */
static void
main_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	uint64_t n;

	(void)what;
	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
	if (ed->state == ECHOD_RUNNING) {
		if (atomic_load(&ed->nconns) < ed->max_conns)
			listener_resume(ed, ECHOD_PAUSE_FULL);
		return;
	}
	if (worker_done_count(ed) < ed->nworkers)
		return;
	if (ed->state == ECHOD_DRAINING && ed->drain_from > 0)
		log_info("all connections drained");
	event_base_loopexit(ed->base, NULL);
}

void
server_stats(struct echod *ed, struct stats *st)
{
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ed->nworkers; i++) {
		struct worker_stats *w = &ed->workers[i].stats;
#define SUM(f)	atomic_load_explicit(&w->f, memory_order_relaxed)
		st->accepted += SUM(accepted);
		st->closed += SUM(closed);
		st->timed_out += SUM(timed_out);
		st->err_reset += SUM(err_reset);
		st->err_oom += SUM(err_oom);
		st->err_other += SUM(err_other);
		st->bytes_in += SUM(bytes_in);
		st->bytes_out += SUM(bytes_out);
		st->backpressure_pauses += SUM(pauses);
#undef SUM
	}
	st->open = atomic_load(&ed->nconns);
	st->refused_acl = ed->refused_acl;
	st->refused_per_ip = ed->refused_per_ip;
	st->refused_proxy = ed->refused_proxy;
	st->pauses_max_conns = ed->pauses_max_conns;
	st->pauses_fds = ed->pauses_fds;
	st->udp = ed->udp_stats;
	st->workers = ed->nworkers;
	st->listeners = (unsigned)ed->nlisteners;
	st->uptime_s = (uint64_t)(time(NULL) - ed->started);
}

static void
log_stats(struct echod *ed)
{
	struct stats st;
	char line[768];

	server_stats(ed, &st);
	stats_format_line(&st, line, sizeof(line));
	log_info("%s", line);
}

static void
sigusr1_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	log_stats(arg);
}

static void
stats_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_stats(arg);
}

static void
libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/*
 * libevent exits the process on errors it cannot survive (e.g. no
 * descriptor left for its signal pipe while creating the base); make that
 * exit ours, with a hint and a sysexits code, not a bare exit(1).
 */
static void
libevent_fatal_cb(int err)
{
	fatalx(EX_OSERR, "libevent cannot go on (error %d, see the line "
	    "above); if it ran out of open files, raise 'ulimit -n'", err);
}

/* Returns 0, or -1 with errno set by what failed. */
/* Takes CFG (heap) over: server_free() frees it. */
int
server_init(struct echod *ed, const struct config *cfg, uint64_t max_conns)
{
	memset(ed, 0, sizeof(*ed));
	ed->cfg = cfg;
	ed->max_conns = max_conns;
	ed->wake_fd = -1;
	LIST_INIT(&ed->proxy_waits);
	atomic_init(&ed->nconns, 0);
	atomic_init(&ed->accepted, 0);
	event_set_log_callback(libevent_log_cb);
	event_set_fatal_callback(libevent_fatal_cb);
	if ((ed->base = event_base_new()) == NULL)
		return -1;
	ed->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ed->wake_fd == -1)
		return -1;
	ed->wake_ev = event_new(ed->base, ed->wake_fd, EV_READ | EV_PERSIST,
	    main_wake_cb, ed);
	ed->sigterm_ev = evsignal_new(ed->base, SIGTERM, signal_cb, ed);
	ed->sigint_ev = evsignal_new(ed->base, SIGINT, signal_cb, ed);
	ed->sigusr1_ev = evsignal_new(ed->base, SIGUSR1, sigusr1_cb, ed);
	ed->sighup_ev = evsignal_new(ed->base, SIGHUP, reload_on_sighup, ed);
	ed->started = time(NULL);
	if (cfg->max_conns_per_ip > 0 && perip_init(&ed->perip,
	    cfg->max_conns_per_ip, max_conns > (1 << 20) ? (1 << 20) :
	    (size_t)max_conns) == -1)
		return -1;
	/* Created always: a reload may turn --stats-interval on. */
	ed->stats_ev = event_new(ed->base, -1, EV_PERSIST, stats_timer_cb, ed);
	if (ed->stats_ev == NULL)
		return -1;
	if (cfg->stats_interval > 0) {
		struct timeval tv = { (time_t)cfg->stats_interval, 0 };
		if (event_add(ed->stats_ev, &tv) == -1)
			return -1;
	}
	ed->drain_ev = evtimer_new(ed->base, drain_timeout_cb, ed);
	if (ed->wake_ev == NULL || ed->sigterm_ev == NULL ||
	    ed->sigint_ev == NULL || ed->drain_ev == NULL ||
	    event_add(ed->wake_ev, NULL) == -1 ||
	    evsignal_add(ed->sigterm_ev, NULL) == -1 ||
	    evsignal_add(ed->sigint_ev, NULL) == -1 || ed->sigusr1_ev == NULL ||
	    evsignal_add(ed->sigusr1_ev, NULL) == -1 || ed->sighup_ev == NULL ||
	    evsignal_add(ed->sighup_ev, NULL) == -1)
		return -1;
	return 0;
}

int
server_run(struct echod *ed)
{
	if (event_base_dispatch(ed->base) == -1) {
		log_error("event loop failed");
		return EX_OSERR;
	}
	return 0;
}

void
server_free(struct echod *ed)
{
	ed->state = ECHOD_STOPPING;
	listener_close_all(ed);
	proxy_close_all(ed);
	metrics_close(ed);
	udp_free(ed);
	worker_free_all(ed);
	perip_free(&ed->perip);
	notify_free(ed);
	if (ed->wake_ev != NULL)
		event_free(ed->wake_ev);
	if (ed->wake_fd != -1)
		close(ed->wake_fd);
	if (ed->sigterm_ev != NULL)
		event_free(ed->sigterm_ev);
	if (ed->sigint_ev != NULL)
		event_free(ed->sigint_ev);
	if (ed->sigusr1_ev != NULL)
		event_free(ed->sigusr1_ev);
	if (ed->sighup_ev != NULL)
		event_free(ed->sighup_ev);
	if (ed->stats_ev != NULL)
		event_free(ed->stats_ev);
	if (ed->drain_ev != NULL)
		event_free(ed->drain_ev);
	if (ed->base != NULL)
		event_base_free(ed->base);
	/* Every configuration this run used (the workers are gone). */
	while (ed->nold_cfgs > 0)
		free(ed->old_cfgs[--ed->nold_cfgs].cfg);
	free(ed->old_cfgs);
	free((void *)ed->cfg);
	memset(ed, 0, sizeof(*ed));
}
