/*
 * server.c: the accepting thread's event loop, and the workers' lifetime.
 *
 * SIGTERM/SIGINT close the listeners at once (new clients are refused) and
 * tell every worker to drain: its connections go on until they end or
 * --drain-timeout passes.  A worker's loop exits only when it has no
 * connection left, so no pending echo is cut off by event_base_loopexit()
 * (libevent #839).  A second signal closes what is left at once; more
 * signals change nothing.  The main loop ends when every worker's has.
 *
 * A restart is SIGUSR2 then SIGTERM (the unit's ExecStop= sends SIGUSR2
 * only when systemd's job is a restart): with --fd-store and systemd's
 * notify socket, the workers hand their plain connections to systemd's
 * store instead of draining them, and the last message marks the
 * handover whole (fdname.h) for the next echod (restore.c).
 */
#include <sys/eventfd.h>
#include <sys/random.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/admit.h"
#include "echod/echod.h"
#include "echod/fdname.h"
#include "echod/fdstore.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/metrics.h"
#include "echod/notify.h"
#include "echod/proxy.h"
#include "echod/reload.h"
#include "echod/server.h"
#include "echod/snapshot.h"
#include "echod/stats.h"
#include "echod/tls.h"
#include "echod/udp.h"
#include "echod/worker.h"

static void
server_stop_now(struct echod *ed, const char *why)
{
	uint64_t open = conncount_open(&ed->conns);

	if (ed->state == ECHOD_STOPPING)
		return;			/* said once, sent once */
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
	open = conncount_open(&ed->conns);
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

/*
 * SIGUSR2 arms the SIGTERM that systemd sends right after ExecStop=; one
 * that comes later (a stop whose restart job was cancelled) drains.
 */
#define RESTART_ARMED_NS	(60ULL * 1000000000ULL)

static int
restart_armed(const struct echod *ed)
{
	return ed->restart_armed_ns != 0 &&
	    log_now_ns() - ed->restart_armed_ns < RESTART_ARMED_NS;
}

/* A name for this handover that no earlier one had. */
static uint64_t
handover_gen(void)
{
	uint64_t gen;
	struct timespec ts;

	if (getrandom(&gen, sizeof(gen), GRND_NONBLOCK) == (ssize_t)
	    sizeof(gen))
		return gen;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
	    (uint64_t)getpid() << 40;
}

/* SIGTERM after SIGUSR2: hand over instead of draining (see the top). */
static void
server_handover(struct echod *ed)
{
	struct timeval tv = { (time_t)ed->cfg->drain_timeout, 0 };
	uint64_t open;

	ed->state = ECHOD_DRAINING;
	ed->handing_over = 1;
	ed->handover_gen = handover_gen();
	proxy_close_all(ed);	/* not clients yet: no header, no echo */
	open = conncount_open(&ed->conns);
	ed->drain_from = open;
	listener_close_all(ed);
	notify_stopping(ed);
	log_info("received SIGTERM after SIGUSR2: restarting; handing up to "
	    "%llu of %llu connections to systemd's store once their echo is "
	    "out (--drain-timeout %u s), draining the rest",
	    (unsigned long long)ed->cfg->fd_store, (unsigned long long)open,
	    ed->cfg->drain_timeout);
	worker_handover_all(ed);
	/* With --drain-timeout 0 the workers hand over what holds nothing,
	 * then close the rest: their commands come together. */
	if (ed->cfg->drain_timeout == 0)
		server_stop_now(ed, "drain timeout");
	else
		evtimer_add(ed->drain_ev, &tv);
}

/* The workers are done: mark the handover whole, and wait until systemd
 * has read it all before exiting. */
static void
server_handover_done(struct echod *ed)
{
	uint64_t n = atomic_load(&ed->handed);
	char name[FDNAME_MAX];

	if (n == 0)
		return;
	fdname_done(name, ed->handover_gen);
	if (fdstore_put_mark(ed->fdstore, name) == -1) {
		log_warn("cannot mark the handover of %llu connections as "
		    "whole; the next echod will close them",
		    (unsigned long long)n);
		return;
	}
	if (fdstore_barrier(ed->fdstore) == -1)
		log_warn("systemd did not confirm the handover");
	log_info("handed %llu connections to systemd's store for the next "
	    "echod", (unsigned long long)n);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct echod *ed = arg;

	(void)what;
	if (ed->state != ECHOD_RUNNING)
		server_stop_now(ed, "second signal");
	else if (sig == SIGTERM && restart_armed(ed))
		server_handover(ed);
	else
		server_drain(ed, (int)sig);
}

/*
 * SIGUSR2: the next SIGTERM is a restart.  Said once; a storm of them
 * logs nothing more.
 */
static void
sigusr2_cb(evutil_socket_t sig, short what, void *arg)
{
	static struct log_limit ll;
	struct echod *ed = arg;

	(void)sig;
	(void)what;
	if (ed->state != ECHOD_RUNNING || restart_armed(ed))
		return;
	if (ed->cfg->fd_store == 0 || ed->fdstore == NULL) {
		log_limited(&ll, LOG_LEVEL_WARN, "SIGUSR2 (restart) ignored: "
		    "%s; the next SIGTERM drains connections",
		    ed->fdstore == NULL ? "no systemd file-descriptor store "
		    "(NOTIFY_SOCKET is unset or unusable)" : "--fd-store is 0");
		return;
	}
	ed->restart_armed_ns = log_now_ns();
	log_info("SIGUSR2: the next SIGTERM is a restart: up to --fd-store "
	    "%llu connections go to systemd's store",
	    (unsigned long long)ed->cfg->fd_store);
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
		admit_recheck(ed);
		return;
	}
	if (worker_done_count(ed) < ed->nworkers)
		return;
	if (ed->handing_over)
		server_handover_done(ed);
	else if (ed->state == ECHOD_DRAINING && ed->drain_from > 0)
		log_info("all connections drained");
	event_base_loopexit(ed->base, NULL);
}

