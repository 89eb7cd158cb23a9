/*
 * notify.c: talk to systemd.  The protocol text lives in sdproto.c; this
 * file does the I/O, with libsystemd (HAVE_LIBSYSTEMD) or without it.
 *
 * The watchdog ping comes from a timer in the event loop, so a stuck loop
 * stops the pings and systemd restarts us.  STATUS= is refreshed every few
 * seconds, and only when it changed.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "build_config.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "echod/echod.h"
#include "echod/log.h"
#include "echod/notify.h"
#include "echod/stats.h"

#define STATUS_INTERVAL_SEC	2

#if HAVE_LIBSYSTEMD

const char *
notify_impl(void)
{
	return "libsystemd";
}

int
notify_listen_fds(struct sd_listen *out, char *err, size_t errlen)
{
	char **names = NULL;
	int i, n;

	out->n = 0;
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		snprintf(err, errlen, "bad socket-activation environment "
		    "(LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES): %s",
		    strerror(-n));
		return EX_CONFIG;
	}
	if (n > SD_FDS_MAX) {
		snprintf(err, errlen, "systemd passed %d sockets, echod "
		    "serves at most %d", n, SD_FDS_MAX);
		return EX_CONFIG;
	}
	out->n = n;
	for (i = 0; i < n; i++)
		snprintf(out->names[i], SD_NAME_MAX, "%s",
		    names != NULL && names[i] != NULL ? names[i] : "unknown");
	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	return 0;
}

static int
notify_send(const char *msg)
{
	int rc = sd_notify(0, msg);

	return rc < 0 ? rc : 0;
}

static int
watchdog_usec(uint64_t *usec)
{
	int rc = sd_watchdog_enabled(0, usec);

	return rc < 0 ? -1 : rc;
}

#else /* built-in */

const char *
notify_impl(void)
{
	return "built-in";
}

int
notify_listen_fds(struct sd_listen *out, char *err, size_t errlen)
{
	int i;

	if (sdproto_parse_listen(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    getenv("LISTEN_FDNAMES"), (long)getpid(), out, err, errlen) == -1)
		return EX_CONFIG;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < out->n; i++)
		(void)fcntl(SD_FDS_START + i, F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * Returns 0 (also when NOTIFY_SOCKET is unset), or -errno.  Non-blocking:
 * if the receiver's queue is full the message is dropped (EAGAIN), so a
 * stalled reader can never stall the echo loop.  libsystemd's sd_notify()
 * blocks instead; systemd drains its socket promptly.
 */
static int
notify_send(const char *msg)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	ssize_t n;
	int fd, err;

	if (where == NULL)
		return 0;
	if (sdproto_notify_addr(where, &sun, &len) == -1)
		return -EINVAL;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -errno;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	err = errno;
	close(fd);
	return n == -1 ? -err : 0;
}

static int
watchdog_usec(uint64_t *usec)
{
	return sdproto_parse_watchdog(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"), (long)getpid(), usec);
}

#endif

/* Send MSG; warn once if systemd cannot be told. */
static void
notify(struct echod *ed, const char *msg)
{
	int rc;

	if (!ed->notify_on)
		return;
	if ((rc = notify_send(msg)) < 0 && !ed->notify_warned) {
		log_warnx("cannot notify systemd at NOTIFY_SOCKET=%s: %s",
		    getenv("NOTIFY_SOCKET"), strerror(-rc));
		ed->notify_warned = 1;
	}
}

static void
format_status(struct echod *ed, char *buf, size_t len)
{
	struct stats st;
	uint64_t open;

	server_stats(ed, &st);
	open = st.open;

	snprintf(buf, len, "STATUS=%s %zu listener%s, %llu connection%s "
	    "open; %llu served, %llu MB echoed, %llu datagrams",
	    ed->state == ECHOD_RUNNING ? "serving" : "draining",
	    ed->nlisteners, ed->nlisteners == 1 ? "" : "s",
	    (unsigned long long)open, open == 1 ? "" : "s",
	    (unsigned long long)st.accepted,
	    (unsigned long long)(st.bytes_out >> 20),
	    (unsigned long long)st.udp.out);
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	char msg[192];

	(void)fd;
	(void)what;
	format_status(ed, msg, sizeof(msg));
	if (strcmp(msg, ed->status_last) != 0) {
		notify(ed, msg);
		snprintf(ed->status_last, sizeof(ed->status_last), "%s", msg);
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
	char msg[224];

	format_status(ed, ed->status_last, sizeof(ed->status_last));
	snprintf(msg, sizeof(msg), "%s\n%s", state, ed->status_last);
	notify(ed, msg);
}

int
notify_ready(struct echod *ed)
{
	struct timeval status_tv = { STATUS_INTERVAL_SEC, 0 };
	uint64_t usec = 0;
	int wd;

	ed->notify_on = getenv("NOTIFY_SOCKET") != NULL;
	if (!ed->notify_on)
		return 0;
	notify_state(ed, "READY=1");

	ed->status_ev = event_new(ed->base, -1, EV_PERSIST, status_cb, ed);
	if (ed->status_ev == NULL || event_add(ed->status_ev, &status_tv) == -1)
		return -1;
	if ((wd = watchdog_usec(&usec)) == -1)
		log_warnx("ignoring malformed WATCHDOG_USEC=%s",
		    getenv("WATCHDOG_USEC"));
	if (wd == 1) {
		/* Ping at half the interval, as sd_watchdog_enabled(3) asks. */
		struct timeval tv = { (time_t)(usec / 2 / 1000000),
		    (suseconds_t)(usec / 2 % 1000000) };
		ed->watchdog_ev = event_new(ed->base, -1, EV_PERSIST,
		    watchdog_cb, ed);
		if (ed->watchdog_ev == NULL ||
		    event_add(ed->watchdog_ev, &tv) == -1)
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
	if (ed->status_ev != NULL)
		event_free(ed->status_ev);
	if (ed->watchdog_ev != NULL)
		event_free(ed->watchdog_ev);
	ed->status_ev = ed->watchdog_ev = NULL;
}
