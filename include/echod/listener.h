/*
 * listener: the sockets echod accepts on.  Opened at start-up (every error
 * explained, see listen_error.h), paused and resumed by the limits, closed
 * at shutdown (removing the Unix socket files echod created).
 */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stddef.h>

struct echod;

struct sd_listen;

/*
 * Serve the sockets systemd passed (INHERITED, checked to be listening
 * stream sockets) and open every --listen of ED->cfg; the default address
 * only when systemd passed nothing.  Returns 0, or a sysexits code with a
 * one-line message in ERR; on failure nothing stays open or on disk.
 */
int	listener_open_all(struct echod *ed, const struct sd_listen *inherited,
	    char *err, size_t errlen);

struct listen_spec;

/*
 * Bind and listen on the first address of SPEC (TCP), for a side
 * service such as --metrics.  The address is written to WHERE.  Returns
 * 0, or a sysexits code with a message in ERR.
 */
int	listener_bind_first(const struct echod *ed,
	    const struct listen_spec *spec, int *fdp, char *where,
	    size_t wherelen, char *err, size_t errlen);

/* How many sockets are open now. */
size_t	listener_count(const struct echod *ed);

/* Log each listener's real address ("listening on 127.0.0.1:41234"). */
void	listener_log_all(const struct echod *ed);

/*
 * Reload: make the open listeners match NCFG's --listen values.  Sockets
 * of values that stayed keep serving; new ones open first, and if any
 * fails everything is left as it was (a sysexits code and ERR); then the
 * ones no longer wanted close.  Sockets from systemd always stay.
 */
struct config;
int	listener_reconcile(struct echod *ed, const struct config *ncfg,
	    char *err, size_t errlen);

/* Stop and free every listener; unlink the socket files we created. */
void	listener_close_all(struct echod *ed);

/*
 * A new connection on FD from the client SA (the one a PROXY header
 * named, with --proxy-protocol): --allow/--deny and --max-conns-per-ip
 * decide, then a worker takes it, or it is closed.  COUNTED: it was
 * already counted against --max-conns (as one waiting for its header is).
 */
void	listener_admit(struct echod *ed, int fd, const struct sockaddr *sa,
	    socklen_t salen, int counted);

/* A counted connection closed before a worker took it: free its slot. */
void	listener_uncount(struct echod *ed);

/* Add or clear a pause reason (ECHOD_PAUSE_*). */
void	listener_pause(struct echod *ed, unsigned reason);
void	listener_resume(struct echod *ed, unsigned reason);

#endif
