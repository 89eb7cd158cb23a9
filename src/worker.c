/*
 * worker.c: the worker threads.  Each runs its own event_base with the
 * connections it was handed.  The accepting thread writes each new
 * connection to the worker's pipe as a struct handoff (24 bytes, so every
 * write is whole; a 64 KiB pipe holds 2,730).  Commands are bits in
 * w->cmds, set after any connection handed before them and followed by a
 * wake-up item in the pipe.  The worker takes the bits, empties its pipe,
 * then acts on them (pipe_cb), so every connection handed before "drain"
 * is served before the drain starts, and a command never waits for room
 * in a full pipe (the full pipe wakes the worker anyway).
 *
 * Workers tell the accepting thread two things through its eventfd: a
 * connection slot freed while accepting was paused at --max-conns, and
 * "my loop has ended".  Counters shared across threads are atomics; the
 * echo path takes no lock.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/conn.h"
#include "echod/conncount.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/perip.h"
#include "echod/stats.h"
#include "echod/worker.h"

#define WORKER_CMD_DRAIN	0x1
#define WORKER_CMD_STOP		0x2
#define WORKER_CMD_RELOAD	0x4
#define WORKER_CMD_HANDOVER	0x8

/* What goes down a worker's pipe.  fd < 0: a wake-up for its cmds. */
struct handoff {
	int			 fd;
	int			 tls;		/* from a tls: listener */
	struct perip_entry	*ip;
	struct sockaddr_storage	*client;	/* PROXY's, malloc'd */
};

