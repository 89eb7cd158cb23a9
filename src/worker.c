/*
 * worker.c: the worker threads.  Each runs its own event_base with the
 * connections it was handed; the accepting thread talks to it through a
 * pipe of ints (an fd to serve, or a command), which keeps order: every fd
 * handed before "drain" is served before the drain starts.
 *
 * Workers tell the accepting thread two things through its eventfd: a
 * connection slot freed while accepting was paused at --max-conns, and
 * "my loop has ended".  Counters shared across threads are atomics; the
 * echo path takes no lock.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <sys/eventfd.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/conn.h"
#include "echod/echod.h"
#include "echod/log.h"
#include "echod/perip.h"
#include "echod/worker.h"

#define CMD_DRAIN	(-1)
#define CMD_STOP	(-2)
#define CMD_RELOAD	(-3)

/* What goes down a worker's pipe: 16 bytes, far below PIPE_BUF, so every
 * write is whole.  fd < 0 is a command. */
struct handoff {
	int			 fd;
	struct perip_entry	*ip;
};

/* Wake the accepting thread's loop (see server.c: main_wake_cb). */
static void
wake_main(struct echod *ed)
{
	uint64_t one = 1;

	if (write(ed->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("cannot wake the accepting thread");
}

static void
worker_finish(struct worker *w)
{
	event_base_loopexit(w->base, NULL);
}

void
worker_conn_gone(struct worker *w)
{
	struct echod *ed = w->ed;
	uint64_t was;

	w->nconns--;
	was = atomic_fetch_sub(&ed->nconns, 1);
	/* Accepting paused at the limit: one slot is free again. */
	if (was == ed->max_conns)
		wake_main(ed);
	if (w->draining && w->nconns == 0)
		worker_finish(w);
}

/* Idle timers of new connections, from the current configuration. */
static void
worker_set_idle(struct worker *w)
{
	unsigned secs = w->ed->cfg->idle_timeout;
	struct timeval tv = { (time_t)secs, 0 };

	/* In this worker's thread: the base is not shared. */
	w->idle_tv = secs > 0 ? event_base_init_common_timeout(w->base, &tv) :
	    NULL;
}

static void
worker_command(struct worker *w, int cmd)
{
	if (cmd == CMD_RELOAD) {
		worker_set_idle(w);
		/* No callback of ours holds an older config past this point. */
		atomic_fetch_add(&w->reloads_seen, 1);
		return;
	}
	if (cmd == CMD_STOP) {
		conn_close_all(w, "stopping now");
		worker_finish(w);
		return;
	}
	/* CMD_DRAIN */
	w->draining = 1;
	if (w->nconns == 0)
		worker_finish(w);
}

static void
pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct handoff items[128];
	ssize_t n, i;

	(void)what;
	while ((n = read(fd, items, sizeof(items))) > 0) {
		for (i = 0; i < n / (ssize_t)sizeof(*items); i++) {
			if (items[i].fd >= 0)
				conn_new(w, items[i].fd, items[i].ip);
			else
				worker_command(w, items[i].fd);
		}
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		log_warnx("worker %u: its pipe failed", w->id);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (event_base_dispatch(w->base) == -1)
		log_error("worker %u: event loop failed", w->id);
	atomic_store(&w->done, 1);
	wake_main(w->ed);
	return NULL;
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
	/* One shared queue for every connection's idle timer. */
	worker_set_idle(w);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	w->pipe_ev = event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST,
	    pipe_cb, w);
	if (w->pipe_ev == NULL || event_add(w->pipe_ev, NULL) == -1)
		return -1;
	return 0;
}

int
worker_start_all(struct echod *ed, unsigned n, char *err, size_t errlen)
{
	unsigned i;
	int rc;

	if ((ed->workers = calloc(n, sizeof(*ed->workers))) == NULL) {
		snprintf(err, errlen, "cannot create %u workers: %s", n,
		    strerror(errno));
		return -1;
	}
	ed->nworkers = n;
	for (i = 0; i < n; i++) {
		struct worker *w = &ed->workers[i];

		if (worker_init(ed, w, i) == -1) {
			snprintf(err, errlen, "cannot set up worker %u: %s "
			    "(raise 'ulimit -n' if descriptors ran out)", i,
			    strerror(errno));
			return -1;
		}
		if ((rc = pthread_create(&w->thread, NULL, worker_main,
		    w)) != 0) {
			snprintf(err, errlen, "cannot start worker %u: %s", i,
			    strerror(rc));
			return -1;
		}
		w->started = 1;
	}
	return 0;
}

static int
worker_send(struct worker *w, int fd, struct perip_entry *ip)
{
	struct handoff h;

	memset(&h, 0, sizeof(h));	/* no stack bytes in the padding */
	h.fd = fd;
	h.ip = ip;

	return write(w->pipe[1], &h, sizeof(h)) == sizeof(h) ? 0 : -1;
}

int
worker_hand(struct echod *ed, int fd, struct perip_entry *ip)
{
	struct worker *w = &ed->workers[ed->next_worker];

	ed->next_worker = (ed->next_worker + 1) % ed->nworkers;
	if (worker_send(w, fd, ip) == 0)
		return 0;
	/* 16k connections queued to one worker: it is stuck, not busy. */
	log_warn("worker %u cannot take a new connection; closing it", w->id);
	close(fd);
	return -1;
}

static void
send_all(struct echod *ed, int cmd)
{
	unsigned i;

	for (i = 0; i < ed->nworkers; i++) {
		struct worker *w = &ed->workers[i];
		int flags = fcntl(w->pipe[1], F_GETFL);

		/* Commands must arrive: wait for room if the pipe is full. */
		fcntl(w->pipe[1], F_SETFL, flags & ~O_NONBLOCK);
		if (worker_send(w, cmd, NULL) == -1)
			log_warn("cannot signal worker %u", w->id);
		fcntl(w->pipe[1], F_SETFL, flags);
	}
}

void
worker_drain_all(struct echod *ed)
{
	send_all(ed, CMD_DRAIN);
}

void
worker_stop_all(struct echod *ed)
{
	send_all(ed, CMD_STOP);
}

void
worker_reload_all(struct echod *ed)
{
	send_all(ed, CMD_RELOAD);
}

unsigned
worker_done_count(const struct echod *ed)
{
	unsigned i, n = 0;

	for (i = 0; i < ed->nworkers; i++)
		n += (unsigned)atomic_load(&ed->workers[i].done);
	return n;
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
				perip_release(items[i].ip);
				atomic_fetch_sub(&w->ed->nconns, 1);
			}
}

void
worker_free_all(struct echod *ed)
{
	unsigned i;

	/* A worker still running (start-up failed later) must stop first. */
	for (i = 0; i < ed->nworkers; i++)
		if (ed->workers[i].started && !atomic_load(&ed->workers[i].done))
			(void)worker_send(&ed->workers[i], CMD_STOP, NULL);
	for (i = 0; i < ed->nworkers; i++) {
		struct worker *w = &ed->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		conn_close_all(w, "exiting");
		if (w->pipe[0] != -1)
			close_unclaimed(w);
		if (w->pipe_ev != NULL)
			event_free(w->pipe_ev);
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
