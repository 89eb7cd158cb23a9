/*
 * server.c: the event loop's lifetime: set-up, signals, graceful drain.
 *
 * SIGTERM/SIGINT close the listeners at once (new clients are refused) and
 * let open connections go on until they end or --drain-timeout passes; the
 * loop exits only when no connection is left, so no pending echo is cut
 * off by event_base_loopexit() (libevent #839).  A second signal closes
 * what is left at once.
 */
#include <signal.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>

#include "echod/conn.h"
#include "echod/echod.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/notify.h"

static void
server_stop_now(struct echod *ed, const char *why)
{
	ed->state = ECHOD_STOPPING;
	if (ed->nconns > 0)
		log_info("closing %llu connections: %s",
		    (unsigned long long)ed->nconns, why);
	conn_close_all(ed, why);
	event_base_loopexit(ed->base, NULL);
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

	ed->state = ECHOD_DRAINING;
	listener_close_all(ed);
	notify_stopping(ed);
	if (ed->nconns == 0) {
		log_info("received %s: no connections open, stopping",
		    sig == SIGINT ? "SIGINT" : "SIGTERM");
		event_base_loopexit(ed->base, NULL);
		return;
	}
	log_info("received %s: listeners closed, draining %llu connections "
	    "for up to %u s", sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)ed->nconns,
	    ed->cfg->drain_timeout);
	if (ed->cfg->drain_timeout == 0)
		server_stop_now(ed, "drain timeout");
	else
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

/* Called by conn.c after a connection is freed. */
void
server_conn_gone(struct echod *ed)
{
	if (ed->state == ECHOD_STOPPING)
		return;
	if (ed->state == ECHOD_DRAINING) {
		if (ed->nconns == 0) {
			log_info("all connections drained");
			event_base_loopexit(ed->base, NULL);
		}
		return;
	}
	if (ed->nconns < ed->max_conns)
		listener_resume(ed, ECHOD_PAUSE_FULL);
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
int
server_init(struct echod *ed, const struct config *cfg, uint64_t max_conns)
{
	memset(ed, 0, sizeof(*ed));
	ed->cfg = cfg;
	ed->max_conns = max_conns;
	LIST_INIT(&ed->conns);
	event_set_log_callback(libevent_log_cb);
	event_set_fatal_callback(libevent_fatal_cb);
	if ((ed->base = event_base_new()) == NULL)
		return -1;
	if (cfg->idle_timeout > 0) {
		/* One shared queue for every connection's idle timer. */
		struct timeval tv = { (time_t)cfg->idle_timeout, 0 };
		ed->idle_tv = event_base_init_common_timeout(ed->base, &tv);
	}
	ed->sigterm_ev = evsignal_new(ed->base, SIGTERM, signal_cb, ed);
	ed->sigint_ev = evsignal_new(ed->base, SIGINT, signal_cb, ed);
	ed->drain_ev = evtimer_new(ed->base, drain_timeout_cb, ed);
	if (ed->sigterm_ev == NULL || ed->sigint_ev == NULL ||
	    ed->drain_ev == NULL || evsignal_add(ed->sigterm_ev, NULL) == -1 ||
	    evsignal_add(ed->sigint_ev, NULL) == -1)
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
	conn_close_all(ed, "exiting");
	listener_close_all(ed);
	notify_free(ed);
	if (ed->sigterm_ev != NULL)
		event_free(ed->sigterm_ev);
	if (ed->sigint_ev != NULL)
		event_free(ed->sigint_ev);
	if (ed->drain_ev != NULL)
		event_free(ed->drain_ev);
	if (ed->base != NULL)
		event_base_free(ed->base);
	memset(ed, 0, sizeof(*ed));
}
