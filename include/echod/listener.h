/*
 * listener: the set of sockets echod serves echo on, each wrapped for the
 * event loop (an evconnlistener for streams, a read event for UDP).  Opens
 * them at start-up (sockets.h makes them), reconciles them on a reload,
 * closes them at shutdown.  Every accepted connection goes to the front
 * door, admit.h (through proxy.h first with --proxy-protocol); this file
 * decides nothing about who comes in or when accepting pauses.
 */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stddef.h>

struct config;
struct echod;
struct sd_listen;

/*
 * Serve the sockets systemd passed (INHERITED) and open every --listen
 * of ED->cfg; the default address only when systemd passed nothing.
 * Returns 0, or a sysexits code with a one-line message in ERR; on
 * failure nothing stays open or on disk.
 */
int	listener_open_all(struct echod *ed, const struct sd_listen *inherited,
	    char *err, size_t errlen);

/*
 * TLS needs both halves: a TLS listener (a tls: --listen of CFG, or a
 * socket from systemd named tls...) and CFG's --tls-cert.  Returns 0, or
 * EX_USAGE with ERR saying which half is missing.
 */
int	listener_tls_check(const struct echod *ed, const struct config *cfg,
	    char *err, size_t errlen);

/* Log each listener's real address ("listening on 127.0.0.1:41234"). */
void	listener_log_all(const struct echod *ed);

/*
 * Reload: make the open listeners match NCFG's --listen values, opened
 * with NCFG's --backlog.  Sockets of values that stayed keep serving; new
 * ones open first, and if any fails everything is left as it was (a
 * sysexits code and ERR); then the ones no longer wanted close.  Sockets
 * from systemd always stay.
 */
int	listener_reconcile(struct echod *ed, const struct config *ncfg,
	    char *err, size_t errlen);

/* Stop and free every listener; unlink the socket files we created. */
void	listener_close_all(struct echod *ed);

#endif
