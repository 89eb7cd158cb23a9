/*
 * sdproto: the text of systemd's socket-activation, watchdog and notify
 * protocols (sd_listen_fds(3), sd_watchdog_enabled(3), sd_notify(3)),
 * parsed without touching the environment or a socket, so that notify.c's
 * I/O stays thin and the text can be unit-tested and fuzzed.
 */
#ifndef ECHOD_SDPROTO_H
#define ECHOD_SDPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "echod/fdname.h"

#define SD_FDS_START	3	/* SD_LISTEN_FDS_START */
#define SD_FDS_MAX	64	/* listening sockets */
#define SD_FDS_TOTAL_MAX (1 << 20) /* with connections from the store */
#define SD_NAME_MAX	256

/* A descriptor echod left in systemd's store (fdname.h). */
struct sd_stored {
	int		fd;
	struct fdname	name;
	char		raw[SD_NAME_MAX];	/* to remove it by */
};

struct sd_listen {
	int	n;				/* listening sockets: */
	int	fd[SD_FDS_MAX];
	char	names[SD_FDS_MAX][SD_NAME_MAX];	/* "unknown" if unnamed */
	size_t	nstored;			/* and echod's own */
	struct sd_stored *stored;		/* sdproto_listen_free() */
};

/*
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (each may be NULL) for process
 * SELF.  Returns 0 with OUT->n listening fds and OUT->nstored fds named
 * as echod names what it stores (both 0 when the variables are absent or
 * meant for another process), or -1 with a message in ERR when they are
 * malformed or (stored ones) there is no memory for them.
 */
int	sdproto_parse_listen(const char *pid, const char *fds,
	    const char *names, long self, struct sd_listen *out, char *err,
	    size_t errlen);

/* Free what sdproto_parse_listen() allocated (not the fds). */
void	sdproto_listen_free(struct sd_listen *);

/*
 * WATCHDOG_USEC and WATCHDOG_PID (may be NULL).  Returns 1 and sets *USEC
 * when the watchdog is on for SELF, 0 when off, -1 when malformed.
 */
int	sdproto_parse_watchdog(const char *usec, const char *pid, long self,
	    uint64_t *usec_out);

/*
 * NOTIFY_SOCKET ("/run/systemd/notify" or "@abstract") as an address.
 * Returns 0, or -1 if it is neither.
 */
int	sdproto_notify_addr(const char *value, struct sockaddr_un *sun,
	    socklen_t *len);

#endif
