/*
 * notify.c: talk to systemd, with echod's own implementation of the
 * socket-activation and notify protocols (their text is parsed in
 * sdproto.c).  systemd documents both as stable interfaces for other
 * implementations; ours never blocks the loop (libsystemd's sd_notify()
 * waits when the receiver's queue is full) and keeps its socket open, so
 * the watchdog keeps pinging when every other descriptor is in use.
 *
 * The watchdog ping comes from a timer in the event loop, so a stuck loop
 * stops the pings and systemd restarts us.  STATUS= is refreshed every few
 * seconds, and only when it changed.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/echod.h"
#include "echod/log.h"
#include "echod/notify.h"
#include "echod/snapshot.h"
#include "echod/stats.h"

#define STATUS_INTERVAL_SEC	2

struct notify {
	int			 fd;		/* datagram socket, kept */
	struct sockaddr_un	 sun;
	socklen_t		 sunlen;
	int			 failing;	/* the last send failed */
	struct log_limit	 fail_ll;
	struct event		*watchdog_ev;
	struct event		*status_ev;
	char			 status_last[192];
};

int
notify_listen_fds(struct sd_listen *out, char *err, size_t errlen)
{
	size_t i;

	if (sdproto_parse_listen(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    getenv("LISTEN_FDNAMES"), (long)getpid(), out, err, errlen) == -1)
		return EX_CONFIG;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	/* Checked now, before echod opens anything that could take the
	 * number of one that is missing (and be closed as "stored"). */
	for (i = 0; i < (size_t)out->n + out->nstored; i++) {
		int fd = i < (size_t)out->n ? out->fd[i] :
		    out->stored[i - (size_t)out->n].fd;

		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(err, errlen, "LISTEN_FDS says descriptor %d "
			    "was passed, but it is not open: %s", fd,
			    strerror(errno));
			sdproto_listen_free(out);
			out->n = 0;
			return EX_CONFIG;
		}
	}
	return 0;
}

/*
 * Send MSG.  Non-blocking: if the receiver's queue is full the message is
 * dropped (EAGAIN), so a stalled reader never stalls the echo loop.  A
 * failure is logged when it starts (rate-limited) and its end too.
 */
static void
notify(struct echod *ed, const char *msg)
{
	struct notify *n = ed->notify;

	if (n == NULL)
		return;
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&n->sun, n->sunlen) == -1) {
		if (!n->failing)
			log_limited(&n->fail_ll, LOG_LEVEL_WARN,
			    "cannot notify systemd at NOTIFY_SOCKET=%s: %s",
			    getenv("NOTIFY_SOCKET"), strerror(errno));
		n->failing = 1;
		return;
	}
	if (n->failing)
		log_info("notifying systemd again");
	n->failing = 0;
}

static void
format_status(struct echod *ed, char *buf, size_t len)
{
	struct stats st;

	snapshot_take(ed, &st);
	snprintf(buf, len, "STATUS=%s %zu listener%s, %llu connection%s "
	    "open; %llu served, %llu MB echoed, %llu datagrams",
	    ed->state == ECHOD_RUNNING ? "serving" : "draining",
	    ed->nlisteners, ed->nlisteners == 1 ? "" : "s",
	    (unsigned long long)st.open, st.open == 1 ? "" : "s",
	    (unsigned long long)st.accepted,
	    (unsigned long long)(st.bytes_out >> 20),
	    (unsigned long long)st.udp.out);
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	struct notify *n = ed->notify;
	char msg[192];

	(void)fd;
	(void)what;
	format_status(ed, msg, sizeof(msg));
	if (strcmp(msg, n->status_last) != 0) {
		notify(ed, msg);
		snprintf(n->status_last, sizeof(n->status_last), "%s", msg);
	}
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify(arg, "WATCHDOG=1");
}

/* STATE ("READY=1", ...) together with a fresh STATUS= line. */
static void
notify_state(struct echod *ed, const char *state)
{
	struct notify *n = ed->notify;
	char msg[224];

	if (n == NULL)
		return;
	format_status(ed, n->status_last, sizeof(n->status_last));
	snprintf(msg, sizeof(msg), "%s\n%s", state, n->status_last);
	notify(ed, msg);
}

int
notify_open(struct echod *ed, char *err, size_t errlen)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct notify *n;

	if (where == NULL)
		return 0;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EX_OSERR;
	}
	if (sdproto_notify_addr(where, &n->sun, &n->sunlen) == -1) {
		free(n);
		log_warnx("cannot notify systemd at NOTIFY_SOCKET=%s: not an "
		    "absolute socket path or @abstract name; not notifying",
		    where);
		return 0;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1) {
		snprintf(err, errlen, "cannot make a socket to notify systemd: "
		    "%s", strerror(errno));
		free(n);
		return EX_OSERR;
	}
	ed->notify = n;
	return 0;
}

int
notify_ready(struct echod *ed)
{
	struct timeval status_tv = { STATUS_INTERVAL_SEC, 0 };
	struct notify *n = ed->notify;
	uint64_t usec = 0;
	int wd;

	if (n == NULL)
		return 0;
	notify_state(ed, "READY=1");
	n->status_ev = event_new(ed->base, -1, EV_PERSIST, status_cb, ed);
	if (n->status_ev == NULL || event_add(n->status_ev, &status_tv) == -1)
		return -1;
	wd = sdproto_parse_watchdog(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"), (long)getpid(), &usec);
	if (wd == -1)
		log_warnx("ignoring malformed WATCHDOG_USEC=%s",
		    getenv("WATCHDOG_USEC"));
	if (wd == 1) {
		/* Ping at half the interval, as sd_watchdog_enabled(3) asks. */
		struct timeval tv = { (time_t)(usec / 2 / 1000000),
		    (suseconds_t)(usec / 2 % 1000000) };
		n->watchdog_ev = event_new(ed->base, -1, EV_PERSIST,
		    watchdog_cb, ed);
		if (n->watchdog_ev == NULL ||
		    event_add(n->watchdog_ev, &tv) == -1)
			return -1;
		notify(ed, "WATCHDOG=1");
		log_info("watchdog on: pinging systemd every %llu ms",
		    (unsigned long long)(usec / 2000));
	}
	return 0;
}

void
notify_reloading(struct echod *ed)
{
	struct timespec ts;
	char msg[96];

	/* MONOTONIC_USEC: systemd 253+ wants it with RELOADING=1. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify(ed, msg);
}

void
notify_reloaded(struct echod *ed)
{
	notify_state(ed, "READY=1");
}

void
notify_stopping(struct echod *ed)
{
	notify_state(ed, "STOPPING=1");
}

void
notify_free(struct echod *ed)
{
	struct notify *n = ed->notify;

	if (n == NULL)
		return;
	if (n->status_ev != NULL)
		event_free(n->status_ev);
	if (n->watchdog_ev != NULL)
		event_free(n->watchdog_ev);
	close(n->fd);
	free(n);
	ed->notify = NULL;
}
