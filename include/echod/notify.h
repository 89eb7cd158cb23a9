/*
 * notify: echod as a systemd service.  Socket activation (inherited
 * listening sockets) and sd_notify (READY, STATUS, STOPPING, WATCHDOG),
 * in echod's own implementation of those protocols (sdproto.h).  Without
 * NOTIFY_SOCKET nothing is sent and nothing fails.
 */
#ifndef ECHOD_NOTIFY_H
#define ECHOD_NOTIFY_H

#include <stddef.h>

#include "echod/sdproto.h"

struct echod;

/*
 * The sockets systemd passed us, with their names; unsets LISTEN_* so
 * children do not inherit them.  Returns 0, or a sysexits code with a
 * message in ERR when the environment is malformed.
 */
int		 notify_listen_fds(struct sd_listen *out, char *err,
		    size_t errlen);

/*
 * Open the notify socket (kept open for the daemon's life, so notifying
 * never needs a new descriptor) if NOTIFY_SOCKET is set.  Returns 0, or a
 * sysexits code with ERR.
 */
int		 notify_open(struct echod *ed, char *err, size_t errlen);

/* READY=1 and STATUS=; starts the watchdog and status timers. */
int		 notify_ready(struct echod *ed);

/* RELOADING=1 as a reload starts; READY=1 and STATUS= when it is done. */
void		 notify_reloading(struct echod *ed);
void		 notify_reloaded(struct echod *ed);

/* STOPPING=1 and STATUS= as draining starts. */
void		 notify_stopping(struct echod *ed);

/* Stop the timers; close the socket. */
void		 notify_free(struct echod *ed);

#endif