static void
log_stats(struct echod *ed)
{
	struct stats st;
	char line[900];

	snapshot_take(ed, &st);
	stats_format_line(&st, line, sizeof(line));
	log_info("%s", line);
}

static void
sigusr1_cb(evutil_socket_t sig, short what, void *arg)
{
	static struct log_limit ll;
	uint64_t held;

	(void)sig;
	(void)what;
	/* A signal storm must not become a log storm: one line a second. */
	if (log_limit_pass(&ll, log_now_ns(), 1000000000ULL, &held))
		log_stats(arg);
}

static void
stats_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_stats(arg);
}

/* libevent's own warnings can be caused by peers: never a flood. */
static void
libevent_log_cb(int severity, const char *msg)
{
	static struct log_limit ll;

	if (severity >= EVENT_LOG_WARN)
		log_limited(&ll, LOG_LEVEL_WARN, "libevent: %s", msg);
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

/* A key for the address tables nobody outside can guess. */
static void
server_hash_key(struct echod *ed)
{
	if (getrandom(&ed->hash_key, sizeof(ed->hash_key), 0) !=
	    (ssize_t)sizeof(ed->hash_key)) {
		struct timespec ts;

		/* Old kernels only: weaker, but still not a constant. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ed->hash_key.k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)getpid();
		ed->hash_key.k1 = (uint64_t)time(NULL) ^ (uintptr_t)ed;
	}
}

static struct event *
add_signal(struct echod *ed, int sig, event_callback_fn cb)
{
	struct event *ev = evsignal_new(ed->base, sig, cb, ed);

	if (ev != NULL && evsignal_add(ev, NULL) == -1) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

int
server_init(struct echod *ed, const struct config *cfg)
{
	memset(ed, 0, sizeof(*ed));
	ed->cfg = cfg;
	ed->wake_fd = -1;
	LIST_INIT(&ed->proxy_waits);
	atomic_init(&ed->accepted, 0);
	membudget_init(&ed->mem, 0);
	ed->started_ns = log_now_ns();
	ed->started_wall = (int64_t)time(NULL);
	server_hash_key(ed);
	event_set_log_callback(libevent_log_cb);
	event_set_fatal_callback(libevent_fatal_cb);
	if ((ed->base = event_base_new()) == NULL || admit_init(ed) == -1)
		return -1;
	ed->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ed->wake_fd == -1)
		return -1;
	ed->wake_ev = event_new(ed->base, ed->wake_fd, EV_READ | EV_PERSIST,
	    main_wake_cb, ed);
	if (ed->wake_ev == NULL || event_add(ed->wake_ev, NULL) == -1)
		return -1;
	if (reload_init(ed) == -1 ||
	    (ed->sigterm_ev = add_signal(ed, SIGTERM, signal_cb)) == NULL ||
	    (ed->sigint_ev = add_signal(ed, SIGINT, signal_cb)) == NULL ||
	    (ed->sigusr1_ev = add_signal(ed, SIGUSR1, sigusr1_cb)) == NULL ||
	    (ed->sigusr2_ev = add_signal(ed, SIGUSR2, sigusr2_cb)) == NULL ||
	    (ed->sighup_ev = add_signal(ed, SIGHUP, reload_on_sighup)) == NULL)
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
	if ((ed->drain_ev = evtimer_new(ed->base, drain_timeout_cb, ed)) ==
	    NULL)
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

static void
free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

void
server_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

void
server_free(struct echod *ed)
{
	sigset_t late;

	/*
	 * Freeing the signal events puts back the default actions: a
	 * SIGTERM arriving then (a storm of them, say) would kill us with a
	 * signal instead of exit 0.  Held pending, they die with us.
	 */
	server_signals(&late);
	pthread_sigmask(SIG_BLOCK, &late, NULL);
	ed->state = ECHOD_STOPPING;
	listener_close_all(ed);
	proxy_close_all(ed);
	metrics_close(ed);
	udp_free(ed);
	worker_free_all(ed);
	if (ed->admit != NULL)
		admit_free(ed);
	notify_free(ed);
	fdstore_close(ed->fdstore);
	free_event(&ed->wake_ev);
	if (ed->wake_fd != -1)
		close(ed->wake_fd);
	free_event(&ed->sigterm_ev);
	free_event(&ed->sigint_ev);
	free_event(&ed->sigusr1_ev);
	free_event(&ed->sigusr2_ev);
	free_event(&ed->sighup_ev);
	free_event(&ed->reload_ev);
	free_event(&ed->stats_ev);
	free_event(&ed->drain_ev);
	if (ed->base != NULL)
		event_base_free(ed->base);
	/* Every configuration this run used (the workers are gone). */
	while (ed->nold_cfgs > 0) {
		free(ed->old_cfgs[--ed->nold_cfgs].cfg);
		tls_free(ed->old_cfgs[ed->nold_cfgs].tls);
	}
	tls_free(atomic_load(&ed->tls));
	free(ed->old_cfgs);
	free((void *)ed->cfg);
	memset(ed, 0, sizeof(*ed));
}