/* Wake the accepting thread's loop (see server.c: main_wake_cb). */
static void
wake_main(struct echod *ed)
{
	static struct log_limit ll;
	uint64_t one = 1;

	if (write(ed->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_limited(&ll, LOG_LEVEL_WARN,
		    "cannot wake the accepting thread: %s", strerror(errno));
}

static void
worker_finish(struct worker *w)
{
	event_base_loopexit(w->base, NULL);
}

/* Give a connection's --max-conns slot back; if the count was full,
 * accepting is paused: wake the accepting thread to look again. */
static void
give_slot(struct echod *ed)
{
	if (conncount_give(&ed->conns))
		wake_main(ed);
}

void
worker_conn_gone(struct worker *w)
{
	w->nconns--;
	give_slot(w->ed);
	if (w->draining && w->nconns == 0)
		worker_finish(w);
}

const struct timeval *
worker_timeout(struct worker *w, unsigned secs)
{
	struct timeval tv = { (time_t)secs, 0 };
	const struct timeval *common;
	unsigned i;

	if (secs == 0)
		return NULL;
	for (i = 0; i < w->ncommon; i++)
		if (w->common[i].secs == secs)
			return w->common[i].tv;
	/*
	 * One shared queue per duration is cheaper than a heap timer per
	 * connection, but libevent allows 256 per base and never frees one:
	 * past our share, new durations get plain timers (still correct).
	 */
	if (w->ncommon < WORKER_COMMON_TIMEOUTS &&
	    (common = event_base_init_common_timeout(w->base, &tv)) != NULL) {
		w->common[w->ncommon].secs = secs;
		w->common[w->ncommon++].tv = common;
		return common;
	}
	w->timeout_plain = tv;
	return &w->timeout_plain;
}

/* Idle timers of new connections, from the current configuration. */
static void
worker_set_idle(struct worker *w)
{
	const struct timeval *tv;

	w->idle_secs = w->ed->cfg->idle_timeout;
	tv = worker_timeout(w, w->idle_secs);
	if (tv == &w->timeout_plain) {		/* kept: new ones use it */
		w->idle_plain = *tv;
		tv = &w->idle_plain;
	}
	w->idle_tv = tv;
}

/* Take the commands set so far; apply a reload at once. */
static unsigned
worker_take_commands(struct worker *w)
{
	unsigned cmds = atomic_exchange(&w->cmds, 0);

	if (cmds & WORKER_CMD_RELOAD) {
		worker_set_idle(w);
		/* No callback of ours holds an older config past this point. */
		atomic_store(&w->reloads_seen, atomic_load(&w->reload_gen));
	}
	return cmds;
}

static void
pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	static struct log_limit ll;
	struct worker *w = arg;
	struct handoff items[128];
	ssize_t n, i;
	/*
	 * Commands are taken before the pipe is emptied and acted on after:
	 * every fd handed before a command was set is in the pipe by then,
	 * so it is served before a drain or stop.  A command set later
	 * comes with a wake-up of its own.
	 */
	unsigned cmds = worker_take_commands(w);

	(void)what;
	while ((n = read(fd, items, sizeof(items))) > 0) {
		for (i = 0; i < n / (ssize_t)sizeof(*items); i++)
			if (items[i].fd >= 0)
				conn_new(w, items[i].fd, items[i].ip,
				    items[i].tls, items[i].client);
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		log_limited(&ll, LOG_LEVEL_WARN,
		    "worker %u: its pipe failed", w->id);
	/* A handover first: what holds nothing goes even if a stop came
	 * with it (--drain-timeout 0). */
	if (cmds & WORKER_CMD_HANDOVER) {
		w->draining = 1;
		conn_handover_all(w);
	}
	if (cmds & WORKER_CMD_STOP) {
		conn_close_all(w, "stopping now");
		worker_finish(w);
	} else if (cmds & (WORKER_CMD_DRAIN | WORKER_CMD_HANDOVER)) {
		w->draining = 1;
		if (w->nconns == 0)
			worker_finish(w);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (event_base_dispatch(w->base) == -1)
		log_error("worker %u: event loop failed", w->id);
	/* Before "done": the mark must follow every parcel (server.c). */
	conn_handover_finish(w);
	atomic_store(&w->done, 1);
	wake_main(w->ed);
	return NULL;
}

static const struct timeval park_tv = { CONN_PARK_SECONDS, 0 };

/* Not EV_PERSIST: a late walk must not make the next one come early
 * (libevent keeps a persistent timer's schedule); a walk is at least
 * CONN_PARK_SECONDS after the last. */
static void
park_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	conn_park_quiet(w);
	(void)event_add(w->park_ev, &park_tv);
}

static int
worker_init(struct echod *ed, struct worker *w, unsigned id)
{
	memset(w, 0, sizeof(*w));
	w->ed = ed;
	w->id = id;
	w->pipe[0] = w->pipe[1] = -1;
	LIST_INIT(&w->conns);
	if ((w->base = event_base_new()) == NULL ||
	    (w->pump_buf = malloc(64 * 1024)) == NULL)
		return -1;
	worker_set_idle(w);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	w->pipe_ev = event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST,
	    pipe_cb, w);
	if (w->pipe_ev == NULL || event_add(w->pipe_ev, NULL) == -1)
		return -1;
	w->park_ev = evtimer_new(w->base, park_cb, w);
	if (w->park_ev == NULL || event_add(w->park_ev, &park_tv) == -1)
		return -1;
	return 0;
}

int
worker_start_all(struct echod *ed, unsigned n, char *err, size_t errlen)
{
	sigset_t all, old;
	unsigned i;
	int rc;

	if ((ed->workers = calloc(n, sizeof(*ed->workers))) == NULL) {
		snprintf(err, errlen, "cannot create %u workers: %s", n,
		    strerror(errno));
		return -1;
	}
	ed->nworkers = n;
	/* If one fails, worker_free_all() must find the rest untouched. */
	for (i = 0; i < n; i++)
		ed->workers[i].pipe[0] = ed->workers[i].pipe[1] = -1;
	for (i = 0; i < n; i++) {
		struct worker *w = &ed->workers[i];

		if (worker_init(ed, w, i) == -1) {
			snprintf(err, errlen, "cannot set up worker %u: %s "
			    "(raise 'ulimit -n' if descriptors ran out)", i,
			    strerror(errno));
			return -1;
		}
		/* Signals are the accepting thread's: workers block them all
		 * (a thread inherits its creator's mask). */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start worker %u: %s", i,
			    strerror(rc));
			return -1;
		}
		w->started = 1;
	}
	return 0;
}

static int
worker_send(struct worker *w, int fd, struct perip_entry *ip, int tls,
    struct sockaddr_storage *client)
{
	struct handoff h;

	memset(&h, 0, sizeof(h));	/* no stack bytes in the padding */
	h.fd = fd;
	h.tls = tls;
	h.ip = ip;
	h.client = client;
	return write(w->pipe[1], &h, sizeof(h)) == sizeof(h) ? 0 : -1;
}

/* Wait up to a second for room in W's pipe; 0 if there is. */
static int
worker_wait_room(struct worker *w)
{
	struct pollfd pfd = { w->pipe[1], POLLOUT, 0 };

	return poll(&pfd, 1, 1000) == 1 ? 0 : -1;
}

