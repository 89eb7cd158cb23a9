/*
 * tls: what tls: listeners present and demand, loaded from --tls-cert,
 * --tls-key and --tls-client-ca into one OpenSSL context (TLS 1.2 and 1.3
 * only), and the OpenSSL side of one TLS connection: the bufferevent that
 * runs its handshake, why a handshake failed, a client that abuses the
 * connection after it (renegotiation, a KeyUpdate flood), and its clean
 * close.
 *
 * A context is loaded whole at start-up and on every SIGHUP (so renewed
 * files are picked up); a file that fails to load leaves the running one
 * in place.  New connections take the newest context; each connection
 * holds its own reference, so one connected before a reload keeps its
 * session.
 */
#ifndef ECHOD_TLS_H
#define ECHOD_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "echod/tls_fail.h"

struct bufferevent;
struct config;
struct event;
struct event_base;
struct tls;

/* A handshake must be over this long after the worker took the
 * connection (--idle-timeout if shorter), however slowly it trickles. */
#define TLS_HANDSHAKE_TIMEOUT	10	/* seconds */

/* Largest PEM file echod reads (a long chain is a few tens of KiB). */
#define TLS_FILE_MAX		(1 << 20)

/*
 * Load CFG's --tls-* files.  Returns 0 with *OUT set (NULL when CFG names
 * no certificate), or a sysexits code with one line in ERR naming the
 * file and what is wrong with it: 66 (EX_NOINPUT) unreadable, 65
 * (EX_DATAERR) not what it should be (no PEM certificate, an encrypted or
 * mismatched key, a key OpenSSL finds too weak), 71 (EX_OSERR) out of
 * memory.  A certificate out of its validity dates is loaded, with a
 * warning: clients that check it will refuse it.
 */
int	tls_load(const struct config *cfg, struct tls **out, char *err,
	    size_t errlen);

/* "certificate CN=echo.example, valid until 2027-11-30" (for the log). */
const char *tls_describe(const struct tls *t);

/* Drop this reference; connections keep theirs. */
void	tls_free(struct tls *t);

/*
 * Worker: a bufferevent for the accepted socket FD that runs the server
 * side of the handshake with T (BEV_EVENT_CONNECTED when it is done).
 * ALARM is made active once if the client is cut off (tls_watch.h: too
 * many records in its handshake, a second ClientHello too large, a
 * renegotiation, a KeyUpdate flood); tls_abuse() (tls_watch.h) then
 * says which.  Returns NULL if memory ran out
 * (FD is left open for the caller).  Free it with tls_close(), never
 * bufferevent_free().
 */
struct bufferevent *tls_accept(struct tls *t, struct event_base *base,
	    int fd, struct event *alarm);


/* After a BEV_EVENT_ERROR during the handshake: why it failed. */
enum tls_fail tls_failure(struct bufferevent *bev);

/* After BEV_EVENT_CONNECTED: 1 for TLS 1.3, 0 for TLS 1.2. */
int	tls_is_v13(struct bufferevent *bev);

/*
 * Free BEV and close its socket.  CLEAN (the stream ended as it should:
 * the client closed, or a timeout or drain) first sends TLS's close_notify
 * so the client can tell the end from a truncation; never after an error.
 */
void	tls_close(struct bufferevent *bev, int clean);

#endif