int
worker_hand(struct echod *ed, int fd, struct perip_entry *ip, int tls,
    const struct sockaddr *client, socklen_t len, int wait)
{
	static struct log_limit ll;
	struct worker *w = &ed->workers[ed->next_worker];
	struct sockaddr_storage *copy = NULL;
	int saved;

	ed->next_worker = (ed->next_worker + 1) % ed->nworkers;
	if (client != NULL && len <= sizeof(*copy) &&
	    (copy = calloc(1, sizeof(*copy))) != NULL)
		memcpy(copy, client, len);
	for (;;) {
		if (worker_send(w, fd, ip, tls, copy) == 0)
			return 0;
		if (!wait || errno != EAGAIN || worker_wait_room(w) == -1)
			break;
	}
	saved = errno;
	free(copy);
	errno = saved;
	/* 2,730 connections queued to one worker: stuck, not busy. */
	log_limited(&ll, LOG_LEVEL_WARN,
	    "worker %u cannot take a new connection (%s); closing it",
	    w->id, strerror(errno));
	close(fd);
	return -1;
}

/*
 * Set CMD for W, once, and wake it.  Never blocks: if the pipe is full
 * the worker has a wake-up pending already; a worker that has ended is
 * left alone.
 */
static void
send_cmd(struct worker *w, unsigned cmd)
{
	if (!w->started || atomic_load(&w->done))
		return;
	if ((w->cmds_sent & cmd) && cmd != WORKER_CMD_RELOAD)
		return;
	w->cmds_sent |= cmd;
	atomic_fetch_or(&w->cmds, cmd);
	(void)worker_send(w, -1, NULL, 0, NULL);
}

void
worker_drain_all(struct echod *ed)
{
	unsigned i;

	for (i = 0; i < ed->nworkers; i++)
		send_cmd(&ed->workers[i], WORKER_CMD_DRAIN);
}

void
worker_handover_all(struct echod *ed)
{
	unsigned i;

	for (i = 0; i < ed->nworkers; i++)
		send_cmd(&ed->workers[i], WORKER_CMD_HANDOVER);
}

void
worker_stop_all(struct echod *ed)
{
	unsigned i;

	for (i = 0; i < ed->nworkers; i++)
		send_cmd(&ed->workers[i], WORKER_CMD_STOP);
}

void
worker_reload_all(struct echod *ed, uint64_t gen)
{
	unsigned i;

	for (i = 0; i < ed->nworkers; i++) {
		atomic_store(&ed->workers[i].reload_gen, gen);
		send_cmd(&ed->workers[i], WORKER_CMD_RELOAD);
	}
}

unsigned
worker_done_count(const struct echod *ed)
{
	unsigned i, n = 0;

	for (i = 0; i < ed->nworkers; i++)
		n += (unsigned)atomic_load(&ed->workers[i].done);
	return n;
}

void
worker_stats_sum(const struct echod *ed, struct stats *st)
{
	unsigned i, j;

	for (i = 0; i < ed->nworkers; i++) {
		const struct worker_stats *w = &ed->workers[i].stats;
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
		st->tls.v12 += SUM(tls_v12);
		st->tls.v13 += SUM(tls_v13);
		for (j = 0; j < TLS_FAIL_N; j++)
			st->tls.failed[j] += SUM(tls_failed[j]);
		st->tls.post_handshake_closed += SUM(tls_abuse);
#undef SUM
	}
}

/* Close the fds handed to W that it never took (it stopped first). */
static void
close_unclaimed(struct worker *w)
{
	struct handoff items[128];
	ssize_t n, i;

	while ((n = read(w->pipe[0], items, sizeof(items))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(*items); i++)
			if (items[i].fd >= 0) {
				close(items[i].fd);
				free(items[i].client);
				perip_release(items[i].ip);
				give_slot(w->ed);
			}
}

void
worker_free_all(struct echod *ed)
{
	unsigned i;

	/* A worker still running (start-up failed later) must stop first. */
	worker_stop_all(ed);
	for (i = 0; i < ed->nworkers; i++) {
		struct worker *w = &ed->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		conn_close_all(w, "exiting");
		if (w->pipe[0] != -1)
			close_unclaimed(w);
		if (w->pipe_ev != NULL)
			event_free(w->pipe_ev);
		if (w->park_ev != NULL)
			event_free(w->park_ev);
		if (w->pipe[0] != -1) {
			close(w->pipe[0]);
			close(w->pipe[1]);
		}
		if (w->base != NULL)
			event_base_free(w->base);
		free(w->pump_buf);
	}
	free(ed->workers);
	ed->workers = NULL;
	ed->nworkers = 0;
}
